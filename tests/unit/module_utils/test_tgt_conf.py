# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tgt include tree walking and coverage of cinder's volumes_dir."""
import pathlib

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils.tgt_conf import (
    covering_include, covers, glob_match, map_path, read_tgt_config)

CONFIGS = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'configs'


def write(root, path, text):
    real = root / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(text)
    return real


def packaged_root(tmp_path, with_cinder_conf=True):
    write(tmp_path, '/etc/tgt/targets.conf', (CONFIGS / 'targets.conf').read_text())
    if with_cinder_conf:
        write(tmp_path, '/etc/tgt/conf.d/cinder.conf', (CONFIGS / 'tgt-cinder.conf').read_text())
    write(tmp_path, '/var/lib/cinder/volumes/volume-0d5ffdca-d6da-4da7-80bb-2900df33eeef',
          (CONFIGS / 'volume-target').read_text())
    return tmp_path


def test_conf_d_glob_and_nested_include(tmp_path):
    root = packaged_root(tmp_path)
    res = read_tgt_config('/etc/tgt/targets.conf', root=str(root))
    assert res['found'] is True
    assert res['errors'] == []
    inc = [(i['pattern'], i['file'], i['line']) for i in res['includes']]
    assert inc == [('/etc/tgt/conf.d/*.conf', '/etc/tgt/targets.conf', 4),
                   ('/var/lib/cinder/volumes/*', '/etc/tgt/conf.d/cinder.conf', 1)]
    assert res['includes'][0]['matches'] == ['/etc/tgt/conf.d/cinder.conf']
    assert res['files_read'] == [
        '/etc/tgt/targets.conf', '/etc/tgt/conf.d/cinder.conf',
        '/var/lib/cinder/volumes/volume-0d5ffdca-d6da-4da7-80bb-2900df33eeef']
    assert res['default_driver'] == {'value': 'iscsi', 'file': '/etc/tgt/targets.conf', 'line': 6}
    assert res['targets'][0]['name'] == \
        'iqn.2010-10.org.openstack:volume-0d5ffdca-d6da-4da7-80bb-2900df33eeef'
    assert covers(res['includes'], '/var/lib/cinder/volumes')
    assert covering_include(res['includes'], '/var/lib/cinder/volumes/')['line'] == 1
    # the CHAP password of the target file never appears in the result
    assert 'Pw9zZ3tY' not in repr(res)


def test_missing_include_is_not_covered(tmp_path):
    root = packaged_root(tmp_path, with_cinder_conf=False)
    res = read_tgt_config('/etc/tgt/targets.conf', root=str(root))
    assert res['errors'] == []            # a glob matching nothing is not an error
    assert res['includes'][0]['match_count'] == 0
    assert not covers(res['includes'], '/var/lib/cinder/volumes')


def test_missing_targets_conf(tmp_path):
    res = read_tgt_config('/etc/tgt/targets.conf', root=str(tmp_path))
    assert res['found'] is False
    assert res['errors'][0]['kind'] == 'missing'
    assert res['errors'][0]['file'] == '/etc/tgt/targets.conf'


def test_missing_literal_include_is_an_error_with_its_line(tmp_path):
    write(tmp_path, '/etc/tgt/targets.conf', '# x\ninclude /etc/tgt/extra.conf\n')
    res = read_tgt_config('/etc/tgt/targets.conf', root=str(tmp_path))
    err = res['errors'][0]
    assert (err['kind'], err['file'], err['line'], err['path']) == (
        'missing', '/etc/tgt/targets.conf', 2, '/etc/tgt/extra.conf')


def test_include_loop_detected(tmp_path):
    write(tmp_path, '/etc/tgt/targets.conf', 'include /etc/tgt/a.conf\n')
    write(tmp_path, '/etc/tgt/a.conf', 'include /etc/tgt/b.conf\n')
    write(tmp_path, '/etc/tgt/b.conf', 'Include /etc/tgt/targets.conf\n')
    res = read_tgt_config('/etc/tgt/targets.conf', root=str(tmp_path))
    loops = [e for e in res['errors'] if e['kind'] == 'loop']
    assert len(loops) == 1
    assert loops[0]['file'] == '/etc/tgt/b.conf' and loops[0]['line'] == 1
    assert len(res['includes']) == 3
    assert res['files_read_count'] == 3


def test_self_glob_loop(tmp_path):
    write(tmp_path, '/etc/tgt/targets.conf', 'include /etc/tgt/conf.d/*\n')
    write(tmp_path, '/etc/tgt/conf.d/all.conf', 'include /etc/tgt/conf.d/*\n')
    res = read_tgt_config('/etc/tgt/targets.conf', root=str(tmp_path))
    assert [e['kind'] for e in res['errors']] == ['loop']


