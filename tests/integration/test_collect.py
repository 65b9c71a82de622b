"""playbooks/collect.yml against the lab's node containers (tests/lab): sd-lab-controller (packaged
nova controller) and sd-lab-volume1 (packaged cinder volume host with the real tgtd).

Asserted: one run tarball on the controller with its index naming both hosts; each host bundle has
its index (index.json, INDEX.txt), the service configs (nova.conf, cinder.conf) masked, logs, and
on sd-lab-volume1 `strace -f -tt -p <tgtd's pid>` output (ptrace works in the node containers:
runc, default capabilities, no Yama); no password of the lab (etc/secrets.json) appears in any
extracted file nor in the playbook's output. strace is not in the node image: the test installs
Debian 12's strace and libunwind8 (downloaded on this machine with apt-get download) into
sd-lab-volume1 and purges them afterwards. Skipped when the lab is not up; never brings it down.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAB_SH = ROOT / 'tests' / 'lab' / 'lab.sh'
LAB = os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab')
INV = ROOT / 'inventories' / 'lab' / 'hosts.yml'
DEBS = ROOT / '.cache' / 'debs'
VOLUME, CONTROLLER, KOLLA = 'sd-lab-volume1', 'sd-lab-controller', 'sd-lab-kolla1'


def lab_up():
    if not LAB_SH.exists() or not os.path.exists(os.path.join(LAB, 'etc', 'secrets.json')):
        return False
    if subprocess.run([str(LAB_SH), 'status'], capture_output=True).returncode != 0:
        return False
    return subprocess.run(['podman', 'container', 'exists', VOLUME]).returncode == 0


pytestmark = pytest.mark.skipif(not lab_up(), reason='lab not up (make lab-up)')


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


def node(name, *argv, check=True):
    out = subprocess.run(['podman', 'exec', name] + list(argv), capture_output=True, text=True, timeout=60)
    assert not check or out.returncode == 0, out.stderr
    return out


@pytest.fixture
def strace_on_volume():
    """Debian's strace (+ libunwind8) in sd-lab-volume1 for the test; purged afterwards."""
    had = node(VOLUME, 'sh', '-c', 'command -v strace', check=False).returncode == 0
    if not had:
        DEBS.mkdir(parents=True, exist_ok=True)
        if not list(DEBS.glob('strace_*.deb')) or not list(DEBS.glob('libunwind8_*.deb')):
            subprocess.run(['apt-get', 'download', 'strace', 'libunwind8'], cwd=DEBS, capture_output=True, timeout=120)
        debs = sorted(DEBS.glob('*.deb'))
        if len(debs) < 2:
            pytest.skip('could not download strace and libunwind8 (apt-get download)')
        node(VOLUME, 'mkdir', '-p', '/tmp/sd-debs')
        for deb in debs:
            subprocess.run(['podman', 'cp', str(deb), '%s:/tmp/sd-debs/' % VOLUME], check=True, timeout=60)
        node(VOLUME, 'sh', '-c', 'dpkg -i /tmp/sd-debs/*.deb >/dev/null && rm -rf /tmp/sd-debs')
    try:
        yield
    finally:
        if not had:
            node(VOLUME, 'dpkg', '--purge', 'strace', 'libunwind8', check=False)


def playbook(tmp_path, *args):
    exe = pathlib.Path(sys.executable).parent / 'ansible-playbook'
    exe = str(exe) if exe.exists() else shutil.which('ansible-playbook')
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / '.ansible-tmp'))
    proc = subprocess.run([exe, '-i', str(INV), str(ROOT / 'playbooks' / 'collect.yml')] + list(args),
                          cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300)
    return proc.returncode, proc.stdout


