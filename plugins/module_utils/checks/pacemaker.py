# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_pacemaker: failed actions, stopped or unmanaged resources and bundles, offline nodes, no quorum
(declaration + evaluate).

Pure function: the ``pacemaker`` node facts (crm_mon's XML status on a cluster node) in, results out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_pacemaker',
    'title': 'Pacemaker clusters (TripleO controllers) with failed actions, stopped or unmanaged resources and '
             'bundles, offline nodes or no quorum (crm_mon XML)',
    'scope': 'host',
    'groups': ['controllers'],
    'subsets': ['layout', 'pacemaker'],
    'apis': [],
    'fix': 'fix_pacemaker',
    'params': {
        'ignore': {'var': 'check_pacemaker_ignore', 'default': []},
    },
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'pacemaker.failed_action': {
            'severity': 'warning', 'identity': ['resource', 'node', 'operation'],
            'title': 'a failed resource action stays recorded (fail count): pacemaker may refuse to run the '
                     'resource on that node again (migration-threshold) until it is cleaned up'},
        'pacemaker.resource_stopped': {
            'severity': 'critical', 'fixable': False, 'identity': ['resource'],
            'title': 'a resource (or a bundle replica, clone instance) is stopped or failed though not disabled'},
        'pacemaker.resource_disabled': {
            'severity': 'warning', 'fixable': False, 'identity': ['resource'],
            'title': 'a resource is disabled (target-role Stopped): someone ran pcs resource disable'},
        'pacemaker.resource_unmanaged': {
            'severity': 'warning', 'fixable': False, 'identity': ['resource'],
            'title': 'a resource, bundle or the whole cluster is unmanaged or in maintenance: pacemaker neither '
                     'monitors nor recovers it'},
        'pacemaker.node_offline': {
            'severity': 'critical', 'fixable': False, 'identity': ['node'],
            'title': 'a cluster node is offline, unclean (needs fencing), in standby or in maintenance'},
        'pacemaker.no_quorum': {
            'severity': 'critical', 'fixable': False, 'identity': [],
            'title': 'the partition has no quorum or no DC: resources stop (no-quorum-policy)'},
        'pacemaker.status_unavailable': {
            'severity': 'critical', 'fixable': False, 'identity': [],
            'title': 'crm_mon cannot read the cluster status on a cluster node (pacemaker down, timeout)'},
    },
    'references': [
        'https://clusterlabs.org/pacemaker/doc/2.1/Pacemaker_Explained/html/ (failure handling, '
        'migration-threshold, target-role, is-managed, no-quorum-policy)',
        'https://clusterlabs.org/pacemaker/doc/2.1/Pacemaker_Administration/html/ (crm_mon, crm_resource --cleanup)',
        'ClusterLabs/pacemaker xml/api/crm_mon-2.*.rng (the XML schema of crm_mon --output-as=xml)',
        'ClusterLabs/pcs pcs/resource.py (pcs resource cleanup)',
        'https://access.redhat.com/documentation/en-us/red_hat_openstack_platform/16.2/html/high_availability_'
        'deployment_and_usage/ (pcs status on TripleO controllers: bundles, failed resource actions)',
    ],
    'runbook': {
        'symptom': (
            "`pcs status` lists \"Failed Resource Actions\", a bundle (galera-bundle, rabbitmq-bundle, "
            "haproxy-bundle) or resource Stopped or FAILED, a node OFFLINE/UNCLEAN or in standby, "
            "\"partition WITHOUT quorum\"; APIs behind the VIPs fail, the database or broker is gone "
            "on one controller."),
        'cause': (
            "A resource's monitor or start failed (the service died, a container did not start, a "
            "timeout) and the fail count sticks even after recovery; a node lost its cluster network "
            "or was shut down; an operator left a resource disabled, unmanaged or a node in "
            "standby/maintenance after an intervention; too few nodes for quorum."),
        'reads': (
            "`crm_mon --one-shot --inactive --output-as=xml` (pacemaker 2.0.3+; --as-xml for 1.1) on "
            "hosts with crm_mon and /etc/corosync/corosync.conf or a CIB, bounded by "
            "check_pacemaker_timeout: current_dc (present, with_quorum), nodes (online, standby, "
            "maintenance, unclean), resources with their clone/group/bundle (role, target_role, managed, "
            "failed, blocked), failures (op_key, node, exitstatus, exitreason, last-rc-change). "
            "check_pacemaker_ignore lists resources (globs) left out."),
        'fix': (
            "fix_pacemaker cleans up failed actions only, and only for the resources in "
            "fix_pacemaker_resources (globs; opt-in, empty by default): `pcs resource cleanup <resource> "
            "node=<node>` (crm_resource --cleanup --resource R --node N where pcs is absent). Cleanup makes "
            "pacemaker re-probe: a resource that still fails fails again and the fix says so. Stopped "
            "resources, offline nodes and quorum are for an operator (pcs resource enable, pcs node "
            "unstandby, the node's corosync)."),
        'verify': (
            "`pcs status` shows no Failed Resource Actions, every resource Started/Promoted, all nodes "
            "Online, `partition with quorum`; re-run check_pacemaker."),
    },
}


def _ignored(name, ignore):
    return any(fnmatch.fnmatchcase(name or '', p) for p in ignore)


