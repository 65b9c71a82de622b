# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_containers: containers of the layout that exited, restart in a loop or fail their healthcheck.

Pure function: the ``containers`` node facts (``<cli> ps -a`` + one ``<cli> inspect``, the log tail of
the faulty ones) in, one result per container of the layout out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

# 128 + SIGTERM (15) and 128 + SIGKILL (9): what `docker stop` / `podman stop` leave (SIGTERM,
# then SIGKILL after the stop timeout): a deliberate stop, not a crash (as check_services_running).
DELIBERATE_STOP_EXIT_CODES = (137, 143)
SIGNALS = {137: 'SIGKILL', 143: 'SIGTERM', 139: 'SIGSEGV', 134: 'SIGABRT'}
# restart policies of a container meant to run (kolla-ansible: unless-stopped)
MEANT_TO_RUN = ('always', 'unless-stopped', 'on-failure')

DECLARATION = {
    'name': 'check_containers',
    'title': 'containers of the deployment (kolla, TripleO, the layout\'s services) that exited with an error, '
             'restart in a loop, are unhealthy or stopped',
    'scope': 'host',
    'groups': ['controllers', 'computes', 'storage', 'network', 'messaging'],
    'subsets': ['layout', 'containers'],
    'apis': [],
    'fix': 'fix_containers',
    'params': {
        'ignore': {'var': 'check_containers_ignore', 'default': []},
        'restart_loop_count': {'var': 'check_containers_restart_loop_count', 'default': ha_facts.RESTART_LOOP_COUNT},
        'restart_loop_seconds': {'var': 'check_containers_restart_loop_seconds',
                                 'default': ha_facts.RESTART_LOOP_SECONDS},
    },
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'containers.unhealthy': {
            'severity': 'critical', 'identity': ['container'],
            'title': "a container runs but its engine's healthcheck fails (State.Health.Status unhealthy): the "
                     "service inside does not answer"},
        'containers.restarting': {
            'severity': 'critical', 'identity': ['container'],
            'title': 'a container restarts in a loop (its restart policy starts it again, it dies again): docker\'s '
                     'State.Restarting, or restarted by its policy check_containers_restart_loop_count times and '
                     'up for less than check_containers_restart_loop_seconds (podman keeps Restarting false)'},
        'containers.exited': {
            'severity': 'critical', 'identity': ['container'],
            'title': 'a container exited with an error code (not 0, not 137/143 of a deliberate stop) or was '
                     'killed by the OOM killer'},
        'containers.stopped': {
            'severity': 'warning', 'identity': ['container'],
            'title': 'a container meant to run (restart policy, layout service) is stopped after a deliberate '
                     'stop (exit 0, 137 or 143) or was created and never started'},
        'containers.status_unavailable': {
            'severity': 'error', 'fixable': False, 'identity': [],
            'title': 'the container engine does not answer (ps or inspect fails or times out)'},
    },
    'references': [
        'https://docs.docker.com/reference/dockerfile/#healthcheck (health status, the last runs in State.Health)',
        'https://docs.podman.io/en/latest/markdown/podman-inspect.1.html (State.Health; State.Healthcheck before '
        'podman 4)',
        'https://docs.podman.io/en/latest/markdown/podman-healthcheck-run.1.html',
        'https://docs.docker.com/reference/cli/docker/container/stop/ (SIGTERM, then SIGKILL: exit 143/137)',
        'https://docs.openstack.org/kolla-ansible/latest/user/troubleshooting.html',
        'openstack/kolla docker/base/Dockerfile.j2 (LABEL kolla_version); kolla-ansible '
        'ansible/roles/*/defaults/main.yml healthcheck_* (kolla healthchecks)',
        'openstack/tripleo-ansible tripleo_ansible/roles/tripleo_container_manage (managed_by label, '
        'tripleo_<name>.service units)',
        'ClusterLabs/resource-agents heartbeat/podman (bundle replicas <bundle>-podman-<n>)',
    ],
    'runbook': {
        'symptom': (
            "An API answers 503 through haproxy or not at all, `openstack ... service list` shows an agent "
            "down, `docker ps`/`podman ps` shows a container `(unhealthy)`, `Restarting (1) N seconds ago` "
            "or `Exited (1)`."),
        'cause': (
            "The service inside the container hangs or lost a dependency (its healthcheck, e.g. kolla's "
            "healthcheck_curl or healthcheck_port, fails), crashes at start (a bad config, a missing "
            "file, a database it cannot reach: the restart policy restarts it in a loop), was killed by "
            "the OOM killer, or was stopped by hand and never started again. Exit 137/143 are what "
            "`docker stop`/`podman stop` leave (128 + SIGKILL/SIGTERM)."),
        'reads': (
            "`<cli> ps -a` and one `<cli> inspect` of the containers (podman or docker, the layout's engine), "
            "bounded by check_containers_timeout: the containers of the layout's services, kolla's (label "
            "kolla_version), TripleO's (label managed_by=tripleo_ansible or paunch, pacemaker bundle "
            "replicas <bundle>-podman-<n>); stackdoctor_layout_overrides.containers may add include/labels "
            "and exclude. State.Status, Restarting, ExitCode, OOMKilled, RestartPolicy, RestartCount, "
            "State.Health (State.Healthcheck in older podman) with the output of its last 3 runs, and the "
            "last 20 lines of `<cli> logs` of the faulty ones (masked). TripleO one-shot containers "
            "(config_data detach false: db syncs, bootstraps) that exited 0 are ok. "
            "check_containers_ignore lists containers (globs) to leave out."),
        'fix': (
            "fix_containers restarts only the containers listed in fix_containers_names (globs; opt-in, "
            "empty by default) through the layout: TripleO's systemd unit tripleo_<name> where it exists, "
            "`pcs resource restart <bundle>` for a pacemaker bundle replica when "
            "fix_containers_allow_pacemaker, else `<cli> restart <name>`; then waits (bounded by "
            "fix_containers_health_timeout) until the healthcheck leaves 'starting' (podman: one `podman "
            "healthcheck run`). A container that crashes at start will crash again: read its log tail "
            "in the evidence first."),
        'verify': (
            "`<cli> ps -a --filter name=<container>` shows Up (healthy); `<cli> inspect --format "
            "'{{json .State.Health}}' <container>`; re-run check_containers."),
    },
}