def test_collect_bundles_with_strace_and_no_secret(strace_on_volume, tmp_path):
    dest = tmp_path / 'evidence'
    started = time.time()
    rc, out = playbook(tmp_path, '-e', 'stackdoctor_hosts=%s:%s:%s' % (CONTROLLER, VOLUME, KOLLA), '-e', 'collect_dest=%s' % dest,
                       '-e', 'collect_since=7d', '-e', 'collect_strace_service=tgt', '-e', 'collect_strace_seconds=2')
    took = time.time() - started
    print('collect.yml took %.1f s' % took)
    assert rc == 0, out[-4000:]
    [run_tar] = list(dest.glob('stackdoctor-evidence-*.tar.gz'))
    run_dir = tmp_path / 'x'
    with tarfile.open(run_tar) as tar:
        tar.extractall(run_dir)
    index = json.loads((run_dir / 'index.json').read_text())
    assert sorted(index['hosts']) == [CONTROLLER, KOLLA, VOLUME], index
    assert 'logs since 7d' in (run_dir / 'INDEX.txt').read_text()
    bundles = {}
    for host, entry in index['hosts'].items():
        assert entry['bundle'], entry
        with tarfile.open(run_dir / entry['bundle']) as tar:
            tar.extractall(run_dir / 'hosts-x')
        [top] = [p for p in (run_dir / 'hosts-x').iterdir() if p.name.startswith('evidence-%s-' % host)]
        bundles[host] = top
        host_index = json.loads((top / 'index.json').read_text())
        assert host_index['host'] == host and host_index['masked'] is True
        assert (top / 'INDEX.txt').read_text().startswith('stackdoctor evidence bundle of %s' % host)
        # every file the index lists is in the bundle with the size it says
        for item in host_index['files']:
            assert (top / item['path']).stat().st_size == item['bytes'], item
    ctl, vol = bundles[CONTROLLER], bundles[VOLUME]
    nova = (ctl / 'configs/etc/nova/nova.conf').read_text()
    assert 'transport_url = rabbit://' in nova and ':********@' in nova
    cinder = (vol / 'configs/etc/cinder/cinder.conf').read_text()
    assert '[lvm-1]' in cinder or 'enabled_backends' in cinder
    assert list((ctl / 'logs').rglob('*.log')), 'controller logs (nova-api, placement, keystone)'
    assert (ctl / 'facts.json').is_file() and (vol / 'facts.json').is_file()
    # the kolla node: its sibling containers (through the host's podman socket) inspected, env masked
    kolla = bundles[KOLLA]
    inspected = sorted(p.name for p in (kolla / 'containers').glob('*.inspect.json'))
    assert 'sd-lab-kolla1-cinder_volume.inspect.json' in inspected and 'sd-lab-kolla1-tgtd.inspect.json' in inspected, inspected
    assert json.loads((kolla / 'containers' / inspected[0]).read_text())['State']
    assert (kolla / 'configs/etc/kolla/cinder-volume/cinder.conf').is_file()
    # strace of tgtd on the volume host: ptrace works in the node container
    vindex = json.loads((vol / 'index.json').read_text())
    assert not [e for e in vindex['errors'] if e['what'] == 'strace'], vindex['errors']
    [trace] = list((vol / 'strace').glob('tgt.*.txt'))
    text = trace.read_text()
    assert text.startswith('# ') and 'detached by SIGINT after 2.0s' in text.splitlines()[1], text[:500]
    assert [ln for ln in text.splitlines()[3:] if ln[:1].isdigit() and ':' in ln[:12]], text[:800]
    # the controller has no tgt main process: said in its index, not a failure
    cindex = json.loads((ctl / 'index.json').read_text())
    assert [e for e in cindex['errors'] if e['what'] == 'strace'] or list((ctl / 'strace').glob('*.txt'))
    # no lab password anywhere: every extracted file, the tarballs' text, the playbook output
    secrets = lab_secrets()
    assert secrets
    leaks = []
    for path in run_dir.rglob('*'):
        if path.is_file() and not path.name.endswith('.tar.gz'):
            blob = path.read_bytes().decode('utf-8', 'replace')
            leaks += ['%s in %s' % (s[:3] + '...', path.relative_to(run_dir)) for s in secrets if s in blob]
    assert leaks == [], leaks
    assert not [s for s in secrets if s in out], 'a lab password reached the playbook output'
    assert took < 90, 'collect.yml took %.0f s' % took
