"""Light bench nodes: overlay + network namespace + PID namespace + chroot (tests/bench/README.md).

Each node is:
  - an overlay of the cached base rootfs (tests/bench/bench-rootfs.sh) at <state>/<name>/root,
    with tmpfs /run, a tmpfs /dev holding null/zero/full/random/urandom/tty, and /proc mounted
    by the node's own PID namespace (so a node sees its own processes only);
  - its own network namespace (`ip netns add <name>`, lo up);
  - real files written into the overlay for its role (cinder.conf, tgt's conf.d include, a
    cinder-volume or nova log, nova.conf ...);
  - real processes: PID 1 of its PID namespace is /sbin/sd-bench-init, which starts the real
    tgtd (storage nodes) and sleeping STAND-INs named after the OpenStack services (a symlink
    to /bin/sleep called cinder-volume, nova-compute ...; their /proc/<pid>/comm is that name).
Ansible reaches a node with community.general.chroot and `ansible_chroot_exe` set to
<state>/<name>/enter: `ip netns exec <name> nsenter --pid=/proc/<pid1>/ns/pid -- chroot "$@"`.

Everything created is recorded in <state>/state.json as it is created; teardown() undoes
exactly that (PIDs checked against their command line first, mounts only if still listed in
/proc/mounts, namespaces by recorded name) and is safe to call twice or after a crash.
"""
import json
import os
import pathlib
import signal
import subprocess
import time
import uuid

HERE = pathlib.Path(__file__).resolve().parent
VOLUMES_DIR = '/var/lib/cinder/volumes'

CINDER_CONF = """[DEFAULT]
enabled_backends = lvm-1
state_path = /var/lib/cinder
transport_url = rabbit://openstack:RABBIT_PASS@controller-1:5672/
[database]
connection = mysql+pymysql://cinder:CINDER_DBPASS@controller-1/cinder
[lvm-1]
volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver
volume_group = cinder-volumes
volume_backend_name = lvm-1
target_helper = tgtadm
target_protocol = iscsi
volumes_dir = %s
""" % VOLUMES_DIR

NOVA_CONF = """[DEFAULT]
transport_url = rabbit://openstack:RABBIT_PASS@controller-1:5672/
my_ip = 10.0.0.%(octet)d
[api_database]
connection = mysql+pymysql://nova:NOVA_DBPASS@controller-1/nova_api
[placement]
region_name = RegionOne
auth_type = password
auth_url = http://controller-1:5000/v3
username = placement
password = PLACEMENT_PASS
"""

PLACEMENT_CONF = """[placement_database]
connection = mysql+pymysql://placement:PLACEMENT_DBPASS@controller-1/placement
[keystone_authtoken]
www_authenticate_uri = http://controller-1:5000
password = PLACEMENT_PASS
"""

TARGETS_CONF = """# Empty targets configuration file -- please see the package
# documentation directory for an example.
#
# You can drop individual config snippets into /etc/tgt/conf.d
include /etc/tgt/conf.d/*.conf
"""

INIT = """#!/bin/sh
# stackdoctor bench node init: PID 1 of this node's PID namespace, in place of an init system
# (a bench node is an overlay + netns + chroot, never booted). Starts the node's daemons:
# the real tgtd where /etc/sd-bench/tgtd exists, and the sleeping STAND-INs listed in
# /etc/sd-bench/standins (symlinks to /bin/sleep named after the service).
if [ -f /etc/sd-bench/tgtd ]; then /usr/sbin/tgtd -f >/var/log/tgtd.log 2>&1 & fi
for s in $(cat /etc/sd-bench/standins 2>/dev/null); do /usr/local/lib/sd-bench/$s infinity & done
trap 'exit 0' TERM
while :; do sleep 3600 & wait $!; done
"""

DEVICES = [('null', 1, 3), ('zero', 1, 5), ('full', 1, 7), ('random', 1, 8), ('urandom', 1, 9),
           ('tty', 5, 0)]


def _log_line(ts, pid, level, logger, msg):
    return '2026-11-20 %s %d %s %s [req-%s - - - - -] %s\n' % (ts, pid, level, logger, uuid.uuid4(), msg)


