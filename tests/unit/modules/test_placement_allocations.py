"""placement_allocations: the pure logic (module_utils/placement.py) against a fake cloud, and
replays of REAL exchanges recorded from the lab (tests/unit/fixtures/placement/lab_*.json,
made by tests/unit/fixtures/placement/record.py)."""
import copy
import json
import pathlib
import re
import socket
import threading
import time
import warnings

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import placement as pl
from ansible_collections.stackdoctor.openstack.plugins.module_utils import report as report_utils

FIX = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'placement'

CN1, CN2 = '06bb20cf-a042-4d90-8f10-d349b9702d06', 'f0a68991-88b9-4442-a60c-0fcc75652028'
CN1_CHILD = '1c1c1c1c-0000-4000-8000-000000000001'
BM = 'b0b0b0b0-0000-4000-8000-000000000001'
ORPHAN = '44c356ef-edd0-43a3-bd46-17aed65ea1a6'      # the seed's uuid
LIVE = '11111111-0000-4000-8000-000000000001'
BUILD = '22222222-0000-4000-8000-000000000002'
MIG_INST = '33333333-0000-4000-8000-000000000003'
MIG = '33333333-0000-4000-8000-00000000000m'.replace('m', 'f')
MOVED = '44444444-0000-4000-8000-000000000004'
CUSTOM = '55555555-0000-4000-8000-000000000005'
RES = {'DISK_GB': 10, 'MEMORY_MB': 1024, 'VCPU': 1}
SEED_LINE = ('hostA Instance %s has allocations against this compute host but is not found in the '
             'database.' % ORPHAN)


def server(sid, host, status='ACTIVE', task_state=None):
    return {'id': sid, 'status': status, 'tenant_id': 'p1', 'flavor': {'vcpus': 1},
            'OS-EXT-SRV-ATTR:host': host, 'OS-EXT-SRV-ATTR:hypervisor_hostname': host,
            'OS-EXT-STS:task_state': task_state}


class FakeCloud(object):
    """Placement + nova, in memory, answering like the real APIs (shapes taken from the lab)."""

    def __init__(self):
        self.rps = {CN1: ('compute-1', CN1, None), CN2: ('compute-2', CN2, None),
                    CN1_CHILD: ('compute-1_vgpu', CN1, CN1), BM: ('bm-node-1', BM, None)}
        self.allocs = {}   # consumer -> {'allocations': {rp: res}, 'gen': n}
        self.hypervisors = [{'id': CN1, 'hypervisor_hostname': 'compute-1', 'service': {'host': 'compute-1'}},
                            {'id': CN2, 'hypervisor_hostname': 'compute-2', 'service': {'host': 'compute-2'}}]
        self.servers = {}
        self.hidden = {}   # servers answering GET /servers/{id} but not in the list (build requests)
        self.migrations = []
        self.fail = {}     # (service, method, path-regex) -> status
        self.conflicts = {}  # consumer -> number of 409s still to return
        self.traits = {}     # rp -> traits
        self.log = []

    def alloc(self, consumer, by_rp, gen=1):
        self.allocs[consumer] = {'allocations': copy.deepcopy(by_rp), 'gen': gen}

    def __call__(self, service, method, path, mv, body):
        self.log.append((service, method, path, mv, body))
        for (svc, meth, rx), status in self.fail.items():
            if svc == service and meth == method and re.search(rx, path):
                if status == 0:
                    raise ConnectionError('Connection refused')
                return status, {'error': 'boom'}
        if service == 'placement':
            assert mv == '1.28'
            return self.placement(method, path, body)
        return self.compute(method, path, mv)

    def placement(self, method, path, body):
        if path.split('?')[0] == '/resource_providers':
            q = dict(kv.split('=', 1) for kv in path.split('?', 1)[1].split('&')) if '?' in path else {}
            from urllib.parse import unquote
            q = dict((k, unquote(v)) for k, v in q.items())
            assert set(q) <= {'name', 'uuid', 'in_tree'}, q
            return 200, {'resource_providers': [
                {'uuid': u, 'name': n, 'root_provider_uuid': r, 'parent_provider_uuid': p, 'generation': 1}
                for u, (n, r, p) in self.rps.items()
                if q.get('name', n) == n and q.get('uuid', u) == u and q.get('in_tree', r) == r]}
        m = re.match(r'^/resource_providers/([^/]+)/traits$', path)
        if m:
            return 200, {'resource_provider_generation': 1, 'traits': list(self.traits.get(m.group(1), []))}
        m = re.match(r'^/resource_providers/([^/]+)/allocations$', path)
        if m:
            rp = m.group(1)
            return 200, {'resource_provider_generation': 3, 'allocations': dict(
                (c, {'resources': a['allocations'][rp], 'consumer_generation': a['gen']})
                for c, a in self.allocs.items() if rp in a['allocations'])}
        m = re.match(r'^/allocations/([^/]+)$', path)
        consumer = m.group(1)
        cur = self.allocs.get(consumer)
        if method == 'GET':
            if not cur:
                return 200, {'allocations': {}}
            return 200, {'allocations': dict((rp, {'resources': r, 'generation': 5})
                                             for rp, r in cur['allocations'].items()),
                         'consumer_generation': cur['gen'], 'project_id': 'p1', 'user_id': 'u1'}
        assert method == 'PUT'
        assert set(body) == {'allocations', 'consumer_generation', 'project_id', 'user_id'}
        if self.conflicts.get(consumer):
            self.conflicts[consumer] -= 1
            cur['gen'] += 1
            return 409, {'errors': [{'code': 'placement.concurrent_update'}]}
        if body['consumer_generation'] != cur['gen']:
            return 409, {'errors': [{'code': 'placement.concurrent_update'}]}
        if body['allocations']:
            cur['allocations'] = dict((rp, a['resources']) for rp, a in body['allocations'].items())
            cur['gen'] += 1
        else:
            del self.allocs[consumer]
        return 204, None

    def compute(self, method, path, mv):
        assert method == 'GET'
        if path.startswith('/os-hypervisors/detail?hypervisor_hostname_pattern='):
            assert mv == '2.53'
            pat = path.split('=', 1)[1]
            hv = [dict(h) for h in self.hypervisors if pat in h['hypervisor_hostname']]
            if not hv:
                return 404, {'itemNotFound': {'code': 404, 'message': 'No hypervisor matching %s could be found.' % pat}}
            return 200, {'hypervisors': hv}
        if path.startswith('/os-hypervisors/detail'):
            assert mv == '2.53'
            if 'with_servers=true' not in path:
                return 200, {'hypervisors': self.hypervisors}
            out = []
            for hv in self.hypervisors:   # nova fills servers per HOST (InstanceList.get_by_host)
                hv = dict(hv)
                host = (hv.get('service') or {}).get('host')
                srv = [{'name': 'instance-x', 'uuid': sid} for sid, s in sorted(self.servers.items())
                       if host is not None and s.get('OS-EXT-SRV-ATTR:host') == host]
                if srv:
                    hv['servers'] = srv
                out.append(hv)
            return 200, {'hypervisors': out}
        m = re.match(r'^/os-hypervisors/([0-9a-f-]{36})(\?with_servers=true)?$', path)
        if m:
            assert mv == '2.53'
            hv = [h for h in self.hypervisors if h['id'] == m.group(1)]
            if not hv:
                return 404, {'itemNotFound': {'code': 404, 'message': 'Hypervisor %s could not be found.' % m.group(1)}}
            hv = dict(hv[0])
            host = (hv.get('service') or {}).get('host')
            if m.group(2):   # per HOST, as nova's show does (InstanceList.get_by_host)
                srv = [{'name': 'instance-x', 'uuid': sid} for sid, s in sorted(self.servers.items())
                       if host is not None and s.get('OS-EXT-SRV-ATTR:host') == host]
                if srv:
                    hv['servers'] = srv
            return 200, {'hypervisor': hv}
        if path.startswith('/servers?'):      # index view: id, name, links (partial: status UNKNOWN)
            assert mv == '2.69' and 'all_tenants=1' in path
            m = re.search(r'[?&]host=([^&]+)', path)
            n = re.search(r'[?&]node=([^&]+)', path)
            return 200, {'servers': [
                dict({'id': s['id'], 'name': 'x', 'links': []}, **({'status': 'UNKNOWN'} if s.get('status') == 'UNKNOWN' else {}))
                for s in self.servers.values()
                if (m is None or s.get('OS-EXT-SRV-ATTR:host') == m.group(1))
                and (n is None or s.get('OS-EXT-SRV-ATTR:hypervisor_hostname') == n.group(1))]}
        if path.startswith('/servers/detail'):
            assert mv == '2.69' and 'all_tenants=1' in path
            m = re.search(r'[?&]host=([^&]+)', path)
            n = re.search(r'[?&]node=([^&]+)', path)
            return 200, {'servers': [s for s in self.servers.values()
                                     if (m is None or s.get('OS-EXT-SRV-ATTR:host') == m.group(1))
                                     and (n is None or s.get('OS-EXT-SRV-ATTR:hypervisor_hostname') == n.group(1))]}
        if path.startswith('/os-migrations'):
            assert mv == '2.59'
            m = re.search(r'[?&]host=([^&]+)', path)
            return 200, {'migrations': [x for x in self.migrations if m is None or m.group(1) in (
                x.get('source_compute'), x.get('dest_compute'))]}
        m = re.match(r'^/servers/([^/?]+)$', path)
        sid = m.group(1)
        s = self.servers.get(sid) or self.hidden.get(sid)
        if s is None:
            return 404, {'itemNotFound': {'code': 404, 'message': 'Instance %s could not be found.' % sid}}
        return 200, {'server': s}


