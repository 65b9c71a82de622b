# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every include path in tgt facts says whether it is a host or a container path."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils.tgt_conf import (
    label_sides, read_tgt_config)


def _write(root, path, text):
    real = root / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(text)


def test_host_file_including_a_container_path(tmp_path):
    # targets.conf on the host names tgtd's view of conf.d, which the host holds elsewhere
    path_map = {'/etc/tgt/conf.d': '/etc/kolla/tgtd/conf.d'}
    _write(tmp_path, '/etc/tgt/targets.conf', 'include /etc/tgt/conf.d/*.conf\n')
    _write(tmp_path, '/etc/kolla/tgtd/conf.d/cinder.conf', 'include /var/lib/cinder/volumes/*\n')
    conf = read_tgt_config('/etc/tgt/targets.conf', root=str(tmp_path), path_map=path_map)
    first, second = label_sides(conf['includes'], 'host', path_map)
    assert first['pattern'] == '/etc/tgt/conf.d/*.conf'
    assert first['sides'] == {'file': 'host', 'pattern': 'container',
                              'pattern_host': '/etc/kolla/tgtd/conf.d/*.conf',
                              'matches': 'host', 'container': None}
    assert first['matches'] == ['/etc/kolla/tgtd/conf.d/cinder.conf']   # a host path, as labelled
    assert second['file'] == '/etc/kolla/tgtd/conf.d/cinder.conf'
    assert second['sides']['file'] == 'host' and second['sides']['pattern'] == 'host'
    assert second['sides']['pattern_host'] == '/var/lib/cinder/volumes/*'


def test_plain_host_tree_is_all_host(tmp_path):
    _write(tmp_path, '/etc/tgt/targets.conf', 'include /etc/tgt/conf.d/*.conf\n')
    conf = read_tgt_config('/etc/tgt/targets.conf', root=str(tmp_path))
    (inc,) = label_sides(conf['includes'])
    assert inc['sides']['pattern'] == 'host' and inc['sides']['pattern_host'] == '/etc/tgt/conf.d/*.conf'


def test_tree_read_in_a_container_is_all_container():
    includes = [{'pattern': 'conf.d/*.conf', 'resolved': '/etc/tgt/conf.d/*.conf',
                 'file': '/etc/tgt/targets.conf', 'line': 1, 'matches': ['/etc/tgt/conf.d/cinder.conf']}]
    (inc,) = label_sides(includes, 'container', {}, 'cinder_volume')
    assert inc['sides'] == {'file': 'container', 'pattern': 'container', 'pattern_host': None,
                            'matches': 'container', 'container': 'cinder_volume'}
    assert 'sides' not in includes[0]   # input untouched


def test_gather_tgt_labels_every_include(tmp_path):
    from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
    path_map = {'/etc/tgt/conf.d': '/etc/kolla/tgtd/conf.d'}
    _write(tmp_path, '/etc/tgt/targets.conf', 'include /etc/tgt/conf.d/*.conf\n')
    _write(tmp_path, '/etc/kolla/tgtd/conf.d/cinder.conf', 'include /var/lib/cinder/volumes/*\n')
    ctx = nfs.Context(root=str(tmp_path))
    ctx.layout = {'services': {'tgt': {'targets_conf': '/etc/tgt/targets.conf', 'config_view': 'host',
                                       'path_map': path_map, 'restart': {}}}}
    out = nfs.gather_tgt(ctx)
    assert [(i['pattern'], i['sides']['pattern'], i['sides']['pattern_host']) for i in out['includes']] == [
        ('/etc/tgt/conf.d/*.conf', 'container', '/etc/kolla/tgtd/conf.d/*.conf'),
        ('/var/lib/cinder/volumes/*', 'host', '/var/lib/cinder/volumes/*'),
    ]


def test_check_summary_says_the_config_was_read_in_a_container():
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import tgt_include
    facts = {
        'cinder': {'config_file': '/etc/cinder/cinder.conf', 'found': True, 'error': None,
                   'backends': {'lvm-1': {'is_lvm': True, 'target_helper': 'tgtadm',
                                          'volumes_dir': '/var/lib/cinder/volumes'}}},
        'tgt': {'config_file': '/etc/tgt/targets.conf', 'config_side': 'container',
                'read_in': 'cinder_volume', 'installed': True, 'running': True, 'includes': [],
                'errors': []},
    }
    (res,) = [r for r in tgt_include.evaluate(facts) if r['status'] == 'critical']
    assert "tgt's includes (/etc/tgt/targets.conf in container cinder_volume) do not cover" in res['summary']
    assert res['evidence']['tgt_config_side'] == 'container'
    assert res['evidence']['tgt_read_in'] == 'cinder_volume'
