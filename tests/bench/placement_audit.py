"""Benchmarks 1-3 of the placement audit: stackdoctor.openstack.placement_allocations against
`nova-manage placement audit`, on the bench's own lab.

    python tests/bench/placement_audit.py [--nodes 500] [--allocations 10000] [--orphans 50]
        [--repeat 3] [--concurrency N] [--no-cache] [--keep-lab] [--profile] [--servers-listing]
        [--json FILE]

Runs in the tooling venv (ansible, openstacksdk). Not a test: it prints every figure and exits
0 when every tool names exactly the expected orphans (full and scoped), 1 otherwise; the goals
are reported, not asserted.

1. Full audit: `nova-manage placement audit --verbose` vs the module through
   `ansible localhost -m` and its algorithm in-process, same orphan set asserted.
2. Scoped audit of one provider (one that holds an orphan): `nova-manage placement audit
   --resource_provider UUID --verbose` vs the module through ansible (both whole processes)
   and the module in-process (a connected session; the audit's own work).
3. The cost to the cloud: CPU seconds the lab's service processes (keystone, placement,
   nova-api, conductor, scheduler, computes, MariaDB when the lab has it, rabbitmq) consumed
   during each tool's run, from /proc (utime+stime of every process of the lab's pid files and
   its descendants, children reaped included).

The lab: tests/lab/lab.sh with STACKDOCTOR_BENCH_PORT_BASE (default 15100) and
STACKDOCTOR_BENCH_LAB_DIR (default /var/tmp/stackdoctor-bench-lab), clouds.yaml inside it,
never the shared one on 15000-15099; `lab.sh down` first (a leftover of an interrupted run) and
at the end, whatever happens (unless --keep-lab). Populated data is cached after a run whose
orphan sets all matched (~/.cache/stackdoctor/bench-data-<key>); correctness never rests on
the cache: every run checks the orphan sets against the manifest.
"""
import argparse
import cProfile
import hashlib
import importlib.util
import io
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAB_SH = os.path.join(REPO, 'tests', 'lab', 'lab.sh')
PORT_BASE = os.environ.get('STACKDOCTOR_BENCH_PORT_BASE', '15100')
LAB = os.environ.get('STACKDOCTOR_BENCH_LAB_DIR', '/var/tmp/stackdoctor-bench-lab')
CLOUDS = os.path.join(LAB, 'clouds.yaml')
CLOUD = 'stackdoctor-lab'
CACHE = os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'stackdoctor')
ORPHAN_RX = re.compile(r'Allocations were set against consumer UUID ([0-9a-f-]{36}) but no existing '
                       r'instances or active migrations are related')
LAB_ENV = dict(os.environ, STACKDOCTOR_LAB_PORT_BASE=PORT_BASE, STACKDOCTOR_LAB_DIR=LAB,
               STACKDOCTOR_LAB_CLOUDS=CLOUDS, PYTHONWARNINGS='ignore')
for _k in ('STACKDOCTOR_LAB_DATA_CACHE', 'OS_CLOUD', 'OS_CLIENT_CONFIG_FILE'):
    LAB_ENV.pop(_k, None)
T0 = time.time()


def log(msg):
    print('[%6.1fs] %s' % (time.time() - T0, msg), flush=True)


def sha(paths, extra=''):
    h = hashlib.sha256()
    for p in paths:
        with open(p, 'rb') as f:
            h.update(f.read())
    h.update(extra.encode())
    return h.hexdigest()[:12]


