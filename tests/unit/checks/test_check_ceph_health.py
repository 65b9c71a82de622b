"""check_ceph_health: the ceph subset (where a client is found, the command it runs, through a fake
runner) and evaluate() on parsed `ceph -s -f json` outputs.

Ceph cannot run in this test environment (no disks for OSDs, no cluster): the outputs under
tests/unit/fixtures/ceph/ are written in the exact shape of real Quincy/Reef (and Nautilus)
`ceph -s -f json` output, field by field (see that directory's README.md), not captured from a
live cluster.
"""
import os

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import ceph_health, registry

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ceph')


def _read(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def _facts(name, **extra):
    ceph = {'present': True, 'where': 'host', 'container': None, 'client_id': 'admin',
            'command': 'ceph --cluster ceph --id admin --connect-timeout 30 -s -f json', 'rc': 0,
            'status': ha_facts.parse_ceph_status(_read(name)), 'error': None}
    ceph.update(extra)
    return {'ceph': ceph}


def _by_id(results):
    out = {}
    for r in results:
        out.setdefault(r['id'], []).append(r)
    return out


class Runner:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        for key, answer in self.answers:
            if key in argv:
                return answer
        return 127, '', 'not found'


def _ctx(root, runner, flavour='packaged', cli='podman', overrides=None):
    ctx = nfs.Context(root=str(root), params={'command_timeout': 7}, runner=runner)
    ctx.layout = {'flavour': flavour, 'container_cli': cli, 'services': overrides or {}}
    return ctx


# ------------------------------------------------------------------ parse
def test_parse_reef_and_nautilus_shapes():
    ok = ha_facts.parse_ceph_status(_read('reef_ok.json'))
    assert ok['status'] == 'HEALTH_OK' and ok['checks'] == []
    assert (ok['num_osds'], ok['num_up_osds'], ok['num_mons']) == (6, 6, 3)
    assert ok['quorum_names'] == ['ctl-0', 'ctl-1', 'ctl-2']
    old = ha_facts.parse_ceph_status(_read('nautilus_warn_nested_osdmap.json'))
    assert (old['num_osds'], old['num_up_osds']) == (15, 14)       # osdmap.osdmap
    assert old['num_mons'] == 3 and old['mon_names'][0] == 'overcloud-controller-0'
    with pytest.raises(ValueError):
        ha_facts.parse_ceph_status('[errno 110] RADOS timed out')
    with pytest.raises(ValueError):
        ha_facts.parse_ceph_status('{"fsid": "x"}')


# ------------------------------------------------------------------ evaluate
def test_healthy_cluster_is_ok():
    results = ceph_health.evaluate(_facts('reef_ok.json'))
    assert [(r['id'], r['status']) for r in results] == [
        ('ceph.health_error', 'ok'), ('ceph.osds_down', 'ok'), ('ceph.mons_out_of_quorum', 'ok')]


def test_osd_host_down_reports_each_warning_and_the_osds():
    results = registry.evaluate('check_ceph_health', _facts('reef_warn_osd_down.json'))
    by = _by_id(results)
    warn = [(r['evidence']['code'], r['status']) for r in by['ceph.health_warning']]
    assert warn == [('OSD_DOWN', 'warning'), ('OSD_HOST_DOWN', 'warning'), ('PG_DEGRADED', 'warning'),
                    ('POOL_NO_REDUNDANCY', 'ok')]      # muted: reported, not a finding
    assert 'Degraded data redundancy' in by['ceph.health_warning'][2]['summary']
    assert by['ceph.osds_down'][0]['status'] == 'warning'
    assert by['ceph.osds_down'][0]['summary'].startswith('2 of 6 OSDs down')
    assert by['ceph.mons_out_of_quorum'][0]['status'] == 'ok'
    assert all(r['fix'] is None for r in results)


def test_mon_out_of_quorum_and_health_err():
    results = registry.evaluate('check_ceph_health', _facts('quincy_err_mon_down.json'))
    by = _by_id(results)
    assert [(r['evidence']['code'], r['status']) for r in by['ceph.health_error']] == [('PG_AVAILABILITY', 'critical')]
    assert [(r['evidence']['code'], r['status']) for r in by['ceph.health_warning']] == [('MON_DOWN', 'warning')]
    quorum = by['ceph.mons_out_of_quorum'][0]
    assert quorum['status'] == 'warning' and quorum['summary'].startswith('1 of 3 monitors out of quorum')
    # a site may raise a warning to critical
    raised = registry.evaluate('check_ceph_health', _facts('quincy_err_mon_down.json'),
                               {'severity': {'ceph.mons_out_of_quorum': 'critical'}})
    assert _by_id(raised)['ceph.mons_out_of_quorum'][0]['status'] == 'critical'


def test_nautilus_names_the_monitors_out_of_quorum():
    facts = _facts('nautilus_warn_nested_osdmap.json')
    facts['ceph']['status']['quorum_names'] = ['overcloud-controller-0', 'overcloud-controller-2']
    by = _by_id(ceph_health.evaluate(facts))
    assert by['ceph.mons_out_of_quorum'][0]['evidence']['out_of_quorum'] == ['overcloud-controller-1']
    assert by['ceph.osds_down'][0]['summary'].startswith('1 of 15 OSDs down')


def test_no_client_is_skipped_and_a_failed_command_is_critical_with_why():
    skipped = ceph_health.evaluate({'ceph': {'present': False, 'looked_at': ['host: ceph binary absent']}})
    assert [r['status'] for r in skipped] == ['skipped']
    failed = registry.evaluate('check_ceph_health', {'ceph': {
        'present': True, 'where': 'container', 'container': 'ceph-mon-ctl-0', 'rc': 1, 'status': None,
        'error': {'message': 'ceph -s in container ceph-mon-ctl-0 failed (rc=1): %s' % _read('timeout.stderr')}}})
    assert [(r['id'], r['status']) for r in failed] == [('ceph.status_unavailable', 'critical')]
    assert 'RADOS timed out' in failed[0]['summary'] and 'container ceph-mon-ctl-0' in failed[0]['summary']
    missing = ceph_health.evaluate({})
    assert [r['status'] for r in missing] == ['error']


# ------------------------------------------------------------------ gather
def _host_client(root, keyring=True):
    (root / 'usr' / 'bin').mkdir(parents=True)
    binary = root / 'usr' / 'bin' / 'ceph'
    binary.write_text('#!/bin/sh\n')
    binary.chmod(0o755)
    (root / 'etc' / 'ceph').mkdir(parents=True)
    (root / 'etc' / 'ceph' / 'ceph.conf').write_text('[global]\nmon_host = 192.0.2.11\n')
    if keyring:
        (root / 'etc' / 'ceph' / 'ceph.client.admin.keyring').write_text('[client.admin]\n\tkey = not-read\n')


def test_gather_on_the_host_runs_ceph_bounded(tmp_path):
    _host_client(tmp_path)
    runner = Runner([('-s', (0, _read('reef_warn_osd_down.json'), ''))])
    out = ha_facts.gather_ceph(_ctx(tmp_path, runner))
    assert out['present'] and out['where'] == 'host' and out['keyring'] == '/etc/ceph/ceph.client.admin.keyring'
    assert runner.calls == [['timeout', '12', '/usr/bin/ceph', '--cluster', 'ceph', '--id', 'admin',
                             '--connect-timeout', '7', '-s', '-f', 'json']]
    assert out['status']['status'] == 'HEALTH_WARN' and out['error'] is None
    assert 'not-read' not in repr(out)


def test_gather_host_failure_and_timeout(tmp_path):
    _host_client(tmp_path)
    out = ha_facts.gather_ceph(_ctx(tmp_path, Runner([('-s', (1, '', _read('no_keyring.stderr')))])))
    assert out['present'] and 'RADOS object not found' in out['error']['message']
    out = ha_facts.gather_ceph(_ctx(tmp_path, Runner([('-s', (124, '', ''))])))
    assert 'timed out after 12 s' in out['error']['message']


def test_gather_without_keyring_looks_in_the_containers(tmp_path):
    _host_client(tmp_path, keyring=False)
    ps = '[{"Names": ["ceph-mon-ctl-0"], "State": "running"}, {"Names": ["haproxy"], "State": "running"}]'
    runner = Runner([('ps', (0, ps, '')), ('exec', (0, _read('quincy_err_mon_down.json'), ''))])
    out = ha_facts.gather_ceph(_ctx(tmp_path, runner, flavour='tripleo'))
    assert out['where'] == 'container' and out['container'] == 'ceph-mon-ctl-0'
    exec_call = runner.calls[-1]
    assert exec_call[:6] == ['timeout', '12', 'podman', 'exec', 'ceph-mon-ctl-0', 'sh']
    assert exec_call[-10:] == ['ceph', '--cluster', 'ceph', '--id', 'admin', '--connect-timeout', '7', '-s', '-f', 'json']
    assert out['status']['status'] == 'HEALTH_ERR'
    assert 'keyring for client.admin absent' in out['looked_at'][0]


def test_gather_container_without_client_and_no_containers(tmp_path):
    ps = '[{"Names": ["cinder_volume"], "State": "running"}]'
    runner = Runner([('ps', (0, ps, '')),
                     ('exec', (3, '', 'stackdoctor: no ceph client: no /etc/ceph/ceph.conf\n'))])
    out = ha_facts.gather_ceph(_ctx(tmp_path, runner, flavour='kolla'))
    assert not out['present']
    assert 'container cinder_volume: no /etc/ceph/ceph.conf' in out['looked_at']
    assert [r['status'] for r in ceph_health.evaluate({'ceph': out})] == ['skipped']
    # no container engine, no host client: skipped
    out = ha_facts.gather_ceph(_ctx(tmp_path, Runner([]), cli='none'))
    assert not out['present'] and out['error'] is None


def test_layout_override_names_container_and_client(tmp_path):
    ps = '[{"Names": ["my-ceph-client"], "State": "running"}]'
    runner = Runner([('ps', (0, ps, '')), ('exec', (0, _read('reef_ok.json'), ''))])
    ctx = _ctx(tmp_path, runner, overrides={'ceph': {'containers': ['my-ceph-client'], 'client_id': 'openstack'}})
    out = ha_facts.gather_ceph(ctx)
    assert out['container'] == 'my-ceph-client' and out['client_id'] == 'openstack'
    assert '--id openstack' in out['command']
