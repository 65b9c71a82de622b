"""placement_allocations against the real lab (tests/lab): keystone + placement + nova.

Runs the module through real ``ansible`` / ``ansible-playbook`` processes. Skipped when the lab
is not up (``tests/lab/lab.sh status``); never brings it down.

Scenarios are created with tests/lab/scenarios.py's functions but with a PRIVATE state file and
a private cleanup limited to the consumers made here, so the lab's other users (and their
scenarios) are not touched. Every removal run is limited with ``consumers:`` to what this test
created, or scoped to a resource provider this test created.
"""
import contextlib
import importlib.util
import io
import json
import os
import pathlib
import shutil
import socket
import subprocess
import warnings
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import placement as pl

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAB_SH = ROOT / 'tests' / 'lab' / 'lab.sh'
# a second lab (STACKDOCTOR_LAB_DIR/_PORT_BASE/_CLOUDS, tests/lab/README.md) is used as it is
CLOUDS = pathlib.Path(os.environ.get('STACKDOCTOR_LAB_CLOUDS') or ROOT / 'inventories' / 'lab' / 'clouds.yaml')
LAB = os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab')
PMV = {'microversion': '1.28'}
MODULE = 'stackdoctor.openstack.placement_allocations'


def lab_up():
    if not LAB_SH.exists() or not CLOUDS.exists():
        return False
    return subprocess.run([str(LAB_SH), 'status'], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not lab_up(), reason='lab not up (tests/lab/lab.sh up)')


# ----------------------------------------------------------------------------- lab helpers
def scenarios_module(state_file):
    spec = importlib.util.spec_from_file_location('sd_lab_scenarios', ROOT / 'tests' / 'lab' / 'scenarios.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.STATE = str(state_file)   # private state: never the shared scenarios.json
    return mod


class Lab(object):
    """Creates scenarios and cleans up exactly what it created."""

    def __init__(self):
        os.environ.setdefault('OS_CLIENT_CONFIG_FILE', str(CLOUDS))
        self.tmp = tempfile.mkdtemp(prefix='sd-placement-itest-')
        self.scn = scenarios_module(os.path.join(self.tmp, 'scenarios.json'))
        self.conn = self.scn.connect()
        self.consumers = []
        self.instances = []
        self.providers = []

    def scenario(self, kind):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            item = self.scn.scenario(kind)
        if item is None:  # older scenarios.py printed the item instead of returning it
            item = json.loads(buf.getvalue().strip().splitlines()[-1])
        self.consumers += item.get('allocations', [])
        if item.get('instance'):
            self.instances.append(item['instance'])
        return item

    def rp(self, name):
        return self.scn.rp_uuid(self.conn, name)

    def placement(self, method, path, **kw):
        # keystoneauth's adapter under the SDK proxy, as the module does (no SDK deprecations)
        return pl.adapter_request(self.conn.placement)(path, method, **kw)

    def allocations(self, consumer):
        return self.placement('GET', '/allocations/%s' % consumer, **PMV).json()

    def put(self, consumer, allocs, generation=None):
        body = {'allocations': {rp: {'resources': r} for rp, r in allocs.items()},
                'consumer_generation': generation, 'project_id': self.conn.current_project_id,
                'user_id': self.conn.current_user_id}
        r = self.placement('PUT', '/allocations/%s' % consumer, json=body, **PMV)
        assert r.status_code == 204, r.text
        if consumer not in self.consumers:
            self.consumers.append(consumer)

    def provider(self, inventory):
        """A root provider of our own (not a compute node), with the given inventory."""
        u = str(uuid.uuid4())
        name = 'sd-itest-' + u[:8]
        r = self.placement('POST', '/resource_providers', json={'name': name, 'uuid': u}, **PMV)
        assert r.status_code in (200, 201), r.text
        self.providers.append(u)
        for rc in inventory:
            if rc.startswith('CUSTOM_'):
                self.placement('PUT', '/resource_classes/%s' % rc, microversion='1.7')
        r = self.placement('PUT', '/resource_providers/%s/inventories' % u, json={
            'resource_provider_generation': 0,
            'inventories': {rc: {'total': n} for rc, n in inventory.items()}}, **PMV)
        assert r.status_code == 200, r.text
        return u, name

    def cleanup(self):
        for c in self.consumers:
            self.placement('DELETE', '/allocations/%s' % c, **PMV)
        if self.instances:
            # only the rows this test made: no sweep of other sd-scn-* scenario servers
            try:
                self.scn.nova_side('cleanup', instances=self.instances, sweep=False)
            except SystemExit as exc:  # teardown stays best-effort, as before
                warnings.warn('lab cleanup of %s failed: %s' % (self.instances, exc))
        for u in self.providers:
            self.placement('DELETE', '/resource_providers/%s' % u, **PMV)
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture
def lab():
    lb = Lab()
    try:
        yield lb
    finally:
        lb.cleanup()


# ----------------------------------------------------------------------------- module runs
def run_module(args, clouds=CLOUDS, check=False):
    """One real `ansible localhost -m` run; returns the module result."""
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(clouds), ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'),
               ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_LOCALHOST_WARNING='false')
    play = [{'hosts': 'localhost', 'gather_facts': False,
             'vars': {'ansible_python_interpreter': sys.executable},
             'tasks': [{'name': 'run', MODULE: dict(args, cloud='stackdoctor-lab'),
                        'register': 'r', 'ignore_errors': True}]}]
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        json.dump(play, f)
    try:
        cmd = [shutil.which('ansible-playbook') or 'ansible-playbook', '-i', 'localhost,', '-c', 'local', f.name]
        if check:
            cmd.append('--check')
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300)
    finally:
        os.unlink(f.name)
    out = json.loads(p.stdout[p.stdout.index('{'):])
    return out['plays'][0]['tasks'][0]['hosts']['localhost']


