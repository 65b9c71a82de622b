# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_compute_services: nova services down or disabled without a reason, hypervisors down,
compute nodes without a resource provider and providers without a compute node (declaration +
evaluate).

The role reads the APIs with stackdoctor.openstack.compute_services_info (compute services, hypervisors, placement
resource providers); ``evaluate`` compares them.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_compute_services',
    'title': 'nova services down or disabled without a reason, hypervisors down, compute nodes and resource '
             'providers that do not match',
    'scope': 'cloud',
    'groups': [],
    'subsets': [],
    'apis': ['compute GET /os-services, /os-hypervisors/detail (2.53)', 'placement GET /resource_providers (1.14)'],
    'fix': None,
    'params': {'ignore_providers': {'var': 'check_compute_services_ignore_providers', 'default': []}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'nova.service_down': {
            'severity': 'critical', 'identity': ['binary', 'host'],
            'title': 'an enabled nova service has not reported within service_down_time'},
        'nova.service_disabled_without_reason': {
            'severity': 'warning', 'identity': ['binary', 'host'],
            'title': 'a nova service is disabled and nobody wrote why (disabled_reason empty)'},
        'nova.hypervisor_down': {
            'severity': 'critical', 'identity': ['hypervisor'],
            'title': 'a hypervisor is down (its nova-compute does not report) while its service is not reported down'},
        'placement.compute_node_without_provider': {
            'severity': 'critical', 'identity': ['hypervisor'],
            'title': 'a compute node has no resource provider in placement: nothing can be scheduled to it'},
        'placement.provider_without_compute_node': {
            'severity': 'warning', 'identity': ['provider'],
            'title': 'a root resource provider matches no compute node (a deleted compute whose provider stayed)'},
        'nova.compute_services_unreadable': {
            'severity': 'error', 'identity': ['api'],
            'title': 'the compute or placement API did not answer: nothing was judged'},
    },
    'references': [
        'https://docs.openstack.org/api-ref/compute/#compute-services-os-services',
        'https://docs.openstack.org/api-ref/compute/#hypervisors-os-hypervisors',
        'https://docs.openstack.org/placement/latest/placement-api-microversion-history.html',
        'https://docs.openstack.org/nova/latest/admin/services.html',
        'https://docs.openstack.org/nova/latest/admin/troubleshooting/affinity-policy-violated.html',
        'nova/servicegroup/drivers/db.py (is_up: service_down_time)',
    ],
    'runbook': {
        'symptom': (
            "openstack compute service list shows a service 'down' or 'disabled' with no reason; servers "
            "are not scheduled to a host (NoValidHost) although it looks free; openstack hypervisor list "
            "shows a hypervisor down; a compute node is missing from openstack resource provider list, or "
            "a provider lingers for a host that is gone."),
        'cause': (
            "A nova service is down when it has not reported within [DEFAULT] service_down_time (60 s): "
            "the process died, hangs, or cannot reach the database or message queue. A disabled service "
            "without a reason was disabled by hand or by a tool and forgotten. A compute node without a "
            "provider never reached placement (credentials, endpoint); a provider without a compute node "
            "outlived a compute removed without openstack compute service delete."),
        'reads': (
            "The compute API (GET /os-services, GET /os-hypervisors) and placement (GET "
            "/resource_providers) through stackdoctor.openstack.compute_services_info (compute microversion "
            "2.53, placement 1.14), each call bounded by "
            "check_compute_services_api_timeout. Hypervisors and providers are matched by uuid (compute "
            "node uuid = provider uuid), then by name."),
        'fix': (
            "None automatic. Down: look at the service on its host (systemctl status / the container, its "
            "log, its connection to the database and rabbitmq) and start it; once it reports, it is up. "
            "Disabled: enable it (openstack compute service set --enable) or record why (--disable-reason). "
            "Compute node without provider: restart nova-compute and read its [placement] errors. Provider "
            "without compute node: delete the stale compute service (check_nova_service_versions) or the "
            "provider (openstack resource provider delete) after checking it has no allocations. A down "
            "service whose row check_nova_service_versions reports in the same run as a stale row pinning "
            "the minimum (nova.stale_service_pins_minimum) is that check's finding, repaired by "
            "fix_nova_service_versions: it is listed here as skipped, not reported twice."),
        'verify': (
            "openstack compute service list shows the service up and enabled (or disabled with a reason); "
            "openstack hypervisor list shows it up; openstack resource provider list lists one provider "
            "per compute node."),
    },
}
CHECK = DECLARATION['name']


def _g(item, *keys):
    for k in keys:
        if isinstance(item, dict) and item.get(k) not in (None, ''):
            return item.get(k)
    return None


# check_nova_service_versions owns the stale rows it reports (its fix removes them): this check
# names them once, as skipped, instead of a second blocking result for the same row
OWNER = ('check_nova_service_versions', 'nova.stale_service_pins_minimum', 'fix_nova_service_versions')


def _owner_of(service, stale_rows):
    """The stale-row result evidence (of OWNER) that is this API service, or None: same uuid
    (the compute API's id at microversion 2.53), else the same binary and host."""
    sid, binary, host = _g(service, 'id'), _g(service, 'binary', 'name'), _g(service, 'host')
    for row in stale_rows or []:
        if not isinstance(row, dict):
            continue
        if row.get('uuid') and sid and row['uuid'] == sid:
            return row
        if (row.get('binary'), row.get('host')) == (binary, host) and binary and host:
            return row
    return None


