#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: network_agents_info
short_description: List neutron's agents and the L3 agents hosting each router
version_added: 0.1.0
description:
  - Reads C(GET /v2.0/agents) (Networking API, admin) with each agent's type, host, C(alive),
    C(admin_state_up) and last heartbeat, C(GET /v2.0/routers), and for each router that is
    administratively up C(GET /v2.0/routers/{id}/l3-agents) (the L3 agents hosting it, with
    C(ha_state) for HA routers).
  - No module of openstack.cloud lists agents or router scheduling; this is what
    C(check_network_agents) judges. Read-only; runs in check mode.
  - Clouds without L3 agents (OVN) answer the l3-agents listing with an error or nothing; the
    routers are then returned without hosting agents and RV(backend) says C(ovn).
  - Every call is bounded by O(api_timeout); the whole run by O(max_routers) agent listings.
author:
  - stackdoctor developers (@stackdoctor)
options:
  max_routers:
    description: Most routers whose L3 agents are listed (one call each); the others are reported in RV(errors).
    type: int
    default: 500
extends_documentation_fragment:
  - stackdoctor.openstack.api_timeout
  - openstack.cloud.openstack
'''

EXAMPLES = r'''
- name: Neutron agents and where each router runs
  stackdoctor.openstack.network_agents_info:
    cloud: mycloud
    api_timeout: 20
  register: agents
'''

RETURN = r'''
agents:
  description: Every agent neutron knows (null when the listing failed).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 3c1a0e5e-8d7b-4f1e-9a59-1f2b3c4d5e6f
      agent_type: L3 agent
      binary: neutron-l3-agent
      host: network-1
      alive: true
      admin_state_up: true
      heartbeat_timestamp: '2026-12-03 10:01:02'
      started_at: '2026-12-03 09:00:00'
routers:
  description: Routers (null when the listing failed), each with the L3 agents hosting it.
  returned: always
  type: list
  elements: dict
  sample:
    - id: d23abc8d-2991-4a55-ba98-2aaea84cc72f
      name: router1
      admin_state_up: true
      status: ACTIVE
      ha: false
      distributed: false
      l3_agents: [{host: network-1, alive: true, admin_state_up: true, ha_state: null}]
      l3_agents_listed: true
backend:
  description: C(l3_agent) when some agent is an L3 agent, C(ovn) when OVN agents and no L3 agent are listed, else null.
  returned: always
  type: str
errors:
  description: What could not be read (listing or router id -> message).
  returned: always
  type: dict
'''

from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    NetworkReaderModule, network_backend, network_listing as _list)

AGENT_KEYS = ('id', 'agent_type', 'binary', 'host', 'alive', 'admin_state_up', 'heartbeat_timestamp',
              'started_at', 'created_at', 'availability_zone')


def _agent(a):
    return dict((k, a.get(k)) for k in AGENT_KEYS)


def read(call, max_routers=500):
    """``call(path) -> (status, json or text)`` relative to the versioned network endpoint -> the result."""
    errors = {}
    out = {'agents': None, 'routers': None, 'backend': None, 'errors': errors}
    agents = _list(call, '/agents', 'agents', errors, 'agents')
    if agents is not None:
        out['agents'] = [_agent(a) for a in agents if isinstance(a, dict)]
        out['backend'] = network_backend(out['agents'])
    routers = _list(call, '/routers', 'routers', errors, 'routers')
    if routers is None:
        return out
    result = []
    listed = 0
    for r in sorted((r for r in routers if isinstance(r, dict)), key=lambda r: r.get('id') or ''):
        entry = {'id': r.get('id'), 'name': r.get('name'), 'admin_state_up': r.get('admin_state_up'),
                 'status': r.get('status'), 'ha': bool(r.get('ha')), 'distributed': bool(r.get('distributed')),
                 'l3_agents': [], 'l3_agents_listed': False}
        if r.get('admin_state_up') is not False and out['backend'] != 'ovn':
            if listed >= max_routers:
                errors[r.get('id')] = 'not listed: more than max_routers=%d routers' % max_routers
            else:
                listed += 1
                hosting = _list(call, '/routers/%s/l3-agents' % r.get('id'), 'agents', errors, r.get('id'))
                if hosting is not None:
                    entry['l3_agents_listed'] = True
                    entry['l3_agents'] = [dict(_agent(a), ha_state=a.get('ha_state'))
                                          for a in hosting if isinstance(a, dict)]
        result.append(entry)
    out['routers'] = result
    return out


class NetworkAgentsInfoModule(NetworkReaderModule):
    reader = staticmethod(read)


def main():
    module = NetworkAgentsInfoModule()
    module()


if __name__ == '__main__':
    main()
