#!/usr/bin/env bash
# Builds, inside the fip_nat molecule node, what a neutron L3 agent (legacy routers) leaves on a
# network node, as lab-recipe 21-netnode-inside.sh showed it works in a node container:
#   root namespace: br-ex 172.24.4.1/24 (the external network's gateway is this host, devstack-style),
#                   uplink veth to namespace "ext" (198.51.100.10, the outside client) -> the root
#                   namespace routes between them: net.ipv4.ip_forward must be 1 here;
#   qrouter-<R1>:   qg- 172.24.4.11/24 + FIP 172.24.4.101/32, qr- 10.1.0.1/24 -> "vm1" 10.1.0.5
#   qrouter-<R2>:   qg- 172.24.4.12/24 + FIP 172.24.4.102/32, qr- 10.2.0.1/24 -> "vm2" 10.2.0.5
#   nova-network:   (stand-in) its chains in the root namespace, SNAT on -o eth0 (public_interface
#                   default) while the default route leaves through eth-up
# The nat (and mangle mark) rules of each router are saved in /var/lib/neutron/standin/ as the agent writes them
# (neutron/agent/l3/router_info.py:264-275, 894-914; chain names iptables_manager.py:50-56); the
# stand-in neutron-l3-agent unit applies them on every (re)start. Idempotent: does nothing when
# the namespaces exist.
set -eu
STATE=/var/lib/neutron/standin
R1=6736b671-c2c0-4005-953c-7d1342827ced
R2=0b4f1e5a-8d2c-4a7b-9e61-3c5d7f9a2b10
ip netns list | grep -q "^qrouter-$R1" && exit 0
mkdir -p "$STATE"
# the stand-in agent and its unit, from the scenario's files/ (bind-mounted at /opt/fipnat)
install -m 0755 /opt/fipnat/neutron-l3-agent-standin /usr/local/sbin/neutron-l3-agent-standin
install -m 0644 /opt/fipnat/neutron-l3-agent.service /etc/systemd/system/neutron-l3-agent.service
# a legacy nova-network beside it (stand-in), with nova.conf's default public_interface (eth0)
install -m 0755 /opt/fipnat/nova-network-standin /usr/local/sbin/nova-network-standin
install -m 0644 /opt/fipnat/nova-network.service /etc/systemd/system/nova-network.service
mkdir -p /etc/nova
printf '[DEFAULT]\nstate_path = /var/lib/nova\n' > /etc/nova/nova.conf
# /proc/sys is read-only in a container: remount it so sysctl -w works (net.* are per namespace)
grep -qE ' /proc/sys \S+ rw' /proc/mounts || mount -o remount,rw /proc/sys
sysctl -qw net.ipv4.ip_forward=1

ip link add br-ex type bridge
ip addr add 172.24.4.1/24 dev br-ex
ip link set br-ex up
ip netns add ext
ip link add eth-up type veth peer name eth0 netns ext
ip addr add 198.51.100.1/24 dev eth-up
ip link set eth-up up
ip netns exec ext ip addr add 198.51.100.10/24 dev eth0
ip netns exec ext ip link set eth0 up
ip netns exec ext ip link set lo up
ip netns exec ext ip route add default via 198.51.100.1
# the node's default route leaves through the uplink (eth-up), not eth0
ip route add default via 198.51.100.10 dev eth-up

router() {  # router id, qg port, qr port, gw ip, fip, vm ns, fixed ip, net prefix
    local id=$1 qg=$2 qr=$3 gw=$4 fip=$5 vm=$6 fixed=$7 net=$8 ns=qrouter-$1
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
    ip link add "$qg" type veth peer name "tap${qg#qg-}"
    ip link set "tap${qg#qg-}" master br-ex
    ip link set "tap${qg#qg-}" up
    ip link set "$qg" netns "$ns"
    ip netns exec "$ns" ip addr add "$gw/24" dev "$qg"
    ip netns exec "$ns" ip link set "$qg" up
    ip netns exec "$ns" ip route add default via 172.24.4.1
    ip netns add "$vm"
    ip link add "$qr" type veth peer name "tap${qr#qr-}" netns "$vm"
    ip link set "$qr" netns "$ns"
    ip netns exec "$ns" ip addr add "$net.1/24" dev "$qr"
    ip netns exec "$ns" ip link set "$qr" up
    ip netns exec "$vm" ip addr add "$fixed/24" dev "tap${qr#qr-}"
    ip netns exec "$vm" ip link set "tap${qr#qr-}" up
    ip netns exec "$vm" ip link set lo up
    ip netns exec "$vm" ip route add default via "$net.1"
    # what the agent keeps for the router: the FIP on qg- and its nat table
    printf '%s %s\n' "$qg" "$fip" > "$STATE/$ns.addresses"
    cat > "$STATE/$ns.nat" <<RULES
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-POSTROUTING - [0:0]
:neutron-l3-agent-PREROUTING - [0:0]
:neutron-l3-agent-float-snat - [0:0]
:neutron-l3-agent-snat - [0:0]
:neutron-postrouting-bottom - [0:0]
-A PREROUTING -j neutron-l3-agent-PREROUTING
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A POSTROUTING -j neutron-l3-agent-POSTROUTING
-A POSTROUTING -j neutron-postrouting-bottom
-A neutron-l3-agent-OUTPUT -d $fip/32 -j DNAT --to-destination $fixed
-A neutron-l3-agent-POSTROUTING ! -i $qg ! -o $qg -m conntrack ! --ctstate DNAT -j ACCEPT
-A neutron-l3-agent-PREROUTING -d $fip/32 -j DNAT --to-destination $fixed
-A neutron-l3-agent-float-snat -s $fixed/32 -j SNAT --to-source $fip --random-fully
-A neutron-l3-agent-snat -j neutron-l3-agent-float-snat
-A neutron-l3-agent-snat -o $qg -j SNAT --to-source $gw --random-fully
-A neutron-l3-agent-snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source $gw --random-fully
-A neutron-postrouting-bottom -m comment --comment "Perform source NAT on outgoing traffic." -j neutron-l3-agent-snat
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:neutron-l3-agent-mark - [0:0]
-A PREROUTING -j neutron-l3-agent-mark
-A neutron-l3-agent-mark -i $qg -j MARK --set-xmark 0x2/0xffff
COMMIT
RULES
    echo "$ns" >> "$STATE/routers"
}
router "$R1" qg-9f1c2e3a-4b qr-5d6e7f80-91 172.24.4.11 172.24.4.101 vm1 10.1.0.5 10.1.0
router "$R2" qg-2a7c4e1b-0d qr-8e3f1a2b-77 172.24.4.12 172.24.4.102 vm2 10.2.0.5 10.2.0
systemctl daemon-reload
systemctl start neutron-l3-agent nova-network
# the agent writes the rules right after it starts: wait for them (bounded)
for _ in $(seq 50); do
    ip netns exec "qrouter-$R2" iptables-save -t nat | grep -q -- '-d 172.24.4.102/32' && exit 0
    sleep 0.1
done
echo "the stand-in agent wrote no rules" >&2; exit 1
