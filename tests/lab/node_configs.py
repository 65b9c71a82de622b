#!/usr/bin/env python3
"""Write the lab node containers' OpenStack configs, derived from the running control plane.

    python tests/lab/node_configs.py LAB_DIR OUT_DIR

Reads the configs `tests/lab/lab.sh up` wrote under LAB_DIR/etc (the real ones the services
run with) and writes, under OUT_DIR/<node>/, the files a node of that role would hold, at
their in-node paths (OUT_DIR/<node>/etc/nova/nova.conf, ...). They point at the control plane
on 127.0.0.1 (keystone :15000, placement :15001, nova-api :15002, rabbitmq :15072) with the
lab's real service credentials (lab-only values; never printed). Host-local paths
(state_path, lock_path, log_file) are replaced by the packaged ones of the node. Every URL host
127.0.0.1 becomes 10.0.2.2, the host's loopback as a node sees it (slirp4netns with
allow_host_loopback, tests/lab/nodes.yml): a node reaches the control plane there.
Prints a JSON list of the files written (paths only).
"""
import base64
import configparser
import hashlib
import re
import json
import os
import struct
import sys

KEYSTONE = 'http://127.0.0.1:15000/v3'
# the host's 127.0.0.1 seen from a node (slirp4netns allow_host_loopback)
HOST_FROM_NODE = '10.0.2.2'
URL_LOOPBACK_RE = re.compile(r'(://(?:[^@/\s]*@)?)127\.0\.0\.1(?=[:/]|$)', re.M)


# The computes' Ceph client side (check_rbd_secrets): a made-up cluster (no Ceph runs here; nothing
# connects to it), nova's RBD user and the libvirt secret UUID the lab fault rbd_secret_missing uses
# (tests/lab/sabotage/vars/rbd_secret_missing.yml)
RBD_FSID = '5f1d2b9e-7c1a-4d2e-9f3b-2a6c8e4d1f00'
RBD_NOVA_UUID = '8a4f7c2e-1b3d-4e5f-a6b7-c8d9e0f10001'


def cephx_key(lab):
    """A made-up cephx key in the format `ceph auth get-key` prints (base64 of type 1, created, length
    16, 16 secret bytes: what ceph's CryptoKey::encode writes), derived from this lab's own
    secrets so that it is stable across lab-up runs and differs between labs. Lab only."""
    with open(os.path.join(lab, 'etc', 'secrets.json'), 'rb') as f:
        secret = hashlib.sha256(b'stackdoctor-lab-rbd\0' + f.read()).digest()[:16]
    return base64.b64encode(struct.pack('<HIIH', 1, 1764547200, 0, 16) + secret).decode()


def read(path):
    cp = configparser.RawConfigParser(strict=False, interpolation=None, default_section='__no_defaults__')
    cp.optionxform = str
    cp.read(path)
    return cp


def section(cp, name):
    return dict(cp.items(name)) if cp.has_section(name) else {}


def render(sections):
    out = ['# written by tests/lab/node_configs.py from the lab control plane (tests/lab/README.md)']
    for name, opts in sections:
        out.append('[%s]' % name)
        out.extend('%s = %s' % (k, v) for k, v in opts.items())
        out.append('')
    return '\n'.join(out)


