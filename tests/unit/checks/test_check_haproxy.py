"""check_haproxy: `show stat` CSV recorded from a real haproxy (Debian 12's 2.6.12, see
tests/unit/fixtures/haproxy/README.md), the socket lookup and the unix-socket read, and evaluate()."""
import os
import shutil
import socket
import tempfile
import threading

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import haproxy, registry

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'haproxy')


def _read(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def _facts(name):
    return {'haproxy': {'present': True, 'config': '/etc/haproxy/haproxy.cfg', 'socket': '/run/haproxy/admin.sock',
                        'rows': ha_facts.parse_show_stat(_read(name)), 'error': None}}


def _ids(results):
    return [(r['id'], r['evidence'].get('backend'), r['evidence'].get('server'), r['status']) for r in results]


def test_parse_reads_columns_by_header_name():
    rows = ha_facts.parse_show_stat(_read('show_stat_faults.csv'))
    by = dict(((r['pxname'], r['svname']), r) for r in rows)
    assert by[('nova_api', 'ctl-2')]['status'] == 'DOWN'
    assert by[('nova_api', 'ctl-2')]['check_status'] == 'L4CON'
    assert by[('nova_api', 'ctl-2')]['last_chk'] == 'Connection refused'
    assert by[('nova_api', 'ctl-3')]['status'] == 'MAINT'
    assert by[('placement_api', 'BACKEND')]['status'] == 'DOWN'
    assert by[('nova_api', 'ctl-1')]['addr'] == '127.0.0.1:18181'


def test_faults_recorded_from_haproxy():
    results = registry.evaluate('check_haproxy', _facts('show_stat_faults.csv'))
    assert _ids(results) == [
        ('haproxy.backend_down', 'nova_api', None, 'ok'),
        ('haproxy.server_down', 'nova_api', 'ctl-2', 'warning'),
        ('haproxy.server_maint', 'nova_api', 'ctl-3', 'warning'),
        ('haproxy.backend_down', 'placement_api', None, 'critical'),
        ('haproxy.server_down', 'placement_api', 'ctl-1', 'warning'),
    ]
    assert 'nova_api/ctl-2 (127.0.0.1:18182) is DOWN: health check L4CON Connection refused' in results[1]['summary']
    assert results[0]['summary'] == 'backend nova_api is UP (1 of 3 servers up)'
    assert 'maintenance (MAINT)' in results[2]['summary']
    assert all(r['fix'] is None for r in results)


def test_clean_haproxy_is_ok_and_ignore_skips_a_backend():
    results = haproxy.evaluate(_facts('show_stat_clean.csv'))
    assert _ids(results) == [('haproxy.backend_down', 'nova_api', None, 'ok'),
                             ('haproxy.backend_down', 'placement_api', None, 'ok')]
    ignored = haproxy.evaluate(_facts('show_stat_faults.csv'), {'ignore': ['placement_api']})
    assert ('haproxy.backend_down', 'placement_api', None, 'skipped') in _ids(ignored)
    assert not [r for r in ignored if r['evidence'].get('backend') == 'placement_api' and r['status'] != 'skipped']


def test_absent_unreachable_and_missing():
    assert [r['status'] for r in haproxy.evaluate({'haproxy': {'present': False, 'sockets': []}})] == ['skipped']
    down = registry.evaluate('check_haproxy', {'haproxy': {
        'present': True, 'config': '/etc/haproxy/haproxy.cfg', 'rows': [], 'sockets': [{'host_path': '/run/x'}],
        'error': {'message': '/run/haproxy/admin.sock: Connection refused'}}})
    assert [(r['id'], r['status']) for r in down] == [('haproxy.stats_unavailable', 'critical')]
    assert 'Connection refused' in down[0]['summary']
    assert [r['status'] for r in haproxy.evaluate({})] == ['error']


def test_socket_paths_from_config():
    assert ha_facts.haproxy_socket_paths(_read('recorded.cfg')) == ['/tmp/ha-hp/admin.sock']
    text = ('global\n  stats socket /var/lib/kolla/haproxy/haproxy.sock group kolla mode 660 level admin\n'
            '  # stats socket /old.sock\n  stats socket ipv4@127.0.0.1:9999 level admin\n'
            '  stats socket unix@/run/h2.sock\n')
    assert ha_facts.haproxy_socket_paths(text) == ['/var/lib/kolla/haproxy/haproxy.sock', '/run/h2.sock']


@pytest.fixture
def short_root():
    # unix socket paths are limited to 108 bytes: pytest's tmp_path is too long for them
    root = tempfile.mkdtemp(prefix='sdhp', dir='/tmp')
    yield __import__('pathlib').Path(root)
    shutil.rmtree(root)


def _serve(path, answer):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)

    def run():
        conn, _ = srv.accept()
        conn.recv(100)
        conn.sendall(answer.encode())
        conn.close()
        srv.close()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _ctx(root, flavour='packaged', cli='podman', services=None):
    ctx = nfs.Context(root=str(root), params={'probe_timeout': 2})
    ctx.layout = {'flavour': flavour, 'container_cli': cli, 'services': services or {}}
    return ctx


def test_gather_reads_the_socket_the_config_names(short_root):
    tmp_path = short_root
    (tmp_path / 'etc' / 'haproxy').mkdir(parents=True)
    (tmp_path / 'etc' / 'haproxy' / 'haproxy.cfg').write_text('global\n  stats socket /s.sock mode 600 level admin\n')
    thread = _serve(str(tmp_path / 's.sock'), _read('show_stat_faults.csv'))
    out = ha_facts.gather_haproxy(_ctx(tmp_path))
    thread.join(5)
    assert out['present'] and out['socket'] == '/s.sock' and out['error'] is None
    assert len(out['rows']) == 8
    assert [s['path'] for s in out['sockets']] == ['/s.sock', '/run/haproxy/admin.sock']


def test_gather_kolla_socket_in_the_volume_and_errors(short_root):
    tmp_path = short_root
    ctx = _ctx(tmp_path, flavour='kolla', cli='docker')
    out = ha_facts.gather_haproxy(ctx)
    assert not out['present']
    assert out['sockets'][0]['host_path'] == '/var/lib/docker/volumes/haproxy_socket/_data/haproxy.sock'
    # a config but nothing listening: the error says which socket
    (tmp_path / 'etc' / 'kolla' / 'haproxy').mkdir(parents=True)
    (tmp_path / 'etc' / 'kolla' / 'haproxy' / 'haproxy.cfg').write_text('global\n')
    out = ha_facts.gather_haproxy(ctx)
    assert not out['present'] and out['config'] == '/etc/kolla/haproxy/haproxy.cfg'
    skipped = haproxy.evaluate({'haproxy': out})
    assert [r['status'] for r in skipped] == ['skipped'] and 'haproxy does not run here' in skipped[0]['summary']
    sock_dir = tmp_path / 'var' / 'lib' / 'docker' / 'volumes' / 'haproxy_socket' / '_data'
    sock_dir.mkdir(parents=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(sock_dir / 'haproxy.sock'))
    dead.close()               # a stale socket file: connection refused
    out = ha_facts.gather_haproxy(ctx)
    assert 'haproxy.sock' in out['error']['message'] and out['rows'] == []
    assert [r['id'] for r in haproxy.evaluate({'haproxy': out})] == ['haproxy.stats_unavailable']