def resources(allocations):
    return {rp: a['resources'] for rp, a in allocations['allocations'].items()}


def by_consumer(result, key):
    return {e['consumer']: e for e in result.get(key, [])}


# ----------------------------------------------------------------------------- tests
def test_orphan_found_and_removed_while_build_migration_live_are_untouched(lab):
    orphan = lab.scenario('orphan')
    build = lab.scenario('build')
    live = lab.scenario('live')
    mig = lab.scenario('migration')
    mine = [orphan['consumer'], build['consumer'], live['consumer'], mig['consumer'], mig['dest_consumer']]
    before = {c: lab.allocations(c) for c in mine}
    log = ['INFO nova.compute.resource_tracker [-] Instance %s has allocations against this compute '
           'host but is not found in the database.' % orphan['consumer']]

    audit = run_module({'consumers': mine, 'nova_compute_log_lines': log})
    assert not audit.get('failed'), audit
    assert audit['aborted'] is None
    assert set(by_consumer(audit, 'orphans')) == {orphan['consumer']}
    assert by_consumer(audit, 'orphans')[orphan['consumer']]['log_lines'][0]['kind'] == 'not_found'
    skipped = {e['consumer']: e['reason'] for e in audit['skipped_consumers']}
    assert skipped[build['consumer']] == 'build_request'
    assert skipped[mig['consumer']] == 'migration'
    assert skipped[mig['dest_consumer']] == 'migration'
    assert live['consumer'] not in skipped and not audit['moved']
    assert audit['changed'] is False

    # check mode: says what would go, removes nothing
    dry = run_module({'state': 'absent', 'consumers': mine}, check=True)
    assert [r['consumer'] for r in dry['removed']] == [orphan['consumer']]
    assert lab.allocations(orphan['consumer'])['allocations']

    fix = run_module({'state': 'absent', 'consumers': mine})
    assert not fix.get('failed'), fix
    assert fix['changed'] is True
    assert [r['consumer'] for r in fix['removed']] == [orphan['consumer']]
    freed = fix['removed'][0]['resource_providers'][orphan['provider']]
    assert freed['name'] == 'compute-1' and freed['resources']['VCPU'] == 1
    assert lab.allocations(orphan['consumer'])['allocations'] == {}
    for c in mine[1:]:   # untouched: same resources on the same providers, same consumer generation
        now = lab.allocations(c)
        assert resources(now) == resources(before[c]), c
        assert now['consumer_generation'] == before[c]['consumer_generation'], c

    again = run_module({'state': 'absent', 'consumers': mine})
    assert again['changed'] is False and again['removed'] == [] and again['orphans'] == []


