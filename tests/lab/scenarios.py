#!/usr/bin/env python3
"""Placement consumer scenarios against the running lab (tests/lab/lab.sh up).

    python tests/lab/scenarios.py orphan|build|migration|live|ensure KIND|drop KIND|cleanup|audit|show [--json]

Runs with the LAB venv or the tooling venv (only openstacksdk is needed here). Rows that
nova would write are created through nova's own object layer (nova.objects, the same calls
nova-api/conductor/compute make) in a subprocess using the LAB venv python and the lab's
nova.conf; allocations always go through the placement API (PUT /allocations/{consumer},
microversion 1.36: consumer_generation null, project_id, user_id).

  orphan     allocation on compute-1 for a random uuid that is no instance, no migration,
             no build request -> GET /servers/{id} 404; nova-manage placement audit reports it.
  build      server in BUILD: request spec + build request + instance mapping with no cell
             (what nova-api writes before the conductor schedules), plus the allocation the
             scheduler claims on compute-1 for it. GET /servers/{id} -> 200 BUILD.
  migration  live migration in flight: instance on compute-1 (task_state migrating) and a
             cell1 migrations row (status running, live-migration, compute-1 -> compute-2);
             the source allocation (compute-1) is held by the MIGRATION uuid, the destination
             allocation (compute-2) by the INSTANCE uuid, exactly as the conductor moves them.
  live       ACTIVE instance on compute-1 in cell1 + instance mapping + request spec, and its
             allocation on compute-1. GET /servers/{id} -> 200 ACTIVE.
  cleanup    remove every allocation and row the scenarios created (recorded in
             $STACKDOCTOR_LAB_DIR/scenarios.json); the flavor sd-lab-tiny stays.
  ensure KIND  print an intact recorded scenario of that kind ("existing": true) or make one.
  drop KIND    remove the recorded scenarios of that kind (allocations and rows).
  audit      run nova-manage placement audit --verbose with the lab venv and nova.conf.
  show       print the recorded scenarios.

Each scenario command prints one JSON object (consumer uuids, provider uuids, server status).
"""
import json
import os
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import labctl  # noqa: E402  (same folder: one reader of the lab's etc/lab.env)
LAB = os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab')


def _lab_env():
    return labctl.lab_env(LAB)


# clouds.yaml of this lab: STACKDOCTOR_LAB_CLOUDS, else what lab.sh recorded in etc/lab.env,
# else the default (inventories/lab/clouds.yaml); the ports live in that file's auth_url
CLOUDS = (os.environ.get('STACKDOCTOR_LAB_CLOUDS') or _lab_env().get('CLOUDS')
          or os.path.join(REPO, 'inventories', 'lab', 'clouds.yaml'))
STATE = os.path.join(LAB, 'scenarios.json')
NOVA_CONF = os.path.join(LAB, 'etc', 'nova', 'nova.conf')
PLACEMENT_MV = '1.36'
FLAVOR = labctl.FLAVOR
# there is no glance in the lab: the image id is only a reference stored on the instance
IMAGE_REF = '9a1b7c36-5d2e-4f61-8b0c-5ab1ed000001'


def lab_python():
    with open(os.path.join(LAB, 'venv')) as f:
        return os.path.join(f.read().strip(), 'bin', 'python')


# ----------------------------------------------------------------------------- API side
def connect():
    os.environ.setdefault('OS_CLIENT_CONFIG_FILE', CLOUDS)
    import openstack
    return openstack.connect(cloud=os.environ.get('OS_CLOUD', 'stackdoctor-lab'))


def rp_uuid(conn, name):
    r = conn.placement.get(f'/resource_providers?name={name}', microversion=PLACEMENT_MV)
    r.raise_for_status()
    rps = r.json()['resource_providers']
    if not rps:
        raise SystemExit(f'no resource provider named {name}: is the lab up?')
    return rps[0]['uuid']


def put_alloc(conn, consumer, allocs, project_id, user_id):
    """allocs: {rp_uuid: {RC: amount}}; new consumer -> consumer_generation null."""
    body = {'allocations': {rp: {'resources': res} for rp, res in allocs.items()},
            'consumer_generation': None, 'project_id': project_id, 'user_id': user_id}
    r = conn.placement.put(f'/allocations/{consumer}', json=body, microversion=PLACEMENT_MV)
    if r.status_code != 204:
        raise SystemExit(f'PUT /allocations/{consumer}: {r.status_code} {r.text}')


def delete_alloc(conn, consumer):
    r = conn.placement.delete(f'/allocations/{consumer}', microversion=PLACEMENT_MV)
    return r.status_code


def flavor(conn):
    # ignore_missing=True is deprecated (openstacksdk RemovedInSDK60Warning): ask with False
    import openstack
    try:
        return conn.compute.find_flavor(FLAVOR['name'], ignore_missing=False)
    except openstack.exceptions.NotFoundException:
        return conn.compute.create_flavor(**FLAVOR)


