# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An AWX-like run (issue 14): ansible-runner, which AWX runs jobs with, runs the AWX project
playbook awx/playbooks/health_gate.yml from a private data dir against the lab, with what
AWX's OpenStack credential injects (OS_CLIENT_CONFIG_FILE with one cloud, no OS_CLOUD) and the
survey's answers as extra vars. One orphaned allocation made here (and removed afterwards) is
the only consumer audited, so the lab's other users do not matter. Asserts the exit status of
a NO GO, the set_stats artifact (verdict, blocking finding), and that the cloud's password
reached no job event.
"""
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

from ansible_collections.stackdoctor.openstack.plugins.module_utils import placement as pl

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAB_SH = ROOT / 'tests' / 'lab' / 'lab.sh'
sys.path.insert(0, str(ROOT / 'tests' / 'lab'))
import labctl  # noqa: E402  (the one reader of the lab's etc/lab.env)

# the clouds.yaml of the running lab, as tests/lab/scenarios.py finds it
CLOUDS = pathlib.Path(os.environ.get('STACKDOCTOR_LAB_CLOUDS')
                      or labctl.lab_env(os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab')).get('CLOUDS')
                      or ROOT / 'inventories' / 'lab' / 'clouds.yaml')


def lab_up():
    if not LAB_SH.exists() or not CLOUDS.exists():
        return False
    return subprocess.run([str(LAB_SH), 'status'], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not lab_up(), reason='lab not up (tests/lab/lab.sh up)')


@pytest.fixture
def orphan(tmp_path):
    spec = importlib.util.spec_from_file_location('sd_lab_scenarios_awx', ROOT / 'tests' / 'lab' / 'scenarios.py')
    scn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scn)
    scn.STATE = str(tmp_path / 'scenarios.json')   # private state: never the shared scenarios.json
    os.environ.setdefault('OS_CLIENT_CONFIG_FILE', str(CLOUDS))
    item = scn.scenario('orphan')
    try:
        yield item['consumer']
    finally:
        conn = scn.connect()
        pl.adapter_request(conn.placement)('/allocations/%s' % item['consumer'], 'DELETE', microversion='1.28')


def _private_data_dir(base, consumer):
    """What AWX gives ansible-runner: project/, inventory/, env/ (credential env, extra vars)."""
    pdd = base / 'pdd'
    shutil.copytree(str(ROOT / 'awx' / 'playbooks'), str(pdd / 'project'))
    (pdd / 'inventory').mkdir()
    (pdd / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump({'all': {'children': {'api': {'hosts': {
        'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                      'stackdoctor_gather_facts': False}}}}}}))
    (pdd / 'env').mkdir()
    # AWX's OpenStack credential: a clouds.yaml with one cloud in the job's private dir
    clouds = yaml.safe_load(CLOUDS.read_text())
    assert len(clouds['clouds']) == 1
    cred = pdd / 'env' / 'clouds.yaml'
    cred.write_text(yaml.safe_dump(clouds))
    (pdd / 'env' / 'envvars').write_text(yaml.safe_dump({
        'OS_CLIENT_CONFIG_FILE': str(cred),
        'ANSIBLE_COLLECTIONS_PATH': str(ROOT / '.cache' / 'collections'),
        'ANSIBLE_ROLES_PATH': str(ROOT / 'roles'),
    }))
    (pdd / 'env' / 'extravars').write_text(yaml.safe_dump({
        # survey answers (awx/definitions.yml)
        'stackdoctor_hosts': 'api',
        'stackdoctor_survey_checks': 'check_placement_allocations',
        'stackdoctor_gate_severity': 'warning',
        'stackdoctor_profile': 'pre-upgrade',
        'stackdoctor_survey_waivers': '',
        'check_placement_allocations_consumers': [consumer],
        'stackdoctor_report_dir': str(base / 'reports'),
    }))
    password = list(clouds['clouds'].values())[0]['auth']['password']
    return pdd, password


def test_health_gate_under_ansible_runner_no_go(orphan, tmp_path):
    import ansible_runner
    pdd, password = _private_data_dir(tmp_path, orphan)
    env = {k: os.environ.pop(k) for k in ('OS_CLOUD', 'OS_CLIENT_CONFIG_FILE', 'ANSIBLE_CONFIG') if k in os.environ}
    try:
        r = ansible_runner.run(private_data_dir=str(pdd), playbook='health_gate.yml', quiet=True)
    finally:
        os.environ.update(env)
    events = list(r.events)
    stdout = r.stdout.read()
    # NO GO: the gate task fails, the job fails (AWX: status failed, workflow failure path)
    assert r.status == 'failed' and r.rc == 2, stdout[-3000:]

    stats = [e for e in events if e.get('event') == 'playbook_on_stats']
    assert len(stats) == 1
    artifact = stats[0]['event_data']['artifact_data']   # what AWX stores as the job's artifacts
    assert artifact['stackdoctor_verdict'] == 'no go'
    assert artifact['stackdoctor_blocking_total'] == 1 and artifact['stackdoctor_blocking_truncated'] is False
    b = artifact['stackdoctor_blocking'][0]
    assert b['id'] == 'placement.orphaned_allocation' and b['status'] == 'warning'
    assert b['host'] == 'cloud:stackdoctor-lab'   # the one cloud of OS_CLIENT_CONFIG_FILE
    assert b['fix'] == 'fix_placement_allocations'
    assert artifact['stackdoctor_counts']['warning'] == 1
    report = json.loads(pathlib.Path(artifact['stackdoctor_report_paths']['json']).read_text())
    assert [r['evidence']['consumer'] for r in report['results'] if r['id'] == 'placement.orphaned_allocation'] == [orphan]
    assert 'NO GO' in stdout

    # no secret in anything the job left: events, stdout, artifacts on disk
    assert password not in json.dumps(events) and password not in stdout
    for f in (pdd / 'artifacts').rglob('*'):
        if f.is_file():
            assert password not in f.read_text(errors='replace'), f
