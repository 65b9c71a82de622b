"""check_fip_nat: the fip_nat node facts subset and evaluate().

Recorded real outputs (tests/unit/fixtures/fip_nat/): a network node container built by
molecule/fip_nat/files/netnode-setup.sh (Debian 12, iptables 1.8.9 nf_tables, iproute2 6.1) with two
legacy routers whose rules are the L3 agent's (neutron/agent/l3/router_info.py:264-275): facts-healthy.json
is the gathered subset as written, facts-broken.json after deleting R1's DNAT rules, adding a stale DNAT
in R2 and setting the root namespace's ip_forward to 0; *.nat / *.filter / *.json are the raw command
outputs. HA, DVR, nova-network and OVN cases are built from them (shapes from the neutron and nova
sources cited in the check's declaration; not recorded on such deployments)."""
import copy
import json

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import fip_nat_facts as ff
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import fip_nat, registry

CHECK = 'check_fip_nat'
R1 = '6736b671-c2c0-4005-953c-7d1342827ced'
R2 = '0b4f1e5a-8d2c-4a7b-9e61-3c5d7f9a2b10'
NS1, NS2 = 'qrouter-' + R1, 'qrouter-' + R2
EXPECTED = [
    {'id': 'f1', 'floating_ip': '172.24.4.101', 'fixed_ip': '10.1.0.5', 'router_id': R1},
    {'id': 'f2', 'floating_ip': '172.24.4.102', 'fixed_ip': '10.2.0.5', 'router_id': R2},
]


def load(fixtures_dir, name):
    return json.loads((fixtures_dir / 'fip_nat' / name).read_text())


def run(fn, **params):
    params.setdefault('expected', EXPECTED)
    return registry.evaluate(CHECK, {'fip_nat': fn}, params)


def faults(results):
    return sorted((r['id'], r['status'], r['evidence'].get('namespace')) for r in results if r['status'] != 'ok')


def ns(fn, name):
    return next(n for n in fn['namespaces'] if n['name'] == name)


# ---------------------------------------------------------------- parsers on recorded outputs
def test_parse_iptables_save_recorded_stale(fixtures_dir):
    text = (fixtures_dir / 'fip_nat' / 'qrouter-stale.nat').read_text()
    parsed = ff.parse_iptables_save(text)
    assert parsed['error'] is None
    nat = parsed['tables']['nat']
    assert nat['chains']['neutron-l3-agent-PREROUTING'] == '-' and nat['chains']['POSTROUTING'] == 'ACCEPT'
    dnat = [r for r in nat['rules'] if r['target'] == 'DNAT' and r['chain'] == 'neutron-l3-agent-PREROUTING']
    assert [(r['dst'], r['to']) for r in dnat] == [('172.24.4.102', '10.2.0.5'), ('172.24.4.103', '10.2.0.6')]
    snat = [r for r in nat['rules'] if r['chain'] == 'neutron-l3-agent-snat' and r['target'] == 'SNAT']
    assert snat[0]['out'] == 'qg-2a7c4e1b-0d' and snat[0]['to'] == '172.24.4.12'
    post = [r for r in nat['rules'] if r['chain'] == 'neutron-l3-agent-POSTROUTING'][0]
    assert post['in'] == post['out'] == 'qg-2a7c4e1b-0d' and sorted(post['neg']) == ['in', 'out']
    fsnat = [r for r in nat['rules'] if r['chain'] == 'neutron-l3-agent-float-snat'][0]
    assert (fsnat['src'], fsnat['to']) == ('10.2.0.5', '172.24.4.102')


def test_parse_iptables_save_with_counters_is_the_same(fixtures_dir):
    plain = ff.parse_iptables_save((fixtures_dir / 'fip_nat' / 'qrouter-stale.nat').read_text())
    counted = ff.parse_iptables_save((fixtures_dir / 'fip_nat' / 'qrouter-stale-counters.nat').read_text())
    assert [r['text'] for r in counted['tables']['nat']['rules']] == [r['text'] for r in plain['tables']['nat']['rules']]


