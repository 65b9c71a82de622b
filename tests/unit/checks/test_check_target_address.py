"""Unit tests of check_target_address: the target_address subset on a fake /proc, evaluate() on facts."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import target_address
from ansible_collections.stackdoctor.openstack.plugins.module_utils.node_facts_subsets import (
    Context, gather)

FIB_TRIE = '''Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 10.0.40.0/24 2 0 2
        +-- 10.0.40.0/30 2 0 2
           |-- 10.0.40.0
              /24 link UNICAST
           |-- 10.0.40.11
              /32 host LOCAL
'''
IF_INET6 = '00000000000000000000000000000001 01 80 10 80       lo\n'


def put(root, path, text):
    real = root / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(text)


def facts_for(tmp_path, conf):
    put(tmp_path, '/proc/net/fib_trie', FIB_TRIE)
    put(tmp_path, '/proc/net/if_inet6', IF_INET6)
    if conf is not None:
        put(tmp_path, '/etc/cinder/cinder.conf', conf)
    detected = {'flavour': 'packaged', 'detected_by': 'test', 'os_family': 'Debian', 'container_cli': 'none',
                'unit_files': {}, 'units_source': 'dirs', 'containers': None, 'errors': []}
    ctx = Context(root=str(tmp_path), params={}, runner=None, detected=detected)
    return gather(['cinder', 'target_address'], ctx)


def conf(backend_extra='', default_extra=''):
    return ('[DEFAULT]\nenabled_backends = lvm-1\n%s[lvm-1]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n%s'
            % (default_extra, backend_extra))


def statuses(results):
    return [(r['id'], r['status']) for r in results]


def test_subset_reads_the_namespace_addresses(tmp_path):
    facts = facts_for(tmp_path, None)['target_address']
    assert facts['addresses'] == ['127.0.0.1', '10.0.40.11', '::1']
    assert facts['networks']['10.0.40.11'] == ['10.0.40.0/24']
    assert facts['networks']['127.0.0.1'] == ['127.0.0.0/8']


def test_foreign_target_ip_address_is_critical_naming_file_and_line(tmp_path):
    facts = facts_for(tmp_path, conf('target_ip_address = 203.0.113.10\n'))
    results = target_address.evaluate(facts, {'storage_network': '10.0.40.0/24'})
    assert statuses(results) == [('cinder.target_address_foreign', 'critical')]
    ev = results[0]['evidence']
    assert (ev['backend'], ev['option'], ev['value'], ev['line'], ev['set_in']) == (
        'lvm-1', 'target_ip_address', '203.0.113.10', 5, 'lvm-1')
    assert ev['storage_network_address'] == '10.0.40.11'
    assert '[lvm-1] line 5 of /etc/cinder/cinder.conf' in results[0]['summary']


def test_foreign_my_ip_through_the_default_is_found(tmp_path):
    facts = facts_for(tmp_path, conf(default_extra='my_ip = 198.51.100.4\n'))
    results = target_address.evaluate(facts, {})
    assert statuses(results) == [('cinder.target_address_foreign', 'critical')]
    assert results[0]['evidence']['source'] == 'default'


def test_local_addresses_and_unset_my_ip_are_ok(tmp_path):
    for i, extra in enumerate(('target_ip_address = 10.0.40.11\n', '', 'target_ip_address = 0.0.0.0\n',
                               'target_ip_address = storage-1.example.org\n')):
        facts = facts_for(tmp_path / str(i), conf(extra))
        assert statuses(target_address.evaluate(facts, {})) == [('cinder.target_address_foreign', 'ok')], extra


def test_foreign_secondary_address(tmp_path):
    facts = facts_for(tmp_path, conf('target_ip_address = 10.0.40.11\n'
                                     'target_secondary_ip_addresses = 127.0.0.1,192.0.2.99\n'))
    results = target_address.evaluate(facts, {})
    assert statuses(results) == [('cinder.target_address_foreign', 'critical')]
    assert results[0]['evidence']['option_values'] == ['127.0.0.1', '192.0.2.99']
    assert results[0]['evidence']['value'] == '192.0.2.99'


def test_iscsi_ip_address_is_reported_as_ignored(tmp_path):
    facts = facts_for(tmp_path, conf('iscsi_ip_address = 10.0.40.11\n'))
    results = target_address.evaluate(facts, {})
    assert statuses(results) == [('cinder.iscsi_ip_address_ignored', 'warning'),
                                 ('cinder.target_address_foreign', 'ok')]
    assert results[0]['fix'] is None


def test_malformed_and_missing_config(tmp_path):
    facts = facts_for(tmp_path, '[DEFAULT]\nenabled_backends = lvm-1\ngarbage line\n')
    results = target_address.evaluate(facts, {})
    assert statuses(results) == [('cinder.target_address_foreign', 'error')]
    assert '/etc/cinder/cinder.conf line 3' in results[0]['summary']
    assert statuses(target_address.evaluate(facts_for(tmp_path / 'b', None), {})) == [
        ('cinder.target_address_foreign', 'skipped')]
    assert statuses(target_address.evaluate({}, {})) == [('cinder.target_address_foreign', 'error')]


def test_non_lvm_backend_is_skipped(tmp_path):
    facts = facts_for(tmp_path, '[DEFAULT]\nenabled_backends = ceph\n[ceph]\n'
                                'volume_driver = cinder.volume.drivers.rbd.RBDDriver\n')
    assert statuses(target_address.evaluate(facts, {})) == [('cinder.target_address_foreign', 'skipped')]
