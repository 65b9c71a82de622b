"""network_agents_info.read on Networking API answers RECORDED from the lab's neutron-server 29.0.0 with
its real neutron-l3-agent (tests/lab/README.md; tests/unit/fixtures/neutron/): healthy, and with the
agent stopped past agent_down_time (lab fault l3_agent_stopped)."""
import json
import pathlib

from ansible_collections.stackdoctor.openstack.plugins.modules import network_agents_info as m

FIX = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'neutron'


def _caller(name, fail=()):
    rec = json.loads((FIX / name).read_text())
    calls = []

    def call(path):
        calls.append(path)
        if path in fail:
            return 503, 'Service Unavailable'
        if path == '/agents':
            return 200, rec['agents']
        if path == '/routers':
            return 200, rec['routers']
        rid = path.split('/')[2]
        return 200, rec['l3_agents'][rid]
    return call, calls, rec


def test_healthy_lab_lists_the_agent_and_the_router_it_hosts():
    call, calls, rec = _caller('lab_healthy.json')
    out = m.read(call)
    rid = rec['routers']['routers'][0]['id']
    assert calls == ['/agents', '/routers', '/routers/%s/l3-agents' % rid]
    assert out['backend'] == 'l3_agent' and out['errors'] == {}
    assert [(a['agent_type'], a['host'], a['alive']) for a in out['agents']] == [('L3 agent', 'network-1', True)]
    (r,) = out['routers']
    assert r['name'] == 'router1' and r['l3_agents_listed'] and not r['ha']
    assert [(a['host'], a['alive']) for a in r['l3_agents']] == [('network-1', True)]


def test_stopped_agent_is_listed_dead_with_its_last_heartbeat():
    call, _calls, _rec = _caller('lab_l3_agent_stopped.json')
    out = m.read(call)
    (a,) = out['agents']
    assert a['alive'] is False and a['heartbeat_timestamp']
    assert out['routers'][0]['l3_agents'][0]['alive'] is False


def test_failed_listings_are_errors_not_exceptions():
    call, _calls, rec = _caller('lab_healthy.json', fail=('/agents',))
    out = m.read(call)
    assert out['agents'] is None and 'agents' in out['errors'] and '503' in out['errors']['agents']
    rid = rec['routers']['routers'][0]['id']
    call, _calls, _rec = _caller('lab_healthy.json', fail=('/routers/%s/l3-agents' % rid,))
    out = m.read(call)
    assert out['routers'][0]['l3_agents_listed'] is False and rid in out['errors']


def test_max_routers_bounds_the_agent_listings():
    call, calls, rec = _caller('lab_healthy.json')
    out = m.read(call, max_routers=0)
    rid = rec['routers']['routers'][0]['id']
    assert calls == ['/agents', '/routers'] and 'max_routers=0' in out['errors'][rid]


def test_ovn_clouds_are_not_asked_for_l3_agents():
    def call(path):
        if path == '/agents':
            return 200, {'agents': [{'id': 'x', 'agent_type': 'OVN Controller Gateway agent', 'host': 'gw-1',
                                     'alive': True, 'admin_state_up': True}]}
        if path == '/routers':
            return 200, {'routers': [{'id': 'r1', 'name': 'r', 'admin_state_up': True}]}
        raise AssertionError('no l3-agents call on OVN: %s' % path)
    out = m.read(call)
    assert out['backend'] == 'ovn' and out['routers'][0]['l3_agents_listed'] is False
