# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tgt facts on kolla: read inside the cinder_volume container, where tgt-admin runs.

The runner stands in for ``<cli> exec <container>``: it really runs the reader script
(tgt_conf.py's source plus the reader) with python3, against a directory standing in for
that container's filesystem.
"""
import json
import subprocess
import sys

from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout
from ansible_collections.stackdoctor.openstack.plugins.module_utils.node_facts_subsets import (
    Context, gather)

CINDER_CONF = '''[DEFAULT]
enabled_backends = lvm-1
[lvm-1]
volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver
target_helper = tgtadm
volumes_dir = /var/lib/cinder/volumes
'''
SECRET = 'S3cretChapPassw0rd'


def _evaluate(check, facts):
    """The check's evaluate, whether it takes (facts) or (facts, params)."""
    import inspect
    if 'params' in inspect.signature(check.evaluate).parameters:
        return check.evaluate(facts, {})
    return check.evaluate(facts)


def put(root, path, text):
    real = root / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(text)


class ExecRunner:
    """``timeout N podman exec <c> python3 -c SCRIPT ARG`` -> run SCRIPT on <c>'s fake root."""

    def __init__(self, roots):
        self.roots = roots
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        assert argv[:2] == ['timeout', '30'] and argv[3] == 'exec', argv
        container, cmd = argv[4], argv[5:]
        if container not in self.roots:
            return 125, '', 'Error: no such container %s' % container
        assert cmd[:2] == ['python3', '-c']
        proc = subprocess.run([sys.executable] + cmd[1:] + [str(self.roots[container])],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                              check=False)
        return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def kolla_ctx(tmp_path, runner, containers):
    host = tmp_path / 'host'
    put(host, '/etc/kolla/cinder-volume/config.json', '{}')
    put(host, '/etc/kolla/cinder-volume/cinder.conf', CINDER_CONF)
    put(host, '/etc/kolla/tgtd/config.json', '{"command": "tgtd -d 1 -f", "config_files": []}')
    detected = {'flavour': 'kolla', 'detected_by': 'test', 'os_family': 'Debian',
                'container_cli': 'podman', 'unit_files': {}, 'units_source': 'dirs',
                'containers': dict((c, {'state': 'running', 'running': True, 'image': None})
                                   for c in containers), 'errors': []}
    return Context(root=str(host), params={}, runner=runner, detected=detected)


def image_root(tmp_path, name, include=True):
    """A container filesystem as kolla's Dockerfile leaves it (include on line 1)."""
    root = tmp_path / name
    lines = ['include /var/lib/cinder/volumes/*'] if include else []
    lines += ['# Empty targets configuration file', 'include /etc/tgt/conf.d/*.conf']
    put(root, '/etc/tgt/targets.conf', '\n'.join(lines) + '\n')
    (root / 'etc/tgt/conf.d').mkdir(parents=True, exist_ok=True)
    put(root, '/var/lib/cinder/volumes/volume-1',
        '<target iqn.2010-10.org.openstack:volume-1>\n  incominguser u %s\n</target>\n' % SECRET)
    return root


def test_kolla_reads_tgt_config_inside_cinder_volume(tmp_path):
    runner = ExecRunner({'cinder_volume': image_root(tmp_path, 'cv'),
                         'tgtd': image_root(tmp_path, 'tgtd')})
    ctx = kolla_ctx(tmp_path, runner, ['cinder_volume', 'tgtd'])
    facts = gather(['cinder', 'tgt'], ctx)
    tgt = facts['tgt']
    assert facts['layout']['services']['tgt']['config_container'] == 'cinder_volume'
    assert tgt['config_side'] == 'container' and tgt['read_in'] == 'cinder_volume'
    assert tgt['found'] is True, tgt['errors']
    assert tgt['files_read'][0] == '/etc/tgt/targets.conf'
    assert tgt['coverage'] == {'/var/lib/cinder/volumes': {
        'pattern': '/var/lib/cinder/volumes/*', 'file': '/etc/tgt/targets.conf', 'line': 1}}
    assert tgt['targets'][0]['name'] == 'iqn.2010-10.org.openstack:volume-1'
    assert tgt['other_containers']['tgtd']['found'] is True
    assert tgt['installed'] is True and tgt['running'] is True
    assert tgt['layout_assumption'] is False and 'Dockerfile.j2' in tgt['layout_source']
    assert [c[4] for c in runner.calls] == ['cinder_volume', 'tgtd']
    assert SECRET not in json.dumps(facts)
    # nothing read from the host's /etc/kolla/tgtd
    assert not any('/etc/kolla/tgtd' in f for f in tgt['files_read'])


def test_kolla_include_missing_in_the_container_is_not_hidden_by_a_host_file(tmp_path):
    runner = ExecRunner({'cinder_volume': image_root(tmp_path, 'cv', include=False),
                         'tgtd': image_root(tmp_path, 'tgtd')})
    ctx = kolla_ctx(tmp_path, runner, ['cinder_volume', 'tgtd'])
    # the old (wrong) fix wrote this host file; it must not count
    put(tmp_path / 'host', '/etc/kolla/tgtd/conf.d/cinder.conf', 'include /var/lib/cinder/volumes/*\n')
    facts = gather(['cinder', 'tgt'], ctx)
    assert facts['tgt']['found'] is True
    assert facts['tgt']['coverage'] == {'/var/lib/cinder/volumes': None}


def test_kolla_exec_failure_is_an_error_not_a_pass(tmp_path):
    runner = ExecRunner({})
    ctx = kolla_ctx(tmp_path, runner, ['cinder_volume'])
    tgt = gather(['tgt'], ctx)['tgt']
    assert tgt['found'] is False
    assert tgt['errors'][0]['kind'] == 'unreadable'
    assert 'cinder_volume' in tgt['errors'][0]['message']
    assert 'no such container' in tgt['errors'][0]['message']


def test_packaged_hosts_still_read_the_host_file(tmp_path):
    put(tmp_path, '/etc/tgt/targets.conf', 'include /etc/tgt/conf.d/*.conf\n')
    put(tmp_path, '/etc/tgt/conf.d/cinder.conf', 'include /var/lib/cinder/volumes/*\n')
    ctx = Context(root=str(tmp_path), params={}, runner=None,
                  detected=layout.detect(str(tmp_path)))
    tgt = gather(['tgt'], ctx)['tgt']
    assert tgt['config_side'] == 'host' and tgt['read_in'] is None
    assert tgt['files_read'] == ['/etc/tgt/targets.conf', '/etc/tgt/conf.d/cinder.conf']


def test_kolla_evidence_says_where_tgt_config_was_read(tmp_path):
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import tgt_include
    runner = ExecRunner({'cinder_volume': image_root(tmp_path, 'cv', include=False),
                         'tgtd': image_root(tmp_path, 'tgtd')})
    facts = gather(['cinder', 'tgt'], kolla_ctx(tmp_path, runner, ['cinder_volume', 'tgtd']))
    fired = [r for r in _evaluate(tgt_include, facts) if r['id'] == 'cinder.tgt_include_missing'
             and r['status'] not in ('ok', 'skipped')]
    assert fired, _evaluate(tgt_include, facts)
    ev = fired[0]['evidence']
    assert ev['tgt_config_side'] == 'container' and ev['tgt_read_in'] == 'cinder_volume'
    assert ev['tgt_layout_assumption'] is False


def test_assumed_tgt_layout_reaches_the_evidence(tmp_path):
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import tgt_include
    put(tmp_path, '/var/lib/config-data/puppet-generated/cinder/etc/cinder/cinder.conf', CINDER_CONF)
    put(tmp_path, '/etc/tgt/targets.conf', '# nothing\n')
    ctx = Context(root=str(tmp_path), params={}, runner=None, detected=layout.detect(str(tmp_path)))
    facts = gather(['cinder', 'tgt'], ctx)
    assert facts['layout']['flavour'] == 'tripleo'
    assert facts['tgt']['layout_assumption'] is True
    fired = [r for r in _evaluate(tgt_include, facts) if r['status'] not in ('ok', 'skipped')]
    assert fired and all(r['evidence']['tgt_layout_assumption'] is True for r in fired
                         if 'tgt_layout_assumption' in r['evidence'])
    assert any('tgt_layout_assumption' in r['evidence'] for r in fired)