def test_moved_server_loses_only_the_source_part(lab):
    live = lab.scenario('live')
    cn1 = live['provider']
    own, own_name = lab.provider({'VCPU': 8, 'MEMORY_MB': 4096, 'DISK_GB': 10})
    cur = lab.allocations(live['consumer'])
    allocs = {rp: a['resources'] for rp, a in cur['allocations'].items()}
    allocs[own] = {'VCPU': 1, 'MEMORY_MB': 128, 'DISK_GB': 1}   # leftover on a former host
    lab.put(live['consumer'], allocs, cur['consumer_generation'])

    audit = run_module({'consumers': [live['consumer']]})
    moved = by_consumer(audit, 'moved')
    assert list(moved) == [live['consumer']]
    assert moved[live['consumer']]['root_provider']['uuid'] == own
    assert moved[live['consumer']]['server']['host'] == 'compute-1'

    fix = run_module({'state': 'absent', 'consumers': [live['consumer']]})
    assert fix['changed'] is True
    assert list(fix['removed'][0]['resource_providers']) == [own]
    assert fix['removed'][0]['kept_resource_providers'] == [cn1]
    left = lab.allocations(live['consumer'])['allocations']
    assert list(left) == [cn1]
    assert run_module({'state': 'absent', 'consumers': [live['consumer']]})['changed'] is False


def test_max_deletes_and_custom_classes_on_a_provider_of_our_own(lab):
    own, own_name = lab.provider({'VCPU': 64, 'MEMORY_MB': 65536, 'DISK_GB': 100, 'CUSTOM_SD_ITEST': 4})
    orphans = sorted(str(uuid.uuid4()) for _ in range(5))
    for c in orphans:
        lab.put(c, {own: {'VCPU': 1, 'MEMORY_MB': 64}})
    custom = str(uuid.uuid4())
    lab.put(custom, {own: {'CUSTOM_SD_ITEST': 1}})

    audit = run_module({'resource_providers': [own_name]})
    assert set(by_consumer(audit, 'orphans')) == set(orphans + [custom])
    assert by_consumer(audit, 'orphans')[custom]['custom_rc_only'] is True
    assert audit['providers_checked'][0]['compute_node'] is False

    fix = run_module({'state': 'absent', 'resource_providers': [own_name], 'max_deletes': 2})
    assert [r['consumer'] for r in fix['removed']] == orphans[:2]
    reasons = {e['consumer']: e['reason'] for e in fix['skipped_consumers']}
    assert reasons[custom] == 'custom_rc_only'
    assert all(reasons[c] == 'cap_reached' for c in orphans[2:])
    assert lab.allocations(custom)['allocations']

    fix = run_module({'state': 'absent', 'resource_providers': [own_name], 'max_deletes': 10})
    assert [r['consumer'] for r in fix['removed']] == orphans[2:]
    fix = run_module({'state': 'absent', 'resource_providers': [own_name],
                      'include_custom_resource_classes': True})
    assert [r['consumer'] for r in fix['removed']] == [custom]
    again = run_module({'state': 'absent', 'resource_providers': [own_name],
                        'include_custom_resource_classes': True})
    assert again['changed'] is False and again['orphans'] == []


def _clouds_with_compute(tmp_path, url):
    import yaml
    data = yaml.safe_load(CLOUDS.read_text())
    data['clouds']['stackdoctor-lab']['compute_endpoint_override'] = url
    p = tmp_path / 'clouds.yaml'
    p.write_text(yaml.safe_dump(data))
    p.chmod(0o600)
    return p