def _exit_text(c):
    code = c.get('exit_code')
    text = 'exit code %s' % code
    if code in SIGNALS:
        text += ' (128 + %s)' % SIGNALS[code]
    if c.get('oom_killed'):
        text += ', OOM killed'
    return text


def _evidence(c):
    keys = ('image', 'status', 'up_seconds', 'exit_code', 'oom_killed', 'error', 'started_at', 'finished_at', 'restart_count',
            'restart_policy', 'health', 'failing_streak', 'healthcheck', 'health_log', 'one_shot', 'why', 'restart',
            'log_tail')
    ev = {'container': c.get('name')}
    ev.update((k, c[k]) for k in keys if c.get(k) not in (None, '', [], {}))
    if c.get('running'):
        ev.pop('exit_code', None)
    if str(ev.get('finished_at') or '').startswith('0001'):
        ev.pop('finished_at')
    service = (c.get('restart') or {}).get('service')
    if service:
        ev['service'] = service
    return ev


def _health_text(c):
    last = (c.get('health_log') or [{}])[-1]
    out = (last.get('output') or '').strip().splitlines()
    return ('; last check exit %s: %s' % (last.get('exit_code'), out[-1][:200])) if last else ''


def evaluate(facts, params=None):
    """One result per container of the layout on this host.

    ``params``: ``ignore`` (container name globs left out: skipped), ``severity``.
    """
    facts = facts or {}
    params = params or {}
    ignore = list(params.get('ignore') or [])
    cf = facts.get('containers')
    if not isinstance(cf, dict):
        return [base.result(DECLARATION, 'containers.status_unavailable', 'error',
                            'container facts were not gathered on this host (node_facts subset "containers" missing)')]
    if cf.get('error'):
        message = (cf['error'] or {}).get('message') if isinstance(cf['error'], dict) else str(cf['error'])
        return [base.result(DECLARATION, 'containers.status_unavailable', base.FAULT,
                            'cannot read the containers: %s' % message, {'cli': cf.get('cli'), 'message': message})]
    containers = cf.get('containers') or []
    if not containers:
        if (cf.get('selection') or {}).get('none'):
            return [base.result(DECLARATION, 'containers.status_unavailable', 'skipped',
                                '%s: nothing to look at on this host' % cf['selection']['none'],
                                {'cli': cf.get('cli'), 'selection': cf.get('selection')})]
        return [base.result(DECLARATION, 'containers.status_unavailable', 'skipped',
                            'no container of the layout on this host (engine %s, %s other containers)'
                            % (cf.get('cli') or 'none', cf.get('others') or 0),
                            {'cli': cf.get('cli'), 'selection': cf.get('selection')})]
    results = []
    for c in sorted(containers, key=lambda x: x.get('name') or ''):
        name = c.get('name')
        ev = _evidence(c)
        if any(fnmatch.fnmatchcase(name or '', p) for p in ignore):
            results.append(base.result(DECLARATION, 'containers.stopped', 'skipped',
                                       '%s: in check_containers_ignore' % name, ev))
            continue
        code = c.get('exit_code')
        if ha_facts.restart_loop(c, int(params.get('restart_loop_count') or ha_facts.RESTART_LOOP_COUNT),
                                 int(params.get('restart_loop_seconds') or ha_facts.RESTART_LOOP_SECONDS)):
            results.append(base.result(DECLARATION, 'containers.restarting', base.FAULT,
                                       'container %s restarts in a loop (%s restarts by its %s policy, up %s s, last %s)'
                                       % (name, c.get('restart_count'), c.get('restart_policy'), c.get('up_seconds'),
                                          _exit_text(c)), ev))
        elif c.get('running'):
            if c.get('health') == 'unhealthy':
                results.append(base.result(DECLARATION, 'containers.unhealthy', base.FAULT,
                                           'container %s runs but is unhealthy (%s failing checks%s)'
                                           % (name, c.get('failing_streak'), _health_text(c)), ev))
            else:
                results.append(base.result(DECLARATION, 'containers.unhealthy', 'ok',
                                           'container %s runs%s' % (name, ' (%s)' % c['health'] if c.get('health')
                                                                    else ''), ev))
        elif c.get('oom_killed') or (code not in (None, 0) and code not in DELIBERATE_STOP_EXIT_CODES):
            results.append(base.result(DECLARATION, 'containers.exited', base.FAULT,
                                       'container %s exited: %s' % (name, _exit_text(c)), ev))
        elif code == 0 and c.get('one_shot') is not False and (
                c.get('one_shot') or (c.get('restart_policy') or 'no') not in MEANT_TO_RUN) \
                and not (c.get('restart') or {}).get('service'):
            # a one-shot container (TripleO's detach false, no restart policy) that finished
            results.append(base.result(DECLARATION, 'containers.exited', 'ok',
                                       'container %s finished (exit code 0, a one-shot container)' % name, ev))
        else:
            state = c.get('status') or 'stopped'
            how = 'never started' if state in ('created', 'configured') else _exit_text(c)
            results.append(base.result(DECLARATION, 'containers.stopped', base.FAULT,
                                       'container %s is %s (%s): stopped on purpose? start it, or list it in '
                                       'check_containers_ignore' % (name, state, how), ev))
    return results
