"""check_upgrade_checks against the real lab (tests/lab): the lab's nova-status, placement-status
and keystone-status (the lab's venv, its configs: inventories/lab/host_vars/localhost.yml) run by
diagnose in the pre-upgrade profile. Clean lab: every result ok. With the lab fault
stale_compute_service (a nova-compute row of version 66 in cell1), nova-status's "Older than N-1
computes" is critical with nova's own details; after fix_nova_service_versions removed the row it
is ok again. nova-status' "hw_machine_type unset" warning (the lab's instances, fake driver) is
ignored by the lab's inventory with its reason and reported skipped. Skipped when the lab is not up;
the row is removed whatever happens."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SABOTAGE = str(ROOT / 'tests' / 'lab' / 'sabotage' / 'lab_sabotage.yml')  # absolute: joins over playbooks/
LAB_SH = ROOT / 'tests' / 'lab' / 'lab.sh'
LAB = os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab')
INV = ROOT / 'inventories' / 'lab' / 'hosts.yml'
CLOUDS = pathlib.Path(os.environ.get('STACKDOCTOR_LAB_CLOUDS') or ROOT / 'inventories' / 'lab' / 'clouds.yaml')
CHECK = 'check_upgrade_checks'
STALE = 'sd-stale-compute'
OLD = 'Older than N-1 computes'


def lab_up():
    if not LAB_SH.exists() or not CLOUDS.exists() or not os.path.exists(os.path.join(LAB, 'venv')):
        return False
    return subprocess.run([str(LAB_SH), 'status'], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not lab_up(), reason='lab not up (tests/lab/lab.sh up)')


def labctl(*args):
    py = pathlib.Path(open(os.path.join(LAB, 'venv')).read().strip()) / 'bin' / 'python'
    out = subprocess.run([str(py), str(ROOT / 'tests' / 'lab' / 'labctl.py'), 'stale-service', LAB] + list(args),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def playbook(tmp_path, name, *args):
    exe = pathlib.Path(sys.executable).parent / 'ansible-playbook'
    exe = str(exe) if exe.exists() else shutil.which('ansible-playbook')
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               OS_CLIENT_CONFIG_FILE=str(CLOUDS), ANSIBLE_LOCAL_TEMP=str(tmp_path / '.ansible-tmp'))
    proc = subprocess.run([exe, '-i', str(INV), str(ROOT / 'playbooks' / name)] + list(args), cwd=str(ROOT), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    return proc.returncode, proc.stdout


def diagnose(tmp_path, tag):
    report = tmp_path / tag
    rc, out = playbook(tmp_path, 'diagnose.yml', '-e', 'stackdoctor_checks=%s' % CHECK, '-e', 'stackdoctor_profile=pre-upgrade',
                       '-e', 'stackdoctor_hosts=localhost', '-e', 'stackdoctor_report_dir=%s' % report)
    assert rc == 0, out[-3000:]
    return [r for r in json.loads((report / 'report.json').read_text())['results'] if r['check'] == CHECK], out


def old_computes(results):
    return [r for r in results if r['evidence'].get('command') == 'nova-status' and r['evidence'].get('check') == OLD]


def lab_secrets():
    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                yield from walk(x)
        elif isinstance(v, list):
            for x in v:
                yield from walk(x)
        elif isinstance(v, str) and len(v) >= 8:
            yield v
    with open(os.path.join(LAB, 'etc', 'secrets.json')) as f:
        return list(walk(json.load(f)))


@pytest.fixture
def stale():
    labctl('drop', STALE)
    yield
    labctl('drop', STALE)


def test_clean_lab_every_upgrade_check_ok(tmp_path):
    results, out = diagnose(tmp_path, 'clean')
    cmds = {r['evidence'].get('command') for r in results}
    assert cmds == {'nova-status', 'placement-status', 'keystone-status'}, results
    # ok, or skipped: nova-status' "hw_machine_type unset" warning, which the lab ignores with its
    # reason (inventories/lab/host_vars/localhost.yml) once it holds instances
    assert [(r['id'], r['summary']) for r in results if r['status'] not in ('ok', 'skipped')] == [], results
    assert {r['evidence']['check'] for r in results if r['status'] == 'skipped'} <= {'hw_machine_type unset'}
    assert {r['host'] for r in results} == {'localhost'}
    assert [r['status'] for r in old_computes(results)] == ['ok']


def test_stale_row_fails_nova_status_and_the_fix_clears_it(stale, tmp_path):
    rc, out = playbook(tmp_path, SABOTAGE, '-e', 'fault=stale_compute_service')
    assert rc == 0, out[-3000:]
    results, out = diagnose(tmp_path, 'before')
    [r] = old_computes(results)
    assert (r['id'], r['status']) == ('upgrade.check_failed', 'critical'), r
    assert 'Current Nova version does not support computes older than' in r['evidence']['details'], r
    assert r['evidence']['rc'] == 2 and r['evidence']['format'] == 'table'
    print('BEFORE:', r['status'], r['summary'])
    assert all(x['status'] in ('ok', 'skipped') for x in results if x is not r), results
    blob = json.dumps(results) + out
    assert not [s for s in lab_secrets() if s in blob], 'a lab password reached the results or the output'
    # the paired repair of that failure is fix_nova_service_versions
    report = tmp_path / 'fix'
    rc, out = playbook(tmp_path, 'remediate.yml', '-e', 'stackdoctor_checks=check_nova_service_versions',
                       '-e', 'stackdoctor_hosts=localhost', '-e', 'stackdoctor_report_dir=%s' % report)
    assert rc == 0, out[-3000:]
    results, out = diagnose(tmp_path, 'after')
    [r] = old_computes(results)
    assert r['status'] == 'ok', r
    assert [x for x in results if x['status'] not in ('ok', 'skipped')] == [], results
    print('AFTER:', r['status'], r['summary'])