def _closed_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Nova500(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = b'{"computeFault": {"code": 500, "message": "Unexpected API Error."}}'
        self.send_response(500)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class _Stalled(object):
    """A nova-api that accepts connections and never answers (not a stopped one)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return

    def shutdown(self):
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.parametrize('kind', ['closed_port', 'http_500', 'stalled'])
def test_nova_down_aborts_and_deletes_nothing(lab, tmp_path, kind):
    own, own_name = lab.provider({'VCPU': 8, 'MEMORY_MB': 4096})
    orphan = str(uuid.uuid4())
    lab.put(orphan, {own: {'VCPU': 1}})
    server = None
    extra = {}
    if kind == 'closed_port':
        url = 'http://127.0.0.1:%d/v2.1' % _closed_port()
    elif kind == 'stalled':
        server = _Stalled()
        url = 'http://127.0.0.1:%d/v2.1' % server.port
        extra = {'api_timeout': 4}
    else:
        server = HTTPServer(('127.0.0.1', 0), _Nova500)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = 'http://127.0.0.1:%d/v2.1' % server.server_address[1]
    clouds = _clouds_with_compute(tmp_path, url)
    try:
        t = time.time()
        audit = run_module(dict({'resource_providers': [own_name]}, **extra), clouds=clouds)
        took_audit = time.time() - t
        assert not audit.get('failed'), audit
        assert audit['aborted'] == 'nova_unavailable'
        assert audit['orphans'] == []
        t = time.time()
        fix = run_module(dict({'state': 'absent', 'resource_providers': [own_name]}, **extra), clouds=clouds)
        took_fix = time.time() - t
        assert fix.get('failed') is True
        assert fix['aborted'] == 'nova_unavailable' and fix['removed'] == []
        assert 'nothing was deleted' in fix['msg']
        if kind == 'stalled':
            # the stalled nova-api was reached and the run ended within the bound: one timeout
            # (4 s) plus ansible's own start-up, not the 150 s+ hang of before
            assert server.conns
            assert 'did not answer within 4 s' in fix['msg'] or 'Unable' in fix['msg'], fix['msg']
            assert took_audit < 4 + 15 and took_fix < 4 + 15, (took_audit, took_fix)
    finally:
        if server:
            server.shutdown()
    assert lab.allocations(orphan)['allocations']


def test_roles_record_an_error_when_nova_stalls(lab, tmp_path):
    """The check role passes check_placement_allocations_api_timeout: a stalled nova-api is an
    error result (nothing deleted), and the fix role removes nothing."""
    if not (ROOT / 'plugins' / 'action' / 'finding.py').exists():
        pytest.skip('stackdoctor.openstack.finding not there yet')
    own, own_name = lab.provider({'VCPU': 8, 'MEMORY_MB': 4096})
    orphan = str(uuid.uuid4())
    lab.put(orphan, {own: {'VCPU': 1}})
    server = _Stalled()
    clouds = _clouds_with_compute(tmp_path, 'http://127.0.0.1:%d/v2.1' % server.port)
    play = [{'hosts': 'localhost', 'gather_facts': False,
             'vars': {'ansible_python_interpreter': sys.executable, 'stackdoctor_cloud': 'stackdoctor-lab',
                      'check_placement_allocations_resource_providers': [own_name],
                      'check_placement_allocations_api_timeout': 3},
             'tasks': [
                 {'ansible.builtin.include_role': {'name': 'stackdoctor.openstack.fix_placement_allocations'}},
                 {'ansible.builtin.copy': {'content': '{{ {"results": stackdoctor_results, '
                                                      '"actions": stackdoctor_actions | default([])} | to_json }}',
                                           'dest': str(tmp_path / 'out.json'), 'mode': '0600'},
                  'check_mode': False}]}]
    pb = tmp_path / 'play.yml'
    pb.write_text(json.dumps(play))
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(clouds), ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'))
    cmd = [shutil.which('ansible-playbook') or 'ansible-playbook', '-i', 'localhost,', '-c', 'local', str(pb)]
    t = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=120)
    finally:
        server.shutdown()
    took = time.time() - t
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    out = json.loads((tmp_path / 'out.json').read_text())
    mine = [r for r in out['results'] if r['check'] == 'check_placement_allocations']
    assert [(r['id'], r['status']) for r in mine] == [('placement.audit_aborted', 'error')], mine
    assert 'nothing was deleted' in mine[0]['summary']
    assert not [a for a in out['actions'] if a['fix'] == 'fix_placement_allocations']
    assert took < 60, took
    assert lab.allocations(orphan)['allocations']


@pytest.mark.parametrize('on_change', ['skip', 'reconfirm'])
def test_removal_acts_only_on_what_the_audit_saw(lab, on_change):
    """The audit reports an orphan; before the fix runs, its allocations change (more resources,
    another provider). The fix, given the audit's evidence, skips it as changed or re-confirms it
    from scratch (nova 404, migrations) - and says which."""
    own, own_name = lab.provider({'VCPU': 8, 'MEMORY_MB': 4096})
    other, other_name = lab.provider({'VCPU': 8, 'MEMORY_MB': 4096})
    orphan = str(uuid.uuid4())
    lab.put(orphan, {own: {'VCPU': 1}})
    audit = run_module({'resource_providers': [own_name]})
    found = by_consumer(audit, 'orphans')[orphan]
    assert found['allocations'] == {own: {'VCPU': 1}} and found['consumer_generation'] is not None
    evidence = [f['evidence'] for f in audit['findings'] if f['evidence'].get('consumer') == orphan]
    assert evidence and evidence[0]['allocations'] == {own: {'VCPU': 1}}

    cur = lab.allocations(orphan)
    lab.put(orphan, {own: {'VCPU': 2, 'MEMORY_MB': 64}, other: {'VCPU': 1}}, cur['consumer_generation'])
    changed = lab.allocations(orphan)

    fix = run_module({'state': 'absent', 'resource_providers': [own_name], 'expected': evidence,
                      'on_change': on_change})
    assert not fix.get('failed'), fix
    if on_change == 'skip':
        assert fix['removed'] == [] and fix['changed'] is False
        sk = {e['consumer']: e for e in fix['skipped_consumers']}[orphan]
        assert sk['reason'] == 'changed_since_audit' and sk['since_audit'] == 'changed, skipped'
        assert any('generation' in c for c in sk['changes'])
        assert resources(lab.allocations(orphan)) == resources(changed)   # untouched
        return
    assert [r['consumer'] for r in fix['removed']] == [orphan]
    r = fix['removed'][0]
    assert r['since_audit'].startswith('changed, re-confirmed') and '404' in r['since_audit']
    assert set(r['resource_providers']) == {own, other}
    assert fix['api_calls_by_kind'].get('compute GET /servers/{id}', 0) >= 2   # audit + re-confirmation
    assert fix['api_calls_by_kind'].get('compute GET /os-migrations', 0) >= 2
    assert lab.allocations(orphan)['allocations'] == {}


def test_request_budget_aborts_cleanly(lab):
    own, own_name = lab.provider({'VCPU': 8})
    orphan = str(uuid.uuid4())
    lab.put(orphan, {own: {'VCPU': 1}})
    res = run_module({'state': 'absent', 'resource_providers': [own_name], 'request_budget': 3})
    assert res.get('failed') is True and res['aborted'] == 'request_budget'
    assert res['api_calls'] == 3 and res['removed'] == []
    assert lab.allocations(orphan)['allocations']


def test_roles_record_and_fix(lab, tmp_path):
    if not (ROOT / 'plugins' / 'action' / 'finding.py').exists():
        pytest.skip('stackdoctor.openstack.finding not there yet')
    own, own_name = lab.provider({'VCPU': 8, 'MEMORY_MB': 4096})
    orphans = sorted(str(uuid.uuid4()) for _ in range(2))
    for c in orphans:
        lab.put(c, {own: {'VCPU': 1, 'MEMORY_MB': 64}})
    play = [{'hosts': 'localhost', 'gather_facts': False,
             'vars': {'ansible_python_interpreter': sys.executable, 'stackdoctor_cloud': 'stackdoctor-lab',
                      'check_placement_allocations_resource_providers': [own_name]},
             'tasks': [
                 {'ansible.builtin.include_role': {'name': 'stackdoctor.openstack.fix_placement_allocations'}},
                 {'ansible.builtin.copy': {'content': '{{ {"results": stackdoctor_results, '
                                                      '"actions": stackdoctor_actions} | to_json }}',
                                           'dest': str(tmp_path / 'out.json'), 'mode': '0600'},
                  'check_mode': False}]}]
    pb = tmp_path / 'play.yml'
    pb.write_text(json.dumps(play))
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(CLOUDS), ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'))
    cmd = [shutil.which('ansible-playbook') or 'ansible-playbook', '-i', 'localhost,', '-c', 'local', str(pb)]
    # check mode: the action says what would go, nothing is removed
    p = subprocess.run(cmd + ['--check'], capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    dry = json.loads((tmp_path / 'out.json').read_text())
    act = [a for a in dry['actions'] if a['fix'] == 'fix_placement_allocations']
    assert act[-1]['summary'].startswith('would remove 2 allocation(s)'), act
    assert act[-1]['details']['check_mode'] is True
    for c in orphans:
        assert lab.allocations(c)['allocations']
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    out = json.loads((tmp_path / 'out.json').read_text())
    mine = [r for r in out['results'] if r['check'] == 'check_placement_allocations']
    assert [r['status'] for r in mine] == ['ok'], mine   # re-check after the fix replaced the findings
    act = [a for a in out['actions'] if a['fix'] == 'fix_placement_allocations']
    assert act and act[-1]['changed'] is True
    assert sorted(r['consumer'] for r in act[-1]['details']['removed']) == orphans
    for c in orphans:
        assert lab.allocations(c)['allocations'] == {}