def _ts(i):
    return '%02d:%02d:%02d.%03d' % (8 + i // 3600 % 10, i // 60 % 60, i % 60, i % 1000)


def cinder_volume_log(lines, broken, vol):
    out = []
    for i in range(lines):
        out.append(_log_line(_ts(i), 4242, 'INFO', 'cinder.volume.manager',
                             'Updating volume status; pool lvm-1 free_capacity_gb %d' % (900 - i % 50)))
    if broken:
        out.append(_log_line(_ts(lines), 4242, 'WARNING', 'cinder.volume.targets.tgt',
                             "Failed to create iscsi target for Volume ID: %s. It could be caused by problem "
                             "with concurrency. Also please ensure your tgtd config file contains "
                             "'include %s/*'" % (vol, VOLUMES_DIR)))
        out.append(_log_line(_ts(lines + 1), 4242, 'ERROR', 'cinder.volume.manager',
                             'Create export of volume failed (Resource could not be found.)'))
    return ''.join(out)


def nova_compute_log(lines, orphan):
    out = []
    for i in range(lines):
        out.append(_log_line(_ts(i), 5151, 'INFO', 'nova.compute.resource_tracker',
                             'Final resource view: name=compute phys_ram=262144MB used_ram=%dMB' % (512 * (i % 40))))
    if orphan:
        out.append(_log_line(_ts(lines), 5151, 'WARNING', 'nova.compute.resource_tracker',
                             'Instance %s has allocations against this compute host but is not found in '
                             'the database.' % orphan))
    return ''.join(out)


def plan(n, prefix='sdb', broken_every=10):
    """Node specs: name, role (controllers|computes|storage), broken (a fault the checks find).

    About 5% controllers (at least 1), the rest split between computes and storage; every
    `broken_every`-th storage node lacks tgt's include of volumes_dir (with the cinder-volume
    log line it causes), every `broken_every`-th compute logs an orphaned allocation.
    """
    n_ctl = max(1, n // 20)
    nodes = []
    n_sto = n_cmp = 0
    for i in range(n):
        if i < n_ctl:
            role, broken = 'controllers', False
        elif (i - n_ctl) % 2 == 0:
            role, broken = 'storage', n_sto % broken_every == broken_every - 1
            n_sto += 1
        else:
            role, broken = 'computes', n_cmp % broken_every == broken_every - 1
            n_cmp += 1
        nodes.append({'name': '%s-%03d' % (prefix, i), 'role': role, 'broken': broken})
    return nodes


def _run(argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _mounted():
    with open('/proc/self/mounts') as handle:
        return set(line.split()[1].replace('\\040', ' ') for line in handle)


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return handle.read().replace(b'\0', b' ').decode('utf-8', 'replace')
    except OSError:
        return None


class LightNodes:
    def __init__(self, state_dir, rootfs):
        self.state_dir = pathlib.Path(state_dir)
        self.rootfs = rootfs
        self.state_file = self.state_dir / 'state.json'
        self.state = {'nodes': {}}
        self._procs = {}

    # ------------------------------------------------------------------ record keeping
    def _save(self):
        tmp = self.state_file.with_suffix('.tmp')
        tmp.write_text(json.dumps(self.state, indent=1))
        os.replace(tmp, self.state_file)

    def _rec(self, name):
        return self.state['nodes'].setdefault(name, {'mounts': [], 'netns': None, 'pids': []})

    def _mount(self, name, argv, target):
        _run(['mount'] + argv + [str(target)])
        self._rec(name)['mounts'].append(str(target))
        self._save()

    # ------------------------------------------------------------------ create
    def create(self, specs):
        """Create every node of `specs` (see plan()); returns {name: {root, enter, role, ...}}."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.state_file.exists():   # a previous run that was killed before its teardown
            self.state = json.loads(self.state_file.read_text())
            self.teardown()
            self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state = {'nodes': {}, 'rootfs': self.rootfs}
        self._save()
        out = {}
        for spec in specs:
            out[spec['name']] = self._create_one(spec)
        self._wait_ready(out)
        return out

    def _create_one(self, spec):
        name = spec['name']
        base = self.state_dir / name
        root = base / 'root'
        for d in ('upper', 'work', 'root'):
            (base / d).mkdir(parents=True, exist_ok=True)
        self._rec(name)
        self._mount(name, ['-t', 'overlay', 'overlay', '-o',
                           'lowerdir=%s,upperdir=%s,workdir=%s' % (self.rootfs, base / 'upper', base / 'work')],
                    root)
        self._mount(name, ['-t', 'tmpfs', '-o', 'mode=755,size=16m', 'tmpfs'], root / 'run')
        self._mount(name, ['-t', 'tmpfs', '-o', 'mode=755,size=64k', 'tmpfs'], root / 'dev')
        for dev, major, minor in DEVICES:
            os.mknod(root / 'dev' / dev, 0o20666, os.makedev(major, minor))
            os.chmod(root / 'dev' / dev, 0o666)
        (root / 'dev' / 'shm').mkdir()
        _run(['ip', 'netns', 'add', name])
        self._rec(name)['netns'] = name
        self._save()
        _run(['ip', '-n', name, 'link', 'set', 'lo', 'up'])
        info = self._write_files(spec, root)
        # PID 1 of a new PID namespace: mounts the node's /proc (in this mount namespace, so
        # every later chroot sees it), then enters the node's netns and chroot as sd-bench-init.
        proc = subprocess.Popen(
            ['unshare', '--pid', '--fork', '--kill-child', 'sh', '-c',
             'mount -t proc proc "$1/proc" && exec ip netns exec "$2" chroot "$1" /sbin/sd-bench-init',
             'sd-bench-node', str(root), name],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self._procs[name] = proc
        self._rec(name)['pids'].append({'pid': proc.pid, 'match': str(root)})
        self._rec(name)['mounts'].append(str(root / 'proc'))   # made by the node's PID 1
        self._save()
        info.update({'standins': info.pop('_standins'), 'name': name, 'role': spec['role'], 'broken': spec['broken'], 'root': str(root),
                     'enter': str(base / 'enter'), 'unshare_pid': proc.pid})
        return info

    def _write_files(self, spec, root):
        name, role, broken = spec['name'], spec['role'], spec['broken']
        info = {}

        def put(path, text, mode=0o644):
            p = root / path.lstrip('/')
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
            os.chmod(p, mode)

        put('/etc/hostname', name + '\n')
        put('/sbin/sd-bench-init', INIT, 0o755)
        standins = []
        octet = int(name.rsplit('-', 1)[1]) % 250 + 2
        if role == 'storage':
            vol = 'volume-%s' % uuid.uuid4()
            put('/etc/cinder/cinder.conf', CINDER_CONF, 0o640)
            put('/etc/tgt/targets.conf', TARGETS_CONF)
            if not broken:
                put('/etc/tgt/conf.d/cinder_tgt.conf', 'include %s/*\n' % VOLUMES_DIR)
            put(VOLUMES_DIR + '/' + vol,
                '<target iqn.2010-10.org.openstack:%s>\n    backing-store /dev/cinder-volumes/%s\n'
                '    driver iscsi\n    write-cache on\n</target>\n' % (vol, vol), 0o600)
            put('/var/log/cinder/cinder-volume.log', cinder_volume_log(2000, broken, vol))
            put('/etc/sd-bench/tgtd', '')
            standins = ['cinder-volume']
            info['volume'] = vol
        elif role == 'computes':
            orphan = str(uuid.uuid4()) if broken else None
            put('/etc/nova/nova.conf', NOVA_CONF % {'octet': octet}, 0o640)
            put('/var/log/nova/nova-compute.log', nova_compute_log(2000, orphan))
            standins = ['nova-compute']
            info['orphan'] = orphan
        else:
            put('/etc/nova/nova.conf', NOVA_CONF % {'octet': octet}, 0o640)
            put('/etc/placement/placement.conf', PLACEMENT_CONF, 0o640)
            for svc in ('nova-api', 'nova-conductor', 'nova-scheduler'):
                put('/var/log/nova/%s.log' % svc, _log_line(_ts(0), 3131, 'INFO', 'nova.service', 'Starting %s' % svc))
            put('/var/log/placement/placement-api.log', _log_line(_ts(0), 3232, 'INFO', 'placement.wsgi', 'started'))
            standins = ['nova-api', 'nova-conductor', 'nova-scheduler', 'placement-api']
        put('/etc/sd-bench/standins', '\n'.join(standins) + '\n')
        d = root / 'usr/local/lib/sd-bench'
        d.mkdir(parents=True, exist_ok=True)
        for s in standins:
            os.symlink('/bin/sleep', d / s)
        info['_standins'] = standins
        return info

    def _wait_ready(self, nodes, timeout=60):
        """Wait until each node's PID 1 exists, its /proc is mounted and its daemons run; write `enter`."""
        deadline = time.monotonic() + timeout
        pending = dict(nodes)
        while pending:
            mounts = _mounted()
            for name, info in list(pending.items()):
                proc = self._procs[name]
                if proc.poll() is not None:
                    raise RuntimeError('node %s: its PID 1 exited (rc %s)' % (name, proc.returncode))
                try:
                    kids = pathlib.Path('/proc/%d/task/%d/children' % (proc.pid, proc.pid)).read_text().split()
                except OSError:
                    kids = []
                if not kids or info['root'] + '/proc' not in mounts:
                    continue
                pid1 = int(kids[0])
                comms = set()
                for p in os.listdir(info['root'] + '/proc'):
                    if p.isdigit():
                        try:
                            comms.add(pathlib.Path(info['root'], 'proc', p, 'comm').read_text().strip())
                        except OSError:
                            pass
                want = {'sd-bench-init'} | set(info['standins']) | ({'tgtd'} if info['role'] == 'storage' else set())
                if not want <= comms:
                    continue
                info['pid1'] = pid1
                info['processes'] = sorted(comms)
                enter = pathlib.Path(info['enter'])
                enter.write_text('#!/bin/sh\n# community.general.chroot `chroot_exe` of bench node %s: its network\n'
                                 '# namespace, its PID namespace (PID 1 = host PID %d), then chroot "$@"\n'
                                 'exec ip netns exec %s nsenter --pid=/proc/%d/ns/pid -- chroot "$@"\n'
                                 % (name, pid1, name, pid1))
                enter.chmod(0o755)
                rec = self._rec(name)
                rec['pids'].insert(0, {'pid': pid1, 'match': 'sd-bench-init'})
                self._save()
                del pending[name]
            if pending:
                if time.monotonic() > deadline:
                    raise RuntimeError('nodes not ready after %ds: %s' % (timeout, ', '.join(sorted(pending)[:10])))
                time.sleep(0.05)

    # ------------------------------------------------------------------ teardown
    def teardown(self):
        """Undo what state.json records; returns a list of problems (empty when all went)."""
        problems = []
        nodes = self.state.get('nodes', {})
        for name, rec in nodes.items():
            for entry in rec.get('pids', []):
                pid = entry['pid']
                cmd = _cmdline(pid)
                if cmd is not None and entry['match'] in cmd:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        for proc in self._procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                problems.append('pid %d did not exit' % proc.pid)
        # unshare processes of an earlier run (not our children): wait until they are gone
        deadline = time.monotonic() + 10
        for name, rec in nodes.items():
            for entry in rec.get('pids', []):
                while _cmdline(entry['pid']) is not None and entry['match'] in (_cmdline(entry['pid']) or '') \
                        and time.monotonic() < deadline:
                    time.sleep(0.05)
        mounts = _mounted()
        for name, rec in nodes.items():
            for target in reversed(rec.get('mounts', [])):
                if target not in mounts:
                    continue
                p = subprocess.run(['umount', target], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                if p.returncode != 0:
                    p = subprocess.run(['umount', '-l', target], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
                    if p.returncode != 0:
                        problems.append('umount %s: %s' % (target, p.stderr.strip()))
            if rec.get('netns'):
                if os.path.exists('/run/netns/' + rec['netns']):
                    p = subprocess.run(['ip', 'netns', 'del', rec['netns']], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
                    if p.returncode != 0:
                        problems.append('ip netns del %s: %s' % (rec['netns'], p.stderr.strip()))
        left = [m for m in _mounted() if m.startswith(str(self.state_dir) + '/')]
        if left:
            problems.append('still mounted, state dir kept: %s' % ', '.join(sorted(left)[:5]))
        elif self.state_dir.exists():
            subprocess.run(['rm', '-rf', '--one-file-system', str(self.state_dir)], check=False)
        self.state = {'nodes': {}}
        self._procs = {}
        return problems


def build_rootfs():
    p = subprocess.run(['bash', str(HERE / 'bench-rootfs.sh')], stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError('tests/bench/bench-rootfs.sh failed (rc %d)' % p.returncode)
    lines = p.stdout.strip().splitlines()
    return lines[-1], 'cached' in lines
