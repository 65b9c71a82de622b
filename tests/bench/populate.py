"""Populate a bench lab: ~500 compute-node-like resource providers, ~10,000 allocations.

Used by tests/bench/placement_audit.py (tooling venv: openstacksdk + requests); the nova rows
are written by nova_rows.py in the LAB venv. The sha256 of this file and nova_rows.py is part of
the key of the populated-data cache, so any change here repopulates.

Through the placement API (real placement, real keystone tokens):
  POST /resource_providers (1.20), PUT /resource_providers/{u}/inventories: VCPU 64 (ratio 4),
  MEMORY_MB 262144, DISK_GB 4000; POST /allocations (1.28, consumer_generation null, in
  batches) for every instance on its node and for the orphan consumers.
Straight into nova's databases (nova_rows.py): services, compute_nodes, host_mappings,
  instances (+ extra, info cache, system metadata) and instance_mappings.
"""
import json
import os
import random
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
FLAVOR = {'name': 'sd-bench', 'vcpus': 1, 'ram': 512, 'disk': 10}
IMAGE_REF = '9a1b7c36-5d2e-4f61-8b0c-5ab1ed000002'  # no glance: a reference only
INVENTORY = {'VCPU': {'total': 64, 'allocation_ratio': 4.0},
             'MEMORY_MB': {'total': 262144, 'reserved': 512},
             'DISK_GB': {'total': 4000}}
WORKERS = 8          # parallel placement requests (placement itself runs 1 thread in the lab)
ALLOC_BATCH = 250    # consumers per POST /allocations
DEADLINE = 900       # seconds for the whole populate


class Http(object):
    """requests with a keystone token, counted; retries 5xx ('database is locked') a few times."""

    def __init__(self, conn):
        import requests
        self.token = conn.auth_token
        self.pl = conn.placement.get_endpoint().rstrip('/')
        self.local = threading.local()
        self.requests = requests
        self.calls = 0
        self.lock = threading.Lock()
        self.t0 = time.time()

    def _s(self):
        s = getattr(self.local, 's', None)
        if s is None:
            s = self.local.s = self.requests.Session()
            s.headers.update({'X-Auth-Token': self.token, 'Accept': 'application/json'})
        return s

    def placement(self, method, path, mv, body=None, ok=(200, 201, 204)):
        for attempt in range(8):
            if time.time() - self.t0 > DEADLINE:
                raise SystemExit('populate: deadline of %d s exceeded' % DEADLINE)
            with self.lock:
                self.calls += 1
            r = self._s().request(method, self.pl + path, json=body, timeout=120,
                                  headers={'OpenStack-API-Version': 'placement %s' % mv})
            if r.status_code in ok:
                return r
            if r.status_code >= 500 or r.status_code == 409 and 'concurrent' in r.text.lower():
                time.sleep(0.3 * (attempt + 1))
                continue
            break
        raise SystemExit('populate: %s %s -> %s %s' % (method, path, r.status_code, r.text[:300]))


