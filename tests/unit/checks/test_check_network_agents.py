"""Unit tests of check_network_agents's evaluate(): the module's output on answers recorded from the
lab's neutron-server (tests/unit/fixtures/neutron/), and hand-made HA and admin-down cases."""
import json
import pathlib

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import network_agents
from ansible_collections.stackdoctor.openstack.plugins.modules import network_agents_info

FIX = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'neutron'


def _facts(name):
    rec = json.loads((FIX / name).read_text())

    def call(path):
        if path == '/agents':
            return 200, rec['agents']
        if path == '/routers':
            return 200, rec['routers']
        return 200, rec['l3_agents'][path.split('/')[2]]
    return network_agents_info.read(call)


def _by_id(results):
    return dict((r['id'], r) for r in results)


def test_healthy_lab_is_one_ok():
    results = network_agents.evaluate(_facts('lab_healthy.json'))
    assert [(r['id'], r['status']) for r in results] == [('neutron.agent_dead', 'ok')]
    assert '1 agents alive' in results[0]['summary']


def test_stopped_agent_is_dead_and_its_router_has_no_live_agent():
    res = _by_id(network_agents.evaluate(_facts('lab_l3_agent_stopped.json')))
    dead = res['neutron.agent_dead']
    assert dead['status'] == 'critical' and dead['evidence']['host'] == 'network-1'
    assert dead['evidence']['heartbeat'] and dead['evidence']['heartbeat'] in dead['summary']
    router = res['neutron.router_without_l3_agent']
    assert router['status'] == 'critical' and router['evidence']['name'] == 'router1'
    assert 'network-1 dead' in router['summary'] and router['fix'] is None


def test_admin_down_agent_is_a_warning_not_dead():
    facts = _facts('lab_healthy.json')
    facts['agents'][0]['admin_state_up'] = False
    facts['agents'][0]['alive'] = False
    res = network_agents.evaluate(facts)
    assert [(r['id'], r['status']) for r in res][0] == ('neutron.agent_admin_down', 'warning')
    assert not [r for r in res if r['id'] == 'neutron.agent_dead']


def _ha(states):
    agents = [{'host': 'net-%d' % i, 'alive': True, 'admin_state_up': True, 'ha_state': s}
              for i, s in enumerate(states)]
    return {'agents': [dict(a, agent_type='L3 agent') for a in agents], 'backend': 'l3_agent', 'errors': {},
            'routers': [{'id': 'r1', 'name': 'ha-router', 'admin_state_up': True, 'ha': True,
                         'l3_agents_listed': True, 'l3_agents': agents}]}


def test_ha_router_needs_exactly_one_active():
    assert [r['status'] for r in network_agents.evaluate(_ha(['active', 'standby']))] == ['ok']
    for states, n in ((['standby', 'standby'], 0), (['active', 'active'], 2)):
        (r,) = network_agents.evaluate(_ha(states))
        assert (r['id'], r['status']) == ('neutron.ha_router_active_count', 'critical')
        assert 'has %d active' % n in r['summary']


def test_unreadable_api_is_an_error_result_and_site_severity_applies():
    msg = 'network GET /v2.0/agents answered 503'
    res = network_agents.evaluate({'agents': None, 'routers': None, 'errors': {'agents': msg}})
    assert [(r['id'], r['status'], r['evidence']['api']) for r in res] == [
        ('neutron.agents_unreadable', 'error', 'agents'), ('neutron.agents_unreadable', 'error', 'routers')]
    assert '503' in res[0]['summary']
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base
    facts = _facts('lab_l3_agent_stopped.json')
    out = base.finish(network_agents.DECLARATION, network_agents.evaluate(facts),
                      {'severity': {'neutron.agent_dead': 'warning'}})
    assert _by_id(out)['neutron.agent_dead']['status'] == 'warning'


def test_ignored_agent_types_and_malformed_entries():
    facts = _facts('lab_l3_agent_stopped.json')
    res = network_agents.evaluate(facts, {'ignore_agent_types': ['L3 agent']})
    assert 'neutron.agent_dead' not in [r['id'] for r in res if r['status'] != 'ok']
    facts['agents'].append('garbage')
    facts['routers'].append(None)
    assert network_agents.evaluate(facts)   # no exception
