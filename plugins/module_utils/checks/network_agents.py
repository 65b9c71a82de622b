# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_network_agents: neutron agents dead or administratively down, routers that no live L3 agent
hosts, HA routers without exactly one active agent (declaration + evaluate).

The role reads the Networking API with stackdoctor.openstack.network_agents_info; ``evaluate``
judges its output.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_network_agents',
    'title': 'neutron agents dead or administratively down, routers without a live L3 agent, HA routers '
             'without exactly one active agent',
    'scope': 'cloud',
    'groups': [],
    'subsets': [],
    'apis': ['network GET /v2.0/agents, /v2.0/routers, /v2.0/routers/{id}/l3-agents'],
    'fix': None,
    'params': {'ignore_agent_types': {'var': 'check_network_agents_ignore_agent_types', 'default': []}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'neutron.agent_dead': {
            'severity': 'critical', 'identity': ['agent_type', 'host'],
            'title': 'an agent that is administratively up has not reported within agent_down_time'},
        'neutron.agent_admin_down': {
            'severity': 'warning', 'identity': ['agent_type', 'host'],
            'title': 'an agent is administratively down: nothing new is scheduled to it'},
        'neutron.router_without_l3_agent': {
            'severity': 'critical', 'identity': ['router'],
            'title': 'a router that is up is hosted by no live L3 agent: its floating IPs and SNAT do not work'},
        'neutron.ha_router_active_count': {
            'severity': 'critical', 'identity': ['router'],
            'title': 'an HA router has no active L3 agent, or more than one (split brain)'},
        'neutron.agents_unreadable': {
            'severity': 'error', 'identity': ['api'],
            'title': 'the Networking API did not answer: nothing was judged'},
    },
    'references': [
        'https://docs.openstack.org/api-ref/network/v2/#agents',
        'https://docs.openstack.org/api-ref/network/v2/#l3-agent-scheduler',
        'https://docs.openstack.org/neutron/latest/admin/config-dvr-ha-snat.html',
        'https://docs.openstack.org/neutron/latest/admin/deploy-ovs-ha-vrrp.html',
        'neutron/db/agents_db.py (is_agent_down: agent_down_time)',
        'neutron/conf/agent/common.py (report_interval)',
    ],
    'runbook': {
        'symptom': (
            "openstack network agent list shows an agent with Alive XXX (dead) or State DOWN; floating IPs or "
            "SNAT of some routers stop answering; openstack network agent list --router <router> lists no "
            "agent, or for an HA router none or two with HA state active."),
        'cause': (
            "An agent is dead when neutron-server has had no state report from it within [DEFAULT] "
            "agent_down_time (75 s by default; agents report every [agent] report_interval, 30 s): the "
            "process died or hangs, or cannot reach the message queue. An agent set administratively down "
            "(openstack network agent set --disable) keeps what it hosts but gets nothing new. A router "
            "whose only L3 agent is dead or was removed has no namespace serving it; an HA router with no "
            "active agent has lost keepalived's election, with two it is split across nodes."),
        'reads': (
            "The Networking API (admin): GET /v2.0/agents, GET /v2.0/routers and, for each router that is "
            "up, GET /v2.0/routers/{id}/l3-agents, through stackdoctor.openstack.network_agents_info; each "
            "call bounded by check_network_agents_api_timeout, at most check_network_agents_max_routers "
            "routers. Clouds with OVN (no L3 agents) get the agent findings only."),
        'fix': (
            "None automatic. Dead agent: on its host, look at the agent's service (systemctl status "
            "neutron-<type>, or its container), its log and its connection to rabbitmq, and start it; the "
            "next report makes it alive. Admin down: enable it (openstack network agent set --enable) or "
            "move its routers. Router without a live agent: start the agent, or move the router to a live "
            "one (openstack network agent remove router --l3 / add router --l3); check_fip_nat then shows "
            "its NAT rules. HA router: look at keepalived in the router's namespaces on its hosts."),
        'verify': (
            "openstack network agent list shows every agent alive and up; openstack network agent list "
            "--router <router> lists one live agent (HA: exactly one active)."),
    },
}
CHECK = DECLARATION['name']


def _agent_ev(a):
    return {'agent_type': a.get('agent_type'), 'host': a.get('host'), 'binary': a.get('binary'),
            'id': a.get('id'), 'heartbeat': a.get('heartbeat_timestamp'), 'started_at': a.get('started_at')}


