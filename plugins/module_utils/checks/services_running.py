# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_services_running: deployed OpenStack services that are not running (declaration + evaluate).

Pure function: the ``services`` node facts (one ``systemctl show`` and one ``<cli> inspect``
per host, units and containers from the layout table) in, one result per service out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

# Exit codes a container is left with when it was stopped on purpose: 128 + SIGTERM (15), what
# `docker stop` / `podman stop` send first, and 128 + SIGKILL (9), after the stop timeout.
DELIBERATE_STOP_EXIT_CODES = (0, 137, 143)
SIGNALS = {137: 'SIGKILL', 143: 'SIGTERM', 139: 'SIGSEGV', 134: 'SIGABRT'}
# systemd UnitFileState values that will not start the unit at boot
NOT_ENABLED = ('disabled', 'masked', 'masked-runtime')

DECLARATION = {
    'name': 'check_services_running',
    'title': 'OpenStack services deployed on the host (units, containers) that are stopped, crashed or not enabled',
    'scope': 'host',
    'groups': ['controllers', 'computes', 'storage', 'network', 'messaging'],
    'subsets': ['layout', 'services'],
    'apis': [],
    'fix': 'fix_services_running',
    'params': {
        'ignore': {'var': 'check_services_running_ignore', 'default': []},
        'required': {'var': 'check_services_running_required', 'default': []},
    },
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'services.stopped': {
            'severity': 'critical', 'identity': ['service'],
            'title': 'a service deployed on the host is stopped (unit inactive, container exited after a stop, '
                     'process of its pid file gone)'},
        'services.crashed': {
            'severity': 'critical', 'identity': ['service'],
            'title': 'a service died on its own: unit failed or restarting in a loop, container exited with an '
                     'error code (not 137/143 of a deliberate stop) or killed by the OOM killer'},
        'services.process_gone': {
            'severity': 'critical', 'fixable': False, 'identity': ['service'],
            'title': 'a service the layout knows only by its pid file (run by its own supervisor, no unit or '
                     'container) has no live process: start it the way the site runs it'},
        'services.not_enabled': {
            'severity': 'warning', 'identity': ['service'],
            'title': 'a service runs but its unit is disabled or masked: it will not come back after a reboot'},
        'services.unhealthy': {
            'severity': 'warning', 'fixable': False, 'identity': ['service'],
            'title': "a container runs but its engine's healthcheck says unhealthy"},
        'services.not_deployed': {
            'severity': 'critical', 'fixable': False, 'identity': ['service'],
            'title': 'a service the site requires on this host (check_services_running_required) has no unit, '
                     'container or pid file here'},
    },
    'references': [
        'https://www.freedesktop.org/software/systemd/man/latest/systemctl.html (show, is-enabled)',
        'https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html (ExecMainStatus, Result)',
        'https://docs.docker.com/reference/cli/docker/container/stop/ (SIGTERM, then SIGKILL after the timeout)',
        'https://docs.podman.io/en/latest/markdown/podman-inspect.1.html (State.ExitCode, OOMKilled, Health)',
        'https://docs.openstack.org/kolla-ansible/latest/user/troubleshooting.html',
        'https://docs.openstack.org/nova/latest/admin/troubleshooting/index.html',
    ],
    'runbook': {
        'symptom': (
            "API calls fail (connection refused on nova-api's port, 503 from the load balancer), "
            "instances stay in BUILD or volumes in creating, `openstack compute service list` shows "
            "services down, or \"AMQP server on ... is unreachable\" when rabbitmq is the one stopped."),
        'cause': (
            "Someone stopped the service (maintenance, a test, a failed upgrade step) and never started "
            "it again, the service crashed (unit failed, container exited with an error code or OOM "
            "killed), or it runs but is disabled and will not survive the next reboot. Container exit "
            "codes 137 and 143 are what `docker stop`/`podman stop` leave (128 + SIGKILL, 128 + SIGTERM): "
            "a deliberate stop, not a crash."),
        'reads': (
            "The layout table (plugins/module_utils/layout.py) says which unit or container each "
            "logical service is on this deployment (packaged systemd units, kolla and TripleO "
            "containers); the services subset of node_facts runs one `systemctl show` for every unit "
            "present (ActiveState, SubState, UnitFileState, Result, ExecMainStatus) and one `<cli> "
            "inspect` for every container present (State, ExitCode, OOMKilled, Health, RestartPolicy), "
            "each bounded by stackdoctor_command_timeout. Services run by their own supervisor can be "
            "named with a pid file in stackdoctor_layout_overrides (<service>: {pidfile: ...}). "
            "check_services_running_ignore lists services stopped on purpose; "
            "check_services_running_required lists services that must exist on the host."),
        'fix': (
            "fix_services_running starts (and enables) only the services listed in "
            "fix_services_running_services (opt-in; empty by default, ['all'] for every one), through "
            "the layout (systemctl start/enable, <cli> start, pcs resource enable when "
            "restart_service_allow_pacemaker). Services known only by a pid file are left to their "
            "supervisor; a crashed service is started once, and its log is the next thing to read."),
        'verify': (
            "systemctl status <unit> or <cli> ps -a --filter name=<container>; "
            "`openstack compute service list` / `openstack endpoint list` and a call to the API again; "
            "re-run check_services_running."),
    },
}


