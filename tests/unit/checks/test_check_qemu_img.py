"""Unit tests of check_qemu_img: the qemu_img subset on fake hosts, evaluate() on its facts."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import qemu_img
from ansible_collections.stackdoctor.openstack.plugins.module_utils.node_facts_subsets import (
    Context, gather)

CINDER_CONF = '[DEFAULT]\nenabled_backends = lvm-1\n[lvm-1]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n'
# the inner line the lab recipe found (cinder 29, >= Caracal wording), inside oslo's
# "Original exception being dropped" line; the surfaced error was GlanceMetadataNotFound
DROPPED = ("2026-11-30 12:00:04.512 4242 ERROR oslo_messaging.rpc.server [req-2 - - - - -] Original exception "
           "being dropped: ['Traceback (most recent call last):\\n', '  File \".../cinder/image/image_utils.py\", "
           "line 770, in get_qemu_data\\n', 'cinder.exception.ImageUnacceptable: Image 3f0c9a21-0000-4000-8000-"
           "0000000000c1 is unacceptable: qemu-img is not installed and image is not of type RAW.  Only RAW images "
           "can be used if qemu-img is not installed.\\n']")
OLD = ('2020-01-01 10:00:00.000 1 ERROR cinder.volume.flows.manager.create_volume [req-1 - - - - -] Image 1 is '
       'unacceptable: qemu-img is not installed and image is of type False.  Only RAW images can be used')
WARN = '2026-11-30 12:00:00.000 4242 WARNING cinder.image.image_utils [-] qemu-img is not installed.'


def put(root, path, text, mode=None):
    real = root / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(text)
    if mode:
        real.chmod(mode)


def packaged(tmp_path, qemu=True, units=None, files=None):
    put(tmp_path, '/etc/os-release', 'ID=debian\n')
    if qemu:
        put(tmp_path, '/usr/bin/qemu-img', '#!/bin/sh\n', 0o755)
    for path, text in (files or {}).items():
        put(tmp_path, path, text)
    detected = {'flavour': 'packaged', 'detected_by': 'test', 'os_family': 'Debian', 'container_cli': 'none',
                'unit_files': dict((u, 'enabled') for u in units or []), 'units_source': 'dirs',
                'containers': None, 'errors': []}
    ctx = Context(root=str(tmp_path), params={}, runner=None, detected=detected)
    return gather(['qemu_img', 'cinder_volume_log'], ctx)


def statuses(results):
    return [(r['id'], r['status']) for r in results]


def test_signatures_match_every_release_wording_and_the_dropped_exception():
    res = log_signatures.scan([DROPPED, OLD, WARN, 'qemu-img is not installed and the disk format is not specified.'],
                              ['7c', '7e'])
    assert res['counts'] == {'7c': 3, '7e': 1}


def test_missing_qemu_img_on_a_cinder_volume_host_is_critical_with_log_lines(tmp_path):
    facts = packaged(tmp_path, qemu=False, units=['cinder-volume'],
                     files={'/etc/cinder/cinder.conf': CINDER_CONF,
                            '/var/log/cinder/cinder-volume.log': WARN + '\n' + DROPPED + '\n'})
    results = qemu_img.evaluate(facts, {})
    assert statuses(results) == [('cinder.qemu_img_missing', 'critical')]
    ev = results[0]['evidence']
    assert ev['service'] == 'cinder-volume' and ev['where'] == 'host' and ev['package'] == 'qemu-utils'
    assert [l['signature'] for l in ev['log_lines']] == ['7e', '7c']
    assert results[0]['fix'] == 'fix_qemu_img'
    assert 'unit cinder-volume' in results[0]['summary']


def test_present_qemu_img_is_ok(tmp_path):
    facts = packaged(tmp_path, units=['cinder-volume'], files={'/etc/cinder/cinder.conf': CINDER_CONF})
    results = qemu_img.evaluate(facts, {})
    assert statuses(results) == [('cinder.qemu_img_missing', 'ok')]
    assert results[0]['evidence']['qemu_img'] == '/usr/bin/qemu-img'


def test_nova_only_with_libvirt_and_glance_only_with_image_conversion(tmp_path):
    facts = packaged(tmp_path, qemu=False, files={
        '/etc/nova/nova.conf': '[DEFAULT]\ncompute_driver = fake.FakeDriverWithoutFakeNodes\n',
        '/etc/glance/glance-api.conf': '[DEFAULT]\n'})
    assert statuses(qemu_img.evaluate(facts, {})) == [('nova.qemu_img_missing', 'skipped'),
                                                      ('glance.qemu_img_missing', 'skipped')]
    facts = packaged(tmp_path / 'b', qemu=False, files={
        '/etc/nova/nova.conf': '[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n',
        '/etc/glance/glance-api.conf': '[image_import_opts]\nimage_import_plugins = [\'image_conversion\']\n'})
    assert statuses(qemu_img.evaluate(facts, {})) == [('nova.qemu_img_missing', 'critical'),
                                                      ('glance.qemu_img_missing', 'warning')]


def test_no_service_here_is_skipped(tmp_path):
    assert statuses(qemu_img.evaluate(packaged(tmp_path), {})) == [('cinder.qemu_img_missing', 'skipped')]


def test_malformed_config_is_an_error_naming_the_file_and_line(tmp_path):
    facts = packaged(tmp_path, qemu=False, files={'/etc/nova/nova.conf': '[DEFAULT]\nthis is not an option\n'})
    results = qemu_img.evaluate(facts, {})
    assert statuses(results) == [('nova.qemu_img_missing', 'error')]
    assert '/etc/nova/nova.conf line 2' in results[0]['summary']


def kolla_facts(tmp_path, exec_result):
    put(tmp_path, '/etc/os-release', 'ID=debian\n')
    put(tmp_path, '/etc/kolla/cinder-volume/cinder.conf', CINDER_CONF)
    calls = []

    def runner(argv):
        calls.append(argv)
        return exec_result
    detected = {'flavour': 'kolla', 'detected_by': 'test', 'os_family': 'Debian', 'container_cli': 'podman',
                'unit_files': {}, 'units_source': 'dirs', 'errors': [],
                'containers': {'cinder_volume': {'state': 'running', 'running': True, 'image': None}}}
    ctx = Context(root=str(tmp_path), params={'command_timeout': 7}, runner=runner, detected=detected)
    return gather(['qemu_img'], ctx), calls


def test_kolla_looks_inside_the_container_with_a_bounded_exec(tmp_path):
    facts, calls = kolla_facts(tmp_path, (1, '', ''))
    results = qemu_img.evaluate(facts, {})
    assert statuses(results) == [('cinder.qemu_img_missing', 'critical')]
    assert results[0]['evidence']['where'] == 'container cinder_volume'
    assert calls == [['timeout', '7', 'podman', 'exec', 'cinder_volume', 'sh', '-c', 'command -v qemu-img']]
    facts, _ = kolla_facts(tmp_path / 'ok', (0, '/usr/bin/qemu-img\n', ''))
    assert statuses(qemu_img.evaluate(facts, {})) == [('cinder.qemu_img_missing', 'ok')]


def test_kolla_exec_timeout_is_an_error_not_a_pass(tmp_path):
    facts, _ = kolla_facts(tmp_path, (124, '', ''))
    results = qemu_img.evaluate(facts, {})
    assert statuses(results) == [('cinder.qemu_img_missing', 'error')]
    assert 'timed out' in results[0]['summary']


def test_facts_missing_is_an_error():
    assert statuses(qemu_img.evaluate({}, {})) == [('cinder.qemu_img_missing', 'error')]
