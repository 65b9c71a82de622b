# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""stackdoctor.openstack.node_facts run through its main() on a fake node root."""
import json
import pathlib
import shutil

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.stackdoctor.openstack.plugins.modules import node_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets

FIX = pathlib.Path(__file__).resolve().parents[1] / 'fixtures'


def put(root, path, src=None, text=None, mode=None):
    real = root / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    if src is not None:
        shutil.copy(str(src), str(real))
    else:
        real.write_text(text or '')
    if mode:
        real.chmod(mode)
    return real


def run_module(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            node_facts.main()
    out = json.loads(capsys.readouterr().out)
    assert exc.value.code == 0, out
    return out


def packaged_node(root, include=True):
    put(root, '/etc/cinder/cinder.conf', FIX / 'configs' / 'cinder-multi.conf')
    put(root, '/etc/tgt/targets.conf', FIX / 'configs' / 'targets.conf')
    if include:
        put(root, '/etc/tgt/conf.d/cinder.conf', text='include /srv/cinder/vols/*\n')
    put(root, '/var/log/cinder/cinder-volume.log', FIX / 'logs' / 'cinder-volume-seed000.log')
    put(root, '/lib/systemd/system/tgt.service')
    put(root, '/lib/systemd/system/cinder-volume.service')
    put(root, '/usr/sbin/tgtadm', text='', mode=0o755)
    put(root, '/usr/sbin/tgt-admin', text='', mode=0o755)
    put(root, '/proc/4321/comm', text='tgtd\n')
    return root


def test_packaged_node_all_subsets(tmp_path, capsys):
    root = packaged_node(tmp_path)
    out = run_module(capsys, root=str(root))
    assert out['changed'] is False
    facts = out['ansible_facts']['stackdoctor_node_facts']
    assert {'layout', 'cinder', 'tgt', 'cinder_volume_log', 'nova_compute_log', 'nova_control_log',
            'qemu_img', 'cinder_glance', 'target_address', 'nested_virt', 'services', 'messaging',
            'disk', 'credentials', 'ceph'} <= set(facts)
    assert set(facts) == set(node_facts_subsets.SUBSET_NAMES)
    assert facts['layout']['flavour'] == 'packaged'
    cinder = facts['cinder']
    assert cinder['found'] and cinder['error'] is None
    assert cinder['enabled_backends'] == ['lvm-1', 'LVM-2', 'ceph']
    assert cinder['backends']['lvm-1']['volumes_dir'] == '/srv/cinder/vols'
    tgt = facts['tgt']
    assert tgt['found'] and tgt['installed'] is True
    assert tgt['binaries'] == {'tgtadm': '/usr/sbin/tgtadm', 'tgt-admin': '/usr/sbin/tgt-admin'}
    assert tgt['running'] is True and tgt['running_how'] == 'process:tgtd pid 4321'
    assert tgt['coverage']['/srv/cinder/vols']['file'] == '/etc/tgt/conf.d/cinder.conf'
    assert tgt['coverage']['/srv/cinder/volumes'] is None
    log = facts['cinder_volume_log']
    assert log['found'] and [m['signature'] for m in log['matches']] == ['1h', '1h']
    text = json.dumps(out)
    for secret in ('RabbitS3cret', 'DbS3cret', 'KsS3cret'):
        assert secret not in text
    # cinder reports only its CINDER_VOLUME_DEFAULTS options; rbd_secrets names the libvirt secret's UUID
    # (an identifier, not a secret: masking.py), since check_rbd_secrets compares it with libvirt's
    assert '457eb676-33da' not in json.dumps(facts['cinder'])
    assert facts['rbd_secrets']['cinder']['backends']['ceph']['rbd_secret_uuid'].startswith('457eb676-33da')


def test_missing_include_and_no_tgt(tmp_path, capsys):
    root = packaged_node(tmp_path, include=False)
    (root / 'usr/sbin/tgt-admin').unlink()
    (root / 'proc/4321/comm').unlink()
    out = run_module(capsys, root=str(root), subsets=['tgt', 'cinder'])
    facts = out['ansible_facts']['stackdoctor_node_facts']
    assert set(facts) == {'layout', 'cinder', 'tgt'}
    tgt = facts['tgt']
    assert tgt['installed'] is False and tgt['binaries']['tgt-admin'] is None
    assert tgt['running'] is False
    assert tgt['includes'][0]['match_count'] == 0
    assert all(v is None for v in tgt['coverage'].values())


def test_parse_error_is_reported_not_raised(tmp_path, capsys):
    put(tmp_path, '/etc/cinder/cinder.conf', FIX / 'configs' / 'cinder-garbage.conf')
    out = run_module(capsys, root=str(tmp_path), subsets=['cinder'])
    err = out['ansible_facts']['stackdoctor_node_facts']['cinder']['error']
    assert err['file'] == '/etc/cinder/cinder.conf' and err['line'] == 5
    assert "No ':' or '='" in err['message']


def test_nothing_installed(tmp_path, capsys):
    out = run_module(capsys, root=str(tmp_path))
    facts = out['ansible_facts']['stackdoctor_node_facts']
    assert facts['cinder']['found'] is False
    assert facts['tgt']['found'] is False
    assert facts['tgt']['errors'][0]['kind'] == 'missing'
    assert facts['cinder_volume_log'] == dict(facts['cinder_volume_log'], found=False,
                                              file='/var/log/cinder/cinder-volume.log')


def test_kolla_node(tmp_path, capsys):
    put(tmp_path, '/etc/kolla/cinder-volume/config.json', text='{}')
    put(tmp_path, '/etc/kolla/cinder-volume/cinder.conf', FIX / 'configs' / 'cinder-legacy.conf')
    put(tmp_path, '/etc/kolla/tgtd/config.json', text='{}')
    put(tmp_path, '/var/log/kolla/cinder/cinder-volume.log', FIX / 'logs' / 'cinder-volume-facts.log')
    out = run_module(capsys, root=str(tmp_path), log_max_matches=3)
    facts = out['ansible_facts']['stackdoctor_node_facts']
    assert facts['layout']['flavour'] == 'kolla'
    assert facts['cinder']['config_file'] == '/etc/kolla/cinder-volume/cinder.conf'
    tgt = facts['tgt']
    # kolla's tgt config is inside the cinder_volume image: without a container engine
    # (fake root) it cannot be read, and the facts say so instead of reading a host file
    assert tgt['config_file'] == '/etc/tgt/targets.conf'
    assert tgt['config_side'] == 'container' and tgt['read_in'] == 'cinder_volume'
    assert tgt['found'] is False and tgt['files_read'] == []
    assert 'no container engine' in tgt['errors'][0]['message']
    assert tgt['coverage'] == {'/var/lib/cinder/volumes': None}
    # no container CLI in the fake root: the container's state is unknown
    assert tgt['installed'] is None and tgt['running'] is None
    log = facts['cinder_volume_log']
    assert log['file'] == '/var/log/kolla/cinder/cinder-volume.log'
    assert len(log['matches']) == 3 and log['counts']['1a'] == 2
    assert 'hunter2' not in json.dumps(out)


def test_forced_flavour_and_overrides(tmp_path, capsys):
    put(tmp_path, '/srv/cinder.conf', text='[DEFAULT]\nenabled_backends = a\n[a]\n')
    out = run_module(capsys, root=str(tmp_path), subsets=['layout', 'cinder'],
                     layout_flavour='juju',
                     layout_overrides={'cinder-volume': {'config_files': ['/srv/cinder.conf']}})
    facts = out['ansible_facts']['stackdoctor_node_facts']
    assert facts['layout']['flavour'] == 'juju'
    assert facts['cinder']['config_file'] == '/srv/cinder.conf'
    assert list(facts['cinder']['backends']) == ['a']


def test_check_mode_supported(tmp_path, capsys):
    out = run_module(capsys, root=str(tmp_path), subsets=['layout'], _ansible_check_mode=True)
    assert out['changed'] is False
    assert set(out['ansible_facts']['stackdoctor_node_facts']) == {'layout'}


def test_bad_argument_fails(tmp_path, capsys):
    with patch_module_args({'root': str(tmp_path), 'subsets': ['nope']}):
        with pytest.raises(SystemExit) as exc:
            node_facts.main()
    assert exc.value.code == 1
    assert 'nope' in capsys.readouterr().out


def test_subset_exception_is_contained(tmp_path, monkeypatch):
    def boom(ctx):
        raise RuntimeError('kaput')
    monkeypatch.setitem(node_facts_subsets.GATHERERS, 'tgt', boom)
    ctx = node_facts_subsets.Context(root=str(tmp_path), params={})
    facts = node_facts_subsets.gather(['tgt'], ctx)
    assert facts['tgt']['error']['message'].startswith('RuntimeError: kaput')
    assert 'layout' in facts


def test_layout_failure_does_not_break_other_subsets(tmp_path, monkeypatch):
    def boom(ctx):
        raise OSError('no')
    monkeypatch.setitem(node_facts_subsets.GATHERERS, 'layout', boom)
    ctx = node_facts_subsets.Context(root=str(tmp_path), params={})
    facts = node_facts_subsets.gather(['cinder'], ctx)
    assert 'error' in facts['layout']
    assert facts['cinder']['config_file'] == '/etc/cinder/cinder.conf'


def test_nova_compute_log_subset_finds_the_seed_001_line(tmp_path):
    """Row 4a (seed 001) read from the packaged nova-compute log path."""
    import json as _json
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.node_facts_subsets import Context, gather
    log = tmp_path / 'var/log/nova/nova-compute.log'
    log.parent.mkdir(parents=True)
    log.write_text(
        '2026-11-20 10:00:00.000 7 INFO nova.compute.resource_tracker [-] Compute node record created\n'
        '2026-11-20 10:01:00.000 7 WARNING nova.compute.resource_tracker [-] Instance '
        '0b5a1c0e-1111-4222-8333-444455556666 has allocations against this compute host but is not '
        'found in the database.\n')
    ctx = Context(root=str(tmp_path), params={'layout_flavour': 'packaged'})
    facts = gather(['nova_compute_log'], ctx)
    nc = facts['nova_compute_log']
    assert nc['found'] and nc['file'] == '/var/log/nova/nova-compute.log'
    assert [m['signature'] for m in nc['matches']] == ['4a']
    assert '0b5a1c0e-1111-4222-8333-444455556666' in _json.dumps(nc['matches'][0]['groups'])


def test_missing_binary_is_rc_127_not_a_module_failure():
    class Module(object):
        def run_command(self, argv, check_rc=False, handle_exceptions=True):
            assert handle_exceptions is False and check_rc is False
            raise OSError(2, 'No such file or directory', argv[0])
    rc, out, err = node_facts._runner(Module())(['systemctl', 'is-active', 'tgt'])
    assert rc == 127 and out == '' and 'systemctl' in err and 'No such file' in err


def test_as_facts_false_returns_the_facts_without_setting_them(tmp_path, capsys):
    """as_facts=false (the facts role's merge, a delegated gather of another host's layout): the
    facts come back as stackdoctor_node_facts, and no ansible_facts would overwrite the host's."""
    root = packaged_node(tmp_path)
    out = run_module(capsys, root=str(root), subsets=['tgt'], as_facts=False)
    assert 'ansible_facts' not in out
    assert set(out['stackdoctor_node_facts']) == {'layout', 'tgt'}
    assert out['stackdoctor_node_facts']['tgt']['found'] is True