def params(**kw):
    p = {'resource_providers': None, 'consumers': None, 'max_deletes': 10,
         'include_custom_resource_classes': False, 'concurrency': 4, 'nova_compute_log_lines': [],
         'server_listing': 'hypervisors'}
    p.update(kw)
    return p


@pytest.fixture
def cloud():
    c = FakeCloud()
    c.alloc(ORPHAN, {CN1: RES})
    c.alloc(LIVE, {CN1: RES})
    c.servers[LIVE] = server(LIVE, 'compute-1')
    c.alloc(BUILD, {CN2: RES})
    c.hidden[BUILD] = {'id': BUILD, 'status': 'BUILD', 'tenant_id': 'p1', 'flavor': {},
                       'OS-EXT-SRV-ATTR:host': None, 'OS-EXT-SRV-ATTR:hypervisor_hostname': None,
                       'OS-EXT-STS:task_state': 'scheduling'}
    c.alloc(MIG, {CN1: RES})
    c.alloc(MIG_INST, {CN2: RES})
    c.servers[MIG_INST] = server(MIG_INST, 'compute-1', status='MIGRATING', task_state='migrating')
    c.migrations.append({'uuid': MIG, 'instance_uuid': MIG_INST, 'status': 'running',
                         'migration_type': 'live-migration', 'source_compute': 'compute-1',
                         'dest_compute': 'compute-2', 'source_node': 'compute-1', 'dest_node': 'compute-2'})
    c.migrations.append({'uuid': 'old', 'instance_uuid': LIVE, 'status': 'completed'})
    c.alloc(MOVED, {CN1: RES, CN1_CHILD: {'VGPU': 1}, CN2: RES})
    c.servers[MOVED] = server(MOVED, 'compute-2')
    c.alloc(CUSTOM, {BM: {'CUSTOM_BAREMETAL_SMALL': 1}})
    return c


def run_audit(cloud, **kw):
    api = pl.Api(cloud, budget=kw.pop('budget', None))
    return api, pl.audit(api, params(**kw))


# ----------------------------------------------------------------------------- audit
LISTINGS = pytest.mark.parametrize('listing', ['hypervisors', 'hypervisors_per_root', 'servers'])


@LISTINGS
def test_audit_classifies_every_consumer(cloud, listing):
    api, found = run_audit(cloud, nova_compute_log_lines=[SEED_LINE, 'unrelated'], server_listing=listing)
    assert found['server_listing'] == listing
    orphans = {(e['consumer'], e['root_provider']['name']) for e in found['orphans']}
    assert orphans == {(ORPHAN, 'compute-1'), (CUSTOM, 'bm-node-1')}
    o = [e for e in found['orphans'] if e['consumer'] == ORPHAN][0]
    assert o['resource_providers'] == {CN1: {'name': 'compute-1', 'resources': RES}}
    assert o['log_lines'] == [{'kind': 'not_found', 'line': SEED_LINE}]
    assert o['root_provider']['host'] == 'compute-1' and o['custom_rc_only'] is False
    c = [e for e in found['orphans'] if e['consumer'] == CUSTOM][0]
    assert c['custom_rc_only'] is True and c['root_provider']['compute_node'] is False
    moved = found['moved']
    assert [(e['consumer'], e['root_provider']['name']) for e in moved] == [(MOVED, 'compute-1')]
    assert set(moved[0]['resource_providers']) == {CN1, CN1_CHILD}   # child provider included
    skipped = {e['consumer']: e['reason'] for e in found['skipped']}
    assert skipped == {BUILD: 'build_request', MIG: 'migration', MIG_INST: 'migration'}
    assert found['ok'] == 2   # LIVE on compute-1, MOVED on compute-2
    assert found['log_consumers_not_flagged'] == []


def test_api_call_count_matches_the_formula(cloud):
    api, found = run_audit(cloud, server_listing='servers')
    # 1 provider list + R=4 provider reads + 1 hypervisor page + 1 server page + 1 migration page
    # + U suspects (ORPHAN, BUILD, CUSTOM) GET /servers/{id}
    assert api.calls == 1 + 4 + 3 + 3
    assert api.by_kind['compute GET /servers/{id}'] == 3
    assert api.by_kind['placement GET /resource_providers/{uuid}/allocations'] == 4
    assert 'compute GET /os-hypervisors/detail?with_servers=true' not in api.by_kind


def test_api_call_count_hypervisor_listing(cloud):
    api, found = run_audit(cloud)
    # 1 provider list + R=4 provider reads + 1 hypervisor page (with_servers) + 1 migration page
    # + every consumer without positive evidence: ORPHAN, BUILD, MOVED (on compute-1), CUSTOM
    assert api.calls == 1 + 4 + 1 + 1 + 4
    assert api.by_kind['compute GET /os-hypervisors/detail?with_servers=true'] == 1
    assert api.by_kind['compute GET /servers/{id}'] == 4
    assert not any(k.startswith('compute GET /servers/detail') for k in api.by_kind)
    assert found['servers_listed'] == 3 and found['multi_node_hosts'] == []
    # the moved verdict comes from the server's own record, never from the listing
    assert found['moved'][0].get('confirmed_by') == 'GET /servers/{id}'


def test_resource_provider_and_consumer_filters(cloud):
    api, found = run_audit(cloud, resource_providers=['compute-2'])
    assert [p['name'] for p in found['providers_checked']] == ['compute-2']
    assert found['orphans'] == [] and found['moved'] == []
    assert api.by_kind['placement GET /resource_providers/{uuid}/allocations'] == 1
    # a child provider selects its root tree; unknown names are reported
    api, found = run_audit(cloud, resource_providers=['compute-1_vgpu', 'nope'])
    assert [p['name'] for p in found['providers_checked']] == ['compute-1']
    assert found['unknown_resource_providers'] == ['nope']
    api, found = run_audit(cloud, consumers=[ORPHAN])
    assert [e['consumer'] for e in found['orphans']] == [ORPHAN] and found['skipped'] == []
    assert api.by_kind['compute GET /servers/{id}'] == 1


def test_server_created_between_list_and_check_is_not_an_orphan(cloud):
    cloud.hidden[ORPHAN] = server(ORPHAN, 'compute-1')
    api, found = run_audit(cloud)
    assert ORPHAN not in [e['consumer'] for e in found['orphans']]


def test_share_of_a_sharing_provider_is_never_a_leftover(cloud):
    # LIVE runs on compute-1 and holds DISK_GB on a shared storage provider (its own root, no
    # compute node): with MISC_SHARES_VIA_AGGREGATE that is in use, not a moved leftover
    nfs = 'dddd0000-0000-4000-8000-00000000000d'
    cloud.rps[nfs] = ('shared-nfs', nfs, None)
    cloud.alloc(LIVE, {CN1: {'VCPU': 1, 'MEMORY_MB': 1024}, nfs: {'DISK_GB': 10}})
    api, found = run_audit(cloud, consumers=[LIVE])
    assert [(e['consumer'], e['root_provider']['name']) for e in found['moved']] == [(LIVE, 'shared-nfs')]
    cloud.traits[nfs] = ['MISC_SHARES_VIA_AGGREGATE']
    api, found = run_audit(cloud, consumers=[LIVE])
    assert found['moved'] == [] and found['orphans'] == []
    assert [(e['consumer'], e['reason']) for e in found['skipped']] == [(LIVE, 'sharing_provider')]
    removed, skipped = pl.remove(api, found, params(), False)
    assert removed == [] and nfs in cloud.allocs[LIVE]['allocations']