def evaluate(facts, params=None):
    """``facts``: ``agents`` and ``routers`` as stackdoctor.openstack.network_agents_info returns them
    (None when that listing failed), ``backend`` and ``errors`` ({listing or router id: message})."""
    facts = facts or {}
    params = params or {}
    ignore = set(params.get('ignore_agent_types') or [])
    errors = dict(facts.get('errors') or {})
    agents = facts.get('agents')
    routers = facts.get('routers')
    out = []
    for key, value in (('agents', agents), ('routers', routers)):
        if not isinstance(value, list):
            msg = errors.pop(key, None) or 'no answer'
            first = next((ln for ln in str(msg).splitlines() if ln.strip()), str(msg))
            out.append(base.result(DECLARATION, 'neutron.agents_unreadable', 'error',
                                   'could not list %s: %s' % (key, first[:200]), {'api': key, 'message': str(msg)[:1000]}))
    agents = [a for a in agents or [] if isinstance(a, dict) and a.get('agent_type') not in ignore]
    for a in agents:
        ev = _agent_ev(a)
        if a.get('admin_state_up') is False:
            out.append(base.result(
                DECLARATION, 'neutron.agent_admin_down', base.FAULT,
                '%s on %s is administratively down (last report %s): enable it (openstack network agent set '
                '--enable %s) or move what it hosts' % (ev['agent_type'], ev['host'], ev['heartbeat'] or 'never', ev['id']),
                ev))
        elif a.get('alive') is False:
            out.append(base.result(
                DECLARATION, 'neutron.agent_dead', base.FAULT,
                '%s on %s is dead: no state report since %s; look at %s on %s (service, log, rabbitmq connection)'
                % (ev['agent_type'], ev['host'], ev['heartbeat'] or 'never', ev['binary'] or 'the agent', ev['host']), ev))
    for r in routers or []:
        if not isinstance(r, dict) or r.get('admin_state_up') is False:
            continue
        rid = r.get('id')
        if rid in errors:
            out.append(base.result(DECLARATION, 'neutron.agents_unreadable', 'error',
                                   'could not list the L3 agents of router %s: %s' % (rid, str(errors.pop(rid))[:200]),
                                   {'api': 'routers/%s/l3-agents' % rid, 'router': rid}))
            continue
        if not r.get('l3_agents_listed') or facts.get('backend') == 'ovn':
            continue
        hosting = [a for a in r.get('l3_agents') or [] if isinstance(a, dict)]
        live = [a for a in hosting if a.get('alive') is not False and a.get('admin_state_up') is not False]
        ev = {'router': rid, 'name': r.get('name'), 'ha': r.get('ha'), 'distributed': r.get('distributed'),
              'agents': [{'host': a.get('host'), 'alive': a.get('alive'), 'admin_state_up': a.get('admin_state_up'),
                          'ha_state': a.get('ha_state'), 'heartbeat': a.get('heartbeat_timestamp')} for a in hosting]}
        if not live:
            out.append(base.result(
                DECLARATION, 'neutron.router_without_l3_agent', base.FAULT,
                'router %s (%s) is hosted by no live L3 agent%s: its floating IPs and SNAT do not work until an '
                'agent hosts it' % (r.get('name') or '-', rid, (' (hosting: %s)' % ', '.join(
                    '%s %s' % (a.get('host'), 'dead' if a.get('alive') is False else 'admin down') for a in hosting))
                    if hosting else ''), ev))
        elif r.get('ha'):
            active = [a.get('host') for a in hosting if a.get('ha_state') == 'active']
            if len(active) != 1:
                out.append(base.result(
                    DECLARATION, 'neutron.ha_router_active_count', base.FAULT,
                    'HA router %s (%s) has %d active L3 agents (%s): exactly one should be active'
                    % (r.get('name') or '-', rid, len(active), ', '.join(active) or 'none'), ev))
    for name, msg in sorted(errors.items()):
        out.append(base.result(DECLARATION, 'neutron.agents_unreadable', 'error', '%s: %s' % (name, str(msg)[:200]),
                               {'api': name, 'message': str(msg)[:1000]}))
    if not out:
        out.append(base.result(
            DECLARATION, 'neutron.agent_dead', 'ok',
            '%d agents alive and up; %d routers each hosted by a live L3 agent%s'
            % (len(agents), len([r for r in routers or [] if isinstance(r, dict) and r.get('l3_agents_listed')]),
               ' (OVN: no L3 agents)' if facts.get('backend') == 'ovn' else ''),
            {'agent_type': None, 'host': None}))
    return out
