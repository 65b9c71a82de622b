"""Unit tests of check_rbd_secrets: the rbd_secrets facts gathered from a node tree with recorded
virsh outputs (Debian 12 libvirt 9.0.0, tests/unit/fixtures/rbd_secrets), and evaluate() on them."""
import base64
import json
import pathlib

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils import rbd_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import rbd_secrets as check

FIX = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'rbd_secrets'
FSID = '5f1d2b9e-7c1a-4d2e-9f3b-2a6c8e4d1f00'
NOVA_UUID = '8a4f7c2e-1b3d-4e5f-a6b7-c8d9e0f10001'
KEYS = {'nova': 'AQCl3k9nAAAAABAAq1x3ZbC2mG7xT0uYw5RZ8A==',
        'cinder': 'AQBgEJ1mAAAAABAAzW0l0hWUt2oYQ8FJwBeGfA==',
        'wrong': 'AQBtYWRlLXVwLXdyb25nLWNlcGh4LWtleSEuLg=='}
NOVA_CONF = ('[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n[libvirt]\nimages_type = rbd\n'
             'rbd_user = nova\nrbd_secret_uuid = %s\n' % NOVA_UUID)
CINDER_CONF = ('[DEFAULT]\nenabled_backends = ceph\n[ceph]\nvolume_driver = cinder.volume.drivers.rbd.RBDDriver\n'
               'rbd_ceph_conf = /etc/ceph/ceph.conf\nrbd_user = cinder\n')


def _node(tmp_path, nova=NOVA_CONF, cinder=None, keyrings=('nova', 'cinder'), fsid=FSID, log=None):
    (tmp_path / 'etc' / 'ceph').mkdir(parents=True)
    (tmp_path / 'etc' / 'nova').mkdir(parents=True)
    (tmp_path / 'etc' / 'ceph' / 'ceph.conf').write_text(
        '# minimal\n[global]\n\tfsid = %s\n\tmon_host = 192.0.2.10\n' % fsid if fsid else '[global]\nmon_host = x\n')
    for user in keyrings:
        (tmp_path / 'etc' / 'ceph' / ('ceph.client.%s.keyring' % user)).write_text(
            '[client.%s]\n\tkey = %s\n\tcaps mon = "profile rbd"\n' % (user, KEYS[user]))
    if nova is not None:
        (tmp_path / 'etc' / 'nova' / 'nova.conf').write_text(nova)
    if cinder is not None:
        (tmp_path / 'etc' / 'cinder').mkdir(parents=True)
        (tmp_path / 'etc' / 'cinder' / 'cinder.conf').write_text(cinder)
    if log:
        (tmp_path / 'var' / 'log' / 'nova').mkdir(parents=True)
        (tmp_path / 'var' / 'log' / 'nova' / 'nova-compute.log').write_text(log)
    (tmp_path / 'usr' / 'bin').mkdir(parents=True)
    virsh = tmp_path / 'usr' / 'bin' / 'virsh'
    virsh.write_text('#!/bin/sh\n')
    virsh.chmod(0o755)
    return tmp_path


def _runner(secrets):
    """Replays virsh as recorded: ``secrets`` uuid -> (usage, base64 value or None)."""
    calls = []

    def run(argv):
        calls.append(argv)
        args = argv[argv.index('virsh') + 3:]
        if args == ['secret-list']:
            if not secrets:
                return 0, (FIX / 'secret-list-empty.txt').read_text(), ''
            lines = [' UUID                                   Usage', '-' * 67]
            lines += [' %s   ceph %s' % (u, usage) for u, (usage, _v) in sorted(secrets.items())]
            return 0, '\n'.join(lines) + '\n\n', ''
        if args[0] == 'secret-get-value':
            uuid = args[1]
            if uuid not in secrets:
                return 1, '', (FIX / 'get-value-no-secret.err').read_text().replace(
                    '457eb676-33da-42ec-9a8c-9293d545c337', uuid)
            if secrets[uuid][1] is None:
                return 1, '', (FIX / 'get-value-no-value.err').read_text().replace(
                    '457eb676-33da-42ec-9a8c-9293d545c337', uuid)
            return 0, secrets[uuid][1] + '\n', ''
        return 127, '', 'unexpected %r' % argv
    run.calls = calls
    return run