def test_server_without_host_and_task_state(cloud):
    cloud.servers[MOVED] = server(MOVED, None, status='SHELVED_OFFLOADED')
    cloud.servers[MOVED]['OS-EXT-SRV-ATTR:hypervisor_hostname'] = None
    api, found = run_audit(cloud)
    assert {e['reason'] for e in found['skipped'] if e['consumer'] == MOVED} == {'no_host'}
    cloud.servers[MOVED] = server(MOVED, 'compute-2', status='ACTIVE', task_state='rebuilding')
    api, found = run_audit(cloud)
    assert {e['reason'] for e in found['skipped'] if e['consumer'] == MOVED} == {'in_progress'}


@pytest.mark.parametrize('where,status,reason,listing', [
    (('compute', 'GET', r'^/servers/detail'), 500, 'nova_unavailable', 'servers'),
    (('compute', 'GET', r'^/servers/44c3'), 503, 'nova_unavailable', 'servers'),
    (('compute', 'GET', r'^/servers/44c3'), 503, 'nova_unavailable', 'hypervisors'),
    (('compute', 'GET', r'^/servers/44c3'), 0, 'nova_unavailable', 'hypervisors'),
    (('compute', 'GET', r'^/servers/4444'), 500, 'nova_unavailable', 'hypervisors'),  # MOVED's GET
    (('compute', 'GET', r'^/os-migrations'), 500, 'nova_unavailable', 'hypervisors'),
    (('compute', 'GET', r'^/os-hypervisors'), 0, 'nova_unavailable', 'servers'),
    (('compute', 'GET', r'^/os-hypervisors'), 500, 'nova_unavailable', 'hypervisors'),
    (('compute', 'GET', r'^/os-hypervisors'), 0, 'nova_unavailable', 'hypervisors'),
    (('placement', 'GET', r'/allocations$'), 500, 'placement_unavailable', 'hypervisors'),
    (('placement', 'GET', r'/allocations$'), 500, 'placement_unavailable', 'servers'),
    (('placement', 'GET', r'^/resource_providers$'), 0, 'placement_unavailable', 'hypervisors'),
])
def test_api_failure_aborts(cloud, where, status, reason, listing):
    cloud.fail[where] = status
    with pytest.raises(pl.Abort) as e:
        run_audit(cloud, server_listing=listing)
    assert e.value.reason == reason
    assert 'nothing was deleted' in e.value.message


def test_nova_and_placement_fail_together_still_aborts(cloud):
    cloud.fail[('compute', 'GET', r'^/os-hypervisors')] = 500
    cloud.fail[('placement', 'GET', r'/allocations$')] = 500
    with pytest.raises(pl.Abort) as e:
        run_audit(cloud)
    assert e.value.reason in ('nova_unavailable', 'placement_unavailable')


def test_cell_down_partial_record_aborts(cloud):
    cloud.servers['cafe0000-0000-4000-8000-000000000000'] = {
        'id': 'cafe0000-0000-4000-8000-000000000000', 'status': 'UNKNOWN', 'tenant_id': 'p1',
        'links': [], 'created': '2026-01-01T00:00:00Z'}
    with pytest.raises(pl.Abort) as e:
        run_audit(cloud, server_listing='servers')
    assert e.value.reason == 'cell_down'
    del cloud.servers['cafe0000-0000-4000-8000-000000000000']
    for listing in ('servers', 'hypervisors'):
        cloud.hidden[ORPHAN] = {'id': ORPHAN, 'status': 'UNKNOWN', 'tenant_id': 'p1'}
        with pytest.raises(pl.Abort) as e:
            run_audit(cloud, server_listing=listing)
        assert e.value.reason == 'cell_down'


def test_down_cell_live_servers_are_never_orphans(cloud):
    # a whole cell down: its compute node is missing from /os-hypervisors (or listed without
    # servers), and its servers answer GET /servers/{id} with a partial record -> abort
    cloud.hypervisors = [hv for hv in cloud.hypervisors if hv['id'] != CN1]
    cloud.hidden[LIVE] = {'id': LIVE, 'status': 'UNKNOWN', 'tenant_id': 'p1'}
    del cloud.servers[LIVE]
    with pytest.raises(pl.Abort) as e:
        run_audit(cloud)
    assert e.value.reason == 'cell_down'


def test_listing_is_only_positive_evidence(cloud, monkeypatch):
    monkeypatch.setattr(pl, 'CONSUMERS_MODE_MAX', 0)   # the whole-cloud path, filtered to LIVE
    # listed under compute-2 by the hypervisor listing, but its own record says compute-1:
    # the record decides (fine on compute-1), the listing never makes it moved
    api, found = run_audit(cloud, consumers=[LIVE])
    assert found['ok'] == 1 and 'compute GET /servers/{id}' not in api.by_kind
    cloud.alloc(LIVE, {CN2: RES})
    cloud.hidden[LIVE] = server(LIVE, 'compute-1')
    del cloud.servers[LIVE]
    api, found = run_audit(cloud, consumers=[LIVE])
    assert [e['consumer'] for e in found['moved']] == [LIVE]      # from GET /servers/{id}
    assert api.by_kind['compute GET /servers/{id}'] == 1
    # a hypervisor that is no provider of ours, and a node without service host: no evidence
    cloud.alloc(LIVE, {CN1: RES})
    cloud.hidden[LIVE] = server(LIVE, 'compute-1')
    cloud.hypervisors[0] = dict(cloud.hypervisors[0], service={'host': None})
    api, found = run_audit(cloud, consumers=[LIVE])
    assert found['ok'] == 1 and api.by_kind['compute GET /servers/{id}'] == 1


def _ironic(cloud):
    n1, n2 = 'aaaa0000-0000-4000-8000-00000000000a', 'bbbb0000-0000-4000-8000-00000000000b'
    i1, i2 = 'aaaa1111-0000-4000-8000-00000000000a', 'bbbb1111-0000-4000-8000-00000000000b'
    cloud.rps[n1] = ('ironic-node-1', n1, None)
    cloud.rps[n2] = ('ironic-node-2', n2, None)
    cloud.hypervisors += [{'id': n1, 'hypervisor_hostname': 'ironic-node-1', 'service': {'host': 'ironic-c'}},
                          {'id': n2, 'hypervisor_hostname': 'ironic-node-2', 'service': {'host': 'ironic-c'}}]
    bm = {'CUSTOM_BAREMETAL_SMALL': 1}
    for sid, node in ((i1, 'ironic-node-1'), (i2, 'ironic-node-2')):
        s = server(sid, 'ironic-c')
        s['OS-EXT-SRV-ATTR:hypervisor_hostname'] = node
        cloud.servers[sid] = s
    cloud.alloc(i1, {n1: bm})
    cloud.alloc(i2, {n1: bm, n2: bm})   # i2 lives on node 2; its node-1 part is leftover
    return i1, i2


@pytest.mark.parametrize('listing', ['hypervisors', 'hypervisors_per_root'])
def test_multi_node_host_is_listed_per_host(cloud, listing):
    # two ironic nodes behind one nova-compute host: with_servers lists every server of the HOST
    # under each node, so it is no evidence; the host's servers are listed with their node
    i1, i2 = _ironic(cloud)
    api, found = run_audit(cloud, server_listing=listing)     # the whole cloud
    assert found['multi_node_hosts'] == ['ironic-c']
    assert api.by_kind['compute GET /servers/detail?host'] == 1
    assert any('/servers/detail?all_tenants=1&host=ironic-c' in e[2] for e in cloud.log)
    assert [(e['consumer'], e['root_provider']['name']) for e in found['moved']] == [
        (MOVED, 'compute-1'), (i2, 'ironic-node-1')]
    assert i1 not in [e['consumer'] for e in found['orphans'] + found['skipped']]
    # a partial record in the per-host listing aborts
    cloud.servers[i1] = {'id': i1, 'status': 'UNKNOWN', 'tenant_id': 'p1', 'OS-EXT-SRV-ATTR:host': 'ironic-c'}
    with pytest.raises(pl.Abort) as e:
        run_audit(cloud, server_listing=listing)
    assert e.value.reason == 'cell_down'


