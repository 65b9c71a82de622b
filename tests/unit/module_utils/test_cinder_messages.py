# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an operator reads about cinder.conf: every parser problem, and [DEFAULT] options
cinder ignores for backends, said with the reason."""
import pathlib
import shutil

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import tgt_include
from ansible_collections.stackdoctor.openstack.plugins.module_utils.oslo_ini import (
    OsloIni, ParseError, cinder_backends, parse_file, parse_string)

CONFIGS = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'configs'
DUPES = CONFIGS / 'cinder-duplicates.conf'


def _kinds(problems):
    return [(p['line'], p['kind']) for p in problems]


def test_every_problem_is_collected_with_file_and_line():
    with pytest.raises(ParseError) as err:
        parse_file(str(DUPES))
    exc = err.value
    # the first syntax problem is the error (what oslo.config stops at) ...
    assert (exc.file, exc.line) == (str(DUPES), 9)
    assert "No ':' or '='" in exc.message
    # ... and every problem seen is listed, in line order, each with its file
    assert _kinds(exc.problems) == [
        (9, 'syntax'),               # garbage line
        (11, 'duplicate_section'),   # [lvm] again
        (12, 'duplicate_option'),    # volume_group, first at line 8 (the sections merge)
        (14, 'duplicate_option'),    # target_helper twice
        (15, 'syntax'),              # [broken
        (17, 'syntax'),              # '= orphan value' (line 16 sits under [broken: no problem of its own)
    ]
    assert all(p['file'] == str(DUPES) for p in exc.problems)
    dup = [p for p in exc.problems if p['kind'] == 'duplicate_section'][0]
    assert dup['first_line'] == 6 and '[lvm]' in dup['message']


def test_duplicates_alone_do_not_raise_and_last_value_wins():
    conf = parse_string('[DEFAULT]\na = 1\n[lvm]\nx = 1\n[lvm]\nx = 2\n', 'c.conf')
    assert conf.get('lvm', 'x') == '2'
    assert _kinds(conf.problems) == [(5, 'duplicate_section'), (6, 'duplicate_option')]
    assert conf.problems[1]['first_line'] == 4


def test_same_section_in_two_files_is_not_a_duplicate():
    conf = OsloIni()
    conf.read_string('[lvm]\nx = 1\n', 'a.conf')
    conf.read_string('[lvm]\nx = 2\n', 'b.conf')
    assert conf.problems == []
    assert conf.get('lvm', 'x') == '2'


def test_multi_fixture_has_one_duplicate_option():
    assert parse_file(str(CONFIGS / 'cinder-multi.conf')).problems == [
        {'kind': 'duplicate_option', 'file': str(CONFIGS / 'cinder-multi.conf'), 'line': 37,
         'message': "option 'volume_backend_name' set again in [lvm-2] (first at line 36):"
                    " a single-valued option takes the last value", 'first_line': 36}]


def test_clean_text_has_no_problems():
    assert parse_string('[DEFAULT]\nenabled_backends = lvm\n\n[lvm]\nvolume_group = v\n').problems == []


def test_gather_cinder_lists_every_problem(tmp_path):
    dest = tmp_path / 'etc' / 'cinder'
    dest.mkdir(parents=True)
    shutil.copy(str(DUPES), str(dest / 'cinder.conf'))
    out = node_facts_subsets.gather_cinder(node_facts_subsets.Context(root=str(tmp_path)))
    assert out['found'] is True
    assert out['error'] == {'file': '/etc/cinder/cinder.conf', 'line': 9,
                            'message': "No ':' or '=' found in assignment"}
    assert [p['line'] for p in out['problems']] == [9, 11, 12, 14, 15, 17]
    assert all(p['file'] == '/etc/cinder/cinder.conf' for p in out['problems'])
    assert 'RabbitS3cret' not in repr(out)


def test_check_names_every_problem():
    dest_facts = {'cinder': {'config_file': '/etc/cinder/cinder.conf', 'found': True,
                             'error': {'file': '/etc/cinder/cinder.conf', 'line': 9, 'message': 'bad'},
                             'problems': [{'kind': 'syntax', 'file': '/etc/cinder/cinder.conf', 'line': 9,
                                           'message': 'bad'},
                                          {'kind': 'duplicate_section', 'file': '/etc/cinder/cinder.conf',
                                           'line': 11, 'message': 'section [lvm] appears again'},
                                          {'kind': 'syntax', 'file': '/etc/cinder/cinder.conf', 'line': 15,
                                           'message': 'Invalid section'}]}}
    (res,) = tgt_include.evaluate(dest_facts)
    assert res['status'] == 'error'
    assert 'line 9: bad' in res['summary'] and '2 more problems' in res['summary']
    assert res['evidence']['problems'] == [
        '/etc/cinder/cinder.conf:9: syntax: bad',
        '/etc/cinder/cinder.conf:11: duplicate_section: section [lvm] appears again',
        '/etc/cinder/cinder.conf:15: syntax: Invalid section']


def _multi_facts():
    cinder = dict(cinder_backends(parse_file(str(CONFIGS / 'cinder-multi.conf'))),
                  config_file='/etc/cinder/cinder.conf', found=True, error=None, problems=[])
    return {'cinder': cinder,
            'tgt': {'config_file': '/etc/tgt/targets.conf', 'installed': True, 'running': True,
                    'includes': [{'pattern': '/srv/cinder/vols/*', 'file': '/etc/tgt/targets.conf',
                                  'line': 1}], 'errors': []}}


def test_target_helper_in_default_is_reported_as_ignored_and_why():
    results = tgt_include.evaluate(_multi_facts())
    ignored = [r for r in results if r['id'] == 'cinder.default_backend_option_ignored']
    assert [r['evidence']['option'] for r in ignored] == ['target_helper']
    (res,) = ignored
    assert res['status'] == 'warning'
    assert res['fix'] is None
    assert res['evidence']['line'] == 8 and res['evidence']['value'] == 'lioadm'
    # what each backend really uses, and from where
    assert res['evidence']['backends'] == {
        'LVM-2': {'value': 'lioadm', 'source': 'backend'},
        'ceph': {'value': 'tgtadm', 'source': 'backend_defaults'},
        'lvm-1': {'value': 'tgtadm', 'source': 'backend_defaults'},
    }
    assert 'target_helper = lioadm in [DEFAULT] line 8 is ignored' in res['summary']
    assert '[backend_defaults]' in res['summary']
    assert 'lvm-1 uses tgtadm (from [backend_defaults])' in res['summary']
    assert 'cinder/volume/configuration.py' in res['reference']
    assert 'seed' not in res['reference']
    # the tgt verdict on lvm-1 says why it is tgtadm
    ok = [r for r in results if r['id'] == 'cinder.tgt_include_missing' and r['evidence'].get('backend') == 'lvm-1']
    assert ok and 'target_helper = lioadm in [DEFAULT] (line 8) is ignored' in ok[0]['evidence']['target_helper_note']


def test_nothing_ignored_without_enabled_backends():
    facts = _multi_facts()
    facts['cinder'] = dict(cinder_backends(parse_string('[DEFAULT]\ntarget_helper = lioadm\n', 'c.conf')),
                           config_file='c.conf', found=True, error=None, problems=[])
    results = tgt_include.evaluate(facts)
    assert not [r for r in results if r['id'] == 'cinder.default_backend_option_ignored']
    assert facts['cinder']['backends']['DEFAULT']['target_helper'] == 'lioadm'


def test_volumes_dir_in_default_is_ignored_too():
    conf = parse_string('[DEFAULT]\nenabled_backends = lvm\nvolumes_dir = /data/vols\n'
                        '[lvm]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n', 'c.conf')
    info = cinder_backends(conf)
    (item,) = info['backends']['lvm']['ignored_options']
    assert item['option'] == 'volumes_dir' and item['effective'] == '/var/lib/cinder/volumes'
    assert item['effective_source'] == 'default'
    assert 'cinder/volume/configuration.py' in item['reason']