def _gather(root, runner):
    ctx = nfs.Context(root=str(root), runner=runner,
                      detected={'flavour': 'packaged', 'container_cli': 'none', 'unit_files': {},
                                'containers': {}, 'os_family': 'Debian'})
    return nfs.gather(['rbd_secrets'], ctx)


def _eval(facts, host='c1', peers=None):
    return check.evaluate(dict(facts, rbd_host=host, rbd_peers=peers or {}), {})


def _by_id(results, fid):
    return [r for r in results if r['id'] == fid]


def test_recorded_secret_list_parses():
    assert rbd_facts.parse_secret_list((FIX / 'secret-list-empty.txt').read_text()) == []
    two = rbd_facts.parse_secret_list((FIX / 'secret-list-two.txt').read_text())
    assert two == [{'uuid': '11111111-33da-42ec-9a8c-9293d545c337', 'usage_type': 'ceph', 'usage': 'client.x secret'},
                   {'uuid': '457eb676-33da-42ec-9a8c-9293d545c337', 'usage_type': 'ceph',
                    'usage': 'client.cinder secret'}]


def test_digest_is_of_the_decoded_key():
    # libvirt stored ...fB== and printed ...fA== (same bytes): the digests must agree
    assert rbd_facts.digest('AQBgEJ1mAAAAABAAzW0l0hWUt2oYQ8FJwBeGfB==') == rbd_facts.digest(KEYS['cinder'])
    assert rbd_facts.digest('not base64!') is None
    assert len(rbd_facts.digest(KEYS['nova'])) == 16


def test_log_signature_2a_matches_libvirt_text():
    line = ("2026-11-30 09:12:01.123 2211 ERROR nova.virt.libvirt.driver libvirt.libvirtError: Secret not found: "
            "no secret with matching uuid '%s'" % FSID)
    old = "libvirtError: Secret not found: rbd no secret matches uuid '%s'" % FSID
    res = log_signatures.scan([line, old], ['2a'])
    assert res['counts']['2a'] == 2 and res['matches'][0]['groups'] == [FSID]


def test_missing_and_wrong_value_found_without_leaking_a_key(tmp_path):
    root = _node(tmp_path, cinder=CINDER_CONF,
                 log="2026-11-30 09:12:01.123 2211 ERROR x libvirt.libvirtError: Secret not found: no secret with "
                     "matching uuid '%s'\n" % FSID)
    facts = _gather(root, _runner({NOVA_UUID: ('client.nova secret', KEYS['wrong'])}))
    rb = facts['rbd_secrets']
    assert rb['cinder']['backends']['ceph']['secret_uuid'] == FSID
    assert rb['cinder']['backends']['ceph']['uuid_from'] == 'fsid'
    assert rb['libvirt']['where'] == 'host' and NOVA_UUID in rb['libvirt']['defined']
    text = json.dumps(facts)
    for key in KEYS.values():
        assert key not in text and key[:12] not in text
    results = _eval(facts)
    missing = _by_id(results, 'libvirt.rbd_secret_missing')
    wrong = _by_id(results, 'libvirt.rbd_secret_value_mismatch')
    assert [r['status'] for r in missing] == ['critical'] and missing[0]['evidence']['uuid'] == FSID
    assert missing[0]['fix'] == 'fix_rbd_secrets'
    assert 'the cluster FSID' in missing[0]['evidence']['used_by'][0]
    assert missing[0]['evidence']['usage_name'] == 'client.cinder secret'
    assert missing[0]['evidence']['keyring'] == '/etc/ceph/ceph.client.cinder.keyring'
    assert len(missing[0]['evidence']['log_lines']) == 1
    assert [r['status'] for r in wrong] == ['critical'] and wrong[0]['evidence']['uuid'] == NOVA_UUID
    assert wrong[0]['evidence']['cephx_user'] == 'nova'