def test_diamond_include_read_once(tmp_path):
    write(tmp_path, '/etc/tgt/targets.conf', 'include /etc/tgt/a.conf\ninclude /etc/tgt/b.conf\n')
    write(tmp_path, '/etc/tgt/a.conf', 'include /etc/tgt/c.conf\n')
    write(tmp_path, '/etc/tgt/b.conf', 'include /etc/tgt/c.conf\n')
    write(tmp_path, '/etc/tgt/c.conf', '<target iqn.x:y>\n</target>\n')
    res = read_tgt_config('/etc/tgt/targets.conf', root=str(tmp_path))
    assert res['errors'] == []
    assert res['files_read_count'] == 4
    assert [t['name'] for t in res['targets']] == ['iqn.x:y']


def test_relative_include(tmp_path):
    write(tmp_path, '/etc/tgt/targets.conf', 'include conf.d/*.conf\n')
    write(tmp_path, '/etc/tgt/conf.d/cinder.conf', 'include /var/lib/cinder/volumes/*\n')
    res = read_tgt_config('/etc/tgt/targets.conf', root=str(tmp_path))
    assert res['includes'][0]['resolved'] == '/etc/tgt/conf.d/*.conf'
    assert covers(res['includes'], '/var/lib/cinder/volumes')


def test_unreadable_file(tmp_path):
    # a directory named by a literal include cannot be read as a file (works as root too)
    write(tmp_path, '/etc/tgt/targets.conf', 'include /etc/tgt/conf.d\n')
    (tmp_path / 'etc/tgt/conf.d').mkdir()
    res = read_tgt_config('/etc/tgt/targets.conf', root=str(tmp_path))
    assert res['errors'][0]['kind'] == 'unreadable'
    assert res['errors'][0]['line'] == 1
    assert not covers(res['includes'], '/etc/tgt/conf.d')


def test_bind_mounted_path_map(tmp_path):
    write(tmp_path, '/srv/tgt-host/targets.conf', 'include /etc/tgt/conf.d/*.conf\n')
    write(tmp_path, '/srv/tgt-host/conf.d/cinder.conf', 'include /var/lib/cinder/volumes/*\n')
    res = read_tgt_config('/srv/tgt-host/targets.conf', root=str(tmp_path),
                          path_map={'/etc/tgt': '/srv/tgt-host'})
    assert res['found'] and res['errors'] == []
    assert res['files_read'] == ['/srv/tgt-host/targets.conf',
                                 '/srv/tgt-host/conf.d/cinder.conf']
    assert res['includes'][1]['file'] == '/srv/tgt-host/conf.d/cinder.conf'
    assert res['includes'][0]['resolved'] == '/etc/tgt/conf.d/*.conf'
    assert covers(res['includes'], '/var/lib/cinder/volumes')


def test_map_path():
    pm = {'/etc/tgt': '/srv/tgt-host', '/etc/tgt/conf.d': '/srv/confd'}
    assert map_path('/etc/tgt/targets.conf', pm) == '/srv/tgt-host/targets.conf'
    assert map_path('/etc/tgt/conf.d/x', pm) == '/srv/confd/x'   # longest prefix
    assert map_path('/etc/tgtx/y', pm) == '/etc/tgtx/y'
    assert map_path('/etc/tgt', pm) == '/srv/tgt-host'


@pytest.mark.parametrize('pattern, covered', [
    ('/var/lib/cinder/volumes/*', True),
    ('/var/lib/cinder/volumes/volume-*', True),
    ('/var/lib/cinder/volumes//*', True),
    ('/var/lib/cinder/./volumes/*', True),
    ('/var/lib/cinder/*/*', True),
    ('/var/lib/cinder/volumes/*.conf', False),
    ('/var/lib/cinder/volumes', False),           # the directory itself only
    ('/var/lib/cinder/volumes/', False),
    ('/var/lib/cinder/*', False),                 # glob '*' does not cross '/'
    ('/var/lib/*', False),
    ('/etc/tgt/conf.d/*.conf', False),
    ('volumes/*', False),                         # relative, unresolved
])
def test_covers_patterns(pattern, covered):
    assert covers([{'pattern': pattern}], '/var/lib/cinder/volumes') is covered
    assert covers([{'pattern': pattern}], '/var/lib/cinder/volumes/') is covered


def test_covers_other_dir_and_empty():
    assert covers([{'pattern': '/srv/cinder/vols/*'}], '/srv/cinder/vols')
    assert not covers([{'pattern': '/var/lib/cinder/volumes/*'}], '/srv/cinder/vols')
    assert not covers([], '/var/lib/cinder/volumes')
    assert not covers([{'pattern': '/x/*'}], None)


def test_glob_match_hidden_files():
    assert not glob_match('/d/.hidden', '/d/*')
    assert glob_match('/d/.hidden', '/d/.*')