def main(lab, out):
    etc = os.path.join(lab, 'etc')
    nova = read(os.path.join(etc, 'nova', 'nova.conf'))
    placement = read(os.path.join(etc, 'placement', 'placement.conf'))
    authtoken = section(nova, 'keystone_authtoken')
    placement_client = section(nova, 'placement')
    transport = nova.get('DEFAULT', 'transport_url')
    written = []

    def put(node, path, text, mode=0o640):
        dest = os.path.join(out, node, path.lstrip('/'))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, 'w') as f:
            f.write(URL_LOOPBACK_RE.sub(lambda m: m.group(1) + HOST_FROM_NODE, text))
        os.chmod(dest, mode)
        written.append(dest)

    # computes: the lab's own nova-compute-N.conf, plus what a packaged compute also carries
    for n in (1, 2):
        comp = read(os.path.join(etc, 'nova', 'nova-compute-%d.conf' % n))
        default = section(comp, 'DEFAULT')
        default.update(state_path='/var/lib/nova', instances_path='/var/lib/nova/instances',
                       log_dir='/var/log/nova')
        secs = [('DEFAULT', default),
                ('oslo_concurrency', {'lock_path': '/var/lib/nova/tmp'})]
        secs += [(s, section(comp, s)) for s in comp.sections() if s not in ('DEFAULT', 'oslo_concurrency')]
        secs += [('keystone_authtoken', authtoken), ('service_user', section(nova, 'service_user')),
                 ('neutron', section(nova, 'neutron'))]
        # one section per name, as a deployment writes it (oslo.config would merge repeated ones, the
        # last value winning; an edit of the first one, as a fault's ini_file makes, would not count)
        merged = {}
        for s, o in secs:
            merged.setdefault(s, {}).update(o)
        secs = list(merged.items())
        # RBD root disks as client.nova, as a Ceph-backed compute's nova.conf says (nova/conf/libvirt.py);
        # the lab's nova-compute runs nova's fake driver on the host and does not read the node's file
        libvirt = dict(section(comp, 'libvirt'), images_type='rbd', images_rbd_pool='vms',
                       images_rbd_ceph_conf='/etc/ceph/ceph.conf', rbd_user='nova', rbd_secret_uuid=RBD_NOVA_UUID)
        secs = [(s, o) for s, o in secs if s != 'libvirt'] + [('libvirt', libvirt)]
        node = 'sd-lab-compute%d' % n
        put(node, '/etc/nova/nova.conf', render(secs))
        put(node, '/etc/ceph/ceph.conf', '# made-up cluster of the lab (no Ceph runs; tests/lab/README.md)\n'
            '[global]\nfsid = %s\nmon_host = [v2:192.0.2.10:3300/0,v1:192.0.2.10:6789/0]\n' % RBD_FSID, 0o644)
        put(node, '/etc/ceph/ceph.client.nova.keyring', '[client.nova]\n\tkey = %s\n\tcaps mon = "profile rbd"\n'
            % cephx_key(lab))

    # controllers: nova.conf and placement.conf of the control plane (packaged and TripleO paths)
    ctl = [('DEFAULT', dict(section(nova, 'DEFAULT'), state_path='/var/lib/nova', log_dir='/var/log/nova'))]
    ctl[0][1].pop('log_file', None)
    for s in nova.sections():
        if s == 'DEFAULT':
            continue
        opts = section(nova, s)
        if s == 'oslo_concurrency':
            opts = {'lock_path': '/var/lib/nova/tmp'}
        ctl.append((s, opts))
    plc = [(s, section(placement, s)) for s in placement.sections()]
    for s, o in plc:
        if s == 'DEFAULT':
            o.pop('log_file', None)
            o['log_dir'] = '/var/log/placement'
    for node, prefix in (('sd-lab-controller', ''),
                         ('sd-lab-tripleo1', '/var/lib/config-data/puppet-generated/nova')):
        put(node, prefix + '/etc/nova/nova.conf', render(ctl))
    put('sd-lab-controller', '/etc/placement/placement.conf', render(plc))
    put('sd-lab-tripleo1', '/var/lib/config-data/puppet-generated/placement/etc/placement/placement.conf',
        render(plc))

    # volume hosts: cinder.conf with an LVM backend on tgtadm, pointing at keystone and rabbitmq;
    # the backend as the lab's real cinder-volume runs it (etc/cinder/cinder.conf: volume group,
    # volumes_dir, which the volume node shares at the same path), host-local paths left out
    lab_cinder = read(os.path.join(etc, 'cinder', 'cinder.conf'))
    backend = {'volume_driver': 'cinder.volume.drivers.lvm.LVMVolumeDriver',
               'volume_group': 'cinder-volumes', 'volume_backend_name': 'lvm-1',
               'target_helper': 'tgtadm', 'target_protocol': 'iscsi',
               'volumes_dir': '/var/lib/cinder/volumes'}
    backend.update((k, v) for k, v in section(lab_cinder, 'lvm-1').items()
                   if k in ('volume_group', 'volume_clear', 'lvm_type', 'volumes_dir'))
    cinder = [
        ('DEFAULT', {'transport_url': transport, 'auth_strategy': 'keystone', 'my_ip': '127.0.0.1',
                     'enabled_backends': 'lvm-1', 'state_path': '/var/lib/cinder',
                     'glance_api_servers': ''}),
        ('lvm-1', backend),
        ('keystone_authtoken', section(lab_cinder, 'keystone_authtoken') or authtoken),
        ('nova', {'auth_url': KEYSTONE, 'auth_type': 'password',
                  'project_domain_name': 'Default', 'user_domain_name': 'Default',
                  'project_name': 'service', 'username': authtoken.get('username', 'nova'),
                  'password': authtoken.get('password', ''), 'region_name': 'RegionOne'}),
        ('oslo_concurrency', {'lock_path': '/var/lib/cinder/tmp'}),
    ]
    put('_cinder', '/cinder.conf', render(cinder))
    # network node: the real neutron-l3-agent's configs as a packaged network node holds them
    # (/etc/neutron/neutron.conf + l3_agent.ini; Debian's neutron-l3-agent unit reads both), RPC
    # through the lab's rabbit, host network-1 (the agent's name in neutron's agents list)
    neutron_path = os.path.join(etc, 'neutron', 'neutron.conf')
    if os.path.exists(neutron_path):
        srv = read(neutron_path)
        put('sd-lab-network1', '/etc/neutron/neutron.conf', render([
            ('DEFAULT', {'transport_url': srv.get('DEFAULT', 'transport_url'), 'host': 'network-1',
                         'state_path': '/var/lib/neutron', 'core_plugin': 'ml2'}),
            # report every 5 s (neutron-server's agent_down_time is 15 s in the lab); the agent
            # runs as root in the node: `env`, not sudo/rootwrap, in front of its commands (an empty
            # root_helper falls back to sudo, which the node does not have)
            ('agent', {'report_interval': '5', 'root_helper': 'env'}),
            ('oslo_concurrency', {'lock_path': '/var/lib/neutron/lock'}),
        ]))
        put('sd-lab-network1', '/etc/neutron/l3_agent.ini', render([
            # the lab's stand-in for Open vSwitch plugging (tests/lab/netnode/sd_lab_veth_driver.py)
            ('DEFAULT', {'interface_driver': 'sd_lab_veth_driver.VethBridgeDriver',
                         'agent_mode': 'legacy', 'enable_metadata_proxy': 'false'}),
        ]))

    json.dump({'files': written, 'placement_auth_url': placement_client.get('auth_url')}, sys.stdout)
    print()
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