def test_clean_compute_gets_the_cinder_uuid_from_a_peer(tmp_path):
    peer = _gather(_node(tmp_path / 'c1', cinder=CINDER_CONF), _runner({}))['rbd_secrets']['cinder']
    facts = _gather(_node(tmp_path / 'c2'), _runner({NOVA_UUID: ('client.nova secret', KEYS['nova']),
                                                     FSID: ('client.cinder secret', KEYS['cinder'])}))
    results = _eval(facts, host='c2', peers={'c1': {'groups': ['storage'], 'cinder': peer}})
    assert [(r['status'], r['evidence']['uuid']) for r in results] == [('ok', FSID), ('ok', NOVA_UUID)]
    assert all(r['evidence']['compared'] for r in results)
    # without the peer, only nova's UUID is known here
    assert [r['evidence']['uuid'] for r in _eval(facts, host='c2')] == [NOVA_UUID]


def test_secret_without_value(tmp_path):
    facts = _gather(_node(tmp_path), _runner({NOVA_UUID: ('client.nova secret', None)}))
    wrong = _by_id(_eval(facts), 'libvirt.rbd_secret_value_mismatch')
    assert wrong[0]['status'] == 'critical' and 'does not have a value' in wrong[0]['summary']


def test_value_not_compared_without_keyring(tmp_path):
    facts = _gather(_node(tmp_path, keyrings=()), _runner({NOVA_UUID: ('client.nova secret', KEYS['wrong'])}))
    res = _eval(facts)
    assert [r['status'] for r in res] == ['ok'] and res[0]['evidence']['compared'] is False
    assert 'no keyring of client.nova' in res[0]['summary']


def test_one_uuid_two_users_is_a_conflict(tmp_path):
    cinder = CINDER_CONF.replace('rbd_user = cinder\n', 'rbd_user = cinder\nrbd_secret_uuid = %s\n' % NOVA_UUID)
    facts = _gather(_node(tmp_path, cinder=cinder), _runner({NOVA_UUID: ('client.nova secret', KEYS['nova'])}))
    res = _eval(facts)
    conflict = _by_id(res, 'rbd.secret_user_conflict')
    assert conflict[0]['status'] == 'critical' and conflict[0]['evidence']['rbd_users'] == ['cinder', 'nova']
    assert conflict[0]['evidence']['align_user'] == 'cinder'
    # the value is the key of one of them: no value finding on top of the conflict
    assert not [r for r in _by_id(res, 'libvirt.rbd_secret_value_mismatch') if r['status'] != 'ok']


def test_kolla_style_two_uuids_are_fine(tmp_path):
    cinder = CINDER_CONF.replace('rbd_user = cinder\n', 'rbd_user = cinder\nrbd_secret_uuid = %s\n' % FSID)
    facts = _gather(_node(tmp_path, cinder=cinder), _runner({NOVA_UUID: ('ceph-ephemeral-nova', KEYS['nova']),
                                                             FSID: ('ceph-persistent-cinder', KEYS['cinder'])}))
    assert [r['status'] for r in _eval(facts)] == ['ok', 'ok']


def test_unknown_uuid_and_auth_disabled(tmp_path):
    conf = ('[DEFAULT]\nenabled_backends = a,b\n[a]\nvolume_driver = cinder.volume.drivers.rbd.RBDDriver\n'
            'rbd_user = cinder\n[b]\nvolume_driver = cinder.volume.drivers.rbd.RBDDriver\n'
            '[lvm]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n')
    facts = _gather(_node(tmp_path, cinder=conf, fsid=None), _runner({NOVA_UUID: ('client.nova secret', KEYS['nova'])}))
    res = _eval(facts)
    unknown = _by_id(res, 'rbd.secret_uuid_unknown')
    assert unknown[0]['status'] == 'error' and 'no fsid in [global]' in unknown[0]['summary']
    disabled = _by_id(res, 'cinder.rbd_auth_disabled')
    assert disabled[0]['status'] == 'warning' and disabled[0]['fix'] is None
    # on another compute these backends are not reported again (their host reports them)
    other = _eval(dict(facts, rbd_secrets=dict(facts['rbd_secrets'], cinder={'found': False, 'backends': {}})),
                  host='c2', peers={'c1': {'cinder': facts['rbd_secrets']['cinder']}})
    assert not _by_id(other, 'cinder.rbd_auth_disabled') and not _by_id(other, 'rbd.secret_uuid_unknown')