def server_status(conn, sid):
    r = conn.compute.get(f'/servers/{sid}', microversion='2.1')
    if r.status_code == 200:
        s = r.json()['server']
        return {'http': 200, 'status': s['status'],
                'host': s.get('OS-EXT-SRV-ATTR:host'),
                'task_state': s.get('OS-EXT-STS:task_state')}
    return {'http': r.status_code}


def resources(fl):
    return {'VCPU': fl.vcpus, 'MEMORY_MB': fl.ram, 'DISK_GB': fl.disk}


def load_state():
    try:
        with open(STATE) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def save_state(items):
    with open(STATE, 'w') as f:
        json.dump(items, f, indent=1)


def record(item):
    save_state(load_state() + [item])


def nova_side(op, **kw):
    """Run the nova-object part in the LAB venv (nova is not in the tooling venv)."""
    out = subprocess.run([lab_python(), os.path.abspath(__file__), '_nova', op, json.dumps(kw)],
                         capture_output=True, text=True,
                         env=dict(os.environ, PYTHONWARNINGS='ignore'))
    if out.returncode != 0:
        raise SystemExit(f'nova side ({op}) failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def scenario(kind):
    conn = connect()
    proj, user = conn.current_project_id, conn.current_user_id
    cn1, cn2 = rp_uuid(conn, 'compute-1'), rp_uuid(conn, 'compute-2')
    fl = flavor(conn)
    res = resources(fl)
    inst = str(uuid.uuid4())
    item = {'kind': kind, 'project_id': proj, 'user_id': user}
    if kind != 'orphan':
        record(dict(item, instance=inst, allocations=[inst], partial=True))
    if kind == 'orphan':
        put_alloc(conn, inst, {cn1: res}, proj, user)
        item.update(consumer=inst, provider=cn1, allocations=[inst])
    elif kind == 'build':
        nova_side('build', instance_uuid=inst, project_id=proj, user_id=user, flavorid=fl.id)
        put_alloc(conn, inst, {cn1: res}, proj, user)  # the scheduler's claim
        item.update(consumer=inst, provider=cn1, allocations=[inst], instance=inst)
    elif kind == 'live':
        nova_side('live', instance_uuid=inst, project_id=proj, user_id=user, flavorid=fl.id)
        put_alloc(conn, inst, {cn1: res}, proj, user)
        item.update(consumer=inst, provider=cn1, allocations=[inst], instance=inst)
    elif kind == 'migration':
        mig = str(uuid.uuid4())
        nova_side('migration', instance_uuid=inst, migration_uuid=mig, project_id=proj,
                  user_id=user, flavorid=fl.id)
        put_alloc(conn, mig, {cn1: res}, proj, user)    # source side, held by the migration
        put_alloc(conn, inst, {cn2: res}, proj, user)   # destination side, held by the instance
        item.update(consumer=mig, provider=cn1, allocations=[mig, inst], instance=inst,
                    migration=mig, dest_consumer=inst, dest_provider=cn2)
    items = [i for i in load_state() if not (i.get('partial') and i.get('instance') == inst)]
    items.append(item)
    save_state(items)
    item['server'] = server_status(conn, inst)
    return item


KINDS = ('orphan', 'build', 'migration', 'live')


def _holds(conn, consumer):
    r = conn.placement.get(f'/allocations/{consumer}', microversion=PLACEMENT_MV)
    return r.status_code == 200 and bool(r.json().get('allocations'))


def ensure(kind):
    """A recorded scenario of this kind that is still intact (every allocation present and,
    for kinds with a server, the server answering 200), or a new one. Adds 'existing'."""
    conn = connect()
    for it in load_state():
        if it.get('kind') != kind or it.get('partial'):
            continue
        if not all(_holds(conn, c) for c in it.get('allocations', [])):
            continue
        if kind != 'orphan' and server_status(conn, it['instance']).get('http') != 200:
            continue
        return dict(it, existing=True)
    return dict(scenario(kind), existing=False)


def drop(kind):
    """Remove the recorded scenarios of one kind: allocations, then nova rows."""
    items = load_state()
    mine = [i for i in items if i.get('kind') == kind]
    conn = connect()
    for it in mine:
        for c in it.get('allocations', []):
            delete_alloc(conn, c)
    insts = [it['instance'] for it in mine if it.get('instance')]
    migs = [it['migration'] for it in mine if it.get('migration')]
    out = nova_side('cleanup', instances=insts, migrations=migs) if insts or migs else {}
    save_state([i for i in load_state() if i.get('kind') != kind])
    return {'dropped': [it.get('consumer') or it.get('instance') for it in mine], **out}


def cleanup():
    items = load_state()
    conn = connect()
    for it in items:
        for c in it.get('allocations', []):
            delete_alloc(conn, c)
    insts = [it['instance'] for it in items if it.get('instance')]
    migs = [it['migration'] for it in items if it.get('migration')]
    out = nova_side('cleanup', instances=insts, migrations=migs)
    if os.path.exists(STATE):
        os.remove(STATE)
    print(json.dumps({'cleaned': len(items), **out}))


def audit():
    venv_bin = os.path.dirname(lab_python())
    p = subprocess.run([os.path.join(venv_bin, 'nova-manage'), '--config-file', NOVA_CONF,
                        'placement', 'audit', '--verbose'],
                       capture_output=True, text=True, env=dict(os.environ, PYTHONWARNINGS='ignore'))
    print(p.stdout, end='')
    print(f'rc={p.returncode}')
    return p.returncode


# ----------------------------------------------------------------------------- nova side
def _nova(op, kw):
    import datetime
    from nova import config, context, objects
    from nova.compute import power_state, task_states, vm_states
    from nova.network import model as network_model
    config.parse_args(['scenarios', '--config-file', NOVA_CONF])
    objects.register_all()
    ctxt = context.get_admin_context()
    cell = [c for c in objects.CellMappingList.get_all(ctxt) if c.name == 'cell1'][0]
    now = datetime.datetime.now(datetime.timezone.utc)

    def instance(cctxt, flv, **extra):
        u = kw['instance_uuid']
        inst = objects.Instance(
            cctxt, uuid=u, project_id=kw['project_id'], user_id=kw['user_id'],
            display_name=f'sd-scn-{op}-{u[:8]}', hostname=f'sd-scn-{op}-{u[:8]}',
            image_ref=IMAGE_REF, flavor=flv, old_flavor=None, new_flavor=None,
            instance_type_id=flv.id, memory_mb=flv.memory_mb, vcpus=flv.vcpus,
            root_gb=flv.root_gb, ephemeral_gb=flv.ephemeral_gb, availability_zone='nova',
            info_cache=objects.InstanceInfoCache(network_info=network_model.NetworkInfo([])),
            security_groups=objects.SecurityGroupList(objects=[]),
            metadata={}, system_metadata={}, config_drive='', locked=False,
            key_name=None, root_device_name='/dev/vda', reservation_id=f'r-sd{u[:6]}',
            launch_index=0, numa_topology=None,
            pci_requests=objects.InstancePCIRequests(requests=[]), **extra)
        return inst

    def request_spec(flv, inst):
        spec = objects.RequestSpec.from_components(
            ctxt, inst.uuid, objects.ImageMeta.from_dict({'id': IMAGE_REF, 'properties': {}}),
            flv, None, objects.InstancePCIRequests(requests=[]), {}, None, 'nova',
            project_id=inst.project_id, user_id=inst.user_id)
        spec.create()

    def placed(host, **extra):
        flv = objects.Flavor.get_by_flavor_id(ctxt, kw['flavorid'])
        with context.target_cell(ctxt, cell) as cctxt:
            cn = objects.ComputeNodeList.get_all_by_host(cctxt, host)[0]
            inst = instance(cctxt, flv, host=host, node=cn.hypervisor_hostname, launched_on=host,
                            compute_id=cn.id, vm_state=vm_states.ACTIVE,
                            power_state=power_state.RUNNING, launched_at=now, **extra)
            inst.create()
        objects.InstanceMapping(ctxt, instance_uuid=inst.uuid, cell_mapping=cell,
                                project_id=inst.project_id, user_id=inst.user_id,
                                queued_for_delete=False).create()
        request_spec(flv, inst)
        return inst, cn

    if op == 'build':
        flv = objects.Flavor.get_by_flavor_id(ctxt, kw['flavorid'])
        inst = instance(ctxt, flv, vm_state=vm_states.BUILDING,
                        task_state=task_states.SCHEDULING, power_state=power_state.NOSTATE,
                        host=None, node=None, launched_on=None)
        # nova-api fills every field before it stores the instance in the build request;
        # lazy-loading is impossible there (no cell), so give each unset field its value
        from nova.objects import instance as instance_obj
        inst.obj_set_defaults()
        inst.update(dict(keypairs=objects.KeyPairList(objects=[]), device_metadata=None,
                         vcpu_model=None, trusted_certs=None, migration_context=None,
                         resources=None, tags=objects.TagList(objects=[]),
                         pci_devices=objects.PciDeviceList(objects=[]),
                         services=objects.ServiceList(objects=[]), fault=None,
                         numa_topology=None, progress=0, launched_at=None,
                         terminated_at=None, created_at=now, updated_at=None))
        for name, field in inst.fields.items():
            if not inst.obj_attr_is_set(name) and field.nullable and \
                    name not in instance_obj.INSTANCE_OPTIONAL_ATTRS:
                setattr(inst, name, None)
        inst.obj_reset_changes()  # not in a cell yet, exactly like nova-api's object
        request_spec(flv, inst)
        objects.BuildRequest(ctxt, instance=inst, instance_uuid=inst.uuid,
                             project_id=inst.project_id,
                             block_device_mappings=objects.BlockDeviceMappingList(objects=[]),
                             tags=objects.TagList(objects=[])).create()
        objects.InstanceMapping(ctxt, instance_uuid=inst.uuid, cell_mapping=None,
                                project_id=inst.project_id, user_id=inst.user_id,
                                queued_for_delete=False).create()
        return {'instance': inst.uuid}
    if op == 'live':
        inst, _ = placed('compute-1', task_state=None)
        return {'instance': inst.uuid}
    if op == 'migration':
        inst, cn1 = placed('compute-1', task_state=task_states.MIGRATING)
        with context.target_cell(ctxt, cell) as cctxt:
            cn2 = objects.ComputeNodeList.get_all_by_host(cctxt, 'compute-2')[0]
            mig = objects.Migration(
                cctxt, uuid=kw['migration_uuid'], instance_uuid=inst.uuid,
                source_compute='compute-1', source_node=cn1.hypervisor_hostname,
                dest_compute='compute-2', dest_node=cn2.hypervisor_hostname,
                dest_compute_id=cn2.id,
                dest_host='127.0.0.1', status='running', migration_type='live-migration',
                old_instance_type_id=inst.instance_type_id,
                new_instance_type_id=inst.instance_type_id,
                cross_cell_move=False, user_id=inst.user_id, project_id=inst.project_id)
            mig.create()
        return {'instance': inst.uuid, 'migration': mig.uuid}
    if op == 'cleanup':
        from nova import exception
        from nova.db.main import api as main_db
        gone = []
        extra = []
        # safety net (off with sweep=False, for callers that must touch only their own rows):
        # anything a scenario made (display_name sd-scn-*) in cell1 or as a build request
        if kw.get('sweep', True):
            with context.target_cell(ctxt, cell) as cctxt:
                extra = [i.uuid for i in objects.InstanceList.get_by_filters(
                    cctxt, {'display_name': '^sd-scn-', 'deleted': False})]
            for br in objects.BuildRequestList.get_all(ctxt):
                if (br.instance.display_name or '').startswith('sd-scn-'):
                    extra.append(br.instance_uuid)
        for u in dict.fromkeys(kw['instances'] + extra):
            for cls in (objects.BuildRequest, objects.RequestSpec):
                try:
                    cls.get_by_instance_uuid(ctxt, u).destroy()
                except (exception.BuildRequestNotFound, exception.RequestSpecNotFound):
                    pass
            try:
                im = objects.InstanceMapping.get_by_instance_uuid(ctxt, u)
            except exception.InstanceMappingNotFound:
                continue
            if im.cell_mapping is not None:
                with context.target_cell(ctxt, im.cell_mapping) as cctxt:
                    try:
                        objects.Instance.get_by_uuid(cctxt, u).destroy()
                    except exception.InstanceNotFound:
                        pass
                    # hard-delete the soft-deleted rows, as archive + purge would
                    engine = main_db.get_engine(context=cctxt)
                    with engine.begin() as conn:
                        from sqlalchemy import text
                        for m in kw.get('migrations', []):
                            conn.execute(text('DELETE FROM migrations WHERE uuid = :u'), {'u': m})
                        for t in ('instance_info_caches', 'instance_extra', 'instance_system_metadata',
                                  'instance_metadata', 'instance_actions', 'migrations'):
                            conn.execute(text(f'DELETE FROM {t} WHERE instance_uuid = :u'), {'u': u})
                        conn.execute(text('DELETE FROM instances WHERE uuid = :u'), {'u': u})
            im.destroy()
            gone.append(u)
        return {'destroyed': gone}
    raise SystemExit(f'unknown op {op}')


def main(argv):
    if len(argv) >= 2 and argv[1] == '_nova':
        print(json.dumps(_nova(argv[2], json.loads(argv[3]))))
        return 0
    cmd = argv[1] if len(argv) > 1 else ''
    if cmd in ('orphan', 'build', 'migration', 'live'):
        print(json.dumps(scenario(cmd)))
    elif cmd == 'ensure' and len(argv) > 2 and argv[2] in KINDS:
        print(json.dumps(ensure(argv[2])))
    elif cmd == 'drop' and len(argv) > 2 and argv[2] in KINDS:
        print(json.dumps(drop(argv[2])))
    elif cmd == 'cleanup':
        cleanup()
    elif cmd == 'audit':
        return audit()
    elif cmd == 'show':
        print(json.dumps(load_state(), indent=1))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