def _describe_exit(entry):
    code = entry.get('exit_code')
    if entry.get('method') in ('systemd', 'juju_unit'):
        parts = [p for p in (entry.get('result') and 'result %s' % entry['result'],
                             entry.get('exit_code') and '%s %s' % (entry['exit_code'], entry.get('exit_status'))) if p]
        return ', '.join(parts) or 'no exit recorded'
    if code is None:
        return 'no exit code'
    text = 'exit code %s' % code
    if code in SIGNALS:
        text += ' (128 + %s)' % SIGNALS[code]
    if entry.get('oom_killed'):
        text += ', OOM killed'
    return text


def _evidence(name, entry):
    keys = ('method', 'target', 'state', 'sub_state', 'unit_file_state', 'result', 'exit_code',
            'exit_status', 'oom_killed', 'health', 'restart_policy', 'restarts', 'since', 'pidfile', 'pid',
            'resource', 'engine_error', 'source', 'assumption')
    ev = {'service': name}
    ev.update((k, entry[k]) for k in keys if entry.get(k) not in (None, ''))
    if entry.get('error'):
        ev['file'] = (entry['error'] or {}).get('file')
        ev['message'] = (entry['error'] or {}).get('message')
    return ev


def _classify(entry):
    """(finding id or None, how) for a deployed service that is not running."""
    method = entry.get('method')
    if method in ('systemd', 'juju_unit'):
        if entry.get('state') == 'failed' or entry.get('sub_state') == 'auto-restart':
            return 'services.crashed', 'unit %s is %s/%s (%s)' % (
                entry.get('target'), entry.get('state'), entry.get('sub_state'), _describe_exit(entry))
        return 'services.stopped', 'unit %s is %s/%s' % (entry.get('target'), entry.get('state'), entry.get('sub_state'))
    if method in ('container', 'pacemaker'):
        code = entry.get('exit_code')
        if entry.get('restarting') or entry.get('oom_killed') or (code not in DELIBERATE_STOP_EXIT_CODES and code is not None):
            return 'services.crashed', 'container %s is %s, %s' % (entry.get('target'), entry.get('state'), _describe_exit(entry))
        return 'services.stopped', 'container %s is %s, %s: a deliberate stop, not a crash' % (
            entry.get('target'), entry.get('state'), _describe_exit(entry))
    if method == 'pidfile':
        return 'services.process_gone', 'pid file %s: %s' % (entry.get('target'), entry.get('state'))
    return None, 'state %s' % entry.get('state')


