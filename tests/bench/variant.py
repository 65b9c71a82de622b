"""A PROTOTYPE of a faster nova read for module_utils/placement.py, measured by the bench only.

It is not used by the module. It measures proposal 2 of tests/bench/README.md:

- `GET /os-hypervisors/detail?with_servers=true` (2.53) replaces the `/servers/detail` listing.
  Nova answers it from `InstanceList.get_by_host` for each node's host, so it returns
  node -> server uuids in one paged call.
- A consumer counts as "on its root" only with positive evidence: it is listed under a host that
  has exactly one node, and that node is the root. Every other consumer goes through the
  module's usual `GET /servers/{id}` confirmation and `_classify_server`. So a server from a
  down cell (not listed, then a partial record or 5xx), a server in BUILD, one that is migrating
  or one that moved is classified from its own record, exactly as before.
- The nova reads run in a thread beside the placement allocation reads (proposal 1).
"""
from concurrent.futures import ThreadPoolExecutor


def make_auditor(pl):
    class HypervisorServersAuditor(pl.Auditor):
        def read_nova(self):
            per_host_nodes = {}
            listed = {}
            for hv in pl._paged(self.api, '/os-hypervisors/detail?with_servers=true', 'hypervisors',
                                pl.COMPUTE_HYPERVISORS_MV, 'compute GET /os-hypervisors/detail?with_servers'):
                host = (hv.get('service') or {}).get('host')
                node = hv.get('hypervisor_hostname')
                self.hypervisors[str(hv.get('id'))] = {'host': host, 'node': node}
                per_host_nodes.setdefault(host, set()).add(node)
                for s in hv.get('servers') or []:
                    listed[s['uuid']] = (host, node)
            for uuid, (host, node) in listed.items():
                if len(per_host_nodes.get(host) or ()) == 1:
                    self.servers[uuid] = {'id': uuid, 'host': host, 'node': node, 'status': None,
                                          'task_state': None, 'project_id': None, '_listed_only': True}
            for m in pl._paged(self.api, '/os-migrations', 'migrations', pl.COMPUTE_MIGRATIONS_MV,
                               'compute GET /os-migrations', marker_key='uuid'):
                if (m.get('status') or '').lower() not in pl.FINAL_MIGRATION_STATES:
                    self.migrations.append({
                        'uuid': m.get('uuid'), 'instance_uuid': m.get('instance_uuid'),
                        'status': m.get('status'), 'type': m.get('migration_type'),
                        'source_compute': m.get('source_compute'), 'dest_compute': m.get('dest_compute'),
                        'source_node': m.get('source_node'), 'dest_node': m.get('dest_node')})

        def read_both(self):
            """Allocation reads (placement) and nova reads side by side."""
            with ThreadPoolExecutor(1) as pool:
                fut = pool.submit(self.read_nova)
                try:
                    self.read_allocations()
                finally:
                    fut.result()

        def _classify_server(self, server, ident):
            if server.get('_listed_only') and not self._server_on_root(server, ident):
                # listed elsewhere: classify from its full record, as the module does today
                real = self._confirm(server['id'])
                if real is None:
                    return 'gone'  # listed a moment ago, 404 now: leave it alone
                return pl.Auditor._classify_server(self, real, ident)
            return pl.Auditor._classify_server(self, server, ident)

        def _confirm(self, consumer):
            cache = self.__dict__.setdefault('_confirmed', {})
            if consumer not in cache:
                cache[consumer] = self.get_server(consumer)
            return cache[consumer]

    return HypervisorServersAuditor
