# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""diagnose on the controller alone (no lab: the cloud check's API is a closed local port, so
the verdict is NO GO with an audit_aborted error): it reports changed=0 (issue 14: it changed
nothing on a host) and set_stats carries the verdict, counts and the blocking results."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ONE_CLOUD = ROOT / 'tests' / 'unit' / 'fixtures' / 'credentials' / 'one-cloud.yaml'


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    if not shutil.which('ansible-playbook'):
        pytest.skip('ansible-playbook not on PATH (export PATH=$(make -s venv-path)/bin:$PATH)')
    tmp = tmp_path_factory.mktemp('diagnose')
    (tmp / 'hosts.yml').write_text('all:\n  hosts:\n    localhost:\n      ansible_connection: local\n')
    env = {k: v for k, v in os.environ.items() if k not in ('OS_CLOUD',)}
    env.update(ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
               ANSIBLE_SHOW_CUSTOM_STATS='1', OS_CLIENT_CONFIG_FILE=str(ONE_CLOUD))
    proc = subprocess.run(
        ['ansible-playbook', '-i', str(tmp / 'hosts.yml'), str(ROOT / 'playbooks' / 'diagnose.yml'),
         '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', 'stackdoctor_report_dir=%s' % (tmp / 'r'),
         '-e', 'check_placement_allocations_api_timeout=1'],
        cwd=str(tmp), env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_diagnose_reports_no_change(run):
    assert run['stats']['localhost']['changed'] == 0, run['stats']


def test_set_stats_carry_verdict_counts_and_blocking(run):
    st = run['global_custom_stats']
    assert st['stackdoctor_verdict'] == 'no go'
    assert st['stackdoctor_blocking_total'] >= 1 and not st['stackdoctor_blocking_truncated']
    # other cloud checks (compute services, nova services tables) fail against the closed port too
    [b] = [x for x in st['stackdoctor_blocking'] if x['id'] == 'placement.audit_aborted']
    assert b['host'] == 'cloud:devstack' and b['status'] == 'error'
    assert st['stackdoctor_counts']['error'] >= 1
    assert st['stackdoctor_report_paths']['markdown'].endswith('report.md')
    assert 'one-cloud-secret-3f1c' not in json.dumps(run)