def test_parse_iptables_save_garbage_is_an_error_not_a_raise():
    parsed = ff.parse_iptables_save('iptables-save: command not found\n')
    assert parsed['tables'] == {} and 'not iptables-save output' in parsed['error']['message']


def test_parse_ip_json_recorded(fixtures_dir):
    addrs = ff.parse_ip_addr((fixtures_dir / 'fip_nat' / 'qrouter.addr.json').read_text())
    qg = [a for a in addrs if a['ifname'] == 'qg-2a7c4e1b-0d'][0]
    assert [a['local'] for a in qg['addresses'] if a['family'] == 'inet'] == ['172.24.4.12', '172.24.4.102']
    routes = ff.parse_ip_route((fixtures_dir / 'fip_nat' / 'qrouter.route.json').read_text())
    assert routes[0] == {'dst': 'default', 'gateway': '172.24.4.1', 'dev': 'qg-2a7c4e1b-0d', 'prefsrc': None}


def test_namespace_facts_from_one_shell(fixtures_dir):
    d = fixtures_dir / 'fip_nat'
    text = '\n'.join([ff._MARK + 'nat', (d / 'qrouter-stale.nat').read_text(), ff._MARK + 'filter',
                      (d / 'qrouter.filter').read_text(), ff._MARK + 'addr', (d / 'qrouter.addr.json').read_text(),
                      ff._MARK + 'route', (d / 'qrouter.route.json').read_text(), ff._MARK + 'ip_forward', '1'])
    got = ff.namespace_facts(NS2, text)
    assert got['errors'] == [] and got['kind'] == 'qrouter' and got['ip_forward'] == 1
    assert got['filter']['chains']['FORWARD'] == 'ACCEPT' and len(got['nat']['rules']) == 14
    broken = ff.namespace_facts(NS2, '', rc=1, err='Cannot open network namespace: No such file or directory')
    assert broken['errors'] and 'No such file' in broken['errors'][0]


def test_gather_runs_one_shell_per_namespace(fixtures_dir):
    calls = []
    d = fixtures_dir / 'fip_nat'
    shell = '\n'.join([ff._MARK + 'nat', (d / 'qrouter-stale.nat').read_text(), ff._MARK + 'filter', '',
                       ff._MARK + 'addr', '[]', ff._MARK + 'route', '[]', ff._MARK + 'ip_forward', '1'])

    def runner(argv):
        calls.append(argv)
        if argv[2:5] == ['ip', 'netns', 'list']:
            return 0, '%s (id: 1)\nvm1 (id: 0)\nfip-1234\n' % NS2, ''
        if 'ovn-nbctl' in argv:
            return 127, '', 'timeout: failed to run command ovn-nbctl: No such file or directory'
        return 0, shell, ''

    class Ctx:
        params = {'command_timeout': 7}
        layout = {'flavour': 'packaged', 'container_cli': 'none'}
        root = '/'

        @staticmethod
        def fs(path):
            return path
    Ctx.runner = staticmethod(runner)
    got = ff.gather_fip_nat(Ctx)
    assert [n['name'] for n in got['namespaces']] == [None, 'fip-1234', NS2]
    assert all(c[:2] == ['timeout', '7'] for c in calls)
    assert got['ovn']['present'] is False and got['error'] is None


def test_ovn_json_rows():
    lr = json.dumps({'headings': ['_uuid', 'name', 'nat'], 'data': [
        [['uuid', 'aaaa'], 'neutron-' + R1, ['set', [['uuid', 'n1'], ['uuid', 'n2']]]]]})
    nat = json.dumps({'headings': ['_uuid', 'type', 'external_ip', 'logical_ip', 'external_ids'], 'data': [
        [['uuid', 'n1'], 'dnat_and_snat', '172.24.4.101', '10.1.0.5', ['map', [['neutron:fip_id', 'f1']]]],
        [['uuid', 'n2'], 'snat', '172.24.4.11', '10.1.0.0/24', ['map', []]]]})
    rows = ff.ovn_nat_rows(ff.parse_ovn_json(lr), ff.parse_ovn_json(nat))
    assert rows[0] == {'router': 'neutron-' + R1, 'router_id': R1, 'uuid': 'n1', 'type': 'dnat_and_snat',
                       'external_ip': '172.24.4.101', 'logical_ip': '10.1.0.5', 'fip_id': 'f1'}


