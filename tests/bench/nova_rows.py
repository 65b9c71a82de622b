"""Nova rows for the placement audit benchmark; runs with the LAB venv python (nova importable).

    python nova_rows.py NOVA_CONF SPEC.json

SPEC: {"nodes": [{"uuid", "name", "host"}], "instances": [{"uuid", "node"}],
       "project_id", "user_id", "flavorid", "template_host"}

What it writes, and how:
- one nova-compute ``services`` row per bench host and one ``compute_nodes`` row per bench node
  (uuid = the resource provider's uuid, hypervisor_hostname = the provider's name): SQL copies of
  the row nova-compute wrote for ``template_host`` (compute-1), so every column is one nova
  itself filled; plus the ``host_mappings`` row discover_hosts would write (API DB).
- the first instance through nova's object layer (``objects.Instance.create()`` with flavor,
  info cache, security groups... as scenarios.py ``live``), then every other instance as an SQL
  copy of that instance's rows (``instances``, ``instance_extra``, ``instance_info_caches``,
  ``instance_system_metadata``) with its own uuid, host, node, compute_id, names; plus
  ``instance_mappings`` rows (API DB) pointing at cell1. One transaction per table batch:
  10,000 ``Instance.create()`` calls on sqlite would take minutes.
Prints one JSON line with counts and timings.
"""
import datetime
import json
import sys
import time


