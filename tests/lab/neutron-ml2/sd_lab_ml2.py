"""LAB ONLY stand-in: an ML2 mechanism driver that binds ports without an L2 agent.

neutron 29 ships the openvswitch, ovn, sriovnic and macvtap mechanism drivers; each binds a port
only on a host where its agent (or OVN controller) runs, and none of those can run on this kernel
(no Open vSwitch datapath, no SR-IOV, no macvtap on the lab's bridges). With no mechanism driver a
port that nova asks to bind to compute-1 ends "binding_failed" and nova gives up the boot
(PortBindingFailed). This driver binds a port on its first flat or vlan segment with
vif_type "tap" and no filtering, as an agent-based driver would once its agent reported the
host: nothing is plugged (the lab's nova-computes use nova's fake virt driver, which plugs
nothing either) and the port stays DOWN (no L2 agent sets it ACTIVE). tests/lab/README.md,
"neutron and the network node", names it among the stand-ins.

Loaded by name through the "neutron.ml2.mechanism_drivers" entry point of the dist-info next to
this file (lab.sh puts this folder on neutron-server's PYTHONPATH); neutron-lib's MechanismDriver
API: https://opendev.org/openstack/neutron-lib/src/branch/master/neutron_lib/plugins/ml2/api.py
"""
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api

BINDABLE = ('flat', 'vlan')


class TapBindingDriver(api.MechanismDriver):
    """Bind every port on a flat or vlan segment as a tap device, on any host."""

    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            if segment[api.NETWORK_TYPE] in BINDABLE:
                context.set_binding(segment[api.ID], portbindings.VIF_TYPE_TAP,
                                    {portbindings.CAP_PORT_FILTER: False})
                return
