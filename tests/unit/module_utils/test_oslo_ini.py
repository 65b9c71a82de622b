# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oslo.config-compatible INI reading and the cinder backend resolution."""
import pathlib

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils.oslo_ini import (
    OsloIni, ParseError, cinder_backends, parse_file, parse_string, split_list)

CONFIGS = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'configs'


def test_basic_syntax_separators_quotes_comments():
    conf = parse_string('[DEFAULT]\n# c\n; c\na = 1\nb: 2\nc = x:y\nd : p=q\ne = "quoted"\n'
                        "f = 'single'\ng =\n")
    assert conf.get('DEFAULT', 'a') == '1'
    assert conf.get('DEFAULT', 'b') == '2'
    assert conf.get('DEFAULT', 'c') == 'x:y'      # '=' first
    assert conf.get('DEFAULT', 'd') == 'p=q'      # ':' first
    assert conf.get('DEFAULT', 'e') == 'quoted'
    assert conf.get('DEFAULT', 'f') == 'single'
    assert conf.get('DEFAULT', 'g') == ''
    assert conf.keys('DEFAULT') == ['a', 'b', 'c', 'd', 'e', 'f', 'g']


def test_no_inline_comments_like_oslo():
    conf = parse_string('[DEFAULT]\nx = value # not a comment\n')
    assert conf.get('DEFAULT', 'x') == 'value # not a comment'


def test_continuation_lines_join_with_newline_and_blank_line_ends_value():
    conf = parse_string('[DEFAULT]\nservers = a,\n    b,\n\tc\n\nnext = 1\n')
    assert conf.get('DEFAULT', 'servers') == 'a,\nb,\nc'
    assert split_list(conf.get('DEFAULT', 'servers')) == ['a', 'b', 'c']
    assert conf.get('DEFAULT', 'next') == '1'
    assert conf.entry('DEFAULT', 'next').line == 6


def test_repeated_keys_last_wins_and_all_kept():
    conf = parse_string('[x]\nk = 1\nk = 2\n[x]\nk = 3\n')
    assert conf.get('x', 'k') == '3'
    assert conf.get_all('x', 'k') == ['1', '2', '3']
    assert [e.line for e in conf.entries('x', 'k')] == [2, 3, 5]


def test_section_names_normalised_like_oslo():
    conf = parse_string('[LVM-1]\na = 1\n[default]\nb = 2\n[DEFAULT]\nc = 3\n')
    assert conf.has_section('lvm-1') and conf.get('LVM-1', 'a') == '1'
    # [default] is a group called "default", not DEFAULT
    assert conf.get('DEFAULT', 'b') is None
    assert conf.get('default', 'b') == '2'
    assert conf.get('DEFAULT', 'c') == '3'


def test_no_default_fallback_in_raw_get():
    conf = parse_string('[DEFAULT]\na = 1\n[g]\nb = 2\n')
    assert conf.get('g', 'a') is None
    assert conf.get('g', 'a', default='d') == 'd'


def test_interpolation():
    conf = parse_string('[DEFAULT]\nstate_path = /srv/c\nlock = ${state_path}/lock\n'
                        'cost = $$5\n[g]\nv = $state_path/volumes\nw = ${g.v}/x\nu = $unknown/x\n'
                        'r = $lock/r\n')
    assert conf.get('g', 'v', interpolate=True) == '/srv/c/volumes'
    assert conf.get('g', 'w', interpolate=True) == '/srv/c/volumes/x'
    assert conf.get('g', 'u', interpolate=True) == '$unknown/x'
    assert conf.get('g', 'r', interpolate=True) == '/srv/c/lock/r'
    assert conf.get('DEFAULT', 'cost', interpolate=True) == '$5'
    assert conf.interpolate('$state_path', {'state_path': 'ignored'}) == '/srv/c'
    assert OsloIni().interpolate('$state_path/v', {'state_path': '/var/lib/cinder'}) == \
        '/var/lib/cinder/v'


def test_interpolation_loop_terminates():
    conf = parse_string('[DEFAULT]\na = $b\nb = $a\n')
    assert '$' in conf.get('DEFAULT', 'a', interpolate=True)


@pytest.mark.parametrize('text, line, message', [
    ('[DEFAULT]\na = 1\ngarbage line\n', 3, "No ':' or '='"),
    ('[DEFAULT\na = 1\n', 1, 'Invalid section'),
    ('[]\n', 1, 'Empty section name'),
    ('  indented first\n', 1, 'Unexpected continuation'),
    ('a = 1\n', 1, 'Section must be started'),
    ('[DEFAULT]\n= value\n', 2, 'Key cannot be empty'),
])
def test_garbage_reports_file_and_line(text, line, message):
    with pytest.raises(ParseError) as err:
        parse_string(text, '/etc/cinder/cinder.conf')
    assert err.value.line == line
    assert err.value.file == '/etc/cinder/cinder.conf'
    assert message in err.value.message
    assert err.value.to_dict() == {'file': '/etc/cinder/cinder.conf', 'line': line,
                                   'message': err.value.message}
    assert str(err.value).startswith('/etc/cinder/cinder.conf:%d: ' % line)


def test_garbage_fixture_file():
    path = str(CONFIGS / 'cinder-garbage.conf')
    with pytest.raises(ParseError) as err:
        parse_file(path)
    assert err.value.file == path and err.value.line == 5


