"""Lab-only interface driver for the real neutron-l3-agent in the lab's network node (NOT part of
neutron, never shipped with the collection).

Why: neutron 29 ships two interface drivers, `openvswitch` and `null`
(neutron/agent/linux/interface.py). Open vSwitch needs its kernel datapath module, which this
machine's kernel does not have (shared/docs/lab-recipe/neutron-libvirt/README.md), and `null`
plugs nothing, so the agent would fail to address qg-/qr- devices that do not exist.

What: the part of plugging that Open vSwitch does (a port on the network's L2 segment), as the
Linux bridge driver that neutron removed did it: a veth pair whose end named by the agent
(qg-..., qr-...) goes into the router's namespace and whose peer (tap<port id>) is enslaved to a
Linux bridge per network (brq<network id>) in the node's root namespace. Everything else is the
real agent: namespaces, addresses, routes, the iptables NAT and filter rules, floating IP
statuses, state reports. The lab's "vm" and "ext" namespaces join the same bridges
(tests/lab/nodes.yml), so packets to a floating IP really traverse the agent's DNAT and SNAT.

    [DEFAULT] interface_driver = sd_lab_veth_driver.VethBridgeDriver   (on the agent's PYTHONPATH)
"""
from neutron.agent.linux import bridge_lib
from neutron.agent.linux import interface
from neutron.agent.linux import ip_lib


def bridge_name(network_id):
    return ('brq' + network_id)[:14]


def tap_name(port_id):
    return ('tap' + port_id)[:14]


class VethBridgeDriver(interface.LinuxInterfaceDriver):

    def _bridge(self, network_id):
        name = bridge_name(network_id)
        if not ip_lib.device_exists(name):
            bridge_lib.BridgeDevice.addbr(name)
        br = bridge_lib.BridgeDevice(name)
        br.link.set_up()
        return br

    def plug_new(self, network_id, port_id, device_name, mac_address,
                 bridge=None, namespace=None, prefix=None, mtu=None):
        peer = tap_name(port_id)
        if ip_lib.device_exists(peer):   # half plugged by an earlier, interrupted try
            ip_lib.IPDevice(peer).link.delete()
        root_dev, ns_dev = ip_lib.IPWrapper().add_veth(peer, device_name, namespace2=namespace)
        ns_dev.link.set_address(mac_address)
        if mtu:
            root_dev.link.set_mtu(mtu)
            ns_dev.link.set_mtu(mtu)
        self._bridge(network_id).addif(peer)
        root_dev.link.set_up()
        ns_dev.link.set_up()

    def unplug(self, device_name, bridge=None, namespace=None, prefix=None):
        dev = ip_lib.IPDevice(device_name, namespace=namespace)
        if dev.exists():
            dev.link.delete()   # removes its peer too

    def set_mtu(self, device_name, mtu, namespace=None, prefix=None):
        ip_lib.IPDevice(device_name, namespace=namespace).link.set_mtu(mtu)
