"""Helpers that tests/lab/lab.sh runs with the LAB venv's python.

  labctl.py register  LABDIR   users, roles, services, endpoints (idempotent), one process
  labctl.py wait      LABDIR   until both nova-computes are up and both resource providers exist,
                               and cinder-scheduler and both cinder-volumes are up
  labctl.py svcstate  LABDIR   print "binary host up|down" from the cell1 and cinder services
                               tables (MariaDB, as users nova and cinder over TCP, PyMySQL)
  labctl.py stale-service LABDIR add|drop HOST [VERSION AGE_DAYS [forced_down]]
                               a stale nova-compute row in cell1 (stackdoctor's lab fault
                               stale_compute_service); only hosts named sd-stale-*; prints JSON
  labctl.py network   LABDIR   the lab's networks through the Networking API (idempotent): external
                               flat network "public" 203.0.113.0/24 (TEST-NET-3, RFC 5737),
                               tenant vlan network "private" 10.10.0.0/24, router "router1" with
                               its gateway on public and an interface on private, port "vm-1"
                               (10.10.0.10) and its floating IP 203.0.113.50, and the flavor
                               sd-lab-tiny (smoke.yml boots with it); writes etc/network.json
                               (ids, addresses, MACs) for the network node
  labctl.py network-wait LABDIR [SECONDS]
                               until the L3 agent of host network-1 is alive, hosts router1 and
                               the floating IP is ACTIVE (the agent set it up)
  labctl.py volume    LABDIR create NAME [ZONE] | attach NAME_OR_ID | delete NAME_OR_ID
                               cinder: create a 1 GiB volume (waits for available or error;
                               ZONE "kolla" puts it on the kolla node's cinder-volume-kolla);
                               os-initialize_connection with an iSCSI connector (what nova does
                               at attach), or terminate + delete; prints JSON without the CHAP
                               secret

Ports: the lab's etc/lab.env (PORT_BASE), else STACKDOCTOR_LAB_PORT_BASE, else 15000
(keystone +0, placement +1, nova-api +2, neutron-server +3, glance-api +4, cinder-api +5,
mistral-api +6). Never prints passwords.
"""
import ipaddress
import json
import os
import sys
import time

COMPUTES = ('compute-1', 'compute-2')
# cinder's services as lab.sh runs them (cinder.conf host = controller; cinder-volume.conf volume-1)
CINDER_SERVICES = (('cinder-scheduler', 'controller'), ('cinder-volume', 'volume-1@lvm-1'),
                   ('cinder-volume', 'kolla-1@lvm-kolla'))


def lab_env(lab):
    """The lab's etc/lab.env (written by lab.sh up) as a dict; {} when absent."""
    out = {}
    try:
        with open(os.path.join(lab, 'etc', 'lab.env')) as f:
            for line in f:
                k, sep, v = line.strip().partition('=')
                if sep:
                    out[k] = v
    except OSError:
        pass
    return out


def port_base(lab=None):
    """Port base of the lab: its etc/lab.env, else STACKDOCTOR_LAB_PORT_BASE, else 15000."""
    env = lab_env(lab) if lab else {}
    return int(env.get('PORT_BASE') or os.environ.get('STACKDOCTOR_LAB_PORT_BASE') or 15000)


def urls(lab=None):
    b = port_base(lab)
    return {'KS': 'http://127.0.0.1:%d/v3' % b, 'PL': 'http://127.0.0.1:%d' % (b + 1),
            'NOVA': 'http://127.0.0.1:%d/v2.1' % (b + 2),
            'NET': 'http://127.0.0.1:%d' % (b + 3),
            'GLANCE': 'http://127.0.0.1:%d' % (b + 4),
            'CINDER': 'http://127.0.0.1:%d/v3/%%(project_id)s' % (b + 5),
            'MISTRAL': 'http://127.0.0.1:%d/v2' % (b + 6)}


def _secrets(lab):
    with open(os.path.join(lab, 'etc', 'secrets.json')) as f:
        return json.load(f)


def _admin(lab):
    import openstack
    return openstack.connect(
        auth_url=urls(lab)['KS'], username='admin', password=_secrets(lab)['admin'],
        project_name='admin', user_domain_name='Default',
        project_domain_name='Default', region_name='RegionOne')


def _find(finder, name, **kw):
    """find_* with ignore_missing=False (True is deprecated: openstacksdk RemovedInSDK60Warning)."""
    import openstack
    try:
        return finder(name, ignore_missing=False, **kw)
    except openstack.exceptions.NotFoundException:
        return None