def evaluate(facts, params=None):
    """One result per deployed service (and per required one that is missing).

    ``params``: ``ignore`` (logical services stopped on purpose: skipped), ``required`` (logical
    services that must be deployed on this host), ``severity``.
    """
    facts = facts or {}
    params = params or {}
    ignore = set(params.get('ignore') or [])
    required = list(params.get('required') or [])
    svc_facts = facts.get('services')
    if not isinstance(svc_facts, dict):
        return [base.result(DECLARATION, 'services.stopped', 'error',
                            'services facts were not gathered on this host (node_facts subset "services" missing)')]
    if svc_facts.get('error') and not svc_facts.get('services'):
        err = svc_facts['error'] if isinstance(svc_facts['error'], dict) else {'message': str(svc_facts['error'])}
        return [base.result(DECLARATION, 'services.stopped', 'error',
                            'cannot read the services of this host: %s' % err.get('message'),
                            {'file': err.get('file'), 'message': err.get('message')})]
    services = svc_facts.get('services') or {}
    flavour = (facts.get('layout') or {}).get('flavour')
    errors = [e.get('message') if isinstance(e, dict) else str(e) for e in svc_facts.get('errors') or []]
    results = []
    for name in sorted(services):
        entry = services[name] or {}
        ev = _evidence(name, entry)
        if flavour:
            ev['layout'] = flavour
        if name in ignore:
            results.append(base.result(DECLARATION, 'services.stopped', 'skipped',
                                       '%s: in check_services_running_ignore (stopped on purpose)' % name, ev))
            continue
        if entry.get('error'):
            results.append(base.result(DECLARATION, 'services.stopped', 'error',
                                       '%s: %s: %s' % (name, ev.get('file'), ev.get('message')), ev))
            continue
        running = entry.get('running')
        if running is None:
            why = '; '.join(errors) or 'state %s' % entry.get('state')
            results.append(base.result(DECLARATION, 'services.stopped', 'error',
                                       '%s (%s %s): cannot tell whether it runs: %s'
                                       % (name, entry.get('method'), entry.get('target'), why), ev))
            continue
        listening = sorted(t for t, st in (entry.get('triggered_by') or {}).items()
                           if (st or '').startswith('active/'))
        if not running and entry.get('state') == 'inactive' and listening:
            ev['triggered_by'] = entry.get('triggered_by')
            results.append(base.result(DECLARATION, 'services.stopped', 'ok',
                                       '%s is socket-activated: unit %s is inactive until used, %s listening '
                                       '(systemd.socket(5))' % (name, entry.get('target'), ', '.join(listening)), ev))
            continue
        if not running:
            fid, how = _classify(entry)
            if fid is None:
                results.append(base.result(DECLARATION, 'services.stopped', 'error',
                                           '%s: layout method %s is not one this check reads' % (name, entry.get('method')), ev))
                continue
            results.append(base.result(DECLARATION, fid, base.FAULT, '%s is not running: %s' % (name, how), ev))
            continue
        if entry.get('method') in ('systemd', 'juju_unit') and entry.get('unit_file_state') in NOT_ENABLED:
            results.append(base.result(DECLARATION, 'services.not_enabled', base.FAULT,
                                       '%s runs but unit %s is %s: it will not start after a reboot'
                                       % (name, entry.get('target'), entry.get('unit_file_state')), ev))
            continue
        if entry.get('health') == 'unhealthy':
            results.append(base.result(DECLARATION, 'services.unhealthy', base.FAULT,
                                       '%s runs but container %s is unhealthy (engine healthcheck)'
                                       % (name, entry.get('target')), ev))
            continue
        results.append(base.result(DECLARATION, 'services.stopped', 'ok',
                                   '%s runs (%s %s)' % (name, entry.get('method'), entry.get('target')), ev))
    for name in required:
        if name in services:
            continue
        results.append(base.result(DECLARATION, 'services.not_deployed', base.FAULT,
                                   '%s is required on this host (check_services_running_required) but the %s layout '
                                   'finds no unit, container or pid file for it' % (name, flavour or '?'),
                                   {'service': name, 'layout': flavour}))
    if not results:
        results.append(base.result(DECLARATION, 'services.stopped', 'skipped',
                                   'no OpenStack service of the %s layout is deployed on this host' % (flavour or '?'),
                                   {'layout': flavour}))
    return results