def evaluate(facts, params=None):
    """Results for one cluster node from its ``pacemaker`` facts."""
    facts = facts or {}
    params = params or {}
    ignore = list(params.get('ignore') or [])
    pm = facts.get('pacemaker')
    if not isinstance(pm, dict):
        return [base.result(DECLARATION, 'pacemaker.status_unavailable', 'error',
                            'pacemaker facts were not gathered on this host (node_facts subset "pacemaker" missing)')]
    if not pm.get('present'):
        return [base.result(DECLARATION, 'pacemaker.status_unavailable', 'skipped',
                            'no pacemaker cluster on this host (no crm_mon with a corosync.conf or CIB)')]
    ev = {'command': pm.get('command'), 'config': pm.get('config')}
    st = pm.get('status')
    if pm.get('error') or not isinstance(st, dict):
        message = (pm.get('error') or {}).get('message') or 'no status'
        return [base.result(DECLARATION, 'pacemaker.status_unavailable', base.FAULT,
                            'no cluster status: %s' % message, dict(ev, rc=pm.get('rc'), message=message))]
    results = []
    if not st.get('dc_present') or st.get('quorum') is False:
        why = 'no DC elected' if not st.get('dc_present') else 'partition WITHOUT quorum (DC %s)' % st.get('dc')
        results.append(base.result(DECLARATION, 'pacemaker.no_quorum', base.FAULT, 'cluster: %s' % why,
                                   dict(ev, dc=st.get('dc'), quorum=st.get('quorum'))))
    else:
        results.append(base.result(DECLARATION, 'pacemaker.no_quorum', 'ok',
                                   'partition with quorum, DC %s' % st.get('dc'), dict(ev, dc=st.get('dc'))))
    bad_nodes = 0
    for node in st.get('nodes') or []:
        states = [k for k in ('unclean', 'standby', 'maintenance', 'pending') if node.get(k)]
        if not node.get('online'):
            states.insert(0, 'offline')
        if states:
            bad_nodes += 1
            results.append(base.result(DECLARATION, 'pacemaker.node_offline', base.FAULT,
                                       'node %s is %s' % (node.get('name'), ', '.join(states)),
                                       dict(ev, node=node.get('name'), states=states)))
    if not bad_nodes:
        results.append(base.result(DECLARATION, 'pacemaker.node_offline', 'ok',
                                   'all %d nodes online' % len(st.get('nodes') or []), dict(ev)))
    if st.get('maintenance_mode'):
        results.append(base.result(DECLARATION, 'pacemaker.resource_unmanaged', base.FAULT,
                                   'the cluster is in maintenance-mode: no resource is monitored or recovered',
                                   dict(ev, resource='*')))
    seen, bad_rsc = set(), 0
    for rsc in st.get('resources') or []:
        rid = rsc.get('id')
        label = '%s (%s %s)' % (rid, rsc.get('parent_kind'), rsc.get('parent')) if rsc.get('parent') else rid
        if _ignored(rid, ignore) or _ignored(rsc.get('parent'), ignore):
            continue
        rev = dict(ev, resource=rid, parent=rsc.get('parent'), parent_kind=rsc.get('parent_kind'),
                   agent=rsc.get('agent'), role=rsc.get('role'), target_role=rsc.get('target_role'),
                   nodes=rsc.get('nodes'))
        rev = dict((k, v) for k, v in rev.items() if v not in (None, []))
        if not rsc.get('managed') and rid not in seen:
            seen.add(rid)
            bad_rsc += 1
            results.append(base.result(DECLARATION, 'pacemaker.resource_unmanaged', base.FAULT,
                                       '%s %s is unmanaged: pacemaker neither monitors nor recovers it'
                                       % (rsc.get('container') or 'resource', label), rev))
            continue
        if rsc.get('container'):
            continue
        if rsc.get('target_role') == 'Stopped' and not rsc.get('active'):
            if rid not in seen:
                seen.add(rid)
                bad_rsc += 1
                results.append(base.result(DECLARATION, 'pacemaker.resource_disabled', base.FAULT,
                                           'resource %s is disabled (target-role Stopped)' % label, rev))
            continue
        if rsc.get('failed') or rsc.get('blocked') or not rsc.get('active'):
            what = 'FAILED' if rsc.get('failed') else ('blocked' if rsc.get('blocked') else 'Stopped')
            key = (rid, 'stopped')
            if key in seen:
                continue
            seen.add(key)
            bad_rsc += 1
            results.append(base.result(DECLARATION, 'pacemaker.resource_stopped', base.FAULT,
                                       'resource %s is %s' % (label, what), rev))
    if not bad_rsc:
        results.append(base.result(DECLARATION, 'pacemaker.resource_stopped', 'ok',
                                   'every resource runs (%d)' % len([r for r in st.get('resources') or []
                                                                     if not r.get('container')]), dict(ev)))
    failures = [f for f in st.get('failures') or [] if not _ignored(f.get('resource'), ignore)]
    for f in failures:
        reason = ' (%s)' % f['exitreason'] if f.get('exitreason') else ''
        results.append(base.result(
            DECLARATION, 'pacemaker.failed_action', base.FAULT,
            'failed action: %s %s on %s returned %s%s at %s' % (
                f.get('resource'), f.get('task') + ('' if f.get('interval') in (None, '0') else
                                                    ' (interval %s ms)' % f.get('interval')),
                f.get('node'), f.get('exitstatus'), reason, f.get('last_rc_change')),
            dict(ev, resource=f.get('resource'), node=f.get('node'), operation=f.get('op_key'), task=f.get('task'),
                 exitstatus=f.get('exitstatus'), exitcode=f.get('exitcode'), exitreason=f.get('exitreason'),
                 last_rc_change=f.get('last_rc_change'))))
    if not failures:
        results.append(base.result(DECLARATION, 'pacemaker.failed_action', 'ok', 'no failed resource action', dict(ev)))
    return results
