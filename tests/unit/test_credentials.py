# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Credentials (issue 14): what talks to a cloud accepts AWX's OpenStack credential
(OS_CLIENT_CONFIG_FILE with one cloud, no OS_CLOUD), a clouds.yaml with OS_CLOUD, or an
``auth`` dict through module_defaults ``group/stackdoctor.openstack.openstack``
(meta/runtime.yml action_groups). Each configuration points at its own closed local port, so
the module's error names the one it used; no secret reaches the output."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / 'tests' / 'unit' / 'fixtures' / 'credentials'
SECRETS = ('one-cloud-secret-3f1c', 'two-clouds-secret-8a2e', 'dict-secret-77c1')


def _modules_that_talk_to_a_cloud():
    out = []
    for path in sorted((ROOT / 'plugins' / 'modules').glob('*.py')):
        if 'openstack.cloud.openstack' in path.read_text():   # extends_documentation_fragment
            out.append(path.stem)
    return out


def test_action_group_holds_every_cloud_module_and_extends_openstack_cloud():
    runtime = yaml.safe_load((ROOT / 'meta' / 'runtime.yml').read_text())
    group = runtime['action_groups']['openstack']
    names = [e for e in group if isinstance(e, str)]
    meta = [e['metadata'] for e in group if isinstance(e, dict)]
    assert _modules_that_talk_to_a_cloud() and set(_modules_that_talk_to_a_cloud()) <= set(names)
    assert meta == [{'extend_group': ['openstack.cloud.openstack']}]


def test_openstack_cloud_declares_the_group_we_extend():
    import ansible_collections.openstack.cloud as oc   # bundled by the ansible package
    runtime = yaml.safe_load((pathlib.Path(oc.__path__[0]) / 'meta' / 'runtime.yml').read_text())
    assert 'openstack' in runtime['action_groups']


def test_example_inventory_has_no_made_up_cloud_name():
    text = (ROOT / 'inventories' / 'example' / 'group_vars' / 'all.yml').read_text()
    assert 'mycloud' not in text
    assert yaml.safe_load(text)['stackdoctor_cloud'] == "{{ lookup('env', 'OS_CLOUD') }}"


def test_cloud_target_names_the_one_cloud_of_os_client_config_file(monkeypatch):
    from ansible_collections.stackdoctor.openstack.plugins.module_utils import results
    monkeypatch.delenv('OS_CLOUD', raising=False)
    monkeypatch.setenv('OS_CLIENT_CONFIG_FILE', str(FIXTURES / 'one-cloud.yaml'))
    assert results.cloud_target({'stackdoctor_cloud': ''}) == 'cloud:devstack'
    monkeypatch.setenv('OS_CLIENT_CONFIG_FILE', str(FIXTURES / 'two-clouds.yaml'))
    assert results.cloud_target({}) == 'cloud:default'
    monkeypatch.setenv('OS_CLOUD', 'second')
    assert results.cloud_target({}) == 'cloud:second'
    assert results.cloud_target({'stackdoctor_cloud': 'lab'}) == 'cloud:lab'


@pytest.fixture(scope='module')
def run():
    if not shutil.which('ansible-playbook'):
        pytest.skip('ansible-playbook not on PATH (export PATH=$(make -s venv-path)/bin:$PATH)')
    env = {k: v for k, v in os.environ.items() if k not in ('OS_CLOUD', 'OS_CLIENT_CONFIG_FILE')}
    env.update(ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
               ANSIBLE_NOCOLOR='1')
    proc = subprocess.run(
        ['ansible-playbook', '-i', 'localhost,', '-c', 'local',
         '-e', 'ansible_python_interpreter=%s' % sys.executable,
         '-e', 'stackdoctor_root=%s' % ROOT, '-e', 'stackdoctor_fixtures=%s' % FIXTURES,
         '-e', 'stackdoctor_test_password=%s' % SECRETS[2], str(FIXTURES / 'playbook.yml')],
        cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    task = [t for t in data['plays'][0]['tasks'] if t['task']['name'] == 'Results for the test'][0]
    return {'msg': task['hosts']['localhost']['msg'], 'output': proc.stdout + proc.stderr}


def test_awx_credential_one_cloud_without_os_cloud(run):
    # not "Cloud mycloud was not found": openstacksdk took the file's one cloud
    assert 'port=9)' in run['msg']['awx_credential'], run['msg']


def test_clouds_yaml_with_os_cloud(run):
    assert 'port=7)' in run['msg']['os_cloud'], run['msg']


def test_auth_dict_through_module_defaults_group(run):
    assert 'port=8)' in run['msg']['auth_dict'], run['msg']


def test_no_secret_in_the_output(run):
    for secret in SECRETS:
        assert secret not in run['output']
