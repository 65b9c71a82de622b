# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_smoke: an opt-in end-to-end probe of the cloud's main operations (declaration + evaluate).

The role (roles/check_smoke) runs the module smoke_probe: it uploads an image, creates a volume,
boots a server, attaches the volume, gives the server a floating IP and snapshots the volume, each
timed, then removes all of it; evaluate() turns the steps' outcomes, their times and the
cleanup into results. It creates resources, so it is declared opt_in: only a run that names it
(playbooks/smoke.yml) runs it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

STEPS = ('image', 'volume', 'server', 'attach', 'floating_ip', 'snapshot')
# what each step needs to have passed before it
NEEDS = {'server': ('image',), 'attach': ('server', 'volume'), 'floating_ip': ('server',), 'snapshot': ('volume',)}
# the API call behind each step, for the operator who reads a failure
CALLS = {
    'image': 'image POST /v2/images + PUT /v2/images/{id}/file, until active',
    'volume': 'block-storage POST /v3/{project}/volumes, until available',
    'server': 'compute POST /servers, until ACTIVE (ERROR: its fault message)',
    'attach': 'compute POST /servers/{id}/os-volume_attachments, until the volume is in-use',
    'floating_ip': 'network POST /v2.0/floatingips with the server\'s port_id, until ACTIVE (the router applied it)',
    'snapshot': 'block-storage POST /v3/{project}/snapshots (force), until available',
}

DECLARATION = {
    'name': 'check_smoke',
    'title': 'End-to-end smoke probe (opt-in): image upload, volume, server boot, attach, floating IP, snapshot, each timed',
    'scope': 'cloud',
    'groups': ['controllers'],
    'subsets': [],
    'apis': [CALLS[s] for s in STEPS] + ['each kind listed by its name prefix and DELETEd by id at the end'],
    'fix': None,
    'profiles': ['post-deploy', 'pre-upgrade'],
    'opt_in': True,
    'params': {
        'slow_seconds': {'var': 'check_smoke_slow_seconds', 'default': {
            'image': 60, 'volume': 60, 'server': 120, 'attach': 60, 'floating_ip': 60, 'snapshot': 60}},
    },
    'findings': {
        'smoke.step_failed': {
            'severity': 'critical', 'identity': ['step'],
            'title': 'a step of the smoke probe failed: the operation an end user would run fails, with the API answer'},
        'smoke.step_slow': {
            'severity': 'warning', 'identity': ['step'],
            'title': 'a step of the smoke probe passed but took longer than check_smoke_slow_seconds allows'},
        'smoke.cleanup_incomplete': {
            'severity': 'warning', 'identity': ['kind', 'name'],
            'title': 'the probe could not remove something it created (or an earlier run left); the next run removes it'},
        'smoke.not_configured': {
            'severity': 'error', 'identity': [],
            'title': 'the steps asked for need variables that are not set (flavor, network, floating network)'},
    },
    'references': [
        'https://docs.openstack.org/install-guide/launch-instance.html (the install guide\'s own end-to-end verification)',
        'https://docs.openstack.org/tempest/latest/overview.html (tempest run --smoke: the same idea, as a test suite)',
        'https://docs.openstack.org/openstacksdk/latest/user/index.html (the calls module smoke_probe makes)',
        'https://opendev.org/openstack/openstacksdk/commit/3ae89d61b4f49b74a0f933c95e2df57a87816316 '
        '(openstack.version no longer imported: openstack.cloud 2.5.0 modules fail with openstacksdk >= 4.15)',
        'https://docs.openstack.org/api-ref/compute/ (POST /servers, POST /servers/{server_id}/os-volume_attachments)',
        'https://docs.openstack.org/api-ref/network/v2/ (POST /v2.0/floatingips)',
        'https://docs.openstack.org/api-ref/block-storage/v3/ (volumes, snapshots)',
    ],
    'runbook': {
        'symptom': (
            "Users report that servers do not boot, volumes do not attach or floating IPs do not work, "
            "while every service answers its API and no single check finds a fault; or an upgrade just "
            "finished and the operator wants proof that the main operations still work end to end."),
        'cause': (
            "Any link of the chain: glance's store, cinder's scheduler or backend, nova's scheduler, "
            "conductor or compute, port binding in neutron, the L3 agent that applies floating IPs, "
            "the iSCSI target of an attach. The failing step and the API's answer say which link."),
        'reads': (
            "Only what it creates itself (module smoke_probe, openstacksdk calls), in the project of the "
            "credentials, from check_smoke_api_host: "
            "a raw image of check_smoke_image_size_mb MiB (tagged with check_smoke_prefix), a volume of "
            "check_smoke_volume_size GB, a server of check_smoke_flavor on check_smoke_network, the "
            "volume attached, a floating IP from check_smoke_floating_network on the server's port "
            "(waited until ACTIVE: the router applied it), a snapshot of the volume. Everything is named "
            "<check_smoke_prefix>-<run id>-<kind> (floating IP: description). Each step is timed and "
            "bounded by check_smoke_step_timeout, each API call by check_smoke_api_timeout; a failed "
            "step stops the steps that need it (the others still run). At the end everything of the run is listed by "
            "its name and deleted (also after a failure); before the steps, leftovers of earlier runs "
            "(interrupted, or their cleanup failed) are deleted the same way (check_smoke_sweep). "
            "Opt-in: `ansible-playbook stackdoctor.openstack.smoke`; never part of diagnose's default "
            "selection; in check mode it creates nothing (skipped)."),
        'fix': (
            "No fix: the failing step names the operation and the API's answer; run the checks of that "
            "service (diagnose), then the service's logs for the request id. A slow step is a capacity "
            "or backend question (scheduler, image conversion, backend latency)."),
        'verify': (
            "Run `ansible-playbook -i <inventory> stackdoctor.openstack.smoke` again: every step ok, "
            "smoke.cleanup_incomplete ok; `openstack server list --name '^stackdoctor-smoke-'` and "
            "`openstack volume list` show nothing of the probe."),
    },
}


