"""check_compute_services against the real lab: the lab fault compute_down freezes the fake
nova-compute of compute-2 by its recorded PID (SIGSTOP); after service_down_time nova reports it
down and the check names it; undo (SIGCONT) and the check is clean again. Skipped when the lab is
not up; the compute is resumed whatever happens."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SABOTAGE = str(ROOT / 'tests' / 'lab' / 'sabotage' / 'lab_sabotage.yml')  # absolute: joins over playbooks/
LAB_SH = ROOT / 'tests' / 'lab' / 'lab.sh'
LAB = os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab')
INV = ROOT / 'inventories' / 'lab' / 'hosts.yml'
CLOUDS = pathlib.Path(os.environ.get('STACKDOCTOR_LAB_CLOUDS') or ROOT / 'inventories' / 'lab' / 'clouds.yaml')
CHECK = 'check_compute_services'


def lab_up():
    if not LAB_SH.exists() or not CLOUDS.exists():
        return False
    return subprocess.run([str(LAB_SH), 'status'], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not lab_up(), reason='lab not up (tests/lab/lab.sh up)')


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
    rc, out = playbook(tmp_path, 'diagnose.yml', '-e', 'stackdoctor_checks=%s' % CHECK, '-e', 'stackdoctor_hosts=localhost',
                       '-e', 'stackdoctor_report_dir=%s' % report)
    assert rc == 0, out[-3000:]
    return [r for r in json.loads((report / 'report.json').read_text())['results'] if r['check'] == CHECK]


def until(tmp_path, tag, pred, timeout):
    end = time.time() + timeout
    n = 0
    while True:
        n += 1
        res = diagnose(tmp_path, '%s-%d' % (tag, n))
        if pred(res) or time.time() > end:
            return res
        time.sleep(10)


def test_frozen_compute_is_down_then_clean(tmp_path):
    before = diagnose(tmp_path, 'clean')
    assert not [r for r in before if r['id'] == 'nova.service_down' and r['status'] != 'ok'
                and r['evidence']['host'] == 'compute-2'], before
    try:
        rc, out = playbook(tmp_path, SABOTAGE, '-e', 'fault=compute_down')
        assert rc == 0, out[-3000:]
        res = until(tmp_path, 'down', lambda res: any(r['id'] == 'nova.service_down' and r['status'] == 'critical'
                                                      for r in res), 150)
        [r] = [r for r in res if r['id'] == 'nova.service_down' and r['status'] == 'critical']
        assert (r['evidence']['binary'], r['evidence']['host']) == ('nova-compute', 'compute-2'), res
        assert r['host'].startswith('cloud:')
        print('BEFORE:', r['status'], r['summary'])
    finally:
        rc, out = playbook(tmp_path, SABOTAGE, '-e', 'fault=compute_down', '-e', 'undo=true')
        assert rc == 0, out[-3000:]
    res = until(tmp_path, 'up', lambda res: not [r for r in res if r['status'] != 'ok'], 90)
    assert [(r['id'], r['status']) for r in res] == [('nova.service_down', 'ok')], res
    print('AFTER:', res[0]['status'], res[0]['summary'])