# ---------------------------------------------------------------- evaluate on recorded facts
def test_healthy_node_is_all_ok(fixtures_dir):
    results = run(load(fixtures_dir, 'facts-healthy.json'))
    assert faults(results) == [] and len(results) == 9
    assert all(r['fix'] is None for r in results)


def test_broken_node_reports_each_fault(fixtures_dir):
    results = run(load(fixtures_dir, 'facts-broken.json'))
    assert faults(results) == [
        ('neutron.fip_dnat_missing', 'critical', NS1),
        ('neutron.fip_dnat_stale', 'warning', NS2),
        ('neutron.fip_ip_forward_off', 'critical', None),
    ]
    by_id = dict((r['id'], r) for r in results if r['status'] != 'ok')
    assert by_id['neutron.fip_dnat_missing']['evidence']['missing'] == ['PREROUTING DNAT', 'OUTPUT DNAT']
    assert by_id['neutron.fip_dnat_missing']['evidence']['repair'] == 'l3_agent'
    assert by_id['neutron.fip_ip_forward_off']['evidence']['repair'] == 'sysctl'
    assert 'br-ex' in by_id['neutron.fip_ip_forward_off']['summary']
    assert '172.24.4.103 -> 10.2.0.6' in by_id['neutron.fip_dnat_stale']['summary']
    assert all(r['fix'] == 'fix_fip_nat' for r in by_id.values())
    assert by_id['neutron.fip_dnat_missing']['reference'].startswith('docs/checks/check_fip_nat.md')


def test_forwarding_not_required_means_root_not_checked(fixtures_dir):
    results = run(load(fixtures_dir, 'facts-broken.json'), forwarding_required=False)
    assert 'neutron.fip_ip_forward_off' not in [f[0] for f in faults(results)]


def test_site_severity_applies(fixtures_dir):
    results = run(load(fixtures_dir, 'facts-broken.json'), severity={'neutron.fip_dnat_stale': 'critical'})
    assert ('neutron.fip_dnat_stale', 'critical', NS2) in faults(results)


def test_no_expected_list_checks_forwarding_only(fixtures_dir):
    results = registry.evaluate(CHECK, {'fip_nat': load(fixtures_dir, 'facts-broken.json')}, {})
    assert faults(results) == [('neutron.fip_dnat_missing', 'skipped', None), ('neutron.fip_ip_forward_off', 'critical', None)]


def test_api_error_is_an_error_result(fixtures_dir):
    results = registry.evaluate(CHECK, {'fip_nat': load(fixtures_dir, 'facts-healthy.json')},
                                {'expected': None, 'expected_error': 'network GET /v2.0/floatingips: timed out'})
    assert [r['status'] for r in results if r['id'] == 'neutron.fip_nat_unreadable'] == ['error']


def test_fip_not_on_qg_and_snat_missing(fixtures_dir):
    fn = load(fixtures_dir, 'facts-healthy.json')
    n1 = ns(fn, NS1)
    for link in n1['addresses']:
        link['addresses'] = [a for a in link['addresses'] if a['local'] != '172.24.4.101']
    n1['nat']['rules'] = [r for r in n1['nat']['rules'] if r['chain'] != 'neutron-l3-agent-float-snat']
    assert faults(run(fn)) == [('neutron.fip_not_on_gateway', 'critical', NS1), ('neutron.fip_snat_missing', 'critical', NS1)]


def test_router_ip_forward_off_is_an_agent_repair(fixtures_dir):
    fn = load(fixtures_dir, 'facts-healthy.json')
    ns(fn, NS2)['ip_forward'] = 0
    res = [r for r in run(fn) if r['status'] != 'ok']
    assert [(r['id'], r['evidence']['namespace'], r['evidence']['repair']) for r in res] == [
        ('neutron.fip_ip_forward_off', NS2, 'l3_agent')]


