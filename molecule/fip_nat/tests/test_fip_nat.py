"""The network node after fix_fip_nat: real TCP through both floating IPs, forwarding persisted,
the stale DNAT gone, and the agent's chains written by the agent (the stand-in), not by the fix."""
import pytest

R1 = 'qrouter-6736b671-c2c0-4005-953c-7d1342827ced'
R2 = 'qrouter-0b4f1e5a-8d2c-4a7b-9e61-3c5d7f9a2b10'


@pytest.mark.parametrize('direction,vm,fixed,fip', [
    ('in', 'vm1', '10.1.0.5', '172.24.4.101'),
    ('out', 'vm1', '10.1.0.5', '172.24.4.101'),
    ('in', 'vm2', '10.2.0.5', '172.24.4.102'),
    ('out', 'vm2', '10.2.0.5', '172.24.4.102'),
])
def test_tcp_through_the_floating_ip(host, direction, vm, fixed, fip):
    out = host.run('python3 /opt/netnode/fip-probe.py %s %s %s %s', direction, vm, fixed, fip)
    assert out.rc == 0, out.stdout + out.stderr


def test_forwarding_on_and_persisted(host):
    assert host.file('/proc/sys/net/ipv4/ip_forward').content_string.strip() == '1'
    assert 'net.ipv4.ip_forward=1' in host.file('/etc/sysctl.d/60-stackdoctor-ip-forward.conf').content_string.replace(' ', '')


def test_rules_back_and_stale_gone(host):
    r1 = host.check_output('ip netns exec %s iptables-save -t nat', R1)
    r2 = host.check_output('ip netns exec %s iptables-save -t nat', R2)
    assert '-A neutron-l3-agent-PREROUTING -d 172.24.4.101/32 -j DNAT --to-destination 10.1.0.5' in r1
    assert '-A neutron-l3-agent-OUTPUT -d 172.24.4.101/32 -j DNAT --to-destination 10.1.0.5' in r1
    assert '172.24.4.103' not in r2


def test_the_agent_was_restarted(host):
    # the stand-in logs one "synced" line per router on each start: prepare's start + the fix's restart
    log = host.check_output('journalctl -u neutron-l3-agent --no-pager -o cat')
    assert log.count('synced %s' % R1) == 2


def test_nova_network_snat_follows_the_default_route(host):
    assert 'public_interface = eth-up' in host.file('/etc/nova/nova.conf').content_string
    nat = host.check_output('iptables-save -t nat')
    assert '-A nova-network-snat -s 10.9.0.0/24 -o eth-up -j SNAT --to-source 198.51.100.1' in nat