def test_per_root_listing_reads_each_root_once(cloud):
    api, found = run_audit(cloud, server_listing='hypervisors_per_root')
    assert api.by_kind['compute GET /os-hypervisors/{uuid}?with_servers=true'] == 3   # CN1, CN2, BM (404)
    assert not any(k.startswith('compute GET /os-hypervisors/detail') for k in api.by_kind)
    assert found['ok'] == 2 and found['servers_listed'] == 3
    assert [p['compute_node'] for p in found['providers_checked']] == [False, True, True]


def test_scoped_run_reads_only_what_its_providers_need(cloud):
    # named providers: their trees (name/uuid lookup + in_tree), their allocations, per root a
    # hypervisor show and that node's servers; no provider, hypervisor or server listing of the
    # whole cloud. Exact per node, so ironic nodes of one host need nothing more.
    i1, i2 = _ironic(cloud)
    cloud.log = []
    api, found = run_audit(cloud, resource_providers=['ironic-node-1', 'ironic-node-2'])
    paths = [e[2] for e in cloud.log]
    assert '/resource_providers' not in paths
    assert not any(p.startswith(('/os-hypervisors/detail?with_servers', '/os-hypervisors/detail?limit',
                                 '/servers/detail')) for p in paths)
    # nova's nodes of the NAMED providers are read at once, beside placement's lookups; no show after
    assert sorted(p for p in paths if p.startswith('/os-hypervisors')) == [
        '/os-hypervisors/detail?hypervisor_hostname_pattern=ironic-node-1',
        '/os-hypervisors/detail?hypervisor_hostname_pattern=ironic-node-2']
    assert not any(p.startswith('/servers/detail') for p in paths)
    assert sorted(p for p in paths if p.startswith('/servers?')) == [
        '/servers?all_tenants=1&host=ironic-c&node=ironic-node-1&limit=1000',
        '/servers?all_tenants=1&host=ironic-c&node=ironic-node-2&limit=1000']
    assert found['multi_node_hosts'] == [] and found['ok'] == 2      # i1 on node 1, i2 on node 2
    assert [(e['consumer'], e['root_provider']['name']) for e in found['moved']] == [(i2, 'ironic-node-1')]
    assert api.by_kind['compute GET /servers/{id}'] == 1      # the moved verdict is from i2's record
    # every root a compute node: migrations of their host only, after the allocations
    assert [p for p in paths if p.startswith('/os-migrations')] == ['/os-migrations?host=ironic-c&limit=1000']
    assert max(i for i, p in enumerate(paths) if p.endswith('/allocations')) < paths.index(
        '/os-migrations?host=ironic-c&limit=1000')
    # a child named selects its root tree; a uuid is looked up as uuid and name
    cloud.log = []
    api, found = run_audit(cloud, resource_providers=[CN1_CHILD])
    assert [p['name'] for p in found['providers_checked']] == ['compute-1']
    assert sorted(e[2] for e in cloud.log if e[2].startswith('/resource_providers?')) == [
        '/resource_providers?in_tree=%s' % CN1, '/resource_providers?name=%s' % CN1_CHILD,
        '/resource_providers?uuid=%s' % CN1_CHILD]
    assert [e['consumer'] for e in found['orphans']] == [ORPHAN]
    assert [e['consumer'] for e in found['moved']] == [MOVED]
    assert {e['consumer']: e['reason'] for e in found['skipped']} == {MIG: 'migration'}
    # 1 name + 1 uuid lookup, 1 show of the named uuid (404: a child is no compute node), 1 tree,
    # 2 allocation reads, 1 show of its root, 1 node listing, 1 migration page (host),
    # GET /servers/{id} for ORPHAN and MOVED
    assert api.calls == 1 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 2, api.by_kind


def test_scoped_run_aborts_on_a_partial_record_in_the_node_listing(cloud):
    i1, i2 = _ironic(cloud)
    cloud.servers[i1]['status'] = 'UNKNOWN'
    with pytest.raises(pl.Abort) as e:
        run_audit(cloud, resource_providers=['ironic-node-1'])
    assert e.value.reason == 'cell_down'


def test_scoped_run_with_a_provider_that_is_no_compute_node(cloud):
    cloud.log = []
    api, found = run_audit(cloud, resource_providers=['bm-node-1'])
    assert [e['consumer'] for e in found['orphans']] == [CUSTOM]
    assert found['providers_checked'][0]['compute_node'] is False
    # the show says 404: no node listing, and the WHOLE migration list (a migration may hold an
    # allocation on a provider that is no compute node, e.g. a sharing provider)
    paths = [e[2] for e in cloud.log]
    assert '/os-hypervisors/%s' % BM in paths and not any(p.startswith('/servers?') for p in paths)
    assert [p for p in paths if p.startswith('/os-migrations')] == ['/os-migrations?limit=1000']


def test_named_consumers_are_read_from_their_own_records(cloud):
    # the fix's run: a few consumers named, no providers: GET /allocations/{c} each, one
    # provider list, a hypervisor show per root they use, GET /servers/{id} each, migrations
    cloud.log = []
    api, found = run_audit(cloud, consumers=[ORPHAN, MOVED, LIVE, MIG])
    assert [e['consumer'] for e in found['orphans']] == [ORPHAN]
    assert [(e['consumer'], e['root_provider']['name']) for e in found['moved']] == [(MOVED, 'compute-1')]
    assert {e['consumer']: e['reason'] for e in found['skipped']} == {MIG: 'migration'}
    assert found['ok'] == 2
    paths = [e[2] for e in cloud.log]
    assert not any(p.endswith('/allocations') and p.startswith('/resource_providers/') for p in paths)
    assert not any(p.startswith(('/os-hypervisors/detail', '/servers/detail')) for p in paths)
    assert api.by_kind == {'placement GET /allocations/{consumer}': 4, 'placement GET /resource_providers': 1,
                           'compute GET /os-hypervisors/{uuid}': 2, 'compute GET /os-migrations': 2,
                           'compute GET /servers/{id}': 3}
    # both roots are compute nodes: the migrations of their two hosts, not the whole list
    assert sorted(p for p in paths if p.startswith('/os-migrations')) == [
        '/os-migrations?host=compute-1&limit=1000', '/os-migrations?host=compute-2&limit=1000']
    assert found['orphans'][0]['allocations'] == {CN1: RES}
    assert {p['name'] for p in found['providers_checked']} == {'compute-1', 'compute-2'}


def test_confirmations_run_concurrently(cloud):
    # 12 suspects whose GET /servers/{id} each take 0.2 s: 4 at a time
    extra = ['7%07d-0000-4000-8000-000000000000' % i for i in range(12)]
    for c in extra:
        cloud.alloc(c, {CN2: RES})
    inner = cloud.compute

    def slow(method, path, mv):
        if re.match(r'^/servers/7', path):
            time.sleep(0.2)
        return inner(method, path, mv)
    cloud.compute = slow
    t = time.time()
    api, found = run_audit(cloud, concurrency=4)
    took = time.time() - t
    assert set(extra) <= set(e['consumer'] for e in found['orphans'])
    assert took < 12 * 0.2 / 2, took


def test_budget_grows_with_the_work(cloud):
    api = pl.Api(cloud, budget=pl.AUTO_BUDGET_BASE)
    api.auto_budget = True
    for i in range(200):
        cloud.alloc('8%07d-0000-4000-8000-000000000000' % i, {CN2: RES})
    found = pl.audit(api, params())
    assert len(found['orphans']) > 200 and api.calls > pl.AUTO_BUDGET_BASE
    assert api.budget >= api.calls
    with pytest.raises(pl.Abort) as e:   # a fixed budget stays a hard cap
        run_audit(cloud, budget=pl.AUTO_BUDGET_BASE)
    assert e.value.reason == 'request_budget'


def test_migrations_are_read_after_the_allocations(cloud):
    api, found = run_audit(cloud)
    paths = [e[2] for e in cloud.log]
    mig = [i for i, p in enumerate(paths) if p.startswith('/os-migrations')][0]
    allocs = [i for i, p in enumerate(paths) if p.endswith('/allocations')]
    assert allocs and max(allocs) < mig


