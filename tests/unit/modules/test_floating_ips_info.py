"""floating_ips_info.read on Networking API answers.

The bodies below are shaped by the Networking API reference (https://docs.openstack.org/api-ref/network/v2/:
"List floating IPs", "List routers", "List L3 agents hosting a router", "Show port details"), with the
field names and values of its response examples (HA and DVR routers, which the lab does not have).
test_recorded_from_the_lab_neutron_server reads answers RECORDED from the lab's real neutron-server."""
from ansible_collections.stackdoctor.openstack.plugins.modules import floating_ips_info as m

R1 = 'd23abc8d-2991-4a55-ba98-2aaea84cc72f'
R2 = 'f8a44de0-fc8e-45df-93c7-f79bf3b01c95'
FIPS = {'floatingips': [
    {'id': '2f245a7b-796b-4f26-9cf9-9e82d248fda7', 'router_id': R1, 'status': 'ACTIVE', 'description': 'for test',
     'floating_network_id': '376da547-b977-4cfe-9cba-275c80debf57', 'fixed_ip_address': '10.0.0.3',
     'floating_ip_address': '172.24.4.228', 'port_id': 'ce705c24-c1ef-408a-bda3-7bbd946164ab',
     'project_id': '4969c491a3c74ee4af974e6d800c62de', 'revision_number': 1, 'tags': []},
    {'id': '61cea855-49cb-4846-997d-801b70c71bdd', 'router_id': None, 'status': 'DOWN',
     'floating_network_id': '376da547-b977-4cfe-9cba-275c80debf57', 'fixed_ip_address': None,
     'floating_ip_address': '172.24.4.227', 'port_id': None},
    {'id': '898b198e-49f7-47d6-a7e1-53f626a548e6', 'router_id': R2, 'status': 'ACTIVE',
     'fixed_ip_address': '10.0.1.7', 'floating_ip_address': '172.24.4.229',
     'port_id': 'a6f9b3a5-5b1f-4c3e-8d2e-0b9f1c2d3e4f'},
],
    'floatingips_links': [{'rel': 'next', 'href': 'http://neutron:9696/v2.0/floatingips?marker=898b198e'}]}
ROUTERS = {'routers': [
    {'id': R1, 'name': 'router1', 'admin_state_up': True, 'status': 'ACTIVE', 'distributed': False, 'ha': True,
     'external_gateway_info': {'network_id': '376da547-b977-4cfe-9cba-275c80debf57', 'enable_snat': True}},
    {'id': R2, 'name': 'router2', 'admin_state_up': True, 'status': 'ACTIVE', 'distributed': True, 'ha': False},
]}
AGENTS_R1 = {'agents': [
    {'id': '6ad0e1f0-0000-4c8a-b4f9-1f5e8a3c0001', 'agent_type': 'L3 agent', 'binary': 'neutron-l3-agent',
     'host': 'net-1', 'alive': True, 'admin_state_up': True, 'ha_state': 'active',
     'configurations': {'agent_mode': 'legacy', 'routers': 1, 'floating_ips': 1}},
    {'id': '6ad0e1f0-0000-4c8a-b4f9-1f5e8a3c0002', 'agent_type': 'L3 agent', 'binary': 'neutron-l3-agent',
     'host': 'net-2', 'alive': True, 'admin_state_up': True, 'ha_state': 'standby',
     'configurations': {'agent_mode': 'legacy'}},
]}


def test_keeps_associated_fips_with_hosts_ha_state_and_dvr_port_host():
    calls = []

    def call(path):
        calls.append(path)
        if path == '/floatingips':
            return 200, FIPS
        if path.endswith('marker=898b198e'):
            return 200, {'floatingips': []}
        if path == '/routers':
            return 200, ROUTERS
        if path == '/routers/%s/l3-agents' % R1:
            return 200, AGENTS_R1
        if path == '/routers/%s/l3-agents' % R2:
            return 200, {'agents': [{'host': 'net-3', 'agent_type': 'L3 agent', 'configurations': {'agent_mode': 'dvr_snat'}}]}
        if path.startswith('/ports/'):
            return 200, {'port': {'id': path.split('/')[-1], 'binding:host_id': 'compute-7'}}
        return 404, 'not found'

    out = m.read(call)
    assert out['errors'] == {} and out['backend'] == 'l3_agent'
    first, second = out['floating_ips']
    assert first == {'id': '2f245a7b-796b-4f26-9cf9-9e82d248fda7', 'floating_ip': '172.24.4.228', 'fixed_ip': '10.0.0.3',
                     'router_id': R1, 'port_id': 'ce705c24-c1ef-408a-bda3-7bbd946164ab', 'status': 'ACTIVE',
                     'hosts': ['net-1', 'net-2'], 'ha_state': {'net-1': 'active', 'net-2': 'standby'},
                     'distributed': False, 'ha': True}
    assert second['distributed'] is True and second['hosts'] == ['net-3', 'compute-7']
    assert calls.count('/routers/%s/l3-agents' % R1) == 1


def test_floatingips_failure_returns_none_and_the_error():
    def call(path):
        raise RuntimeError('Read timed out. (read timeout=30)')
    out = m.read(call)
    assert out['floating_ips'] is None and 'read timeout=30' in out['errors']['floatingips']


def test_ovn_has_no_l3_agent_scheduler():
    def call(path):
        if path == '/floatingips':
            return 200, {'floatingips': [FIPS['floatingips'][0]]}
        if path == '/routers':
            return 200, {'routers': [ROUTERS['routers'][0]]}
        if path.endswith('/l3-agents'):
            return 404, {'NeutronError': {'type': 'HTTPNotFound', 'message': 'The resource could not be found.'}}
        if path == '/agents':
            return 200, {'agents': [{'agent_type': 'OVN Controller Gateway agent', 'host': 'net-1'}]}
        return 404, ''
    out = m.read(call)
    assert out['backend'] == 'ovn' and out['floating_ips'][0]['hosts'] == []
    assert 'answered 404' in out['errors'][R1]


def test_router_cap():
    def call(path):
        if path == '/floatingips':
            return 200, FIPS
        if path == '/routers':
            return 200, ROUTERS
        return 200, {'agents': [], 'floatingips': [], 'port': {'binding:host_id': ''}}
    out = m.read(call, max_routers=1)
    assert list(out['errors'].values()) == ['not listed: more than max_routers=1 routers']


def test_recorded_from_the_lab_neutron_server():
    """Answers RECORDED from the lab's neutron-server 29.0.0 with its real L3 agent (tests/lab/README.md,
    tests/unit/fixtures/neutron/lab_healthy.json): the floating IP, its router and the agent's host."""
    import json
    import pathlib
    rec = json.loads((pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'neutron' / 'lab_healthy.json').read_text())
    rid = rec['routers']['routers'][0]['id']

    def call(path):
        if path == '/floatingips':
            return 200, rec['floatingips']
        if path == '/routers':
            return 200, rec['routers']
        if path == '/routers/%s/l3-agents' % rid:
            return 200, rec['l3_agents'][rid]
        return 404, ''
    out = m.read(call)
    assert out['errors'] == {} and out['backend'] == 'l3_agent'
    (f,) = out['floating_ips']
    assert (f['floating_ip'], f['fixed_ip'], f['router_id'], f['status']) == ('203.0.113.50', '10.10.0.10', rid, 'ACTIVE')
    assert f['hosts'] == ['network-1'] and not f['distributed'] and not f['ha'] and f['ha_state'] == {}