def _steps_line(steps):
    return ', '.join('%s %.1fs%s' % (s.get('step'), float(s.get('seconds') or 0), '' if s.get('ok') else ' FAILED')
                     for s in steps)


def evaluate(facts, params=None):
    """``facts``: ``{check_mode, error, run, missing_vars, steps_requested, steps: [{step, ok,
    seconds, id, error}], swept: [...], cleanup: [{kind, name, id, removed, error}]}``."""
    facts = facts or {}
    params = params or {}
    decl = DECLARATION
    if facts.get('check_mode'):
        return [base.result(decl, 'smoke.step_failed', 'skipped',
                            'the smoke probe creates resources: not run in check mode')]
    if facts.get('missing_vars'):
        missing = list(facts['missing_vars'])
        return [base.result(decl, 'smoke.not_configured', 'fault',
                            'the smoke probe cannot run: set %s' % ', '.join(missing),
                            {'missing_vars': missing, 'steps_requested': facts.get('steps_requested')}, params)]
    if facts.get('error'):
        return [base.result(decl, 'smoke.step_failed', 'error', str(facts['error']), {'run': facts.get('run')})]

    steps = list(facts.get('steps') or [])
    requested = list(facts.get('steps_requested') or STEPS)
    seen = set(s.get('step') for s in steps)
    passed = set(s.get('step') for s in steps if s.get('ok'))
    not_run = [s for s in requested if s not in seen]
    slow_limits = dict(decl['params']['slow_seconds']['default'])
    slow_limits.update(params.get('slow_seconds') or {})
    total = sum(float(s.get('seconds') or 0) for s in steps)
    run = facts.get('run')
    out = []

    failed = [s for s in steps if not s.get('ok')]
    for s in failed:
        blocked = [n for n in not_run if s.get('step') in NEEDS.get(n, ())]
        out.append(base.result(
            decl, 'smoke.step_failed', 'fault',
            'smoke step %s failed after %.1fs: %s%s' % (
                s.get('step'), float(s.get('seconds') or 0), s.get('error') or 'no answer',
                ('; not run: %s' % ', '.join(blocked)) if blocked else ''),
            {'step': s.get('step'), 'call': CALLS.get(s.get('step')), 'seconds': s.get('seconds'),
             'error': s.get('error'), 'not_run': not_run, 'run': run, 'steps': steps}, params))
    if not failed:
        if not steps:
            out.append(base.result(decl, 'smoke.step_failed', 'skipped', 'no smoke step was asked for',
                                   {'steps_requested': requested}))
        else:
            out.append(base.result(
                decl, 'smoke.step_failed', 'ok',
                '%d smoke steps passed in %.1fs: %s' % (len(steps), total, _steps_line(steps)),
                {'run': run, 'steps': steps, 'not_run': not_run}))

    slow = [s for s in steps if s.get('ok') and float(s.get('seconds') or 0) > float(slow_limits.get(s.get('step'), 1e9))]
    for s in slow:
        out.append(base.result(
            decl, 'smoke.step_slow', 'fault',
            'smoke step %s took %.1fs (check_smoke_slow_seconds.%s = %s)' % (
                s.get('step'), float(s['seconds']), s.get('step'), slow_limits.get(s.get('step'))),
            {'step': s.get('step'), 'seconds': s.get('seconds'), 'limit': slow_limits.get(s.get('step')),
             'call': CALLS.get(s.get('step'))}, params))
    if steps and not slow and passed:
        out.append(base.result(decl, 'smoke.step_slow', 'ok', 'no smoke step above its time limit',
                               {'limits': slow_limits}))

    left = [c for c in list(facts.get('swept') or []) + list(facts.get('cleanup') or []) if not c.get('removed')]
    for c in left:
        out.append(base.result(
            decl, 'smoke.cleanup_incomplete', 'fault',
            'smoke probe could not remove %s %s%s: %s; the next run removes it (check_smoke_sweep)' % (
                c.get('kind'), c.get('name'), (' (%s)' % c['id']) if c.get('id') else '', c.get('error')),
            {'kind': c.get('kind'), 'name': c.get('name'), 'id': c.get('id'), 'error': c.get('error')}, params))
    if not left:
        removed = [c for c in facts.get('cleanup') or [] if c.get('removed')]
        swept = [c for c in facts.get('swept') or [] if c.get('removed')]
        out.append(base.result(
            decl, 'smoke.cleanup_incomplete', 'ok',
            'removed the %d resources this run created%s' % (
                len(removed), ('; and %d left by earlier runs: %s' % (
                    len(swept), ', '.join('%s %s' % (c.get('kind'), c.get('name')) for c in swept))) if swept else ''),
            {'removed': removed, 'swept': swept}))
    return out
