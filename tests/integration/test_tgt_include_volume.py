"""Seed 000 end to end on the shared lab, with real cinder and a real tgtd (tests/lab/README.md).

The lab's cinder-volume (LVM driver, target_helper tgtadm) runs its tgt commands in
sd-lab-volume1, against that node's tgt config and tgtd. The lab's own sabotage removes tgt's
include of cinder's volumes_dir; then a new volume's os-initialize_connection (what nova does at
attach) fails, and cinder-volume logs its own "Failed to create iscsi target ... ensure your tgtd
config file contains 'include /var/lib/cinder/volumes/*'" line. check_tgt_include finds the
config and that line, fix_tgt_include repairs it, and the same call on the same volume succeeds,
with the target exported by the node's tgtd. The fault is undone and the volume deleted whatever
happened (the lab is shared and stays up).
"""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
INV = ROOT / 'inventories' / 'lab' / 'hosts.yml'
CLOUDS = ROOT / 'inventories' / 'lab' / 'clouds.yaml'
HOST = 'sd-lab-volume1'
LOG_LINE = "Failed to create iscsi target for Volume ID:"
INCLUDE_HINT = "ensure your tgtd config file contains 'include /var/lib/cinder/volumes/*'"


@pytest.fixture(scope='module')
def lab():
    """`make lab-up` once (a lab already up takes a few seconds)."""
    subprocess.run(['make', '-s', 'lab-up'], cwd=ROOT, check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return ROOT


def _lab_env():
    out = subprocess.run([str(ROOT / 'tests' / 'lab' / 'lab.sh'), 'env'], cwd=ROOT, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return dict(line.split('=', 1) for line in out.splitlines() if '=' in line)


def _volume(action, name):
    """tests/lab/labctl.py volume ACTION NAME in the lab's venv: JSON (never the CHAP secret)."""
    env = _lab_env()
    venv = open(os.path.join(env['LAB'], 'venv')).read().strip()
    r = subprocess.run([os.path.join(venv, 'bin', 'python'), str(ROOT / 'tests' / 'lab' / 'labctl.py'),
                        'volume', env['LAB'], action, name], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    print('volume %s %s: %s' % (action, name, json.dumps(out)))
    return out


def _play(playbook, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), OS_CLIENT_CONFIG_FILE=str(CLOUDS))
    r = subprocess.run(['ansible-playbook', '-i', str(INV), str(ROOT / 'playbooks' / playbook), *extra],
                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, '%s failed:\n%s' % (playbook, r.stdout[-4000:])
    return r.stdout


def _targets():
    r = subprocess.run(['podman', 'exec', HOST, 'tgtadm', '--lld', 'iscsi', '--op', 'show', '--mode', 'target'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    return r.stdout


def _log_tail(start):
    with open(os.path.join(_lab_env()['LAB'], 'log', 'cinder-volume.log'), errors='replace') as f:
        f.seek(start)
        return f.read()


def _log_size():
    return os.path.getsize(os.path.join(_lab_env()['LAB'], 'log', 'cinder-volume.log'))


def test_volume_attach_fails_without_the_include_and_succeeds_after_the_fix(lab, tmp_path):
    name = 'sd-seed000-%d' % os.getpid()
    reports = {}
    try:
        # healthy lab: a volume's connection is initialized and tgtd exports it
        ok = _volume('create', name + '-ok')
        assert ok['status'] == 'available', ok
        first = _volume('attach', name + '-ok')
        assert first['status_code'] == 200 and first['driver_volume_type'] == 'iscsi', first
        assert first['data']['target_iqn'] in _targets()

        _play('lab_sabotage.yml', '-e', 'fault=tgt_include', '--limit', 'localhost,%s' % HOST)
        vol = _volume('create', name)
        assert vol['status'] == 'available', vol
        pos = _log_size()
        failed = _volume('attach', name)
        # cinder-api: 500 "Unable to fetch connection information from backend."
        assert failed['status_code'] == 500, failed
        assert 'Unable to fetch connection information from backend' in json.dumps(failed['error'])
        log = _log_tail(pos)
        lines = [ln for ln in log.splitlines() if LOG_LINE in ln]
        assert lines and INCLUDE_HINT in lines[0], log[-3000:]
        assert 'volume-' + vol['volume'] in lines[0]
        print('cinder-volume.log: ' + lines[0][:400])

        for phase, playbook in (('before', 'diagnose.yml'), ('remediate', 'remediate.yml'),
                                ('after', 'diagnose.yml')):
            _play(playbook, '-e', 'stackdoctor_checks=check_tgt_include', '--limit', 'localhost,%s' % HOST,
                  '-e', 'stackdoctor_report_dir=%s' % (tmp_path / phase))
            with open(tmp_path / phase / 'report.json') as f:
                reports[phase] = json.load(f)
            for r in reports[phase]['results']:
                if r['host'] == HOST and r['check'] == 'check_tgt_include':
                    print('%s: %s %s %s' % (phase, r['status'], r['id'], r['summary']))
            for a in reports[phase].get('actions') or []:
                print('%s: action %s: %s' % (phase, a.get('fix'), a.get('summary')))

        before = [r for r in reports['before']['results'] if r['host'] == HOST and r['check'] == 'check_tgt_include']
        assert [(r['id'], r['status']) for r in before] == [('cinder.tgt_include_missing', 'critical')], before
        ev = json.dumps(before[0]['evidence'])
        # the config (volumes_dir not included) and cinder-volume's own log line, with this volume
        assert '/var/lib/cinder/volumes' in ev
        assert LOG_LINE in ev and vol['volume'] in ev, ev[:3000]
        actions = [a for a in reports['remediate'].get('actions', []) if a.get('fix') == 'fix_tgt_include']
        assert any('include /var/lib/cinder/volumes/*' in a['summary'] or 'cinder_tgt.conf' in a['summary']
                   for a in actions), actions
        after = [r for r in reports['after']['results'] if r['host'] == HOST and r['check'] == 'check_tgt_include']
        assert [(r['id'], r['status']) for r in after] == [('cinder.tgt_include_missing', 'ok')], after

        # the same operation on the same volume now succeeds, and the node's tgtd exports it
        again = _volume('attach', name)
        assert again['status_code'] == 200 and again['driver_volume_type'] == 'iscsi', again
        assert again['data']['target_iqn'].endswith('volume-' + vol['volume'])
        assert again['data']['target_iqn'] in _targets()
    finally:
        _play('lab_sabotage.yml', '-e', 'fault=tgt_include', '-e', 'undo=true', '--limit', 'localhost,%s' % HOST)
        for n in (name, name + '-ok'):
            try:
                _volume('delete', n)
            except Exception as e:  # noqa: BLE001 (cleanup of a shared lab: report, go on)
                print('cleanup of %s: %s' % (n, e))