def flavor(conn):
    """The bench flavor, made if missing, through the compute API (keystoneauth's adapter, as
    the module does: no openstacksdk find_*/resource deprecations)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'sd_placement', os.path.join(HERE, '..', '..', 'plugins', 'module_utils', 'placement.py'))
    pl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pl)
    req = pl.adapter_request(conn.compute)
    r = req('/flavors/detail?is_public=None', 'GET', microversion='2.1')
    for f in r.json().get('flavors') or []:
        if f['name'] == FLAVOR['name']:
            return f
    r = req('/flavors', 'POST', microversion='2.1', json={'flavor': {
        'name': FLAVOR['name'], 'vcpus': FLAVOR['vcpus'], 'ram': FLAVOR['ram'], 'disk': FLAVOR['disk']}})
    if r.status_code != 200:
        raise SystemExit('populate: POST /flavors -> %s %s' % (r.status_code, r.text[:300]))
    return r.json()['flavor']


def plan(nodes, allocations, orphans, seed=20261121):
    rnd = random.Random(seed)

    def u():
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    ns = [{'uuid': u(), 'name': 'bench-cn-%03d' % i, 'host': 'bench-host-%03d' % i}
          for i in range(nodes)]
    n_inst = allocations - orphans
    insts = [{'uuid': u(), 'node': ns[i % nodes]['name']} for i in range(n_inst)]
    orph = [{'uuid': u(), 'node': ns[(i * 7 + 3) % nodes]['name']} for i in range(orphans)]
    return {'nodes': ns, 'instances': insts, 'orphans': orph}


def populate(conn, lab, lab_python, nodes=500, allocations=10000, orphans=50, log=print):
    t0 = time.time()
    p = plan(nodes, allocations, orphans)
    http = Http(conn)
    proj, user = conn.current_project_id, conn.current_user_id
    fl = flavor(conn)
    res = {'VCPU': fl['vcpus'], 'MEMORY_MB': fl['ram'], 'DISK_GB': fl['disk']}
    timings = {}

    def rp(n):
        http.placement('POST', '/resource_providers', '1.20',
                       {'name': n['name'], 'uuid': n['uuid']}, ok=(200,))
        http.placement('PUT', '/resource_providers/%s/inventories' % n['uuid'], '1.20',
                       {'resource_provider_generation': 0, 'inventories': INVENTORY}, ok=(200,))

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(rp, p['nodes']))
    timings['providers'] = round(time.time() - t0, 1)
    log('  %d resource providers with inventories via placement: %.1f s (%d requests, %d workers)'
        % (nodes, timings['providers'], http.calls, WORKERS))

    t1 = time.time()
    spec = dict(nodes=p['nodes'], instances=p['instances'], project_id=proj, user_id=user,
                flavorid=fl['id'], template_host='compute-1', image_ref=IMAGE_REF)
    spec_path = os.path.join(lab, 'bench-nova-spec.json')
    with open(spec_path, 'w') as f:
        json.dump(spec, f)
    out = subprocess.run([lab_python, os.path.join(HERE, 'nova_rows.py'),
                          os.path.join(lab, 'etc', 'nova', 'nova.conf'), spec_path],
                         capture_output=True, text=True, env=dict(os.environ, PYTHONWARNINGS='ignore'))
    if out.returncode != 0:
        errs = [ln[:400] for ln in out.stderr.splitlines() if 'Error' in ln or 'error' in ln][:6]
        raise SystemExit('nova_rows.py failed:\n%s\n...\n%s' % ('\n'.join(errs), out.stderr[-1000:]))
    nova = json.loads(out.stdout.strip().splitlines()[-1])
    timings['nova_rows'] = round(time.time() - t1, 1)
    log('  nova rows (services %d, compute_nodes %d, instances %d + mappings) written into the DBs: '
        '%.1f s' % (nova['services'], nova['compute_nodes'], nova['instances'], timings['nova_rows']))

    t2 = time.time()
    uuid_of = dict((n['name'], n['uuid']) for n in p['nodes'])
    consumers = [(c['uuid'], uuid_of[c['node']]) for c in p['instances'] + p['orphans']]
    batches = [consumers[i:i + ALLOC_BATCH] for i in range(0, len(consumers), ALLOC_BATCH)]
    calls0 = http.calls

    def post(batch):
        body = dict((c, {'allocations': {rpu: {'resources': res}}, 'project_id': proj,
                         'user_id': user, 'consumer_generation': None}) for c, rpu in batch)
        http.placement('POST', '/allocations', '1.28', body, ok=(204,))

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(post, batches))
    timings['allocations'] = round(time.time() - t2, 1)
    log('  %d allocations (%d instances + %d orphans) via POST /allocations: %.1f s (%d requests)'
        % (len(consumers), len(p['instances']), len(p['orphans']), timings['allocations'],
           http.calls - calls0))
    timings['total'] = round(time.time() - t0, 1)
    manifest = {'nodes': p['nodes'], 'orphans': sorted(c['uuid'] for c in p['orphans']),
                'instances': len(p['instances']), 'allocations': len(consumers),
                'flavor': FLAVOR, 'resources': res, 'populate_seconds': timings,
                'populate_requests': http.calls}
    return manifest
