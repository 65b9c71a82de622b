"""The lab's network (tests/lab/README.md, "neutron and the network node"): neutron-server 29.0.0 on the
control plane, the REAL neutron-l3-agent in the network node sd-lab-network1 hosting router1, and a
floating IP 203.0.113.50 -> vm-1 10.10.0.10 that real packets cross (DNAT in, float-snat out).

check_fip_nat / fix_fip_nat (host facts on the network node, the floating IPs from the API) and
check_network_agents (the Networking API's agents and router scheduling):
- the catalog (conftest.py: fault=all, diagnose, remediate, diagnose) breaks router1 three ways at once
  (fip_dnat_deleted, fip_dnat_stale, router_forwarding_off): the packet probes fail, diagnose names each
  fault, fix_fip_nat's resync (a restart of the agent through the packaged layout, opted in by the lab
  inventory) repairs them, the probes work again and the network checks are ok;
- each lab fault alone (the three above, l3_agent_stopped, and fip_nat_public_interface: legacy
  nova-network's SNAT on the wrong interface, on sd-lab-controller's own namespace) is found by a
  diagnose of the two checks and undone by the sabotage playbook.
"""
import json
import os

import pytest

from conftest import SABOTAGE, _lab_dir, _play, _report, fip_probes

HOST = 'sd-lab-network1'
NETWORK_CHECKS = ('check_fip_nat', 'check_network_agents')


def _network_results(report, host=HOST):
    return [r for r in report['results'] if r['check'] in NETWORK_CHECKS
            and (r['host'] == host or r['host'].startswith('cloud:'))]


def _open(report, host=HOST):
    return sorted((r['id'], r['host'], r['status']) for r in _network_results(report, host)
                  if r['status'] not in ('ok', 'skipped'))


def _net():
    with open(os.path.join(_lab_dir(), 'etc', 'network.json')) as f:
        return json.load(f)


def test_packets_cross_the_floating_ip_broken_by_the_faults_and_again_after_the_fix(catalog):
    p = catalog['probes']
    assert p['clean']['in'].endswith('works') and p['clean']['out'].endswith('works'), p['clean']
    # forwarding off in the router breaks both directions, whatever the DNAT rules say
    assert p['broken']['in'].endswith('FAILS') and p['broken']['out'].endswith('FAILS'), p['broken']
    assert p['after']['in'].endswith('works') and p['after']['out'].endswith('works'), p['after']
    # inbound, the vm sees the outside's address (DNAT only); outbound, the outside sees the floating IP
    net = _net()
    assert 'server saw=%s' % net['public_gateway'] in p['after']['in']
    assert 'server saw=%s' % net['floating_ip']['ip'] in p['after']['out']


def test_diagnose_names_each_router_fault_and_the_fix_clears_them(catalog):
    before = _open(catalog['before'])
    ids = [i for i, _h, _s in before]
    assert ('neutron.fip_dnat_missing', HOST, 'critical') in before, before
    assert ('neutron.fip_ip_forward_off', HOST, 'critical') in before, before
    assert 'neutron.fip_dnat_stale' in ids, before
    stale = [r for r in catalog['before']['results'] if r['id'] == 'neutron.fip_dnat_stale' and r['host'] == HOST]
    assert stale and '203.0.113.77' in stale[0]['summary']
    acts = [a for a in catalog['remediate'].get('actions', []) if a.get('fix') == 'fix_fip_nat' and a.get('host') == HOST]
    assert acts and acts[0]['changed'], catalog['remediate'].get('actions')
    assert any('neutron-l3-agent' in c for c in acts[0]['details']['changes']), acts[0]
    assert _open(catalog['after']) == []
    assert [r for r in _network_results(catalog['after']) if r['check'] == 'check_network_agents'
            and r['status'] == 'ok'], 'check_network_agents did not run on the clean lab'


FAULTS = [
    ('fip_dnat_deleted', 'neutron.fip_dnat_missing', HOST),
    ('fip_dnat_stale', 'neutron.fip_dnat_stale', HOST),
    ('router_forwarding_off', 'neutron.fip_ip_forward_off', HOST),
    ('l3_agent_stopped', 'neutron.agent_dead', 'cloud:stackdoctor-lab'),
    ('fip_nat_public_interface', 'neutron.fip_snat_wrong_interface', 'sd-lab-controller'),
]


@pytest.mark.parametrize('fault,finding,where', FAULTS, ids=[f[0] for f in FAULTS])
def test_each_fault_alone_is_found_and_undone(lab, tmp_path, fault, finding, where):
    node = where if where.startswith('sd-lab-') else HOST
    _play(SABOTAGE, '-e', 'fault=%s' % fault)
    try:
        _play('diagnose.yml', '-e', 'stackdoctor_checks=%s' % ','.join(NETWORK_CHECKS), '--limit', 'localhost,%s' % node,
              '-e', 'stackdoctor_report_dir=%s' % tmp_path)
    finally:
        _play(SABOTAGE, '-e', 'fault=%s' % fault, '-e', 'undo=true')
    found = _open(_report(tmp_path), node)
    assert finding in [i for i, h, _s in found if h == where], found
    if fault == 'fip_nat_public_interface':
        # with nova-network's chains loaded the node's root namespace must forward: its ip_forward may
        # be named too; nothing else
        assert {i for i, _h, _s in found} <= {finding, 'neutron.fip_ip_forward_off'}, found
        wrong = [r for r in _network_results(_report(tmp_path), node) if r['id'] == finding][0]
        assert 'eth0' in wrong['summary'], wrong
    elif fault == 'l3_agent_stopped':
        # its router then has no live agent; the agent is named with its last heartbeat
        assert 'neutron.router_without_l3_agent' in [i for i, _h, _s in found], found
        assert len(found) == 2, found
    else:
        assert len(found) == 1, found
    # undone: the packet path works (the agent's own state is waited for by the undo)
    probes = fip_probes()
    assert probes['in'].endswith('works') and probes['out'].endswith('works'), probes
