"""check_tgt_include evaluation: facts in, results out (no host needed)."""
import copy

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import tgt_include

BACKEND = {
    'volume_driver': 'cinder.volume.drivers.lvm.LVMVolumeDriver', 'is_lvm': True,
    'target_helper': 'tgtadm', 'target_helper_source': 'default',
    'volumes_dir': '/var/lib/cinder/volumes',
}
FACTS = {
    'cinder': {'config_file': '/etc/cinder/cinder.conf', 'found': True, 'error': None,
               'enabled_backends': ['lvm'], 'backends': {'lvm': BACKEND}, 'deprecated_options': []},
    'tgt': {'config_file': '/etc/tgt/targets.conf', 'conf_d': '/etc/tgt/conf.d', 'found': True,
            'includes': [{'pattern': '/etc/tgt/conf.d/*.conf', 'file': '/etc/tgt/targets.conf', 'line': 1},
                         {'pattern': '/var/lib/cinder/volumes/*', 'file': '/etc/tgt/conf.d/cinder.conf', 'line': 1}],
            'errors': [], 'installed': True, 'running': True, 'running_how': 'systemd tgt active'},
    'cinder_volume_log': {'file': '/var/log/cinder/cinder-volume.log', 'found': True, 'matches': []},
}


def facts(**changes):
    f = copy.deepcopy(FACTS)
    for path, value in changes.items():
        node = f
        keys = path.split('__')
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return f


def statuses(results):
    return sorted((r['id'], r['status']) for r in results)


def test_include_via_conf_d_is_ok():
    res = tgt_include.evaluate(FACTS)
    assert statuses(res) == [('cinder.tgt_include_missing', 'ok')]
    assert '/etc/tgt/conf.d/cinder.conf:1' in res[0]['summary']
    assert res[0]['fix'] is None


def test_missing_include_is_critical_with_evidence_and_log_lines():
    f = facts(tgt__includes=[{'pattern': '/etc/tgt/conf.d/*.conf', 'file': '/etc/tgt/targets.conf', 'line': 1}])
    f['cinder_volume_log']['matches'] = [
        {'signature': '1a', 'line_no': 7, 'text': "Failed to create iscsi target for Volume ID: volume-1 ..."},
        {'signature': '4a', 'line_no': 9, 'text': 'unrelated nova line'}]
    res = tgt_include.evaluate(f)
    assert statuses(res) == [('cinder.tgt_include_missing', 'critical')]
    ev = res[0]['evidence']
    assert ev['backend'] == 'lvm' and ev['target_helper'] == 'tgtadm'
    assert ev['file'] == '/etc/cinder/cinder.conf' and ev['tgt_config'] == '/etc/tgt/targets.conf'
    assert [line['line'] for line in ev['log_lines']] == [7]
    assert res[0]['fix'] == 'fix_tgt_include'


def test_lioadm_is_not_a_fault_even_without_include():
    f = facts(tgt__includes=[], tgt__installed=False, tgt__running=False)
    f['cinder']['backends']['lvm']['target_helper'] = 'lioadm'
    assert statuses(tgt_include.evaluate(f)) == [('cinder.tgt_include_missing', 'ok')]


def test_tgt_not_installed_and_not_running():
    assert ('cinder.tgt_not_installed', 'critical') in statuses(
        tgt_include.evaluate(facts(tgt__installed=False, tgt__running=False)))
    assert statuses(tgt_include.evaluate(facts(tgt__running=False))) == [('cinder.tgt_not_running', 'critical')]


def test_deprecated_iscsi_helper_is_a_warning_and_tgtadm_still_applies():
    f = facts(tgt__installed=False, tgt__running=False, tgt__includes=[])
    f['cinder']['deprecated_options'] = [{'name': 'iscsi_helper', 'value': 'lioadm', 'section': 'lvm', 'line': 4}]
    res = statuses(tgt_include.evaluate(f))
    assert ('cinder.iscsi_helper_ignored', 'warning') in res
    assert ('cinder.tgt_not_installed', 'critical') in res
    assert ('cinder.tgt_include_missing', 'critical') in res


def test_malformed_config_is_an_error_naming_file_and_line():
    f = facts(cinder__error={'file': '/etc/cinder/cinder.conf', 'line': 12, 'message': 'no section header'})
    res = tgt_include.evaluate(f)
    assert statuses(res) == [('cinder.tgt_include_missing', 'error')]
    assert '/etc/cinder/cinder.conf line 12' in res[0]['summary']
    assert res[0]['fix'] is None


def test_no_cinder_conf_is_skipped():
    assert statuses(tgt_include.evaluate(facts(cinder__found=False))) == [('cinder.tgt_include_missing', 'skipped')]


def test_non_lvm_backend_skipped_and_several_backends_each_checked():
    f = facts()
    f['cinder']['backends']['ceph'] = {'volume_driver': 'cinder.volume.drivers.rbd.RBDDriver', 'is_lvm': False}
    f['cinder']['backends']['lvm2'] = dict(BACKEND, volumes_dir='/srv/cinder/volumes')
    res = tgt_include.evaluate(f)
    by_backend = {r['evidence']['backend']: r['status'] for r in res}
    assert by_backend == {'ceph': 'skipped', 'lvm': 'ok', 'lvm2': 'critical'}


@pytest.mark.parametrize('pattern,covered', [
    ('/var/lib/cinder/volumes/*', True),
    ('/var/lib/cinder/volumes/volume-*', True),
    ('/var/lib/cinder/volumes//*', True),
    ('/var/lib/cinder/volumes', False),
    ('/var/lib/cinder/*', False),
    ('/var/lib/cinder/volume/*', False),
    ('', False),
])
def test_include_covers(pattern, covered):
    assert tgt_include.include_covers([{'pattern': pattern}], '/var/lib/cinder/volumes') is covered