def test_unknown_server_listing_is_refused(cloud):
    with pytest.raises(ValueError):
        run_audit(cloud, server_listing='db')


def test_request_budget(cloud):
    with pytest.raises(pl.Abort) as e:
        run_audit(cloud, budget=5)
    assert e.value.reason == 'request_budget'


def test_pagination_follows_markers(cloud):
    pages = []
    orig = cloud.compute

    def compute(method, path, mv):
        if path.startswith('/servers/detail'):
            pages.append(path)
            if 'marker=' not in path:
                return 200, {'servers': [server('s%04d' % i, 'compute-2') for i in range(pl.PAGE)]}
            return 200, {'servers': [server(LIVE, 'compute-1')]}
        return orig(method, path, mv)
    cloud.compute = compute
    api, found = run_audit(cloud, server_listing='servers')
    assert len(pages) == 2 and 'marker=s%04d' % (pl.PAGE - 1) in pages[1]
    assert found['servers_listed'] == pl.PAGE + 1


def test_hypervisor_pagination_follows_markers(cloud):
    pages = []
    orig = cloud.compute

    def compute(method, path, mv):
        if path.startswith('/os-hypervisors/detail'):
            assert 'with_servers=true' in path
            pages.append(path)
            if 'marker=' not in path:
                return 200, {'hypervisors': [
                    {'id': 'hv%04d' % i, 'hypervisor_hostname': 'n%d' % i, 'service': {'host': 'h%d' % i}}
                    for i in range(pl.PAGE - 1)] + [dict(orig(method, path, mv)[1]['hypervisors'][1])]}
            return 200, {'hypervisors': [orig(method, path, mv)[1]['hypervisors'][0]]}
        return orig(method, path, mv)
    cloud.compute = compute
    api, found = run_audit(cloud)
    assert len(pages) == 2 and 'marker=%s' % CN2 in pages[1]
    assert found['ok'] == 2 and [e['consumer'] for e in found['moved']] == [MOVED]


def test_concurrency_one_reads_the_same(cloud):
    a = run_audit(cloud, concurrency=1)[1]
    b = run_audit(cloud, concurrency=8)[1]
    c = run_audit(cloud, concurrency=8, server_listing='servers')[1]
    assert pl.public(a)['orphans'] == pl.public(b)['orphans'] == pl.public(c)['orphans']
    assert [e['consumer'] for e in a['moved']] == [e['consumer'] for e in c['moved']] == [MOVED]


# ----------------------------------------------------------------------------- removal
@LISTINGS
def test_remove_orphan_and_moved_part_only(cloud, listing):
    api, found = run_audit(cloud, server_listing=listing)
    before = api.calls
    removed, skipped = pl.remove(api, found, params(server_listing=listing), check_mode=False)
    assert [(r['consumer'], r['reason']) for r in removed] == [(ORPHAN, 'orphan'), (MOVED, 'moved')]
    assert removed[0]['resource_providers'] == {CN1: {'name': 'compute-1', 'resources': RES}}
    assert set(removed[1]['resource_providers']) == {CN1, CN1_CHILD}
    assert removed[1]['kept_resource_providers'] == [CN2]
    assert ORPHAN not in cloud.allocs
    assert cloud.allocs[MOVED]['allocations'] == {CN2: RES}
    assert {s['consumer']: s['reason'] for s in skipped} == {CUSTOM: 'custom_rc_only'}
    for c in (LIVE, BUILD, MIG, MIG_INST, CUSTOM):
        assert c in cloud.allocs
    assert api.calls - before == 4     # GET + PUT per consumer
    puts = [entry for entry in cloud.log if entry[1] == 'PUT']
    assert puts[0][4] == {'allocations': {}, 'consumer_generation': 1, 'project_id': 'p1', 'user_id': 'u1'}
    assert all(entry[1] != 'DELETE' for entry in cloud.log)


@LISTINGS
def test_check_mode_changes_nothing(cloud, listing):
    api, found = run_audit(cloud, server_listing=listing)
    removed, skipped = pl.remove(api, found, params(), check_mode=True)
    assert [r['consumer'] for r in removed] == [ORPHAN, MOVED]
    assert ORPHAN in cloud.allocs and CN1 in cloud.allocs[MOVED]['allocations']
    assert all(entry[1] == 'GET' for entry in cloud.log)


def test_custom_classes_opt_in(cloud):
    api, found = run_audit(cloud, include_custom_resource_classes=True)
    removed, skipped = pl.remove(api, found, params(include_custom_resource_classes=True), False)
    assert CUSTOM in [r['consumer'] for r in removed] and CUSTOM not in cloud.allocs


@LISTINGS
def test_max_deletes(cloud, listing):
    extra = sorted('9%07d-0000-4000-8000-000000000000' % i for i in range(5))
    for c in extra:
        cloud.alloc(c, {CN2: RES})
    api, found = run_audit(cloud, server_listing=listing)
    removed, skipped = pl.remove(api, found, params(max_deletes=3), False)
    assert [r['consumer'] for r in removed] == sorted([ORPHAN] + extra)[:3]
    capped = [s['consumer'] for s in skipped if s['reason'] == 'cap_reached']
    assert len(capped) == 4 and MOVED in capped
    api, found = run_audit(cloud)
    removed, skipped = pl.remove(api, found, params(max_deletes=0), False)
    assert removed == []


def test_conflict_rereads_once_then_succeeds(cloud):
    cloud.conflicts[ORPHAN] = 1
    api, found = run_audit(cloud, consumers=[ORPHAN])
    removed, skipped = pl.remove(api, found, params(), False)
    assert [r['consumer'] for r in removed] == [ORPHAN] and ORPHAN not in cloud.allocs


def test_conflict_twice_is_skipped_never_forced(cloud):
    cloud.conflicts[ORPHAN] = 2
    api, found = run_audit(cloud, consumers=[ORPHAN])
    removed, skipped = pl.remove(api, found, params(), False)
    assert removed == [] and skipped[0]['reason'] == 'conflict' and ORPHAN in cloud.allocs
    assert all(entry[1] != 'DELETE' for entry in cloud.log)


def test_conflict_and_server_appeared_is_skipped(cloud):
    cloud.conflicts[ORPHAN] = 1
    api, found = run_audit(cloud, consumers=[ORPHAN])
    cloud.hidden[ORPHAN] = server(ORPHAN, 'compute-1')     # a server appeared meanwhile
    removed, skipped = pl.remove(api, found, params(), False)
    # the 409 bumped the generation: re-classified from scratch, nova now has the server
    assert removed == [] and skipped[0]['reason'] == 'changed_since_audit'
    assert 'nova now has a server' in skipped[0]['detail'] and ORPHAN in cloud.allocs


def test_gone_meanwhile(cloud):
    api, found = run_audit(cloud, consumers=[ORPHAN])
    del cloud.allocs[ORPHAN]
    removed, skipped = pl.remove(api, found, params(), False)
    assert removed == [] and skipped[0]['reason'] == 'gone'


def test_moved_without_allocation_on_current_host_is_kept(cloud):
    cloud.alloc(MOVED, {CN1: RES})
    api, found = run_audit(cloud, consumers=[MOVED])
    removed, skipped = pl.remove(api, found, params(), False)
    assert removed == [] and skipped[0]['reason'] == 'no_allocation_on_current_host'


def test_abort_during_removal_reports_what_was_removed(cloud):
    api, found = run_audit(cloud)
    cloud.fail[('placement', 'GET', r'^/allocations/4444')] = 500
    with pytest.raises(pl.Abort) as e:
        pl.remove(api, found, params(), False)
    assert [r['consumer'] for r in e.value.removed] == [ORPHAN]


# ----------------------------------------------------------------------------- findings / logs
def test_findings_contract(cloud):
    api, found = run_audit(cloud)
    res = pl.findings(pl.public(found))
    ids = sorted((f['id'], f['evidence']['consumer']) for f in res)
    assert ids == [('placement.moved_allocation', MOVED), ('placement.orphaned_allocation', ORPHAN),
                   ('placement.orphaned_allocation', CUSTOM)]
    for f in res:
        assert set(f) == {'id', 'check', 'status', 'summary', 'evidence', 'fix', 'reference'}
        assert f['status'] == 'warning' and f['fix'] == 'fix_placement_allocations'
    o = [f for f in res if f['evidence']['consumer'] == ORPHAN][0]
    assert 'compute-1 (DISK_GB=10, MEMORY_MB=1024, VCPU=1)' in o['summary'] and '404' in o['summary']
    ok = pl.findings({'orphans': [], 'moved': [], 'skipped': [{'reason': 'build_request'}],
                      'summary': {'consumers': 3}, 'providers_checked': [{'name': 'a'}]})
    assert [f['status'] for f in ok] == ['ok'] and '1 build_request' in ok[0]['summary']
    err = pl.findings({'aborted': 'nova_unavailable', 'abort_message': 'x'})
    assert err[0]['status'] == 'error' and err[0]['id'] == 'placement.audit_aborted'