def evaluate(facts, params=None):
    """``facts``: ``services``, ``hypervisors``, ``providers`` (lists as the compute and placement APIs
    return them, None when that call failed), ``errors`` ({api: message}) and ``stale_rows`` (the
    evidence of the open OWNER results of this run: uuid, host, binary, version, cell)."""
    facts = facts or {}
    params = params or {}
    ignore = set(params.get('ignore_providers') or [])
    errors = dict(facts.get('errors') or {})
    for key in ('services', 'hypervisors', 'providers'):
        if not isinstance(facts.get(key), list) and key not in errors:
            errors[key] = 'no answer'
    out = []
    for api, msg in sorted(errors.items()):
        first = next((ln for ln in str(msg).splitlines() if ln.strip()), str(msg))
        out.append(base.result(DECLARATION, 'nova.compute_services_unreadable', 'error',
                               'could not list %s: %s' % (api, first[:200]), {'api': api, 'message': str(msg)[:1000]}))
    services = facts.get('services') if isinstance(facts.get('services'), list) else []
    hypervisors = facts.get('hypervisors') if isinstance(facts.get('hypervisors'), list) else []
    providers = facts.get('providers') if isinstance(facts.get('providers'), list) else []
    down_hosts = set()
    stale_rows = facts.get('stale_rows') or []
    for s in services:
        binary, host = _g(s, 'binary', 'name'), _g(s, 'host')
        ev = {'binary': binary, 'host': host, 'zone': _g(s, 'availability_zone', 'zone'),
              'since': _g(s, 'updated_at'), 'status': _g(s, 'status'), 'state': _g(s, 'state'),
              'disabled_reason': _g(s, 'disabled_reason'), 'forced_down': bool(_g(s, 'is_forced_down', 'forced_down'))}
        owner = _owner_of(s, stale_rows) if (s.get('state') == 'down' or s.get('status') == 'disabled') else None
        if owner is not None:
            down_hosts.add(host)
            ev['owned_by'] = {'check': OWNER[0], 'id': OWNER[1], 'fix': OWNER[2], 'uuid': owner.get('uuid'),
                              'version': owner.get('version'), 'cell': owner.get('cell')}
            out.append(base.result(
                DECLARATION, 'nova.service_down', 'skipped',
                '%s on %s is %s (last report %s): the stale services row v%s that %s reports (%s) and %s removes; '
                'not counted twice' % (binary, host, s.get('state'), ev['since'] or 'never', owner.get('version'),
                                       OWNER[0], OWNER[1], OWNER[2]), ev))
            continue
        if s.get('state') == 'down' and s.get('status') == 'enabled' and not ev['forced_down']:
            down_hosts.add(host)
            out.append(base.result(
                DECLARATION, 'nova.service_down', base.FAULT,
                '%s on %s is down (last report %s); look at the service on %s: its process or container, its '
                'log, its database and message queue connection' % (binary, host, ev['since'] or 'never', host), ev))
        if s.get('status') == 'disabled' and not ev['disabled_reason']:
            out.append(base.result(
                DECLARATION, 'nova.service_disabled_without_reason', base.FAULT,
                '%s on %s is disabled without a reason (since %s): enable it or record why '
                '(openstack compute service set --disable-reason)' % (binary, host, ev['since'] or '?'), ev))
    by_uuid = dict((_g(p, 'id', 'uuid'), p) for p in providers)
    by_name = dict((_g(p, 'name'), p) for p in providers)
    matched = set()
    if not errors.get('hypervisors'):
        for h in hypervisors:
            name = _g(h, 'name', 'hypervisor_hostname')
            hid = _g(h, 'id')
            host = _g(_g(h, 'service_details', 'service') or {}, 'host') or name
            ev = {'hypervisor': name, 'id': hid, 'host': host, 'state': _g(h, 'state'), 'status': _g(h, 'status')}
            if h.get('state') == 'down' and host not in down_hosts and name not in down_hosts:
                out.append(base.result(DECLARATION, 'nova.hypervisor_down', base.FAULT,
                                       'hypervisor %s is down: its nova-compute does not report' % name, ev))
            rp = by_uuid.get(hid) or by_name.get(name)
            if rp is not None:
                matched.add(_g(rp, 'id', 'uuid'))
            elif not errors.get('providers'):
                out.append(base.result(DECLARATION, 'placement.compute_node_without_provider', base.FAULT,
                                       'compute node %s (%s) has no resource provider in placement: restart nova-compute '
                                       'on %s and read its [placement] errors' % (name, hid, host), ev))
        if not errors.get('providers'):
            for p in providers:
                pid, name = _g(p, 'id', 'uuid'), _g(p, 'name')
                if pid in matched or _g(p, 'parent_provider_id', 'parent_provider_uuid') or pid in ignore or name in ignore:
                    continue
                if _g(p, 'root_provider_id', 'root_provider_uuid') not in (None, pid):
                    continue
                out.append(base.result(DECLARATION, 'placement.provider_without_compute_node', base.FAULT,
                                       'resource provider %s (%s) matches no compute node: a removed compute whose '
                                       'provider stayed?' % (name, pid), {'provider': pid, 'name': name}))
    if not out:
        roots = len([p for p in providers if not _g(p, 'parent_provider_id')])
        out.append(base.result(DECLARATION, 'nova.service_down', 'ok',
                               '%d services up or disabled with a reason, %d hypervisors up, each with its resource '
                               'provider (%d root providers)' % (len(services), len(hypervisors), roots),
                               {'binary': None, 'host': None}))
    return out