def register(lab):
    sec = _secrets(lab)
    c = _admin(lab)
    idn = c.identity
    svc_proj = _find(idn.find_project, 'service', domain_id='default') or \
        idn.create_project(name='service', domain_id='default')
    roles = {r.name: r for r in idn.roles()}
    for name in ('service', 'member', 'reader'):
        if name not in roles:
            roles[name] = idn.create_role(name=name)
    for user in ('placement', 'nova', 'glance', 'cinder', 'neutron', 'mistral'):
        u = _find(idn.find_user, user, domain_id='default') or \
            idn.create_user(name=user, password=sec[user], domain_id='default')
        for role in ('admin', 'service'):
            idn.assign_project_role_to_user(svc_proj, u, roles[role])
    have = {s.type: s for s in idn.services()}
    u = urls(lab)
    services = (('placement', 'placement', u['PL']), ('nova', 'compute', u['NOVA']),
                ('neutron', 'network', u['NET']), ('glance', 'image', u['GLANCE']),
                ('cinderv3', 'volumev3', u['CINDER']), ('cinder', 'block-storage', u['CINDER']),
                ('mistral', 'workflowv2', u['MISTRAL']))
    for name, stype, url in services:
        s = have.get(stype) or idn.create_service(name=name, type=stype)
        ifaces = {e.interface for e in idn.endpoints(service_id=s.id)}
        for iface in ('public', 'internal', 'admin'):
            if iface not in ifaces:
                idn.create_endpoint(service_id=s.id, interface=iface, url=url,
                                    region_id='RegionOne')


# The lab's networks (network(), network_wait()); the network node's L3 agent runs as host network-1
NETWORK = {'public_cidr': '203.0.113.0/24', 'public_gateway': '203.0.113.1',
           'public_pool': ('203.0.113.10', '203.0.113.99'), 'floating_ip': '203.0.113.50',
           'private_cidr': '10.10.0.0/24', 'private_gateway': '10.10.0.1', 'vm_ip': '10.10.0.10',
           'l3_host': 'network-1'}


# the lab's flavor (scenarios.py's instances and playbooks/smoke.yml's server)
FLAVOR = {'name': 'sd-lab-tiny', 'ram': 128, 'vcpus': 1, 'disk': 1}


def _one(gen):
    items = list(gen)
    return items[0] if items else None


