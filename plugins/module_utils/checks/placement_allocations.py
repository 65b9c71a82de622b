# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_placement_allocations: allocations whose consumer nova confirms is gone (declaration + evaluate).

The audit itself is the module ``stackdoctor.openstack.placement_allocations`` (``state:
audit``), whose output is neutral (classified consumers, API call counts). ``evaluate`` turns
that output into results, as every check does with its facts.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils import placement as pl
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_placement_allocations',
    'title': 'placement allocations held by consumers that no longer exist (or by moved servers on their old host)',
    'scope': 'cloud',
    'groups': ['computes'],
    'subsets': ['nova_compute_log'],
    'apis': [
        'placement GET /resource_providers, /resource_providers/{uuid}/allocations, /allocations/{consumer} (1.28)',
        'compute GET /os-hypervisors/detail?with_servers=true, /servers/{id}, /os-migrations',
    ],
    'fix': 'fix_placement_allocations',
    'params': {'include_custom_resource_classes': {
        'var': 'check_placement_allocations_include_custom_resource_classes', 'default': False}},
    'profiles': ['pre-upgrade', 'periodic'],
    'findings': {
        'placement.orphaned_allocation': {
            'severity': 'warning', 'identity': ['consumer'],
            'title': 'a consumer holds allocations but nova confirms no such server (404) and no migration'},
        'placement.moved_allocation': {
            'severity': 'warning', 'identity': ['consumer'],
            'title': 'a server lives on another host but still holds allocations on its old one'},
        'placement.audit_aborted': {
            'severity': 'error', 'fixable': False,
            'title': 'the audit stopped before it could decide (API down, 5xx, cell down, budget): nothing was judged'},
    },
    'references': [
        'https://docs.openstack.org/nova/latest/admin/troubleshooting/orphaned-allocations.html',
        'https://docs.openstack.org/nova/latest/cli/nova-manage.html#placement-audit',
        'https://docs.openstack.org/placement/latest/placement-api-microversion-history.html#consumer-generation-support',
        'nova/compute/resource_tracker.py (_remove_deleted_instances_allocations)',
    ],
    'runbook': {
        'symptom': (
            "Scheduling fails with NoValidHost although hypervisors look free, or a compute node's "
            "used resources in placement exceed what its servers use; nova-compute logs \"Instance <uuid> "
            "has allocations against this compute host but is not found in the database.\" every "
            "update_resources_interval."),
        'cause': (
            "An allocation outlived its consumer: a server archived or purged while its allocation "
            "stayed, a failed build or migration cleanup, a server evacuated while its source compute "
            "was down (the source part of its allocation stays). nova-compute only logs it; it never "
            "removes allocations of consumers it cannot find."),
        'reads': (
            "Placement and compute APIs only (no database): every compute-node root provider and its "
            "children, their allocations, the servers and in-progress migrations on each node, then "
            "GET /servers/{id} for each suspect (404 = gone). It aborts, judging nothing, on no answer, "
            "5xx, a cell-down partial record or the request budget. The nova-compute log lines of the "
            "computes are attached as evidence."),
        'fix': (
            "fix_placement_allocations removes the allocations the audit confirmed, with PUT "
            "/allocations/{consumer} at placement 1.28 and the consumer generation (never a forced "
            "DELETE): empty for an orphan, the other providers kept for a moved server. At most "
            "fix_placement_allocations_max_deletes consumers per run; consumers holding only CUSTOM_* "
            "classes (baremetal) only with fix_placement_allocations_include_custom_resource_classes=true."),
        'verify': (
            "openstack resource provider show <rp> --allocations no longer lists the consumer; "
            "nova-manage placement audit --verbose reports no orphan; the nova-compute log line stops."),
    },
}
CHECK = DECLARATION['name']
CUSTOM_RC_VAR = pl.CUSTOM_RC_FIX_VAR


def evaluate(facts, params=None):
    """Results from the audit module's output.

    ``facts``: ``placement_audit`` (the module's return, or None when the task failed) and
    ``error`` (the task's failure message). ``params``: ``severity``,
    ``include_custom_resource_classes`` (whether the fix run will remove CUSTOM_*-only consumers).
    """
    facts = facts or {}
    params = params or {}
    audit = facts.get('placement_audit')
    if not isinstance(audit, dict) or facts.get('error'):
        msg = str(facts.get('error') or 'the audit returned nothing')
        first = next((ln.strip() for ln in msg.splitlines() if ln.strip()), msg)
        return [base.result(DECLARATION, 'placement.audit_aborted', 'error',
                            'placement allocation audit failed: %s' % first[:200],
                            {'message': msg[:2000]})]
    out = []
    for f in pl.findings(audit):
        status = f['status']
        evidence = dict(f.get('evidence') or {})
        if f['id'] in ('placement.orphaned_allocation', 'placement.moved_allocation') and status not in ('ok', 'skipped', 'error'):
            status = base.FAULT
            if params.get('include_custom_resource_classes'):
                # the site already runs the fix with CUSTOM_* classes: no opt-in to name
                evidence.pop('fix_vars', None)
        out.append(base.result(DECLARATION, f['id'], status, f['summary'], evidence))
    return out