def test_log_parsing():
    lines = [SEED_LINE,
             {'line': 'WARNING nova.compute.resource_tracker Instance %s has been moved to another host '
                      'compute-2(compute-2). There are allocations remaining against the source host '
                      'that might need to be removed: {}.' % MOVED, 'host': 'compute-1', 'lineno': 7},
             'Allocations were set against consumer UUID %s but no existing instances or active '
             'migrations are related.' % CUSTOM, 'nothing']
    got = pl.parse_log_lines(lines)
    assert got[ORPHAN][0]['kind'] == 'not_found'
    assert got[MOVED][0]['kind'] == 'moved' and got[MOVED][0]['host'] == 'compute-1'
    assert got[CUSTOM][0]['kind'] == 'audit'
    assert len(got) == 3


# ----------------------------------------------------------------------------- recorded lab runs
class Replay(object):
    """Answers from exchanges recorded against the real lab, in order per request."""

    def __init__(self, exchanges):
        self.queue = {}
        for ex in exchanges:
            self.queue.setdefault((ex['service'], ex['method'], ex['path']), []).append(ex)

    def __call__(self, service, method, path, mv, body):
        q = self.queue.get((service, method, path))
        assert q, 'unrecorded request %s %s %s' % (service, method, path)
        ex = q.pop(0) if len(q) > 1 else q[0]
        assert ex['microversion'] == mv
        if method == 'PUT':
            assert body == ex['request']
        return ex['status'], ex['response']


def _recorded(name):
    path = FIX / name
    if not path.exists():
        pytest.skip('%s not recorded yet (tests/unit/fixtures/placement/record.py)' % name)
    return json.loads(path.read_text())


@pytest.mark.parametrize('name', ['lab_audit.json', 'lab_audit_full.json', 'lab_audit_servers.json'])
def test_recorded_lab_audit(name):
    rec = _recorded(name)
    s = rec['scenario']
    mine = set(x['consumer'] for x in s.values()) | {s['migration']['dest_consumer']}
    found = pl.audit(pl.Api(Replay(rec['exchanges'])), rec['params'])
    assert [e['consumer'] for e in found['orphans'] if e['consumer'] in mine] == sorted(
        [s['orphan']['consumer'], s['custom']['consumer']])
    assert [e['consumer'] for e in found['moved'] if e['consumer'] in mine] == [s['moved']['consumer']]
    moved = [e for e in found['moved'] if e['consumer'] == s['moved']['consumer']][0]
    assert moved['root_provider']['name'] == 'compute-2'
    skipped = {e['consumer']: e['reason'] for e in found['skipped'] if e['consumer'] in mine}
    assert skipped == {s['build']['consumer']: 'build_request', s['migration']['consumer']: 'migration',
                       s['migration']['dest_consumer']: 'migration'}
    assert s['live']['consumer'] not in skipped
    orphan = [e for e in found['orphans'] if e['consumer'] == s['orphan']['consumer']][0]
    assert orphan['log_lines'][0]['kind'] == 'not_found'
    # the real exchanges: no secrets, nova 404 for the orphan
    text = json.dumps(rec)
    assert 'password' not in text and 'X-Auth-Token' not in text
    paths = [ex['path'] for ex in rec['exchanges']]
    gets = dict((ex['path'], ex) for ex in rec['exchanges'] if ex['path'].startswith('/servers/') and
                not ex['path'].startswith('/servers/detail'))
    assert gets['/servers/%s' % s['orphan']['consumer']]['status'] == 404
    assert max(i for i, p in enumerate(paths) if p.endswith('/allocations')) < min(
        i for i, p in enumerate(paths) if p.startswith('/os-migrations'))
    if rec['params']['server_listing'] == 'servers':
        # nova lists build requests in /servers/detail too: the BUILD server is known from the list
        listed = [ex for ex in rec['exchanges'] if ex['path'].startswith('/servers/detail')][0]['response']
        build = [srv for srv in listed['servers'] if srv['id'] == s['build']['consumer']][0]
        assert build['status'] == 'BUILD' and build['OS-EXT-SRV-ATTR:host'] is None
        return
    if rec['params'].get('resource_providers'):
        # scoped: no listing of every hypervisor or server; per root a hypervisor show (404 for
        # the baremetal-like provider, no compute node) and that node's servers
        assert not any(p.startswith(('/os-hypervisors/detail?with', '/servers/detail')) or p == '/resource_providers'
                       for p in paths)
        # compute-1/-2 found by name at once; the baremetal-like provider (no compute node): 404
        pats = dict((ex['path'].split('=', 1)[1], ex['status']) for ex in rec['exchanges']
                    if ex['path'].startswith('/os-hypervisors/detail?hypervisor_hostname_pattern='))
        assert pats == {'compute-1': 200, 'compute-2': 200, s['custom']['provider_name']: 404}
        node = [ex for ex in rec['exchanges'] if ex['path'].startswith('/servers?all_tenants=1&host=compute-1&node=compute-1')]
        assert node and s['live']['consumer'] in [x['id'] for x in node[0]['response']['servers']]
        # a provider that is no compute node is in scope: the whole migration list is read
        assert '/os-migrations?limit=1000' in paths
        return
    # real with_servers answer: servers per hypervisor as {name, uuid}, no key on an empty node;
    # the live server is listed on compute-1 (fine without a GET), the BUILD one is not listed
    # and is classified from its own record; the moved one is confirmed by its record
    hv = [ex for ex in rec['exchanges'] if ex['path'].startswith('/os-hypervisors/detail?with_servers=true')]
    assert len(hv) == 1 and hv[0]['microversion'] == '2.53'
    listed = dict((h['hypervisor_hostname'], [x['uuid'] for x in h.get('servers') or []])
                  for h in hv[0]['response']['hypervisors'])
    assert s['live']['consumer'] in listed['compute-1']
    assert s['build']['consumer'] not in sum(listed.values(), [])
    assert '/servers/%s' % s['live']['consumer'] not in gets
    assert gets['/servers/%s' % s['build']['consumer']]['response']['server']['status'] == 'BUILD'
    assert gets['/servers/%s' % s['moved']['consumer']]['status'] == 200
    assert not any(ex['path'].startswith('/servers/detail') for ex in rec['exchanges'])


def test_recorded_lab_removal():
    # the fix's run: consumers named (their own records, no provider or hypervisor listing) and
    # the check's evidence as expected
    rec = _recorded('lab_absent.json')
    s = rec['scenario']
    api = pl.Api(Replay(rec['exchanges']))
    found = pl.audit(api, rec['params'])
    removed, skipped = pl.remove(api, found, rec['params'], check_mode=False)
    assert all(r['since_audit'] == 'unchanged' for r in removed)
    assert rec['params']['expected'] and not rec['params']['resource_providers']
    assert not any(ex['path'].startswith(('/os-hypervisors/detail', '/servers/detail', '/resource_providers/'))
                   for ex in rec['exchanges'])
    assert [(r['consumer'], r['reason']) for r in removed] == [
        (r['consumer'], r['reason']) for r in rec['removed']]
    assert {r['consumer'] for r in removed} == {s['orphan']['consumer'], s['moved']['consumer']}
    puts = [ex for ex in rec['exchanges'] if ex['method'] == 'PUT']
    assert all(ex['status'] == 204 and ex['microversion'] == '1.28' for ex in puts)
    assert {r['consumer']: r['reason'] for r in skipped}[s['custom']['consumer']] == 'custom_rc_only'


# ----------------------------------------------------------------------------- act only on what the audit saw
def _paths_after(cloud, start):
    return [(e[1], e[2]) for e in cloud.log[start:]]