def lab(cmd, extra_env=None, check=True):
    env = dict(LAB_ENV, **(extra_env or {}))
    p = subprocess.run(['bash', LAB_SH, cmd], env=env, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise SystemExit('lab.sh %s failed (rc %d):\n%s\n%s'
                         % (cmd, p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p


def lab_python():
    with open(os.path.join(LAB, 'venv')) as f:
        return os.path.join(f.read().strip(), 'bin', 'python')


def connect():
    os.environ['OS_CLIENT_CONFIG_FILE'] = CLOUDS
    import openstack
    return openstack.connect(cloud=CLOUD)


def bring_up(snapshot):
    """lab.sh up (restoring the snapshot when given); once more if a service died on start."""
    extra = {'STACKDOCTOR_LAB_DATA_CACHE': snapshot} if snapshot else {}
    for attempt in (1, 2):
        t = time.time()
        p = lab('up', extra, check=False)
        st = lab('status', check=False)
        if p.returncode == 0 and st.returncode == 0:
            return time.time() - t, p.stdout
        log('lab up attempt %d: rc %d, status rc %d (a service died on start, e.g. sqlite '
            '"database is locked" in keystone); retrying' % (attempt, p.returncode, st.returncode))
        sys.stdout.write(st.stdout[-1500:])
    raise SystemExit('bench lab did not come up:\n%s\n%s' % (p.stdout[-2000:], p.stderr[-2000:]))


# ------------------------------------------------------------------------------ service CPU
def _stat(pid):
    """(ppid, utime+stime+cutime+cstime in ticks) of a pid, or None."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(')') + 2:].split()
    return int(fields[1]), sum(int(x) for x in fields[11:15])


def service_cpu():
    """CPU seconds so far of every lab service: {service: seconds} (pid file + descendants)."""
    run = os.path.join(LAB, 'run')
    procs = {}
    for d in os.listdir('/proc'):
        if d.isdigit():
            st = _stat(int(d))
            if st:
                procs[int(d)] = st
    children = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    out = {}
    tick = os.sysconf('SC_CLK_TCK')
    for name in sorted(os.listdir(run)) if os.path.isdir(run) else []:
        if not name.endswith('.pid'):
            continue
        try:
            root = int(open(os.path.join(run, name)).read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        todo, ticks, seen = [root], 0, set()
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in procs:
                continue
            seen.add(pid)
            ticks += procs[pid][1]
            todo.extend(children.get(pid, []))
        out[name[:-4]] = ticks / float(tick)
    return out


def measured(fn, *a, **kw):
    """Run fn; add the lab services' CPU seconds during it to its result dict (element 2)."""
    before = service_cpu()
    r = fn(*a, **kw)
    after = service_cpu()
    per = dict((k, round(after[k] - before.get(k, 0.0), 2)) for k in after)
    per = dict((k, v) for k, v in per.items() if v > 0)
    extra = r[2] if len(r) > 2 and isinstance(r[2], dict) else {}
    extra['service_cpu'] = round(sum(per.values()), 2)
    extra['service_cpu_by_service'] = per
    return r[0], r[1], extra


# ------------------------------------------------------------------------------ the tools
def placement_requests_since(offset):
    """Placement requests logged after offset, grouped by global request id."""
    path = os.path.join(LAB, 'log', 'placement.log')
    with open(path, 'rb') as f:
        f.seek(offset)
        text = f.read().decode('utf-8', 'replace')
    counts = {}
    for line in text.splitlines():
        if 'placement.requestlog' in line:
            m = re.search(r'\[(req-[0-9a-f-]+|None)', line)
            k = m.group(1) if m else '?'
            counts[k] = counts.get(k, 0) + 1
    return counts


def log_size(name):
    try:
        return os.path.getsize(os.path.join(LAB, 'log', name))
    except OSError:
        return 0


def run_nova_manage(provider_uuid=None):
    venv_bin = os.path.dirname(lab_python())
    off = log_size('placement.log')
    cmd = [os.path.join(venv_bin, 'nova-manage'), '--config-file',
           os.path.join(LAB, 'etc', 'nova', 'nova.conf'), 'placement', 'audit', '--verbose']
    if provider_uuid:
        cmd += ['--resource_provider', provider_uuid]
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(LAB_ENV))
    dt = time.time() - t
    if p.returncode not in (0, 3):
        raise SystemExit('nova-manage placement audit rc %d:\n%s' % (p.returncode, p.stderr[-3000:]))
    reqs = placement_requests_since(off)
    calls = max(reqs.values()) if reqs else 0   # nova-manage's own global request id
    return dt, set(ORPHAN_RX.findall(p.stdout)), {'rc': p.returncode, 'placement_calls': calls}


def run_ansible_module(params):
    args = ' '.join('%s=%s' % (k, ','.join(v) if isinstance(v, list) else v)
                    for k, v in sorted(params.items()))
    env = dict(LAB_ENV, OS_CLIENT_CONFIG_FILE=CLOUDS, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'),
               ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1')
    cmd = ['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-e',
           'ansible_python_interpreter=%s' % sys.executable,
           '-m', 'stackdoctor.openstack.placement_allocations', '-a', 'cloud=%s %s' % (CLOUD, args)]
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    dt = time.time() - t
    try:
        res = json.loads(p.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']
    except (ValueError, KeyError, IndexError):
        raise SystemExit('ansible module run failed (rc %d):\n%s\n%s' % (p.returncode, p.stdout[-3000:],
                                                                         p.stderr[-2000:]))
    if res.get('failed') or res.get('aborted'):
        raise SystemExit('module failed/aborted: %s %s' % (res.get('msg'), res.get('abort_message')))
    return dt, set(o['consumer'] for o in res['orphans']), res


def run_ping():
    env = dict(LAB_ENV, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'))
    t = time.time()
    p = subprocess.run(['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-e',
                        'ansible_python_interpreter=%s' % sys.executable, '-m', 'ansible.builtin.ping'],
                       capture_output=True, text=True, env=env, cwd=REPO)
    if p.returncode != 0:
        raise SystemExit('ansible ping failed: %s %s' % (p.stdout, p.stderr))
    return time.time() - t, set(), {}


def load_placement_utils():
    path = os.path.join(REPO, 'plugins', 'module_utils', 'placement.py')
    spec = importlib.util.spec_from_file_location('sd_placement', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def warm_connection():
    """An authenticated connection with both endpoints discovered (what the module has after
    its first calls), so an in-process run times the audit's own work."""
    conn = connect()
    conn.placement.get_endpoint()
    conn.compute.get_endpoint()
    return conn


def run_inprocess(pl, params, profile=False, conn=None):
    """The module's algorithm in this process: the module's transport (keystoneauth adapter
    under the SDK proxy, per-call timeout), Api, Auditor. With conn: that (warm) connection;
    else a new one (authentication and version discovery included in the time)."""
    t = time.time()
    conn = conn or connect()
    api = pl.Api(None, budget=params.get('request_budget') or pl.AUTO_BUDGET_BASE,
                 deadline=600, api_timeout=30)
    api.auto_budget = not params.get('request_budget')
    api.transport = pl.sdk_transport(conn, api)
    prof = cProfile.Profile() if profile else None
    phases = {}
    if prof:
        prof.enable()
    a = pl.Auditor(api, dict(params))

    def timed(name, fn):
        def wrapper(*aa, **kw):
            t1 = time.time()
            try:
                return fn(*aa, **kw)
            finally:
                phases[name] = round(phases.get(name, 0) + time.time() - t1, 3)
        return wrapper
    # read_allocations and read_nova run side by side inside read_all
    for ph in ('read_providers', 'read_consumers', 'read_allocations', 'read_nova', 'read_migrations',
               'read_all'):
        setattr(a, ph, timed(ph, getattr(a, ph)))
    t1 = time.time()
    found = a.run()
    phases['classify+confirm'] = round(time.time() - t1 - phases['read_all'], 3)
    if prof:
        prof.disable()
    dt = time.time() - t
    found['api_calls'] = api.calls
    found['api_calls_by_kind'] = dict(api.by_kind)
    found['api_seconds_by_kind'] = dict((k, round(v, 2)) for k, v in api.seconds_by_kind.items())
    found['phases'] = phases
    found['servers_listed'] = len(a.listed_uuids)
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats('cumulative').print_stats(25)
        found['profile'] = buf.getvalue()
    return dt, set(o['consumer'] for o in found['orphans']), found


def load_placement_at(rev):
    """module_utils/placement.py as it was at git revision ``rev`` (for a before/after profile)."""
    src = subprocess.run(['git', 'show', '%s:plugins/module_utils/placement.py' % rev], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    path = os.path.join(LAB, 'placement_%s.py' % re.sub(r'\W', '_', rev))
    with open(path, 'w') as f:
        f.write(src)
    spec = importlib.util.spec_from_file_location('sd_placement_%s' % re.sub(r'\W', '_', rev), path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _template(path):
    p = re.sub(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '{uuid}', path)
    return re.sub(r'([?&][a-z_]+=)[^&]*', r'\1', p)


def run_inprocess_old(old, params, conn=None):
    """The algorithm of an older placement.py (Api(transport, budget), openstacksdk's
    Proxy.request as the module then used), timed per call kind by this wrapper."""
    t = time.time()
    conn = conn or connect()
    secs, counts, lock = {}, {}, __import__('threading').Lock()

    def transport(service, method, path, microversion, body):
        proxy = conn.placement if service == 'placement' else conn.compute
        kw = {'microversion': microversion}
        if body is not None:
            kw['json'] = body
        t1 = time.time()
        resp = proxy.request(path, method, **kw)
        k = '%s %s %s' % (service, method, _template(path))
        with lock:
            secs[k] = secs.get(k, 0.0) + time.time() - t1
            counts[k] = counts.get(k, 0) + 1
        try:
            data = resp.json() if resp.content else None
        except ValueError:
            data = None
        return resp.status_code, data
    api = old.Api(transport, budget=20000)
    found = old.Auditor(api, dict(params)).run()
    dt = time.time() - t
    found['api_calls'] = api.calls
    found['api_calls_by_kind'] = counts
    found['api_seconds_by_kind'] = dict((k, round(v, 2)) for k, v in secs.items())
    return dt, set(o['consumer'] for o in found['orphans']), found


def rounds(n, tools):
    """Every tool once per round, n rounds (interleaved, so load changes hit them alike).
    tools: [(name, fn)]; returns {name: {'best': (dt, set, extra), 'runs': [dt...], 'cpu': [...]}}"""
    out = dict((name, {'best': None, 'runs': [], 'cpu': []}) for name, _ in tools)
    for i in range(n):
        for name, fn in tools:
            r = measured(fn)
            o = out[name]
            o['runs'].append(round(r[0], 3))
            o['cpu'].append(r[2]['service_cpu'])
            if o['best'] is None or r[0] < o['best'][0]:
                o['best'] = r
            log('    round %d %-34s %7.3f s  (services %.2f CPU s)' % (i + 1, name, r[0], r[2]['service_cpu']))
    return out


def diff(name_a, a, name_b, b):
    if a == b:
        return True
    print('  MISMATCH %s vs %s: only in %s: %s; only in %s: %s'
          % (name_a, name_b, name_a, sorted(a - b), name_b, sorted(b - a)))
    return False


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else 0


def table(title, res, baseline, names):
    print()
    print(title)
    head = ('tool', 'best s', 'median s', 'ratio', 'svc CPU s', 'orphans', 'runs (s)')
    print('%-44s %9s %9s %8s %10s %8s  %s' % head)
    base = res[baseline]['best'][0]
    for name in names:
        o = res[name]
        best = o['best'][0]
        ratio = '%.2fx' % (base / best) if name != baseline and 'ping' not in name else ('1.00x' if name == baseline else '-')
        n = len(o['best'][1]) if 'ping' not in name else '-'
        row = (name, best, median(o['runs']), ratio, median(o['cpu']), n, o['runs'])
        print('%-44s %9.3f %9.3f %8s %10.2f %8s  %s' % row)
    print('ratio = %s best / tool best; svc CPU = median CPU seconds of the lab services during a run'
          % baseline)


# ------------------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--nodes', type=int, default=500)
    ap.add_argument('--allocations', type=int, default=10000)
    ap.add_argument('--orphans', type=int, default=50)
    ap.add_argument('--repeat', type=int, default=3, help='rounds (every tool once per round)')
    ap.add_argument('--concurrency', type=int, default=None, help="module's concurrency (default: its own)")
    ap.add_argument('--no-cache', action='store_true', help='populate even if a snapshot exists')
    ap.add_argument('--keep-lab', action='store_true', help='leave the bench lab up at the end')
    ap.add_argument('--profile', action='store_true', help='cProfile one in-process full run')
    ap.add_argument('--per-root', action='store_true',
                    help='also time the module in-process with server_listing=hypervisors_per_root')
    ap.add_argument('--servers-listing', action='store_true',
                    help="also time the module in-process with server_listing=servers (slow)")
    ap.add_argument('--json', help='also write the results here')
    ap.add_argument('--compare-rev', help='also run the in-process algorithm of placement.py at this git '
                                          'revision (before/after profile), e.g. 51b9f93')
    o = ap.parse_args()

    sys.path.insert(0, HERE)
    import populate
    lab_env_out = lab('env').stdout
    data_cache = re.search(r'^DATA_CACHE=(.*)$', lab_env_out, re.M).group(1)
    key = sha([os.path.join(HERE, 'populate.py'), os.path.join(HERE, 'nova_rows.py'),
               os.path.join(REPO, 'tests', 'lab', 'requirements-lab.txt')],
              '%s|%s|%s|%d|%d|%d' % (PORT_BASE, LAB, os.path.basename(data_cache),
                                     o.nodes, o.allocations, o.orphans))
    snap = os.path.join(CACHE, 'bench-data-%s' % key)
    warm = os.path.exists(os.path.join(snap, '.complete')) and not o.no_cache
    log('bench lab: %s, ports %s-%d, snapshot %s (%s)' % (LAB, PORT_BASE, int(PORT_BASE) + 99,
                                                          os.path.basename(snap), 'warm' if warm else 'cold'))
    print(subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip() + ' cores; ' +
          open('/proc/loadavg').read().split()[0] + ' load (1 min) at start')

    lab('down', check=False)   # a previous interrupted bench run: its own recorded PIDs only
    results = {'nodes': o.nodes, 'allocations': o.allocations, 'orphans': o.orphans, 'warm': warm,
               'load_at_start': open('/proc/loadavg').read().split()[0]}
    ok = False
    try:
        up_s, _ = bring_up(snap if warm else None)
        results['lab_up_seconds'] = round(up_s, 1)
        results['lab_env'] = open(os.path.join(LAB, 'etc', 'lab.env')).read() \
            if os.path.exists(os.path.join(LAB, 'etc', 'lab.env')) else ''
        log('lab up (%s): %.1f s' % ('restored populated snapshot' if warm else 'prepared data only', up_s))
        conn = connect()
        if warm:
            with open(os.path.join(LAB, 'data', 'bench-manifest.json')) as f:
                manifest = json.load(f)
        else:
            log('populating: %d providers, %d allocations (%d orphans)' % (o.nodes, o.allocations, o.orphans))
            t = time.time()
            manifest = populate.populate(conn, LAB, lab_python(), o.nodes, o.allocations, o.orphans,
                                         log=lambda m: log(m))
            results['populate_seconds'] = round(time.time() - t, 1)
            log('populated in %.1f s' % results['populate_seconds'])
            with open(os.path.join(LAB, 'data', 'bench-manifest.json'), 'w') as f:
                json.dump(manifest, f)
        expected = set(manifest['orphans'])
        pl = load_placement_utils()
        rps = pl.adapter_request(conn.placement)('/resource_providers', 'GET', microversion='1.14').json()[
            'resource_providers']
        names = set(r['name'] for r in rps)
        missing = [n['name'] for n in manifest['nodes'] if n['name'] not in names]
        if missing:
            raise SystemExit('%d bench providers missing (stale snapshot? rerun with --no-cache): %s'
                             % (len(missing), missing[:5]))
        results['resource_providers'] = len(rps)
        log('%d resource providers in placement' % len(rps))

        params = {'state': 'audit'}
        if o.concurrency:
            params['concurrency'] = o.concurrency
        # the scoped provider: the first bench node holding an orphan (populate.plan puts orphan
        # i on node (7i+3) mod nodes)
        node = manifest['nodes'][3 % len(manifest['nodes'])]
        scoped_expected = set(pl_orphans_on(manifest, node['name']))
        sparams = dict(params, resource_providers=[node['name']])
        warm_conn = warm_connection()
        ipparams = dict({'concurrency': 4}, **params)
        ipparams.pop('state')

        # ---- benchmark 1: the whole cloud
        log('benchmark 1: full audit, %d rounds (nova-manage, module via ansible, module in-process)' % o.repeat)
        tools1 = [('nova-manage placement audit --verbose', run_nova_manage),
                  ('module via ansible localhost -m', lambda: run_ansible_module(params)),
                  ('module in-process (new connection)', lambda: run_inprocess(pl, ipparams))]
        if o.servers_listing:
            tools1.append(('in-process, server_listing=servers',
                           lambda: run_inprocess(pl, dict(ipparams, server_listing='servers'))))
        if o.per_root:
            tools1.append(('in-process, server_listing=hypervisors_per_root',
                           lambda: run_inprocess(pl, dict(ipparams, server_listing='hypervisors_per_root'))))
        old_pl = load_placement_at(o.compare_rev) if o.compare_rev else None
        if old_pl:
            tools1.append(('in-process at %s (before)' % o.compare_rev, lambda: run_inprocess_old(old_pl, ipparams)))
        r1 = rounds(o.repeat, tools1)
        # ---- benchmark 2: one provider
        log('benchmark 2: scoped to %s (%s), %d rounds' % (node['name'], node['uuid'], o.repeat))
        tools2 = [('nova-manage ... --resource_provider UUID', lambda: run_nova_manage(node['uuid'])),
                  ('module via ansible, resource_providers=[name]', lambda: run_ansible_module(sparams)),
                  ('module in-process (new connection)', lambda: run_inprocess(pl, dict(ipparams, **{
                      'resource_providers': [node['name']]}))),
                  ('module in-process (connected session)', lambda: run_inprocess(pl, dict(ipparams, **{
                      'resource_providers': [node['name']]}), conn=warm_conn)),
                  ('ansible -m ping (baseline)', run_ping)]
        if old_pl:
            tools2.insert(4, ('in-process at %s (before, connected)' % o.compare_rev, lambda: run_inprocess_old(
                old_pl, dict(ipparams, resource_providers=[node['name']]), conn=warm_conn)))
        r2 = rounds(o.repeat, tools2)
        prof = run_inprocess(pl, ipparams, profile=True)[2] if o.profile else None

        checks = [diff('nova-manage', r1['nova-manage placement audit --verbose']['best'][1], 'expected', expected)]
        for name in [t[0] for t in tools1[1:]]:
            checks.append(diff(name, r1[name]['best'][1], 'expected', expected))
        for name in [t[0] for t in tools2[:4]]:
            checks.append(diff('scoped ' + name, r2[name]['best'][1], 'expected on ' + node['name'], scoped_expected))
        an = r1['module via ansible localhost -m']['best'][2]
        summ = an['summary']
        if summ['consumers'] != manifest['allocations'] or summ['servers_listed'] < manifest['instances']:
            print('  MISMATCH counts: module saw %d consumers, %d servers; expected %d, %d'
                  % (summ['consumers'], summ['servers_listed'], manifest['allocations'], manifest['instances']))
            checks.append(False)
        ok = all(checks)

        nm1 = r1['nova-manage placement audit --verbose']['best']
        print()
        print('%d resource providers, %d consumers (%d servers listed), %d expected orphans; scoped: %s '
              'with %d orphan(s); %s rounds; load %s at start'
              % (len(rps), summ['consumers'], summ['servers_listed'], len(expected), node['name'],
                 len(scoped_expected), o.repeat, results['load_at_start']))
        table('Benchmark 1: full audit (goal: module >= 2x nova-manage)', r1,
              'nova-manage placement audit --verbose', [t[0] for t in tools1])
        print('nova-manage placement calls: %d (plus its DB queries)' % nm1[2]['placement_calls'])
        print('module API calls by kind: %s' % json.dumps(an['api_calls_by_kind'], sort_keys=True))
        print('module API seconds by kind (summed over threads): %s'
              % json.dumps(an.get('api_seconds_by_kind'), sort_keys=True))
        ip1 = r1['module in-process (new connection)']['best'][2]
        print('in-process phases (s): %s' % json.dumps(ip1['phases']))
        for name, v in list(r1.items()) + list(r2.items()):
            if 'in-process' in name:
                x = v['best'][2]
                print('  %s: %d calls; by kind (calls, s): %s' % (name, x.get('api_calls'), json.dumps(dict(
                    (k, [x['api_calls_by_kind'].get(k), (x.get('api_seconds_by_kind') or {}).get(k)])
                    for k in sorted(x.get('api_calls_by_kind') or {})))))
        table('Benchmark 2: scoped to one provider (goals: >= 2.5x through ansible; module own work '
              '< 0.3 s in-process)', r2, 'nova-manage ... --resource_provider UUID', [t[0] for t in tools2])
        an2 = r2['module via ansible, resource_providers=[name]']['best'][2]
        ip2 = r2['module in-process (connected session)']['best'][2]
        print('scoped module API calls by kind: %s' % json.dumps(an2['api_calls_by_kind'], sort_keys=True))
        print('scoped in-process (connected) API seconds by kind: %s'
              % json.dumps(ip2['api_seconds_by_kind'], sort_keys=True))
        print()
        print('Benchmark 3: lab service CPU seconds per run (median; goal: module <= nova-manage)')
        for title, res in (('full', r1), ('scoped', r2)):
            for name, v in res.items():
                if 'ping' in name:
                    continue
                print('  %-7s %-44s %7.2f  by service (best run): %s' % (
                    title, name, median(v['cpu']),
                    json.dumps(v['best'][2].get('service_cpu_by_service'), sort_keys=True)))
        print('same orphan sets in every tool and the manifest (full and scoped): %s' % ('yes' if ok else 'NO'))
        if prof:
            print('\ncProfile of one in-process full run (cumulative, top 25):')
            print(prof['profile'])

        def summary(res):
            return dict((name, {'best': round(v['best'][0], 3), 'runs': v['runs'], 'service_cpu': v['cpu'],
                                'orphans': len(v['best'][1]),
                                'api_calls': v['best'][2].get('api_calls'),
                                'api_calls_by_kind': v['best'][2].get('api_calls_by_kind'),
                                'api_seconds_by_kind': v['best'][2].get('api_seconds_by_kind'),
                                'phases': v['best'][2].get('phases'),
                                'service_cpu_by_service': v['best'][2].get('service_cpu_by_service')})
                        for name, v in res.items())
        results.update({'full': summary(r1), 'scoped': summary(r2), 'scoped_provider': node,
                        'same_orphans': ok, 'populate': manifest.get('populate_seconds'),
                        'load_at_end': open('/proc/loadavg').read().split()[0]})
    finally:
        if o.keep_lab:
            log('--keep-lab: bench lab left up (stop: STACKDOCTOR_LAB_PORT_BASE=%s STACKDOCTOR_LAB_DIR=%s '
                'tests/lab/lab.sh down)' % (PORT_BASE, LAB))
        else:
            t = time.time()
            snapshot = ok and not warm and os.path.exists(os.path.join(LAB, 'data', 'bench-manifest.json'))
            # the snapshot needs the MariaDB datadir, which lab.sh down removes unless told
            lab('down', {'STACKDOCTOR_LAB_KEEP_DATA': '1'} if snapshot else None, check=False)
            log('bench lab down: %.1f s' % (time.time() - t))
            if snapshot:
                t = time.time()
                shutil.rmtree(snap + '.tmp', ignore_errors=True)
                shutil.copytree(os.path.join(LAB, 'data'), snap + '.tmp', symlinks=True)
                open(os.path.join(snap + '.tmp', '.complete'), 'w').close()
                shutil.rmtree(snap, ignore_errors=True)
                os.rename(snap + '.tmp', snap)
                shutil.rmtree(os.path.join(LAB, 'data', 'mysql'), ignore_errors=True)
                log('populated snapshot saved: %s (%.1f s)' % (snap, time.time() - t))
    if o.json:
        os.makedirs(os.path.dirname(os.path.abspath(o.json)), exist_ok=True)
        with open(o.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 0 if ok else 1


def pl_orphans_on(manifest, node_name):
    import populate
    p = populate.plan(len(manifest['nodes']), manifest['allocations'], len(manifest['orphans']))
    return [c['uuid'] for c in p['orphans'] if c['node'] == node_name]


if __name__ == '__main__':
    sys.exit(main())
