"""Benchmark: stackdoctor.openstack.placement_allocations (audit) vs nova-manage placement audit.

    python tests/bench/placement_audit.py [--nodes 500] [--allocations 10000] [--orphans 50]
                                          [--repeat 3] [--no-cache] [--keep-lab] [--profile] [--servers-listing]

Runs in the tooling venv (ansible, openstacksdk). Not a test: it prints a table and exits 0 when
every tool names exactly the expected orphans, 1 otherwise (the 5x goal is reported, not
asserted).

1. Brings up its OWN lab (tests/lab/lab.sh with STACKDOCTOR_LAB_PORT_BASE=15100,
   STACKDOCTOR_LAB_DIR=/var/tmp/stackdoctor-bench-lab, clouds.yaml inside that dir), never
   the shared one on 15000-15099, and takes it down at the end (lab.sh down: recorded PIDs).
2. Populates it (populate.py, nova_rows.py) unless a populated snapshot for the same populate
   code, sizes, port base, lab dir and lab venv exists in ~/.cache/stackdoctor/bench-data-<key>;
   the snapshot is taken after the lab is down. Correctness never rests on the cache: every run
   checks the orphan sets against the manifest and the consumer/server counts from the APIs.
3. Times, best of --repeat: `nova-manage placement audit --verbose`, the module through
   `ansible localhost -m`, the module's algorithm in-process, and `ansible -m ping`.
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
    return os.path.getsize(os.path.join(LAB, 'log', name))


def run_nova_manage():
    venv_bin = os.path.dirname(lab_python())
    off = log_size('placement.log')
    t = time.time()
    p = subprocess.run([os.path.join(venv_bin, 'nova-manage'), '--config-file',
                        os.path.join(LAB, 'etc', 'nova', 'nova.conf'), 'placement', 'audit', '--verbose'],
                       capture_output=True, text=True, env=dict(LAB_ENV))
    dt = time.time() - t
    if p.returncode not in (0, 3):
        raise SystemExit('nova-manage placement audit rc %d:\n%s' % (p.returncode, p.stderr[-3000:]))
    reqs = placement_requests_since(off)
    calls = max(reqs.values()) if reqs else 0   # nova-manage's own global request id
    return dt, set(ORPHAN_RX.findall(p.stdout)), {'rc': p.returncode, 'placement_calls': calls}


def run_ansible_module(params):
    args = ' '.join('%s=%s' % kv for kv in sorted(params.items()))
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
    return time.time() - t


def load_placement_utils():
    path = os.path.join(REPO, 'plugins', 'module_utils', 'placement.py')
    spec = importlib.util.spec_from_file_location('sd_placement', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_inprocess(pl, params, profile=False, server_listing=None):
    """The module's algorithm in this process: same Api/transport as the module, no ansible.
    server_listing: override the module's option (default: the module's default)."""
    t = time.time()
    conn = connect()

    def transport(service, method, path, microversion, body):
        proxy = conn.placement if service == 'placement' else conn.compute
        kw = {'microversion': microversion}
        if body is not None:
            kw['json'] = body
        resp = proxy.request(path, method, **kw)
        try:
            data = resp.json() if resp.content else None
        except ValueError:
            data = None
        return resp.status_code, data

    api = pl.Api(transport, budget=params.get('request_budget', 2000))
    prof = cProfile.Profile() if profile else None
    phases = {}
    if prof:
        prof.enable()
    p = dict({'concurrency': 4}, **params)
    if server_listing:
        p['server_listing'] = server_listing
    a = pl.Auditor(api, p)

    def timed(name, fn):
        def wrapper():
            t1 = time.time()
            try:
                return fn()
            finally:
                phases[name] = round(time.time() - t1, 2)
        return wrapper
    # read_allocations and read_nova run side by side inside read_all
    for ph in ('read_providers', 'read_allocations', 'read_nova', 'read_migrations', 'read_all'):
        setattr(a, ph, timed(ph, getattr(a, ph)))
    t1 = time.time()
    found = a.run()
    phases['classify+confirm'] = round(time.time() - t1 - phases['read_all'], 2)
    if prof:
        prof.disable()
    dt = time.time() - t
    found['api_calls'] = api.calls
    found['api_calls_by_kind'] = dict(api.by_kind)
    found['phases'] = phases
    found['servers_listed'] = len(a.listed_uuids)
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats('cumulative').print_stats(25)
        found['profile'] = s.getvalue()
    return dt, set(o['consumer'] for o in found['orphans']), found


def best(n, fn, *a, **kw):
    runs = []
    for _ in range(n):
        runs.append(fn(*a, **kw))
        log('    %.2f s' % runs[-1][0])
    return min(runs, key=lambda r: r[0]), [round(r[0], 2) for r in runs]


def diff(name_a, a, name_b, b):
    if a == b:
        return True
    print('  MISMATCH %s vs %s: only in %s: %s; only in %s: %s'
          % (name_a, name_b, name_a, sorted(a - b), name_b, sorted(b - a)))
    return False


# ------------------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--nodes', type=int, default=500)
    ap.add_argument('--allocations', type=int, default=10000)
    ap.add_argument('--orphans', type=int, default=50)
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--nova-manage-repeat', type=int, default=None,
                    help='default: --repeat, or 1 when the first run takes over 120 s')
    ap.add_argument('--concurrency', type=int, default=4, help="module's concurrency (its default: 4)")
    ap.add_argument('--no-cache', action='store_true', help='populate even if a snapshot exists')
    ap.add_argument('--keep-lab', action='store_true', help='leave the bench lab up at the end')
    ap.add_argument('--profile', action='store_true', help='cProfile one in-process run')
    ap.add_argument('--servers-listing', action='store_true',
                    help="also time the module in-process with server_listing=servers (the old "
                         "full /servers/detail path, slow)")
    ap.add_argument('--json', help='also write the results here')
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
    results = {'nodes': o.nodes, 'allocations': o.allocations, 'orphans': o.orphans, 'warm': warm}
    ok = False
    try:
        up_s, _ = bring_up(snap if warm else None)
        results['lab_up_seconds'] = round(up_s, 1)
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
        rps = conn.placement.get('/resource_providers', microversion='1.14').json()['resource_providers']
        names = set(r['name'] for r in rps)
        missing = [n['name'] for n in manifest['nodes'] if n['name'] not in names]
        if missing:
            raise SystemExit('%d bench providers missing (stale snapshot? rerun with --no-cache): %s'
                             % (len(missing), missing[:5]))
        results['resource_providers'] = len(rps)
        log('%d resource providers in placement' % len(rps))

        params = {'state': 'audit', 'concurrency': o.concurrency, 'request_budget': 5000}
        log('ansible -m ping (fixed cost of an ansible run), best of %d' % o.repeat)
        ping_best, ping_runs = best(o.repeat, lambda: (run_ping(),))
        log('nova-manage placement audit --verbose')
        first = run_nova_manage()
        log('    %.2f s' % first[0])
        nm_n = o.nova_manage_repeat or (o.repeat if first[0] < 120 else 1)
        nm_runs = [first] + [None] * (nm_n - 1)
        for i in range(1, nm_n):
            nm_runs[i] = run_nova_manage()
            log('    %.2f s' % nm_runs[i][0])
        nm = min(nm_runs, key=lambda r: r[0])
        log('module through ansible (ansible localhost -m stackdoctor.openstack.placement_allocations)')
        an, an_runs = best(o.repeat, run_ansible_module, params)
        pl = load_placement_utils()
        log('module algorithm in-process (module_utils/placement.py)')
        ip, ip_runs = best(o.repeat, run_inprocess, pl, params)
        va = None
        if o.servers_listing:
            log('module algorithm in-process, server_listing=servers (the old full listing)')
            va, va_runs = best(o.repeat, run_inprocess, pl, params, server_listing='servers')
        prof = None
        if o.profile:
            prof = run_inprocess(pl, params, profile=True)[2]

        ok = all([diff('nova-manage', nm[1], 'expected', expected),
                  diff('module (ansible)', an[1], 'expected', expected),
                  diff('module (in-process)', ip[1], 'expected', expected),
                  diff('nova-manage', nm[1], 'module (ansible)', an[1])]
                 + ([diff('module server_listing=servers', va[1], 'expected', expected)] if va else []))
        summ = an[2]['summary']
        if summ['consumers'] != manifest['allocations'] or summ['servers_listed'] < manifest['instances']:
            print('  MISMATCH counts: module saw %d consumers, %d servers; expected %d, %d'
                  % (summ['consumers'], summ['servers_listed'], manifest['allocations'], manifest['instances']))
            ok = False
        nm_calls = nm[2]['placement_calls']
        rows = [('nova-manage placement audit --verbose', nm[0], '%d placement + DB' % nm_calls,
                 [round(r[0], 2) for r in nm_runs], len(nm[1])),
                ('module via ansible localhost -m', an[0], '%d' % an[2]['api_calls'], an_runs, len(an[1])),
                ('module algorithm in-process', ip[0], '%d' % ip[2]['api_calls'], ip_runs, len(ip[1])),
                ('ansible -m ping (baseline)', ping_best[0], '0', ping_runs, '-')]
        if va:
            rows.insert(3, ('in-process, server_listing=servers', va[0], '%d' % va[2]['api_calls'],
                            va_runs, len(va[1])))
        print()
        print('%d resource providers, %d consumers (%d servers listed), %d expected orphans; best of runs'
              % (len(rps), summ['consumers'], summ['servers_listed'], len(expected)))
        print('%-40s %9s %18s %8s %8s  %s' % ('tool', 'wall s', 'API calls', 'ratio', 'orphans', 'runs'))
        for name, t, calls, runs, n in rows:
            ratio = '%.1fx' % (nm[0] / t) if 'ping' not in name else '-'
            print('%-40s %9.2f %18s %8s %8s  %s' % (name, t, calls, ratio, n, runs))
        print('ratio = nova-manage / tool (goal: >= 5x for the module)')
        print('same orphan set in all tools and the manifest: %s' % ('yes' if ok else 'NO'))
        print('module API calls by kind: %s' % json.dumps(an[2]['api_calls_by_kind'], sort_keys=True))
        print('in-process phases (s): %s' % json.dumps(ip[2]['phases']))
        if va:
            print('server_listing=servers phases (s): %s; calls: %s' % (
                json.dumps(va[2]['phases']), json.dumps(va[2]['api_calls_by_kind'], sort_keys=True)))
            results['module_inprocess_servers_listing'] = {
                'best': round(va[0], 2), 'runs': va_runs, 'api_calls': va[2]['api_calls'],
                'phases': va[2]['phases'], 'ratio': round(nm[0] / va[0], 2), 'orphans': len(va[1])}
        if prof:
            print('\ncProfile of one in-process run (cumulative, top 25):')
            print(prof['profile'])
        results.update({
            'nova_manage': {'best': round(nm[0], 2), 'runs': [round(r[0], 2) for r in nm_runs],
                            'placement_calls': nm_calls, 'orphans': len(nm[1])},
            'module_ansible': {'best': round(an[0], 2), 'runs': an_runs, 'api_calls': an[2]['api_calls'],
                               'api_calls_by_kind': an[2]['api_calls_by_kind'], 'orphans': len(an[1])},
            'module_inprocess': {'best': round(ip[0], 2), 'runs': ip_runs, 'api_calls': ip[2]['api_calls'],
                                 'phases': ip[2]['phases'], 'orphans': len(ip[1])},
            'ansible_ping': {'best': round(ping_best[0], 2), 'runs': ping_runs},
            'ratio_ansible': round(nm[0] / an[0], 2), 'ratio_inprocess': round(nm[0] / ip[0], 2),
            'same_orphans': ok, 'populate': manifest.get('populate_seconds'),
            'load_at_end': open('/proc/loadavg').read().split()[0]})
    finally:
        if o.keep_lab:
            log('--keep-lab: bench lab left up (stop: STACKDOCTOR_LAB_PORT_BASE=%s STACKDOCTOR_LAB_DIR=%s '
                'tests/lab/lab.sh down)' % (PORT_BASE, LAB))
        else:
            t = time.time()
            lab('down', check=False)
            log('bench lab down: %.1f s' % (time.time() - t))
            if ok and not warm and os.path.exists(os.path.join(LAB, 'data', 'bench-manifest.json')):
                t = time.time()
                shutil.rmtree(snap + '.tmp', ignore_errors=True)
                shutil.copytree(os.path.join(LAB, 'data'), snap + '.tmp', symlinks=True)
                open(os.path.join(snap + '.tmp', '.complete'), 'w').close()
                shutil.rmtree(snap, ignore_errors=True)
                os.rename(snap + '.tmp', snap)
                log('populated snapshot saved: %s (%.1f s)' % (snap, time.time() - t))
    if o.json:
        with open(o.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