def test_unchanged_consumer_is_removed_without_asking_nova_again(cloud):
    api, found = run_audit(cloud, consumers=[ORPHAN])
    o = found['orphans'][0]
    assert o['consumer_generation'] == 1 and o['allocations'] == {CN1: RES}   # the evidence
    n = len(cloud.log)
    removed, skipped = pl.remove(api, found, params(), False)
    assert removed[0]['since_audit'] == 'unchanged' and 'changes' not in removed[0]
    assert _paths_after(cloud, n) == [('GET', '/allocations/' + ORPHAN), ('PUT', '/allocations/' + ORPHAN)]


@pytest.mark.parametrize('on_change', ['reconfirm', 'skip'])
def test_orphan_changed_after_the_audit(cloud, on_change):
    # audited: ORPHAN holds RES on compute-1 (generation 1); before the removal somebody writes
    # it again: now also on compute-2 (generation 2). nova still has no such server.
    api, found = run_audit(cloud, consumers=[ORPHAN])
    cloud.alloc(ORPHAN, {CN1: RES, CN2: {'VCPU': 2}}, gen=2)
    n = len(cloud.log)
    removed, skipped = pl.remove(api, found, params(on_change=on_change), False)
    if on_change == 'skip':
        assert removed == [] and skipped[0]['reason'] == 'changed_since_audit'
        assert skipped[0]['since_audit'] == 'changed, skipped'
        assert any('generation 1 -> 2' in c for c in skipped[0]['changes'])
        assert any(CN2 in c and 'VCPU=2' in c for c in skipped[0]['changes'])
        assert cloud.allocs[ORPHAN]['allocations'] == {CN1: RES, CN2: {'VCPU': 2}}
        assert _paths_after(cloud, n) == [('GET', '/allocations/' + ORPHAN)]
        return
    # re-confirmed from scratch: nova asked again, migrations read again, AFTER the new read
    assert _paths_after(cloud, n) == [('GET', '/allocations/' + ORPHAN), ('GET', '/servers/' + ORPHAN),
                                      ('GET', '/os-migrations?limit=1000'), ('PUT', '/allocations/' + ORPHAN)]
    r = removed[0]
    assert r['since_audit'].startswith('changed, re-confirmed') and '404' in r['since_audit']
    assert set(r['resource_providers']) == {CN1, CN2} and r['consumer_generation'] == 2
    assert ORPHAN not in cloud.allocs


def test_changed_orphan_that_became_a_server_is_left_alone(cloud):
    # the uuid is now being built (the scheduler claimed on compute-2): never removed
    api, found = run_audit(cloud, consumers=[ORPHAN])
    cloud.alloc(ORPHAN, {CN2: RES}, gen=2)
    cloud.hidden[ORPHAN] = dict(server(ORPHAN, None, status='BUILD', task_state='scheduling'))
    removed, skipped = pl.remove(api, found, params(), False)
    assert removed == [] and skipped[0]['reason'] == 'changed_since_audit'
    assert 'nova now has a server' in skipped[0]['detail']
    assert cloud.allocs[ORPHAN]['allocations'] == {CN2: RES}


def test_changed_orphan_now_held_by_a_migration_is_left_alone(cloud):
    api, found = run_audit(cloud, consumers=[ORPHAN])
    cloud.alloc(ORPHAN, {CN1: RES}, gen=3)   # same resources, new generation (deleted + re-made)
    cloud.migrations.append({'uuid': ORPHAN, 'instance_uuid': LIVE, 'status': 'running'})
    removed, skipped = pl.remove(api, found, params(), False)
    assert removed == [] and skipped[0]['reason'] == 'changed_since_audit'
    assert 'in-progress migration' in skipped[0]['detail'] and ORPHAN in cloud.allocs


def test_expected_from_the_check_is_what_counts(cloud):
    # the check's audit saw generation 1 on compute-1; the fix run's own audit already sees the
    # new state (generation 2, compute-1 + compute-2): it differs from the check -> re-confirmed
    check_api, check = run_audit(cloud)
    evidence = [f['evidence'] for f in pl.findings(pl.public(check)) if f['evidence']['consumer'] == ORPHAN]
    assert evidence[0]['consumer_generation'] == 1 and evidence[0]['allocations'] == {CN1: RES}
    cloud.alloc(ORPHAN, {CN1: RES, CN2: RES}, gen=2)
    api, found = run_audit(cloud, consumers=[ORPHAN])
    removed, skipped = pl.remove(api, found, params(expected=evidence, on_change='skip'), False)
    assert removed == [] and skipped[0]['reason'] == 'changed_since_audit'
    assert all(c.startswith('since the check: ') for c in skipped[0]['changes'])
    removed, skipped = pl.remove(api, found, params(expected=evidence), False)
    assert [r['consumer'] for r in removed] == [ORPHAN]
    assert removed[0]['since_audit'].startswith('changed, re-confirmed')


def test_expected_limits_the_removal_to_audited_consumers(cloud):
    api, found = run_audit(cloud)
    expected = [{'consumer': ORPHAN, 'generation': 1, 'allocations': {CN1: {'resources': RES}}}]
    removed, skipped = pl.remove(api, found, params(expected=expected), False)
    assert [r['consumer'] for r in removed] == [ORPHAN] and removed[0]['since_audit'] == 'unchanged'
    assert {s['consumer']: s['reason'] for s in skipped}[MOVED] == 'not_audited'
    assert CN1 in cloud.allocs[MOVED]['allocations']
    with pytest.raises(ValueError):
        pl.norm_expected([{'generation': 1}])


def test_moved_changed_after_the_audit(cloud):
    api, found = run_audit(cloud, consumers=[MOVED])
    # resized on compute-2 after the audit: re-confirmed, only the audited source part goes
    cloud.alloc(MOVED, {CN1: RES, CN1_CHILD: {'VGPU': 1}, CN2: {'VCPU': 4}}, gen=2)
    removed, skipped = pl.remove(api, found, params(), False)
    assert removed[0]['since_audit'].startswith('changed, re-confirmed')
    assert cloud.allocs[MOVED]['allocations'] == {CN2: {'VCPU': 4}}
    # moved back to compute-1 after the audit: left alone
    cloud.alloc(MOVED, {CN1: RES, CN2: RES}, gen=1)
    api, found = run_audit(cloud, consumers=[MOVED])
    cloud.alloc(MOVED, {CN1: RES, CN2: RES}, gen=5)
    cloud.servers[MOVED] = server(MOVED, 'compute-1')
    removed, skipped = pl.remove(api, found, params(), False)
    assert removed == [] and skipped[0]['reason'] == 'changed_since_audit'
    assert cloud.allocs[MOVED]['allocations'] == {CN1: RES, CN2: RES}


# ----------------------------------------------------------------------------- the Fix: line
def test_custom_only_finding_names_the_variable_that_removes_it(cloud):
    api, found = run_audit(cloud)
    res = {f['evidence']['consumer']: f for f in pl.findings(pl.public(found))}
    custom, plain = res[CUSTOM], res[ORPHAN]
    var = 'fix_placement_allocations_include_custom_resource_classes'
    assert custom['evidence']['fix_vars'] == {var: True} and var + '=true' in custom['summary']
    hint = report_utils.fix_hint(dict(custom, host='localhost'))
    assert '-e stackdoctor_fixes=fix_placement_allocations -e %s=true --limit' % var in hint
    assert 'fix_vars' not in plain['evidence']
    assert ' -e %s' % var not in report_utils.fix_hint(dict(plain, host='localhost'))


# ----------------------------------------------------------------------------- bounded time
class StalledServer(object):
    """Accepts TCP connections on 127.0.0.1 and never answers (a hung nova-api). With
    ``discovery=True`` it answers nova's version document (GET /v2.1) and stalls on the rest."""

    VERSION = {'version': {'id': 'v2.1', 'status': 'CURRENT', 'version': '2.96', 'min_version': '2.1',
                           'links': [{'rel': 'self', 'href': 'http://127.0.0.1:%d/v2.1/'}]}}

    def __init__(self, discovery=False):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.discovery = discovery
        self.conns = []
        self.stalled = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)   # kept open, never answered (unless discovery)
            if self.discovery:
                threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            while True:
                req = b''
                while b'\r\n\r\n' not in req:
                    chunk = c.recv(65536)
                    if not chunk:
                        return
                    req += chunk
                path = req.split(b' ')[1].decode()
                if path.rstrip('/') not in ('/v2.1', ''):
                    self.stalled.append(path)
                    return   # stall: the connection stays open, nothing is sent
                body = json.dumps(self.VERSION).replace('%d', str(self.port)).encode()
                c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n'
                          % len(body) + body)
        except OSError:
            return

    def close(self):
        self.stop = True
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def stalled():
    srv = StalledServer()
    yield srv
    srv.close()