def test_multi_backend_resolution():
    info = cinder_backends(parse_file(str(CONFIGS / 'cinder-multi.conf')))
    assert info['enabled_backends'] == ['lvm-1', 'LVM-2', 'ceph']
    assert info['legacy'] is False
    assert info['state_path'] == '/srv/cinder'
    assert info['state_path_source']['line'] == 4
    b = info['backends']
    assert set(b) == {'lvm-1', 'LVM-2', 'ceph'}
    lvm1 = b['lvm-1']
    assert lvm1['target_helper'] == 'tgtadm'
    assert lvm1['target_helper_source'] == 'backend_defaults'
    assert lvm1['sources']['target_helper']['section'] == 'backend_defaults'
    assert lvm1['volumes_dir'] == '/srv/cinder/vols'            # $state_path from DEFAULT
    assert lvm1['target_ip_address'] == '192.0.2.10'            # $my_ip from DEFAULT
    assert lvm1['target_protocol'] == 'iscsi'
    assert lvm1['target_port'] == '3260'
    assert lvm1['is_lvm'] is True
    assert lvm1['volume_backend_name'] == 'LVM_iSCSI'
    # [DEFAULT] target_helper = lioadm is ignored and reported
    ignored = dict((i['option'], i) for i in lvm1['ignored_options'])
    assert ignored['target_helper']['value'] == 'lioadm'
    assert ignored['target_helper']['line'] == 8
    # the upper-case backend name finds the [lvm-2] section (oslo lower-cases group names)
    lvm2 = b['LVM-2']
    assert lvm2['section'] == 'lvm-2' and lvm2['section_present'] is True
    assert lvm2['target_helper'] == 'lioadm' and lvm2['target_helper_source'] == 'backend'
    assert lvm2['volume_group'] == 'cinder-volumes-2'
    assert lvm2['volume_backend_name'] == 'LVM_two'            # last value wins
    assert lvm2['volumes_dir'] == '/srv/cinder/volumes'        # default $state_path/volumes
    assert lvm2['iscsi_helper']['value'] == 'tgtadm'
    assert lvm2['iscsi_helper']['ignored'] is True
    assert lvm2['iscsi_helper']['section'] == 'lvm-2'
    ceph = b['ceph']
    assert ceph['is_lvm'] is False
    assert ceph['volume_driver'] == 'cinder.volume.drivers.rbd.RBDDriver'
    # no secret leaves: only the listed options are returned
    assert 'rbd_secret_uuid' not in ceph
    dep = sorted((d['option'], d['section'], d['line']) for d in info['deprecated_options'])
    assert dep == [('iscsi_helper', 'DEFAULT', 9), ('iscsi_helper', 'lvm-2', 34),
                   ('iscsi_ip_address', 'lvm-2', 35)]
    assert all(d['ignored'] and d['name'] == d['option'] for d in info['deprecated_options'])


def test_backend_defaults_vs_default_section():
    conf = parse_string('[DEFAULT]\nenabled_backends = lvm\ntarget_helper = lioadm\n'
                        '[lvm]\nvolume_group = vg\n')
    be = cinder_backends(conf)['backends']['lvm']
    assert be['target_helper'] == 'tgtadm' and be['target_helper_source'] == 'default'
    conf = parse_string('[DEFAULT]\nenabled_backends = lvm\n[backend_defaults]\n'
                        'target_helper = lioadm\n[lvm]\nvolume_group = vg\n')
    be = cinder_backends(conf)['backends']['lvm']
    assert be['target_helper'] == 'lioadm' and be['target_helper_source'] == 'backend_defaults'


def test_missing_backend_section_uses_defaults():
    be = cinder_backends(parse_string('[DEFAULT]\nenabled_backends = lvm\n'))['backends']['lvm']
    assert be['section_present'] is False
    assert be['volume_driver'] == 'cinder.volume.drivers.lvm.LVMVolumeDriver'
    assert be['is_lvm'] is True
    assert be['volumes_dir'] == '/var/lib/cinder/volumes'
    assert be['volume_group'] == 'cinder-volumes'


def test_legacy_single_backend_reads_default_only():
    info = cinder_backends(parse_file(str(CONFIGS / 'cinder-legacy.conf')))
    assert info['legacy'] is True and info['enabled_backends'] == []
    be = info['backends']['DEFAULT']
    # iscsi_helper is ignored since Stein and [backend_defaults] is not read in legacy mode
    assert be['target_helper'] == 'tgtadm' and be['target_helper_source'] == 'default'
    assert be['iscsi_helper']['value'] == 'tgtadm' and be['iscsi_helper']['line'] == 4
    assert be['volumes_dir'] == '/var/lib/cinder/volumes'
    assert be['volume_group'] == 'cinder-volumes'
    assert be['ignored_options'] == []
    assert info['state_path'] == '/var/lib/cinder' and info['state_path_source'] is None
    names = sorted(d['option'] for d in info['deprecated_options'])
    assert names == ['iscsi_helper', 'iscsi_protocol']


def test_legacy_target_helper_in_default_is_used():
    conf = parse_string('[DEFAULT]\ntarget_helper = lioadm\nstate_path = /x\n')
    be = cinder_backends(conf)['backends']['DEFAULT']
    assert be['target_helper'] == 'lioadm' and be['target_helper_source'] == 'DEFAULT'
    assert be['volumes_dir'] == '/x/volumes'


def test_empty_enabled_backends_is_legacy():
    info = cinder_backends(parse_string('[DEFAULT]\nenabled_backends =\n'))
    assert info['legacy'] is True and list(info['backends']) == ['DEFAULT']