def main(conf, spec_path):
    t0 = time.time()
    with open(spec_path) as f:
        spec = json.load(f)
    from nova import config, context, objects
    from nova.compute import power_state, vm_states
    from nova.db.api import api as api_db
    from nova.db.main import api as main_db
    from nova.network import model as network_model
    from sqlalchemy import text
    config.parse_args(['bench', '--config-file', conf])
    objects.register_all()
    ctxt = context.get_admin_context()
    cell = [c for c in objects.CellMappingList.get_all(ctxt) if c.name == 'cell1'][0]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    out = {}

    def rows(conn, sql, **kw):
        res = conn.execute(text(sql), kw)
        return [dict(r._mapping) for r in res]

    def insert(conn, table, dicts):
        if not dicts:
            return
        cols = list(dicts[0])
        conn.execute(text('INSERT INTO %s (%s) VALUES (%s)' % (
            table, ', '.join('`%s`' % c for c in cols), ', '.join(':' + c for c in cols))), dicts)

    # ---------------------------------------------------------------- services, compute nodes
    with context.target_cell(ctxt, cell) as cctxt:
        engine = main_db.get_engine(context=cctxt)
        with engine.begin() as conn:
            svc_t = rows(conn, 'SELECT * FROM services WHERE host = :h AND `binary` = :b AND deleted = 0',
                         h=spec['template_host'], b='nova-compute')[0]
            cn_t = rows(conn, 'SELECT * FROM compute_nodes WHERE host = :h AND deleted = 0',
                        h=spec['template_host'])[0]
            hosts = sorted(set(n['host'] for n in spec['nodes']))
            import uuid as uuidlib
            svcs = []
            for h in hosts:
                d = dict(svc_t, host=h, uuid=str(uuidlib.uuid4()), report_count=0, created_at=now,
                         updated_at=None, last_seen_up=None, disabled=0, forced_down=0)
                d.pop('id')
                svcs.append(d)
            insert(conn, 'services', svcs)
            sid = dict((r['host'], r['id']) for r in rows(
                conn, 'SELECT id, host FROM services WHERE `binary` = \'nova-compute\' AND deleted = 0'))
            cns = []
            for n in spec['nodes']:
                d = dict(cn_t, uuid=n['uuid'], host=n['host'], hypervisor_hostname=n['name'],
                         service_id=sid[n['host']], created_at=now, updated_at=now, mapped=1,
                         vcpus=64, memory_mb=262144, local_gb=4000, vcpus_used=0, memory_mb_used=512,
                         local_gb_used=0, free_ram_mb=261632, free_disk_gb=4000, running_vms=0)
                d.pop('id')
                cns.append(d)
            insert(conn, 'compute_nodes', cns)
            cn_id = dict((r['uuid'], r['id']) for r in rows(conn, 'SELECT id, uuid FROM compute_nodes'))
    with api_db.context_manager.writer.using(ctxt) as session:
        conn = session.connection()
        insert(conn, 'host_mappings', [{'created_at': now, 'cell_id': cell.id, 'host': h} for h in hosts])
    out['services'] = len(hosts)
    out['compute_nodes'] = len(spec['nodes'])
    out['t_nodes'] = round(time.time() - t0, 2)

    # ---------------------------------------------------------------- instances
    nodes = dict((n['name'], n) for n in spec['nodes'])
    insts = spec['instances']
    flv = objects.Flavor.get_by_flavor_id(ctxt, spec['flavorid'])
    first = insts[0]
    n0 = nodes[first['node']]
    with context.target_cell(ctxt, cell) as cctxt:
        inst = objects.Instance(
            cctxt, uuid=first['uuid'], project_id=spec['project_id'], user_id=spec['user_id'],
            display_name='sd-bench-%s' % first['uuid'][:8], hostname='sd-bench-%s' % first['uuid'][:8],
            image_ref=spec['image_ref'], flavor=flv, old_flavor=None, new_flavor=None,
            instance_type_id=flv.id, memory_mb=flv.memory_mb, vcpus=flv.vcpus,
            root_gb=flv.root_gb, ephemeral_gb=flv.ephemeral_gb, availability_zone='nova',
            info_cache=objects.InstanceInfoCache(network_info=network_model.NetworkInfo([])),
            security_groups=objects.SecurityGroupList(objects=[]),
            metadata={}, system_metadata={}, config_drive='', locked=False,
            key_name=None, root_device_name='/dev/vda', reservation_id='r-sdbench',
            launch_index=0, numa_topology=None,
            pci_requests=objects.InstancePCIRequests(requests=[]),
            host=n0['host'], node=n0['name'], launched_on=n0['host'],
            compute_id=cn_id[n0['uuid']], vm_state=vm_states.ACTIVE,
            power_state=power_state.RUNNING, launched_at=now, task_state=None)
        inst.create()
    objects.InstanceMapping(ctxt, instance_uuid=inst.uuid, cell_mapping=cell,
                            project_id=inst.project_id, user_id=inst.user_id,
                            queued_for_delete=False).create()
    t1 = time.time()
    children = ('instance_extra', 'instance_info_caches', 'instance_system_metadata')
    with context.target_cell(ctxt, cell) as cctxt:
        engine = main_db.get_engine(context=cctxt)
        with engine.begin() as conn:
            tmpl = rows(conn, 'SELECT * FROM instances WHERE uuid = :u', u=first['uuid'])[0]
            tmpl_children = dict((t, rows(conn, 'SELECT * FROM %s WHERE instance_uuid = :u' % t,
                                          u=first['uuid'])) for t in children)
            batch = {'instances': []}
            batch.update((t, []) for t in children)
            for i in insts[1:]:
                n = nodes[i['node']]
                d = dict(tmpl, uuid=i['uuid'], host=n['host'], node=n['name'], launched_on=n['host'],
                         compute_id=cn_id[n['uuid']], display_name='sd-bench-%s' % i['uuid'][:8],
                         hostname='sd-bench-%s' % i['uuid'][:8])
                d.pop('id')
                batch['instances'].append(d)
                for t in children:
                    for r in tmpl_children[t]:
                        c = dict(r, instance_uuid=i['uuid'])
                        c.pop('id')
                        batch[t].append(c)
            for t in ('instances',) + children:
                insert(conn, t, batch[t])
    with api_db.context_manager.writer.using(ctxt) as session:
        conn = session.connection()
        insert(conn, 'instance_mappings', [
            {'created_at': now, 'instance_uuid': i['uuid'], 'cell_id': cell.id,
             'project_id': spec['project_id'], 'user_id': spec['user_id'], 'queued_for_delete': 0}
            for i in insts[1:]])
    out['instances'] = len(insts)
    out['t_instances'] = round(time.time() - t1, 2)
    out['t_total'] = round(time.time() - t0, 2)
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