def network(lab):
    """Create (or find) the lab's networks, router, vm port and floating IP; write etc/network.json."""
    c = _admin(lab)
    n = c.network
    N = NETWORK
    pub = _one(n.networks(name='public')) or n.create_network(
        name='public', is_router_external=True, provider_network_type='flat',
        provider_physical_network='public')
    pub_sn = _one(n.subnets(name='public-subnet')) or n.create_subnet(
        network_id=pub.id, name='public-subnet', ip_version=4, cidr=N['public_cidr'],
        gateway_ip=N['public_gateway'], enable_dhcp=False,
        # the pool leaves out the floating IP the lab asks for by address (203.0.113.50): neutron's IPAM
        # picks addresses at random, and the router's gateway port, allocated first, took it once
        # (409 "IP address 203.0.113.50 already allocated in subnet" at lab-up)
        allocation_pools=[{'start': N['public_pool'][0], 'end': str(ipaddress.ip_address(N['floating_ip']) - 1)},
                          {'start': str(ipaddress.ip_address(N['floating_ip']) + 1), 'end': N['public_pool'][1]}])
    priv = _one(n.networks(name='private')) or n.create_network(name='private')
    priv_sn = _one(n.subnets(name='private-subnet')) or n.create_subnet(
        network_id=priv.id, name='private-subnet', ip_version=4, cidr=N['private_cidr'],
        gateway_ip=N['private_gateway'], enable_dhcp=False)
    r = _one(n.routers(name='router1')) or n.create_router(
        name='router1', external_gateway_info={'network_id': pub.id})
    rif = _one(n.ports(device_id=r.id, network_id=priv.id))
    if rif is None:
        n.add_interface_to_router(r, subnet_id=priv_sn.id)
        rif = _one(n.ports(device_id=r.id, network_id=priv.id))
    gw = _one(n.ports(device_id=r.id, network_id=pub.id))
    vm = _one(n.ports(name='vm-1')) or n.create_port(
        network_id=priv.id, name='vm-1', device_owner='compute:nova',
        fixed_ips=[{'subnet_id': priv_sn.id, 'ip_address': N['vm_ip']}])
    fip = _one(n.ips(floating_ip_address=N['floating_ip'])) or n.create_ip(
        floating_network_id=pub.id, floating_ip_address=N['floating_ip'])
    if fip.port_id != vm.id:
        fip = n.update_ip(fip, port_id=vm.id)
    # the flavor a server of the lab boots with (playbooks/smoke.yml)
    if _one(f for f in c.compute.flavors() if f.name == FLAVOR['name']) is None:
        c.compute.create_flavor(**FLAVOR)
    out = {'router_id': r.id, 'public_network_id': pub.id, 'private_network_id': priv.id,
           'gateway_port': {'id': gw.id, 'mac': gw.mac_address},
           'interface_port': {'id': rif.id, 'mac': rif.mac_address},
           'vm_port': {'id': vm.id, 'mac': vm.mac_address, 'ip': N['vm_ip']},
           'floating_ip': {'id': fip.id, 'ip': fip.floating_ip_address},
           'public_gateway': N['public_gateway'], 'public_cidr': N['public_cidr'],
           'private_gateway': N['private_gateway'], 'private_cidr': N['private_cidr'],
           'l3_host': N['l3_host']}
    path = os.path.join(lab, 'etc', 'network.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
    os.replace(path + '.tmp', path)
    return out


def network_wait(lab, timeout=120):
    """0 once the L3 agent on network-1 is alive, hosts router1 and the floating IP is ACTIVE."""
    c = _admin(lab)
    n = c.network
    with open(os.path.join(lab, 'etc', 'network.json')) as f:
        net = json.load(f)
    deadline = time.time() + timeout
    last = 'no L3 agent'
    while time.time() < deadline:
        agents = [a for a in n.agents(agent_type='L3 agent', host=net['l3_host'])]
        if agents and agents[0].is_alive:
            hosting = [a.host for a in n.routers_hosting_l3_agents(net['router_id'])]
            fip = n.get_ip(net['floating_ip']['id'])
            last = 'agent alive; router hosted on %s; floating IP %s' % (hosting or 'no agent', fip.status)
            if net['l3_host'] in hosting and fip.status == 'ACTIVE':
                print(last)
                return 0
        elif agents:
            last = 'L3 agent on %s not alive' % net['l3_host']
        time.sleep(1)
    print('network not ready after %d s: %s' % (timeout, last), file=sys.stderr)
    return 1


def db_connect(lab, name):
    """PyMySQL connection to the lab's database NAME as user NAME (etc/secrets.json, lab.env)."""
    import pymysql
    port = int(lab_env(lab).get('DB_PORT') or port_base(lab) + 50)
    return pymysql.connect(host='127.0.0.1', port=port, user=name, database=name,
                           password=_secrets(lab)['db'][name], connect_timeout=5,
                           read_timeout=10, write_timeout=10)


def svcstate(lab, down_after=10):
    out = {}
    rows = []
    for name in ('nova', 'cinder'):
        db = db_connect(lab, name)
        with db.cursor() as cur:
            cur.execute('select `binary`, host, updated_at, created_at, disabled, utc_timestamp() '
                        'from services where deleted = 0')
            rows += list(cur.fetchall())
        db.close()
    for binary, host, upd, created, disabled, now in rows:
        t = upd or created
        up = t is not None and (now - t).total_seconds() <= down_after
        out[(binary, host)] = ('up' if up else 'down') + (' disabled' if disabled else '')
    return out


def wait(lab, timeout=120):
    c = _admin(lab)
    t0 = time.time()
    last = ''
    while time.time() - t0 < timeout:
        try:
            svcs = {s.host: s.state for s in c.compute.services() if s.binary == 'nova-compute'}
            rps = {rp.name for rp in c.placement.resource_providers()}
            ok_s = all(svcs.get(h) == 'up' for h in COMPUTES)
            ok_r = all(h in rps for h in COMPUTES)
            st = svcstate(lab)
            cinder = {b: st.get((b, h), 'unregistered') for b, h in CINDER_SERVICES}
            ok_c = all(v == 'up' for v in cinder.values())
            last = f'computes={svcs} providers={sorted(rps)} cinder={cinder}'
            if ok_s and ok_r and ok_c:
                print(f'  computes, cinder services up and providers present: {last}')
                return 0
        except Exception as e:  # API still warming up
            last = repr(e)
        time.sleep(1)
    print(f'  timeout waiting for computes/providers: {last}', file=sys.stderr)
    return 1


def stale_service(lab, action, host, version=66, age_days=30, forced_down=False):
    """A stale nova-compute services row in cell1 (stackdoctor's lab fault stale_compute_service):
    not deleted, not forced down (unless asked), last seen AGE_DAYS ago, with VERSION. Only hosts
    named sd-stale-* are made or removed. Prints {changed, host, uuid, version}."""
    import uuid as _uuid
    if not host.startswith('sd-stale-'):
        raise SystemExit('stale-service: host must start with sd-stale-')
    db = db_connect(lab, 'nova')
    with db.cursor() as cur:
        cur.execute('select uuid, version from services where host = %s and `binary` = %s and deleted = 0',
                    (host, 'nova-compute'))
        row = cur.fetchone()
        if action == 'drop':
            cur.execute('delete from services where host = %s', (host,))
            db.commit()
            return {'changed': cur.rowcount > 0, 'host': host, 'uuid': row[0] if row else None}
        if row:
            return {'changed': False, 'host': host, 'uuid': row[0], 'version': row[1]}
        uid = str(_uuid.uuid4())
        cur.execute('insert into services (created_at, updated_at, deleted, uuid, host, `binary`, topic, '
                    'report_count, disabled, forced_down, version, last_seen_up) values '
                    '(utc_timestamp() - interval %s day, utc_timestamp() - interval %s day, 0, %s, %s, '
                    "'nova-compute', 'compute', 1, 0, %s, %s, utc_timestamp() - interval %s day)",
                    (age_days, age_days, uid, host, int(bool(forced_down)), version, age_days))
        db.commit()
        return {'changed': True, 'host': host, 'uuid': uid, 'version': version}


# what nova-compute sends as its connector (os-brick's connector properties), lab values
CONNECTOR = {'initiator': 'iqn.1993-08.org.debian:01:stackdoctor-lab', 'ip': '127.0.0.1',
             'host': 'compute-1', 'multipath': False, 'platform': 'x86_64', 'os_type': 'linux'}


def volume(lab, action, name, zone=None):
    c = _admin(lab)
    bs = c.block_storage
    t0 = time.time()
    if action == 'create':
        v = bs.create_volume(name=name, size=1, **({'availability_zone': zone} if zone else {}))
        for _ in range(240):
            v = bs.get_volume(v.id)
            if v.status not in ('creating', 'downloading'):
                break
            time.sleep(0.5)
        return {'volume': v.id, 'name': name, 'status': v.status, 'host': getattr(v, 'host', None),
                'seconds': round(time.time() - t0, 1)}
    v = bs.find_volume(name, ignore_missing=False)
    if action == 'attach':
        r = bs.post('/volumes/%s/action' % v.id, json={'os-initialize_connection': {'connector': CONNECTOR}},
                    microversion='3.0')
        out = {'volume': v.id, 'action': 'os-initialize_connection', 'status_code': r.status_code,
               'seconds': round(time.time() - t0, 1)}
        try:
            body = r.json()
        except ValueError:
            body = {'text': r.text[:500]}
        if r.ok:
            ci = body.get('connection_info', {})
            data = ci.get('data', {})
            out['driver_volume_type'] = ci.get('driver_volume_type')
            out['data'] = {k: data.get(k) for k in ('target_iqn', 'target_portal', 'target_lun', 'auth_method')}
        else:
            out['error'] = body
        return out
    if action == 'delete':
        bs.post('/volumes/%s/action' % v.id, json={'os-terminate_connection': {'connector': CONNECTOR}},
                microversion='3.0')
        bs.delete_volume(v.id, force=True)
        for _ in range(120):
            if _find(bs.find_volume, v.id) is None:
                break
            time.sleep(0.5)
        return {'volume': v.id, 'deleted': _find(bs.find_volume, v.id) is None}
    raise SystemExit('volume: create|attach|delete')


def main(argv):
    cmd, lab = argv[1], argv[2]
    if cmd == 'stale-service':
        print(json.dumps(stale_service(lab, argv[3], argv[4], *(int(a) for a in argv[5:7]),
                                       forced_down=argv[7:8] == ['forced_down'])))
        return 0
    if cmd == 'volume':
        print(json.dumps(volume(lab, argv[3], argv[4], *argv[5:6])))
        return 0
    if cmd == 'network':
        network(lab)
        return 0
    if cmd == 'network-wait':
        return network_wait(lab, *(int(a) for a in argv[3:4]))
    if cmd == 'register':
        register(lab)
        return 0
    if cmd == 'wait':
        return wait(lab)
    if cmd == 'svcstate':
        for (binary, host), st in sorted(svcstate(lab).items()):
            print(binary, host, st)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
