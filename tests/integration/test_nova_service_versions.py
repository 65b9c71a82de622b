"""check_nova_service_versions / fix_nova_service_versions against the real lab (tests/lab):
MariaDB cell databases, nova-api, nova-status.

The fault is the lab's own (tests/lab/sabotage/lab_sabotage.yml -e fault=stale_compute_service, i.e.
tests/lab/labctl.py stale-service): a nova-compute row of version 66 in cell1, last seen 30 days
ago. Asserted: diagnose names the row (host, version, the cap it implies) and nova-status fails
"Older than N-1 computes"; remediate --check changes nothing; remediate deletes the row through the
compute API (2.53) and lists it; nova-status passes the check again; a second remediate changes
nothing; a forced-down old row is no finding. Skipped when the lab is not up; never brings it down.
"""
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
CHECK = 'check_nova_service_versions'
STALE = 'sd-stale-compute'


def lab_up():
    if not LAB_SH.exists() or not CLOUDS.exists() or not os.path.exists(os.path.join(LAB, 'venv')):
        return False
    return subprocess.run([str(LAB_SH), 'status'], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not lab_up(), reason='lab not up (tests/lab/lab.sh up)')


def lab_python():
    return pathlib.Path(open(os.path.join(LAB, 'venv')).read().strip()) / 'bin' / 'python'


def labctl(*args):
    out = subprocess.run([str(lab_python()), str(ROOT / 'tests' / 'lab' / 'labctl.py'), 'stale-service', LAB] + list(args),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def nova_status():
    venv = lab_python().parent
    out = subprocess.run([str(venv / 'nova-status'), '--config-file', os.path.join(LAB, 'etc', 'nova', 'nova.conf'),
                          'upgrade', 'check'], capture_output=True, text=True, timeout=180)
    return out.returncode, out.stdout


def older_than_n1(text):
    block = text.split('Check: Older than N-1 computes', 1)[1]
    return block.split('Result:', 1)[1].split()[0]


def playbook(tmp_path, name, *args):
    exe = pathlib.Path(sys.executable).parent / 'ansible-playbook'
    exe = str(exe) if exe.exists() else shutil.which('ansible-playbook')
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               OS_CLIENT_CONFIG_FILE=str(CLOUDS), ANSIBLE_LOCAL_TEMP=str(tmp_path / '.ansible-tmp'))
    cmd = [exe, '-i', str(INV), str(ROOT / 'playbooks' / name)] + list(args)
    proc = subprocess.run(cmd, cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600)
    return proc.returncode, proc.stdout


def diagnose(tmp_path, tag):
    report = tmp_path / tag
    rc, out = playbook(tmp_path, 'diagnose.yml', '-e', 'stackdoctor_checks=%s' % CHECK,
                       '-e', 'stackdoctor_hosts=localhost:sd-lab-controller', '-e', 'stackdoctor_report_dir=%s' % report)
    assert rc == 0, out[-3000:]
    data = json.loads((report / 'report.json').read_text())
    return [r for r in data['results'] if r['check'] == CHECK], out


def remediate(tmp_path, tag, *extra):
    report = tmp_path / tag
    rc, out = playbook(tmp_path, 'remediate.yml', '-e', 'stackdoctor_checks=%s' % CHECK,
                       '-e', 'stackdoctor_hosts=localhost', '-e', 'stackdoctor_report_dir=%s' % report, *extra)
    assert rc == 0, out[-4000:]
    data = json.loads((report / 'report.json').read_text())
    return [a for a in data.get('actions', []) if a.get('fix') == 'fix_nova_service_versions'], out


def lab_secrets():
    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                yield from walk(x)
        elif isinstance(v, str) and len(v) >= 8:
            yield v
    with open(os.path.join(LAB, 'etc', 'secrets.json')) as f:
        return list(walk(json.load(f)))


@pytest.fixture
def stale():
    labctl('drop', STALE)
    rc, out = playbook(pathlib.Path('/tmp'), SABOTAGE, '-e', 'fault=stale_compute_service')
    assert rc == 0, out[-3000:]
    yield
    labctl('drop', STALE)
    labctl('drop', STALE + '-fd')


def test_stale_row_found_removed_and_nova_status_green(stale, tmp_path):
    rc, text = nova_status()
    assert older_than_n1(text) == 'Failure', text
    results, _ = diagnose(tmp_path, 'before')
    [r] = [r for r in results if r['id'] == 'nova.stale_service_pins_minimum' and r['status'] != 'ok']
    assert r['status'] == 'critical' and r['host'].startswith('cloud:') and r['fix'] == 'fix_nova_service_versions'
    ev = r['evidence']
    assert (ev['host'], ev['binary'], ev['version'], ev['cell']) == (STALE, 'nova-compute', 66, 'cell1')
    assert ev['implied_compute_rpc'] == '6.2' and ev['minimum_without_it'] == 74
    assert 'TooOldComputeService' in r['summary']
    print('BEFORE:', r['status'], r['summary'])
    # the reader opens the cell databases with nova.conf's credentials: none of them is shown
    blob = json.dumps(results) + _
    assert not [s for s in lab_secrets() if s in blob], 'a lab password reached the results or the output'
    # check mode: says what it would remove, removes nothing
    actions, out = remediate(tmp_path, 'dry', '--check')
    assert labctl('add', STALE, '66', '30')['changed'] is False, 'the row must still be there'
    assert any(STALE in a['summary'] and 'to remove' in a['summary'] for a in actions), out[-3000:]
    # the fix
    actions, out = remediate(tmp_path, 'fix')
    [a] = actions
    assert a['changed'] and ('deleted nova-compute %s v66 %s' % (STALE, ev['uuid'])) in a['summary'], a
    rc, text = nova_status()
    assert older_than_n1(text) == 'Success', text
    results, _ = diagnose(tmp_path, 'after')
    assert [(r['id'], r['status']) for r in results] == [('nova.stale_service_pins_minimum', 'ok')], results
    print('AFTER:', results[0]['status'], results[0]['summary'])
    # a second run changes nothing
    actions, out = remediate(tmp_path, 'again')
    assert not [a for a in actions if a.get('changed')], actions