def test_logged_uuid_no_config_names(tmp_path):
    old = '0b0b0b0b-1111-4222-8333-444455556666'
    facts = _gather(_node(tmp_path, log="x Secret not found: no secret with matching uuid '%s'\n" % old),
                    _runner({NOVA_UUID: ('client.nova secret', KEYS['nova'])}))
    res = _by_id(_eval(facts), 'nova.rbd_secret_not_found_logged')
    assert res[0]['status'] == 'warning' and res[0]['evidence']['uuid'] == old and res[0]['fix'] is None


def test_not_a_compute_is_skipped(tmp_path):
    root = _node(tmp_path, nova=None, cinder=CINDER_CONF)
    (root / 'usr' / 'bin' / 'virsh').unlink()
    res = _eval(_gather(root, _runner({})), host='storage1')
    assert [r['status'] for r in res] == ['skipped']


@pytest.mark.parametrize('bad, where', [
    ('[libvirt\nrbd_user = nova\n', 'nova.conf'),
])
def test_malformed_nova_conf_is_an_error_naming_the_file(tmp_path, bad, where):
    facts = _gather(_node(tmp_path, nova=bad), _runner({}))
    res = _eval(facts)
    assert res[0]['status'] == 'error' and where in res[0]['summary']


def test_virsh_failure_is_an_error_not_a_traceback(tmp_path):
    facts = _gather(_node(tmp_path), lambda argv: (124, '', 'timed out'))
    res = _eval(facts)
    assert [r['status'] for r in res] == ['error'] and 'timed out' in res[0]['summary']


def test_no_facts():
    assert [r['status'] for r in check.evaluate({}, {})] == ['error']


def test_base64_keys_used_here_are_valid():
    for key in KEYS.values():
        assert len(base64.b64decode(key, validate=True)) == 28


@pytest.mark.parametrize('flavour, container, etc_ceph', [
    ('kolla', 'nova_libvirt', 'etc/kolla/nova-compute'),
    ('tripleo', 'nova_virtsecretd', 'var/lib/tripleo-config/ceph'),
])
def test_containerised_libvirt_is_read_through_the_layout(tmp_path, flavour, container, etc_ceph):
    nova_dir = {'kolla': 'etc/kolla/nova-compute',
                'tripleo': 'var/lib/config-data/puppet-generated/nova_libvirt/etc/nova'}[flavour]
    (tmp_path / nova_dir).mkdir(parents=True)
    (tmp_path / nova_dir / 'nova.conf').write_text(NOVA_CONF)
    (tmp_path / etc_ceph).mkdir(parents=True, exist_ok=True)
    (tmp_path / etc_ceph / 'ceph.conf').write_text('[global]\nfsid = %s\n' % FSID)
    (tmp_path / etc_ceph / 'ceph.client.nova.keyring').write_text('[client.nova]\n\tkey = %s\n' % KEYS['nova'])
    runner = _runner({NOVA_UUID: ('ceph-ephemeral-nova', KEYS['nova'])})
    ctx = nfs.Context(root=str(tmp_path), runner=runner,
                      detected={'flavour': flavour, 'container_cli': 'podman', 'unit_files': {},
                                'containers': {container: {'state': 'running', 'running': True, 'image': 'x'}},
                                'os_family': 'RedHat'})
    rb = nfs.gather(['rbd_secrets'], ctx)['rbd_secrets']
    assert rb['libvirt']['where'] == 'container' and rb['libvirt']['container'] == container
    assert runner.calls[0][2:7] == ['podman', 'exec', '-i', container, 'virsh']
    assert rb['cephx']['nova']['host_file'] == '/%s/ceph.client.nova.keyring' % etc_ceph
    res = _eval({'rbd_secrets': rb})
    assert [r['status'] for r in res] == ['ok'] and res[0]['evidence']['libvirt'] == container