def test_hosts_from_the_api_decide_where_rules_must_be(fixtures_dir):
    fn = load(fixtures_dir, 'facts-healthy.json')
    fn['namespaces'] = [n for n in fn['namespaces'] if n['name'] != NS1]
    # R1 hosted on another agent: not this node's business
    expected = [dict(EXPECTED[0], hosts=['net-2']), dict(EXPECTED[1], hosts=['net-1'])]
    assert faults(run(fn, expected=expected, names=['net-1'])) == []
    # hosted here but its namespace is gone
    expected[0]['hosts'] = ['net-1']
    res = [r for r in run(fn, expected=expected, names=['net-1']) if r['status'] != 'ok']
    assert [(r['id'], r['evidence']['missing']) for r in res] == [('neutron.fip_dnat_missing', ['namespace'])]


def test_ha_standby_needs_rules_but_not_the_address(fixtures_dir):
    fn = load(fixtures_dir, 'facts-healthy.json')
    for link in ns(fn, NS1)['addresses']:
        if link['ifname'].startswith('qg-'):
            link['addresses'] = []
    expected = [dict(EXPECTED[0], hosts=['net-1', 'net-2'], ha_state={'net-1': 'standby', 'net-2': 'active'}), EXPECTED[1]]
    assert faults(run(fn, expected=expected, names=['net-1'])) == []
    expected[0]['ha_state'] = {'net-1': 'active', 'net-2': 'standby'}
    assert faults(run(fn, expected=expected, names=['net-1'])) == [('neutron.fip_not_on_gateway', 'critical', NS1)]


def test_dvr_needs_no_output_rule_and_a_fip_namespace_route(fixtures_dir):
    fn = load(fixtures_dir, 'facts-healthy.json')
    n1 = ns(fn, NS1)
    n1['nat']['rules'] = [r for r in n1['nat']['rules'] if r['chain'] != 'neutron-l3-agent-OUTPUT']
    fn['namespaces'].append({'name': 'fip-ext', 'kind': 'fip', 'errors': [], 'ip_forward': 1, 'nat': None,
                             'filter': None, 'addresses': [], 'routes': [{'dst': '172.24.4.101', 'dev': 'fpr-6736b671-c'}]})
    expected = [dict(EXPECTED[0], distributed=True), EXPECTED[1]]
    assert faults(run(fn, expected=expected)) == []
    fn['namespaces'][-1]['routes'] = []
    assert faults(run(fn, expected=expected)) == [('neutron.fip_not_on_gateway', 'critical', NS1)]


def test_forward_policy_drop_without_accept(fixtures_dir):
    fn = load(fixtures_dir, 'facts-healthy.json')
    n2 = ns(fn, NS2)
    n2['filter'] = {'chains': {'INPUT': 'ACCEPT', 'FORWARD': 'DROP', 'OUTPUT': 'ACCEPT', 'neutron-l3-agent-FORWARD': '-'},
                    'rules': [ff.parse_rule('FORWARD', '-j neutron-l3-agent-FORWARD')]}
    res = [r for r in run(fn) if r['status'] != 'ok']
    assert [(r['id'], r['fix']) for r in res] == [('neutron.fip_forward_drop', None)]
    n2['filter']['rules'].append(ff.parse_rule('neutron-l3-agent-FORWARD', '-i qr-8e3f1a2b-77 -j ACCEPT'))
    assert faults(run(fn)) == []