def test_forced_down_old_row_is_no_finding(tmp_path):
    labctl('drop', STALE + '-fd')
    try:
        labctl('add', STALE + '-fd', '60', '30', 'forced_down')
        results, _ = diagnose(tmp_path, 'fd')
        assert [(r['id'], r['status']) for r in results] == [('nova.stale_service_pins_minimum', 'ok')], results
    finally:
        labctl('drop', STALE + '-fd')


def nova_api_answers():
    """The ANSWERING column of nova_api in `tests/lab/lab.sh status` (an HTTP GET on its port)."""
    out = subprocess.run([str(LAB_SH), 'status'], capture_output=True, text=True, timeout=60).stdout
    [line] = [ln for ln in out.splitlines() if ln.split()[:1] == ['nova_api']]
    return line.split()[3] == 'yes'


@pytest.fixture
def stale_api_down():
    """The stale row, then nova-api restarted: it must refuse to start (the sabotage asserts it).
    Whatever happens, the row is dropped and nova-api started again afterwards."""
    labctl('drop', STALE)
    try:
        rc, out = playbook(pathlib.Path('/tmp'), SABOTAGE, '-e', 'fault=stale_compute_service_api_down')
        assert rc == 0, out[-3000:]
        yield
    finally:
        labctl('drop', STALE)
        subprocess.run([str(LAB_SH), 'start', 'nova_api'], capture_output=True, timeout=120)


def test_nova_api_down_db_path_opt_in(stale_api_down, tmp_path):
    """nova-api refuses to start (TooOldComputeService in its log) because of the stale row: the
    check still names the row (it reads the cell database, not the API); the fix removes nothing
    without the opt-in and says how; with fix_nova_service_versions_db_when_api_down it soft-deletes
    the row, restarts nova-api through lab-host's layout (restart.commands), and nova-status is green."""
    assert not nova_api_answers()
    log = pathlib.Path(LAB, 'log')
    assert [f for f in log.glob('nova*') if 'TooOldComputeService' in f.read_text(errors='replace')], \
        'nova-api did not log TooOldComputeService'
    results, _ = diagnose(tmp_path, 'before')
    [r] = [r for r in results if r['id'] == 'nova.stale_service_pins_minimum' and r['status'] != 'ok']
    assert r['evidence']['host'] == STALE
    hosts = '-e', 'stackdoctor_hosts=localhost:lab-host'
    sel = '-e', 'stackdoctor_checks=%s' % CHECK
    # no opt-in: nothing removed, the job fails and says what to do
    rc, out = playbook(tmp_path, 'remediate.yml', *sel, *hosts, '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'no'))
    no = json.loads((tmp_path / 'no' / 'report.json').read_text())
    [failed] = [r for r in no['results'] if r['check'] == 'fix_nova_service_versions']
    assert failed['status'] == 'error' and no['verdict'] == 'no go', failed
    assert 'fix_nova_service_versions_db_when_api_down=true' in failed['evidence']['msg'], failed
    assert 'removed nothing' in failed['summary'], failed
    assert labctl('add', STALE, '66', '30')['changed'] is False, 'the row must still be there'
    assert not nova_api_answers()
    optin = '-e', 'fix_nova_service_versions_db_when_api_down=true'
    # check mode with the opt-in: says it would soft-delete, writes nothing, starts nothing
    rc, out = playbook(tmp_path, 'remediate.yml', *sel, *hosts, *optin, '--check',
                       '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'dry'))
    assert rc == 0, out[-3000:]
    dry = [a for a in json.loads((tmp_path / 'dry' / 'report.json').read_text())['actions']
           if a.get('fix') == 'fix_nova_service_versions']
    assert any('would be soft-deleted in the cell database' in a['summary'] for a in dry), dry
    assert labctl('add', STALE, '66', '30')['changed'] is False and not nova_api_answers()
    # the fix
    rc, out = playbook(tmp_path, 'remediate.yml', *sel, *hosts, *optin, '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'fix'))
    assert rc == 0, out[-4000:]
    [a] = [a for a in json.loads((tmp_path / 'fix' / 'report.json').read_text())['actions']
           if a.get('fix') == 'fix_nova_service_versions']
    print('FIX:', a['summary'])
    assert a['changed'] and 'soft-deleted in the cell database nova-compute %s v66' % STALE in a['summary'], a
    assert a['details']['path'] == 'database'
    done = [(r['state'], r['service'], r['host']) for r in a['details']['reloaded']]
    assert ('restarted', 'nova-api', 'lab-host') in done and ('reloaded', 'nova-conductor', 'lab-host') in done, done
    assert 'restarted nova-api on lab-host' in a['details']['changes'], a['details']['changes']
    assert nova_api_answers(), 'nova-api is not back'
    rc, text = nova_status()
    assert older_than_n1(text) == 'Success', text
    # a second run changes nothing
    rc, out = playbook(tmp_path, 'remediate.yml', *sel, *hosts, *optin, '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'again'))
    assert rc == 0, out[-3000:]
    again = [a for a in json.loads((tmp_path / 'again' / 'report.json').read_text()).get('actions', [])
             if a.get('fix') == 'fix_nova_service_versions' and a.get('changed')]
    assert not again, again
