"""Integration tests drive the real playbooks against the lab (tests/lab/README.md).

The fixture `catalog` is the demo's story, run once per session and read by every test that asks
for it (test_lab_demo, test_storage_node, test_rbd_secrets): lab_sabotage.yml -e fault=all (every fault with
`in_all`), diagnose.yml, remediate.yml --check --diff (two pairs), remediate.yml, diagnose.yml, and
seed 000's volume attach before and after. One run of the catalog instead of one
inject/diagnose/remediate/diagnose/undo cycle per fault: the lab is shared, and each cycle costs
a minute of the two cores (issue: `make test` under 30 minutes).

With STACKDOCTOR_LAB_AUTO=1 (as `make integration` sets it) the lab is brought up once, before
collection, and taken down at the end only if this run started it (a lab a developer already
had up is left as it was).
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from labplay import play as _play  # tests/integration/labplay.py

ROOT = pathlib.Path(__file__).resolve().parents[2]
SABOTAGE = str(ROOT / 'tests' / 'lab' / 'sabotage' / 'lab_sabotage.yml')  # absolute: joins over playbooks/
CLOUDS = ROOT / 'inventories' / 'lab' / 'clouds.yaml'
sys.path.insert(0, str(ROOT / 'tests' / 'lab'))
_STARTED = {'lab': False}


def _lab_is_up():
    r = subprocess.run([str(ROOT / 'tests' / 'lab' / 'lab.sh'), 'status'], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode == 0 and 'state: up' in r.stdout


def _make(target):
    subprocess.run(['make', '-s', target], cwd=ROOT, check=True)


def pytest_sessionstart(session):
    if os.environ.get('STACKDOCTOR_LAB_AUTO') != '1':
        return
    was_up = _lab_is_up()
    _make('lab-up')
    _STARTED['lab'] = not was_up
    _STARTED['up'] = True


def pytest_sessionfinish(session, exitstatus):
    if _STARTED['lab'] and os.environ.get('STACKDOCTOR_LAB_KEEP') != '1':
        _make('lab-down')


@pytest.fixture(scope='session')
def lab():
    """The lab, up: `make lab-up` once per session, unless pytest_sessionstart just did it (a lab
    already up still costs ~5-15 s of checks: once, not once per test module)."""
    if not _STARTED.get('up'):
        subprocess.run(['make', '-s', 'lab-up'], cwd=ROOT, check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        _STARTED['up'] = True
    os.environ.setdefault('OS_CLIENT_CONFIG_FILE', str(CLOUDS))
    return ROOT


def _report(d):
    with open(d / 'report.json') as f:
        return json.load(f)


def _lab_dir():
    return os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab')


def _volume(action, name, *zone):
    """tests/lab/labctl.py volume ACTION NAME [ZONE] in the lab's venv: its JSON (never the CHAP secret)."""
    lab = _lab_dir()
    with open(os.path.join(lab, 'venv')) as f:
        python = os.path.join(f.read().strip(), 'bin', 'python')
    r = subprocess.run([python, str(ROOT / 'tests' / 'lab' / 'labctl.py'), 'volume', lab, action, name, *zone],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    print('volume %s %s: %s' % (action, name, json.dumps(out)))  # pytest -s: the closing note's lines
    return out


# the kolla node's cinder-volume (tests/lab/lab.sh cinder-volume-kolla) logs where kolla's does:
# /var/log/kolla/cinder/cinder-volume.log in the node, the kolla_logs dir of its state dir
KOLLA_LOG = os.path.join(os.environ.get('STACKDOCTOR_LAB_NODES_DIR', '/var/tmp/stackdoctor-lab-nodes'),
                         'sd-lab-kolla1', 'kolla-logs', 'cinder', 'cinder-volume.log')


def _cinder_volume_log(start=0, path=None):
    with open(path or os.path.join(_lab_dir(), 'log', 'cinder-volume.log'), errors='replace') as f:
        f.seek(start)
        return f.read()


def _node_run(host, *argv):
    return subprocess.run(['podman', 'exec', host] + list(argv), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60).stdout


def _node_targets(host='sd-lab-volume1'):
    return subprocess.run(['podman', 'exec', host, 'tgtadm', '--lld', 'iscsi', '--op', 'show', '--mode', 'target'],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60).stdout


def fip_probes():
    """Real packets through the lab's floating IP (tests/lab/netnode/fip-probe.py in sd-lab-network1):
    {'in': line, 'out': line}; each line ends in 'works' or 'FAILS'."""
    with open(os.path.join(_lab_dir(), 'etc', 'network.json')) as f:
        net = json.load(f)
    out = {}
    for direction in ('in', 'out'):
        out[direction] = _node_run('sd-lab-network1', 'python3', '/usr/local/lib/stackdoctor-lab-netnode/fip-probe.py',
                                   direction, 'vm-1', net['vm_port']['ip'], net['floating_ip']['ip'],
                                   net['public_gateway']).strip()
    print('fip probes: %s' % json.dumps(out))  # pytest -s: the closing note's lines
    return out


@pytest.fixture(scope='session')
def catalog(lab, tmp_path_factory):
    import scenarios
    out = tmp_path_factory.mktemp('lab-demo')
    vol_name = 'sd-seed000-%d' % os.getpid()
    kolla_name = 'sd-seed000-kolla-%d' % os.getpid()
    probes_clean = fip_probes()
    _play(SABOTAGE, '-e', 'fault=all')
    # the router faults (fip_dnat_deleted, fip_dnat_stale, router_forwarding_off) break the packet path
    probes_broken = fip_probes()
    # seed 000 as a user meets it: a new volume cannot be attached, on the packaged volume node and
    # on the kolla one (availability zone "kolla": cinder-volume-kolla, tgt-admin in its container)
    vol = _volume('create', vol_name)
    kvol = _volume('create', kolla_name, 'kolla')
    log_pos = os.path.getsize(os.path.join(_lab_dir(), 'log', 'cinder-volume.log'))
    klog_pos = os.path.getsize(KOLLA_LOG)
    attach_before = _volume('attach', vol_name)
    attach_log = _cinder_volume_log(log_pos)
    kattach_before = _volume('attach', kolla_name)
    kattach_log = _cinder_volume_log(klog_pos, KOLLA_LOG)
    state = scenarios.load_state()
    conn = scenarios.connect()
    # scenarios.json keeps orphans a remediation already removed: take the live ones
    orphans = [i['consumer'] for i in state if i.get('kind') == 'orphan' and scenarios._holds(conn, i['consumer'])]
    guards = [i for i in state if i.get('kind') in ('live', 'build', 'migration')]
    _play('diagnose.yml', '-e', 'stackdoctor_report_dir=%s' % (out / 'before'))
    # the dry run with the two pairs it is asserted on (every pair's check mode has its own molecule
    # or integration test); the full one ran every check and every fix frame a second time
    dry_out = _play('remediate.yml', '--check', '--diff', '-e', 'stackdoctor_report_dir=%s' % (out / 'dry-run'),
                    '-e', 'stackdoctor_checks=check_tgt_include,check_placement_allocations')
    dry_held = {c: scenarios._holds(conn, c) for c in orphans}
    _play('remediate.yml', '-e', 'stackdoctor_report_dir=%s' % (out / 'remediate'))
    probes_after = fip_probes()
    attach_after = _volume('attach', vol_name)
    targets_after = _node_targets()
    kattach_after = _volume('attach', kolla_name)
    ktargets_after = _node_targets('sd-lab-kolla1-tgtd')
    # the storage node as the fixes left it (tests/integration/test_storage_node.py)
    volume1 = {'qemu_img': _node_run('sd-lab-volume1', 'qemu-img', '--version'),
               'cinder_conf': _node_run('sd-lab-volume1', 'cat', '/etc/cinder/cinder.conf')}
    # the compute whose libvirt secret the sabotage removed (tests/integration/test_rbd_secrets.py)
    compute2 = {'secrets': _node_run('sd-lab-compute2', 'virsh', '-c', 'qemu:///system', 'secret-list')}
    _play('diagnose.yml', '-e', 'stackdoctor_report_dir=%s' % (out / 'after'))
    yield {'out': out, 'before': _report(out / 'before'), 'remediate': _report(out / 'remediate'),
           'after': _report(out / 'after'), 'orphans': orphans, 'guards': guards,
           'dry_run': _report(out / 'dry-run'), 'dry_out': dry_out, 'dry_held': dry_held,
           'volume': vol, 'attach_before': attach_before, 'attach_log': attach_log,
           'attach_after': attach_after, 'targets_after': targets_after, 'volume1': volume1,
           'compute2': compute2,
           'probes': {'clean': probes_clean, 'broken': probes_broken, 'after': probes_after},
           'kolla': {'volume': kvol, 'attach_before': kattach_before, 'attach_log': kattach_log,
                     'attach_after': kattach_after, 'targets_after': ktargets_after}}
    _volume('delete', vol_name)
    _volume('delete', kolla_name)
