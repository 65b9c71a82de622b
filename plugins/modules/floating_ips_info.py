#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: floating_ips_info
short_description: List neutron's associated floating IPs with their router and the L3 agents hosting it
version_added: 0.1.0
description:
  - Reads C(GET /v2.0/floatingips) (Networking API), keeps the floating IPs that have a fixed IP and a
    router, then C(GET /v2.0/routers) (C(distributed), C(ha)) and, for each of those routers,
    C(GET /v2.0/routers/{id}/l3-agents) (the L3 agents hosting it, with C(ha_state) for HA routers).
    For distributed routers the port's C(binding:host_id) (C(GET /v2.0/ports/{id})) is added to the
    hosts, since the DNAT lives on the compute hosting the port.
  - This is the list C(check_fip_nat) compares with the NAT rules on the network nodes.
  - A router whose agents cannot be listed (OVN has no L3 agent scheduler) gets no hosts and an entry in
    RV(errors); the other routers are still returned. Read-only; runs in check mode.
  - Every call is bounded by O(api_timeout); the whole run by O(max_routers) agent listings.
author:
  - stackdoctor developers (@stackdoctor)
options:
  max_routers:
    description: Most routers whose L3 agents are listed (one call each); the others get no hosts.
    type: int
    default: 500
extends_documentation_fragment:
  - stackdoctor.openstack.api_timeout
  - openstack.cloud.openstack
'''

EXAMPLES = r'''
- name: Floating IPs and where their routers run
  stackdoctor.openstack.floating_ips_info:
    cloud: mycloud
    api_timeout: 20
  register: fips
'''

RETURN = r'''
floating_ips:
  description: Associated floating IPs (fixed IP and router set).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 2f245a7b-796b-4f26-9cf9-9e82d248fda7
      floating_ip: 172.24.4.228
      fixed_ip: 10.0.0.3
      router_id: d23abc8d-2991-4a55-ba98-2aaea84cc72f
      port_id: ce705c24-c1ef-408a-bda3-7bbd946164ab
      status: ACTIVE
      hosts: [network-1]
      ha_state: {}
      distributed: false
backend:
  description: C(l3_agent) when some router is hosted by L3 agents, C(ovn) when the agent list shows OVN agents and no L3 agent, else null.
  returned: always
  type: str
errors:
  description: What could not be read (listing or router id -> message).
  returned: always
  type: dict
'''

from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    NetworkReaderModule, network_backend, network_listing as _list)


def read(call, max_routers=500):
    """``call(path) -> (status, json or text)``, ``path`` relative to the versioned network endpoint
    (``/floatingips`` is ``GET /v2.0/floatingips``) -> the module's result."""
    errors = {}
    out = {'floating_ips': None, 'backend': None, 'errors': errors}
    fips = _list(call, '/floatingips', 'floatingips', errors, 'floatingips')
    if fips is None:
        return out
    routers = _list(call, '/routers', 'routers', errors, 'routers') or []
    by_id = dict((r.get('id'), r) for r in routers if isinstance(r, dict))
    kept = [f for f in fips if isinstance(f, dict) and f.get('fixed_ip_address') and f.get('router_id')]
    hosting = {}
    for n, router_id in enumerate(sorted(set(f['router_id'] for f in kept))):
        if n >= max_routers:
            errors[router_id] = 'not listed: more than max_routers=%d routers' % max_routers
            continue
        agents = _list(call, '/routers/%s/l3-agents' % router_id, 'agents', errors, router_id)
        if agents is not None:
            hosting[router_id] = agents
    result = []
    for f in kept:
        router = by_id.get(f['router_id']) or {}
        agents = hosting.get(f['router_id']) or []
        hosts = [a.get('host') for a in agents if a.get('host')]
        ha_state = dict((a['host'], a.get('ha_state')) for a in agents if a.get('host') and a.get('ha_state'))
        distributed = bool(router.get('distributed'))
        if distributed and f.get('port_id'):
            try:
                status, body = call('/ports/%s' % f['port_id'])
                port = body.get('port') if status == 200 and isinstance(body, dict) else None
                if isinstance(port, dict) and port.get('binding:host_id'):
                    hosts.append(port['binding:host_id'])
                elif not isinstance(port, dict):
                    errors[f['port_id']] = 'network GET /v2.0/ports/%s answered %s' % (f['port_id'], status)
            except Exception as exc:  # pylint: disable=broad-except
                errors[f['port_id']] = 'network GET /v2.0/ports/%s: %s' % (f['port_id'], exc)
        result.append({'id': f.get('id'), 'floating_ip': f.get('floating_ip_address'),
                       'fixed_ip': f.get('fixed_ip_address'), 'router_id': f['router_id'],
                       'port_id': f.get('port_id'), 'status': f.get('status'), 'hosts': hosts,
                       'ha_state': ha_state, 'distributed': distributed, 'ha': bool(router.get('ha'))})
    out['floating_ips'] = result
    if any(hosting.values()):
        out['backend'] = 'l3_agent'
    else:
        out['backend'] = network_backend(_list(call, '/agents', 'agents', {}, 'agents'))
    return out


class FloatingIpsInfoModule(NetworkReaderModule):
    reader = staticmethod(read)


def main():
    module = FloatingIpsInfoModule()
    module()


if __name__ == '__main__':
    main()