def _sdk_conn(url, api_timeout):
    openstack = pytest.importorskip('openstack')
    return openstack.connect(auth_type='none', compute_endpoint_override=url,
                             placement_endpoint_override=url, api_timeout=api_timeout)


def test_stalled_nova_aborts_within_the_timeout(cloud, stalled):
    # placement answers (the fake), nova-api accepts and never answers: a real openstacksdk
    # session against a real socket; the run ends within the timeout, nothing deleted
    conn = _sdk_conn('http://127.0.0.1:%d/v2.1' % stalled.port, api_timeout=2)
    api = pl.Api(None, deadline=60, api_timeout=2)
    real = pl.sdk_transport(conn, api)
    api.transport = lambda svc, m, path, mv, body: (cloud(svc, m, path, mv, body) if svc == 'placement'
                                                    else real(svc, m, path, mv, body))
    t = time.time()
    with pytest.raises(pl.Abort) as e:
        found = pl.audit(api, params())
        pl.remove(api, found, params(), False)
    took = time.time() - t
    assert e.value.reason == 'nova_unavailable' and 'nothing was deleted' in e.value.message
    assert took < 2 * 2 + 2, took
    assert stalled.conns, 'the stalled server was never reached'
    assert ORPHAN in cloud.allocs and not [x for x in cloud.log if x[1] == 'PUT']


def test_deadline_bounds_the_whole_run(cloud, stalled):
    # every call answers, just too late in total: the deadline stops the run between calls,
    # and a call in flight is cut to what is left of the deadline
    clock = {'t': 0.0}
    api = pl.Api(cloud, deadline=10, api_timeout=30, clock=lambda: clock['t'])

    def slow(*a):
        clock['t'] += 4
        return cloud(*a)
    api.transport = slow
    assert api.timeout() == 10
    with pytest.raises(pl.Abort) as e:
        pl.audit(api, params(concurrency=1))
    assert e.value.reason == 'deadline' and api.calls == 3
    assert api.timeout() == 0.5   # never 0 or negative: requests would treat 0 as "no wait"
    # a nova-api that answers version discovery and then stalls: the per-call timeout (what is
    # left of the deadline, not api_timeout) ends the call
    srv = StalledServer(discovery=True)
    try:
        conn = _sdk_conn('http://127.0.0.1:%d/v2.1' % srv.port, api_timeout=30)
        api = pl.Api(None, deadline=1.5, api_timeout=30)
        api.transport = pl.sdk_transport(conn, api)
        t = time.time()
        status, body = api.call('compute', 'GET', '/os-migrations', '2.59')
        took = time.time() - t
    finally:
        srv.close()
    assert srv.stalled == ['/v2.1/os-migrations']
    assert status == 0 and 'no answer within' in body['error'] and took < 3, (status, body, took)


class FakeHttp(object):
    """FakeCloud behind a real HTTP server on 127.0.0.1: /placement (placement) and
    /compute/v2.1 (nova), with the version documents keystoneauth's discovery reads, so the
    module's openstacksdk transport runs for real (sessions, headers, microversions, JSON)."""

    def __init__(self, cloud, stall=None):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        fake = self
        self.cloud = cloud
        self.stall = stall          # regex of paths that never get an answer
        self.headers = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *a):
                pass

            def _answer(self, status, data):
                body = b'' if data is None else json.dumps(data).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _do(self, method):
                n = int(self.headers.get('Content-Length') or 0)
                req = json.loads(self.rfile.read(n)) if n else None
                host = 'http://%s:%d' % self.server.server_address
                if self.path.rstrip('/') == '/placement':
                    return self._answer(200, {'versions': [{'id': 'v1.0', 'min_version': '1.0', 'max_version': '1.39',
                                                            'status': 'CURRENT', 'links': [{'rel': 'self', 'href': ''}]}]})
                if self.path.rstrip('/') == '/compute/v2.1':
                    return self._answer(200, {'version': {'id': 'v2.1', 'status': 'CURRENT', 'version': '2.96',
                                                          'min_version': '2.1', 'links': [
                                                              {'rel': 'self', 'href': host + '/compute/v2.1/'}]}})
                if fake.stall and re.search(fake.stall, self.path):
                    time.sleep(30)
                    return
                hv = self.headers.get('OpenStack-API-Version') or ''
                fake.headers.append((method, self.path, hv))
                svc, path = ('placement', self.path[len('/placement'):]) if self.path.startswith('/placement/') \
                    else ('compute', self.path[len('/compute/v2.1'):])
                mv = hv.split()[-1] if hv else None
                try:
                    status, data = fake.cloud(svc, method, path, mv, req)
                except ConnectionError:
                    self.close_connection = True
                    return
                self._answer(status, data)

            def do_GET(self):  # noqa: N802
                self._do('GET')

            def do_PUT(self):  # noqa: N802
                self._do('PUT')

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def connect(self, api_timeout=5):
        openstack = pytest.importorskip('openstack')
        return openstack.connect(auth_type='none', placement_endpoint_override=self.url + '/placement',
                                 compute_endpoint_override=self.url + '/compute/v2.1', api_timeout=api_timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# The one warning openstacksdk 4.x raises by itself whatever the caller does: every
# CloudRegion is built with the loader's InfluxDB section, a dict of None values that is never
# empty (openstack/config/loader.py _parse_section__metrics_influxdb, checked with `if
# influxdb_config:` in openstack/config/cloud_region.py). It comes from openstack.connect()
# (made by openstack.cloud's OpenStackModule for the module), not from a call of ours.
SDK_OWN = ('Support for InfluxDB requires the influxdb library',)


def _deprecations(caught):
    return ['%s:%s %s: %s' % (w.filename, w.lineno, w.category.__name__, w.message) for w in caught
            if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
            and not any(m in str(w.message) for m in SDK_OWN)]


def test_module_code_paths_raise_no_deprecation_warning(cloud):
    # the whole audit and removal through the module's openstacksdk transport, over real HTTP:
    # no DeprecationWarning or openstacksdk RemovedInSDK* (Pending) warning from our calls
    http = FakeHttp(cloud)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            conn = http.connect()
            api = pl.Api(None, deadline=60, api_timeout=5)
            api.transport = pl.sdk_transport(conn, api)
            found = pl.audit(api, params())
            removed, skipped = pl.remove(api, found, params(), False)
            # the same through openstacksdk's Proxy.request, to show the test can fail
            with warnings.catch_warnings(record=True) as proxy_caught:
                warnings.simplefilter('always')
                conn.placement.request('/resource_providers/x/allocations', 'GET', microversion='1.28')
    finally:
        http.close()
    assert [r['consumer'] for r in removed] == [ORPHAN, MOVED] and ORPHAN not in cloud.allocs
    assert ('GET', '/compute/v2.1/os-hypervisors/detail?with_servers=true&limit=1000', 'compute 2.53') in http.headers
    assert ('PUT', '/placement/allocations/' + ORPHAN, 'placement 1.28') in http.headers
    assert _deprecations(caught) == []
    assert any('service_type' in m for m in _deprecations(proxy_caught)), 'openstacksdk changed: revisit adapter_request'


def test_stall_in_the_middle_of_a_removal_run(cloud):
    # nova answers the listing but stalls on GET /servers/{id}: the run aborts within the timeout
    http = FakeHttp(cloud, stall=r'^/compute/v2\.1/servers/4')
    try:
        conn = http.connect(api_timeout=2)
        api = pl.Api(None, deadline=60, api_timeout=2)
        api.transport = pl.sdk_transport(conn, api)
        t = time.time()
        with pytest.raises(pl.Abort) as e:
            found = pl.audit(api, params())
            pl.remove(api, found, params(), False)
        took = time.time() - t
    finally:
        http.close()
    assert e.value.reason == 'nova_unavailable' and 'did not answer within 2 s' in e.value.message
    assert 'nothing was deleted' in e.value.message and took < 6, (took, e.value.message)
    assert ORPHAN in cloud.allocs and not [x for x in cloud.log if x[1] == 'PUT']