def test_nova_network_snat_on_the_wrong_interface(fixtures_dir):
    fn = load(fixtures_dir, 'facts-healthy.json')
    root = fn['namespaces'][0]
    root['routes'].append({'dst': 'default', 'gateway': '198.51.100.254', 'dev': 'eth-up', 'prefsrc': None})
    root['nat'] = {'chains': {'nova-network-snat': '-', 'nova-network-float-snat': '-'}, 'rules': [
        ff.parse_rule('nova-network-snat', '-s 10.0.0.0/24 -o eth0 -j SNAT --to-source 198.51.100.1'),
        ff.parse_rule('nova-network-snat', '-j nova-network-float-snat')]}
    fn['public_interface'] = {'file': '/etc/nova/nova.conf', 'value': None, 'line': None, 'default': 'eth0'}
    res = [r for r in run(fn, expected=[]) if r['status'] != 'ok']
    wrong = [r for r in res if r['id'] == 'neutron.fip_snat_wrong_interface']
    assert len(wrong) == 1 and wrong[0]['evidence']['default_dev'] == 'eth-up'
    assert wrong[0]['evidence']['repair'] == 'public_interface' and 'default eth0' in wrong[0]['summary']
    # nova-network chains make the root namespace's forwarding required (it is 1 here: ok)
    assert [r['status'] for r in run(fn, expected=[]) if r['id'] == 'neutron.fip_ip_forward_off'][0] == 'ok'


def test_ovn_rows_missing_and_stale(fixtures_dir):
    fn = load(fixtures_dir, 'facts-healthy.json')
    fn['namespaces'] = fn['namespaces'][:1]
    fn['ovn'] = {'present': True, 'where': 'host', 'error': None, 'nat': [
        {'router': 'neutron-' + R1, 'router_id': R1, 'uuid': 'n1', 'type': 'dnat_and_snat',
         'external_ip': '172.24.4.101', 'logical_ip': '10.1.0.5', 'fip_id': 'f1'},
        {'router': 'neutron-' + R2, 'router_id': R2, 'uuid': 'n9', 'type': 'dnat_and_snat',
         'external_ip': '172.24.4.109', 'logical_ip': '10.2.0.9', 'fip_id': 'gone'}]}
    got = sorted((r['id'], r['status']) for r in run(fn) if r['id'].startswith('neutron.fip_ovn'))
    assert got == [('neutron.fip_ovn_nat_missing', 'critical'), ('neutron.fip_ovn_nat_missing', 'ok'),
                   ('neutron.fip_ovn_nat_stale', 'warning')]


@pytest.mark.parametrize('facts', [None, {}, {'fip_nat': 'x'}, {'fip_nat': {'namespaces': None}},
                                   {'fip_nat': {'namespaces': [], 'error': {'message': 'no runner'}}}])
def test_malformed_facts_are_an_error(facts):
    results = registry.evaluate(CHECK, facts, {})
    assert [r['status'] for r in results] == ['error']


def test_malformed_expected_is_an_error(fixtures_dir):
    results = run(load(fixtures_dir, 'facts-healthy.json'), expected=[{'fixed_ip': '10.0.0.1'}])
    assert 'check_fip_nat_expected' in [r for r in results if r['status'] == 'error'][0]['summary']


def test_unreadable_namespace_is_reported_not_guessed(fixtures_dir):
    fn = load(fixtures_dir, 'facts-healthy.json')
    n1 = ns(fn, NS1)
    n1['errors'] = ['rc=124: timed out']
    n1['nat'] = None
    res = [r for r in run(fn) if r['status'] != 'ok']
    assert [(r['id'], r['status']) for r in res] == [('neutron.fip_nat_unreadable', 'error')]


def test_declaration_is_valid():
    assert fip_nat.DECLARATION['fix'] == 'fix_fip_nat'
    assert copy.deepcopy(registry.declaration(CHECK)) == fip_nat.DECLARATION


def test_rules_written_with_iptables_legacy_are_read(fixtures_dir):
    # recorded: the namespace shell of fip_nat_facts on Debian 12 (iptables 1.8.9 nf_tables by default)
    # after `iptables-legacy -t nat -A neutron-l3-agent-PREROUTING ...`: iptables-save only warns
    # "iptables-legacy tables present", the shell reads iptables-legacy-save instead
    text = (fixtures_dir / 'fip_nat' / 'ns-shell-legacy-rules.txt').read_text()
    got = ff.namespace_facts('qrouter-x', text)
    assert got['errors'] == []
    assert [(r['dst'], r['to']) for r in got['nat']['rules']] == [('172.24.4.9', '10.0.0.9')]
    assert 'iptables-legacy-save' in ff._NS_SCRIPT
