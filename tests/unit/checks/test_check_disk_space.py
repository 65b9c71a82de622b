"""check_disk_space: the disk subset on a node root (real statvfs) and evaluate() on its facts."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

GIB = 1024 ** 3


def _ctx(tmp_path, services):
    ctx = nfs.Context(root=str(tmp_path))
    ctx.layout = {'services': services}
    return ctx


def test_disk_subset_finds_instances_path_image_cache_logs(tmp_path):
    (tmp_path / 'etc/nova').mkdir(parents=True)
    (tmp_path / 'etc/nova/nova.conf').write_text('[DEFAULT]\nstate_path = /srv/nova\n'
                                                 'instances_path = $state_path/inst\n[image_cache]\n'
                                                 'subdirectory_name = cache\n')
    for d in ('srv/nova/inst/cache', 'var/log/nova'):
        (tmp_path / d).mkdir(parents=True)
    facts = nfs.gather_disk(_ctx(tmp_path, {
        'nova-compute': {'config_present': True, 'present': True, 'config_files': ['/etc/nova/nova.conf'],
                         'log_files': ['/var/log/nova/nova-compute.log']},
        'glance-api': {'config_present': False}}))
    by_path = dict((p['path'], p) for p in facts['paths'])
    assert by_path['/srv/nova/inst']['what'] == 'instances_path'
    assert by_path['/srv/nova/inst']['source'] == '/etc/nova/nova.conf line 3'
    assert by_path['/srv/nova/inst/cache']['what'] == 'image cache'
    assert by_path['/var/log/nova']['exists'] and by_path['/var/log/nova']['free_percent'] > 0
    assert not by_path['/var/lib/mysql']['exists']
    zero = {'warn_free_percent': 0, 'critical_free_percent': 0,
            'warn_free_inodes_percent': 0, 'critical_free_inodes_percent': 0}
    res = registry.evaluate('check_disk_space', {'disk': facts}, zero)
    assert sorted(r['status'] for r in res) == ['ok', 'ok', 'ok']


def test_malformed_nova_conf_names_file_and_line(tmp_path):
    (tmp_path / 'etc/nova').mkdir(parents=True)
    (tmp_path / 'etc/nova/nova.conf').write_text('[DEFAULT]\nnot an option\n')
    facts = nfs.gather_disk(_ctx(tmp_path, {'nova-compute': {'config_present': True,
                                                             'config_files': ['/etc/nova/nova.conf']}}))
    res = registry.evaluate('check_disk_space', {'disk': facts})
    assert res[0]['status'] == 'error' and '/etc/nova/nova.conf line 2' in res[0]['summary']


def _path(free_pct, inodes_pct=50.0, total=10 * GIB):
    return {'path': '/var/lib/nova/instances', 'what': 'instances_path', 'services': ['nova-compute'], 'exists': True,
            'total_bytes': total, 'free_bytes': int(total * free_pct / 100), 'free_percent': free_pct,
            'total_inodes': 1000, 'free_inodes': int(10 * inodes_pct), 'free_inodes_percent': inodes_pct}


def _ids(res):
    return sorted((r['id'], r['status']) for r in res)


def test_thresholds():
    def ev(p, **kw):
        return _ids(registry.evaluate('check_disk_space', {'disk': {'paths': [p]}}, kw))

    assert ev(_path(50)) == [('disk.space_low', 'ok')]
    assert ev(_path(10)) == [('disk.space_low', 'warning')]
    assert ev(_path(3)) == [('disk.space_exhausted', 'critical')]
    assert ev(_path(50, 5)) == [('disk.inodes_low', 'warning')]
    assert ev(_path(50, 1)) == [('disk.inodes_exhausted', 'critical')]
    assert ev(_path(3, 1)) == [('disk.inodes_exhausted', 'critical'), ('disk.space_exhausted', 'critical')]
    assert ev(_path(50, total=GIB), min_free_mb=1024) == [('disk.space_low', 'warning')]
    assert ev(_path(10), warn_free_percent=5) == [('disk.space_low', 'ok')]
    res = registry.evaluate('check_disk_space', {'disk': {'paths': [_path(3)]}})
    assert res[0]['fix'] is None and res[0]['evidence']['path'] == '/var/lib/nova/instances'
    assert '3%' in res[0]['summary'] or '3.0%' in res[0]['summary']


def test_bad_input():
    assert registry.evaluate('check_disk_space', {})[0]['status'] == 'error'
    assert registry.evaluate('check_disk_space', {'disk': {'paths': []}})[0]['status'] == 'skipped'
    assert registry.evaluate('check_disk_space', {'disk': {'paths': [_path(3)]}},
                             {'warn_free_percent': 'x'})[0]['status'] == 'error'
