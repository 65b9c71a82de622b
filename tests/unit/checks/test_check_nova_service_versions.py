"""check_nova_service_versions: the reader (nova_services.WORKER) against real sqlite databases
laid out as nova's (nova_api.cell_mappings with a templated cell URL, a services table per
cell), evaluate() over what it read, the removal logic over a fake compute API, the log
signatures over nova's own lines."""
import datetime
import json
import sqlite3
import sys

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures, nova_services as ns
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

CHECK = 'check_nova_service_versions'
SERVICES = ('CREATE TABLE services (id INTEGER PRIMARY KEY, uuid VARCHAR(36), host VARCHAR(255), '
            '"binary" VARCHAR(255), topic VARCHAR(255), report_count INTEGER DEFAULT 0, disabled BOOLEAN, '
            'disabled_reason VARCHAR(255), last_seen_up DATETIME, forced_down BOOLEAN, version INTEGER, '
            'created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted INTEGER DEFAULT 0)')
NOW = datetime.datetime.utcnow().replace(microsecond=0)


def _ago(seconds):
    return (NOW - datetime.timedelta(seconds=seconds)).strftime('%Y-%m-%d %H:%M:%S')


def _row(uuid, host, binary, version, seen_ago, disabled=False, forced_down=False, deleted=0):
    return (uuid, host, binary, binary.split('-')[-1], int(disabled), None, _ago(seen_ago),
            int(forced_down), version, _ago(86400 * 30), deleted)


def make_cloud(tmp_path, cell1_rows, cell2_rows=None, extra_conf=''):
    api = sqlite3.connect(str(tmp_path / 'nova_api.db'))
    api.execute('CREATE TABLE cell_mappings (id INTEGER PRIMARY KEY, uuid VARCHAR(36), name VARCHAR(255), '
                'transport_url TEXT, database_connection TEXT)')
    cells = [('00000000-0000-0000-0000-000000000000', 'cell0', 'sqlite:///%s/nova_cell0.db' % tmp_path),
             # a templated URL, as nova allows (nova/objects/cell_mapping.py _format_url)
             ('5c1c3a0e-9f5e-4a43-8f9e-1a2b3c4d5e6f', 'cell1', '{scheme}:///%s/nova_cell1.db' % tmp_path)]
    if cell2_rows is not None:
        cells.append(('7d2e4b1f-0a6f-4b54-9a0f-2b3c4d5e6f70', 'cell2', 'sqlite:///%s/nova_cell2.db' % tmp_path))
    for uuid, name, url in cells:
        api.execute('INSERT INTO cell_mappings (uuid, name, database_connection) VALUES (?, ?, ?)', (uuid, name, url))
        db = sqlite3.connect(str(tmp_path / ('nova_%s.db' % name)))
        db.execute(SERVICES)
        rows = {'cell0': [], 'cell1': cell1_rows, 'cell2': cell2_rows or []}[name]
        db.executemany('INSERT INTO services (uuid, host, "binary", topic, disabled, disabled_reason, last_seen_up, '
                       'forced_down, version, created_at, deleted) VALUES (?,?,?,?,?,?,?,?,?,?,?)', rows)
        db.commit()
    api.commit()
    conf = tmp_path / 'nova.conf'
    conf.write_text('[DEFAULT]\nservice_down_time = 60\n[api_database]\nconnection = sqlite:///%s/nova_api.db\n'
                    '[database]\nconnection = sqlite:///%s/nova_cell1.db\n%s' % (tmp_path, tmp_path, extra_conf))
    return conf


def read(conf):
    return ns.read_services([str(conf)], python=sys.executable, installed_table=False)


LIVE = [_row('11111111-1111-4111-8111-111111111111', 'compute-1', 'nova-compute', 74, 5),
        _row('22222222-2222-4222-8222-222222222222', 'compute-2', 'nova-compute', 74, 8),
        _row('33333333-3333-4333-8333-333333333333', 'controller', 'nova-conductor', 74, 3),
        # nova-api's row never heartbeats (last_seen_up NULL in the real lab): never "down"
        _row('30303030-3030-4030-8030-303030303030', 'controller', 'nova-osapi_compute', 74, 86400 * 9)]
STALE = _row('44444444-4444-4444-8444-444444444444', 'compute-old', 'nova-compute', 66, 86400 * 40, disabled=True)


def by_id(results):
    out = {}
    for r in results:
        out.setdefault(r['id'], []).append(r)
    return out


def test_clean_cloud_is_one_ok_result(tmp_path):
    doc = read(make_cloud(tmp_path, LIVE))
    assert doc['error'] is None and [c['name'] for c in doc['cells']] == ['cell0', 'cell1']
    res = registry.evaluate(CHECK, {'nova_services': doc}, {})
    assert [(r['id'], r['status']) for r in res] == [('nova.stale_service_pins_minimum', 'ok')]
    assert 'minimum nova-compute v74 (compute RPC 6.5)' in res[0]['summary']


def test_stale_old_compute_pins_the_minimum_and_the_cap(tmp_path):
    # a disabled, long-dead, not deleted, not forced-down compute row of Antelope (v66)
    doc = read(make_cloud(tmp_path, LIVE + [STALE]))
    res = by_id(registry.evaluate(CHECK, {'nova_services': doc, 'db_host': 'ctl-1'}, {}))
    [r] = res['nova.stale_service_pins_minimum']
    assert r['status'] == 'critical' and r['fix'] == 'fix_nova_service_versions'
    ev = r['evidence']
    assert (ev['host'], ev['binary'], ev['version'], ev['cell'], ev['disabled']) == ('compute-old', 'nova-compute', 66, 'cell1', True)
    assert (ev['implied_compute_rpc'], ev['compute_rpc_without_stale'], ev['minimum_without_it']) == ('6.2', '6.5', 74)
    assert ev['uuid'] == '44444444-4444-4444-8444-444444444444' and ev['down_for'] == '40d'
    assert 'TooOldComputeService' in r['summary'] and 'v72 (Gazpacho)' in r['summary']
    # what the report shows (the first 200 characters) still names the row and TooOldComputeService
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.results import one_line
    assert one_line(r['summary']).startswith('stale row compute-old nova-compute v66 (cell1, down 40d, disabled)')
    assert 'TooOldComputeService' in one_line(r['summary'])
    # no credential or URL with a password in what is recorded
    assert 'sqlite' not in json.dumps(r) or 'password' not in json.dumps(r)
    assert 'nova.service_row_down' not in res   # the stale row is reported once, as the pin


def test_rows_that_do_not_pin_are_not_pin_findings(tmp_path):
    rows = LIVE + [
        # forced down: nova's minimum ignores it
        _row('55555555-5555-4555-8555-555555555555', 'compute-fd', 'nova-compute', 60, 86400 * 9, forced_down=True),
        # newer than the minimum set by a live row: does not pin
        _row('66666666-6666-4666-8666-666666666666', 'compute-new', 'nova-compute', 74, 86400 * 9, disabled=True),
        # deleted (soft): never read
        _row('77777777-7777-4777-8777-777777777777', 'compute-del', 'nova-compute', 50, 86400 * 90, deleted=9)]
    doc = read(make_cloud(tmp_path, rows))
    assert '77777777-7777-4777-8777-777777777777' not in json.dumps(doc)
    res = registry.evaluate(CHECK, {'nova_services': doc}, {})
    assert [(r['id'], r['status']) for r in res] == [('nova.stale_service_pins_minimum', 'ok')]


def test_live_old_service_and_down_service(tmp_path):
    rows = [_row('11111111-1111-4111-8111-111111111111', 'compute-1', 'nova-compute', 74, 5),
            _row('88888888-8888-4888-8888-888888888888', 'compute-9', 'nova-compute', 70, 10),
            _row('99999999-9999-4999-8999-999999999999', 'compute-7', 'nova-compute', 74, 7200)]
    doc = read(make_cloud(tmp_path, [], cell2_rows=rows))   # in a second cell: every cell is read
    res = by_id(registry.evaluate(CHECK, {'nova_services': doc}, {'down_after': 3600}))
    [live] = res['nova.live_service_pins_minimum']
    assert live['status'] == 'warning' and live['fix'] is None and live['evidence']['cell'] == 'cell2'
    assert live['evidence']['implied_compute_rpc'] == '6.4'
    [down] = res['nova.service_row_down']
    assert down['evidence']['host'] == 'compute-7' and down['fix'] is None
    # a larger threshold: compute-7 is not down long enough
    res = by_id(registry.evaluate(CHECK, {'nova_services': doc}, {'down_after': 86400}))
    assert 'nova.service_row_down' not in res


def test_upgrade_levels_pin_below_what_computes_speak(tmp_path):
    doc = read(make_cloud(tmp_path, LIVE, extra_conf='[upgrade_levels]\ncompute = antelope\n'))
    res = by_id(registry.evaluate(CHECK, {'nova_services': doc}, {}))
    [pin] = res['nova.upgrade_levels_compute_pinned']
    assert pin['evidence']['cap'] == '6.2' and pin['evidence']['compute_rpc_cap'] == '6.5'
    (tmp_path / 'auto').mkdir()
    doc = read(make_cloud(tmp_path / 'auto', LIVE, extra_conf='[upgrade_levels]\ncompute = auto\n'))
    assert 'nova.upgrade_levels_compute_pinned' not in by_id(registry.evaluate(CHECK, {'nova_services': doc}, {}))


def test_site_severity_override(tmp_path):
    doc = read(make_cloud(tmp_path, LIVE + [STALE]))
    [r] = [x for x in registry.evaluate(CHECK, {'nova_services': doc},
                                        {'severity': {'nova.stale_service_pins_minimum': 'warning'}})
           if x['id'] == 'nova.stale_service_pins_minimum']
    assert r['status'] == 'warning' and r['fix'] == 'fix_nova_service_versions'


def test_unreadable_inputs_are_error_results_naming_host_and_file(tmp_path):
    # no such nova.conf
    doc = ns.read_services([str(tmp_path / 'missing.conf')], python=sys.executable, installed_table=False)
    [r] = registry.evaluate(CHECK, {'nova_services': doc, 'db_host': 'ctl-1'}, {})
    assert r['status'] == 'error' and str(tmp_path / 'missing.conf') in r['summary'] and 'ctl-1' in r['summary']
    # not an ini file
    bad = tmp_path / 'bad.conf'
    bad.write_text('connection = x\n[api_database\n')
    [r] = registry.evaluate(CHECK, {'nova_services': ns.read_services([str(bad)], python=sys.executable)}, {})
    assert r['status'] == 'error' and r['evidence']['file'] == str(bad)
    # a nova.conf without [api_database] (a compute's)
    comp = tmp_path / 'compute.conf'
    comp.write_text('[DEFAULT]\nhost = c1\n')
    [r] = registry.evaluate(CHECK, {'nova_services': ns.read_services([str(comp)], python=sys.executable)}, {})
    assert r['status'] == 'error' and 'api_database' in r['summary']
    # a MySQL URL whose server does not answer: named without its password
    conf = tmp_path / 'mysql.conf'
    conf.write_text('[api_database]\nconnection = mysql+pymysql://nova:S3cretPw@127.0.0.1:1/nova_api\n')
    doc = ns.read_services([str(conf)], python=sys.executable, connect_timeout=2)
    assert 'S3cretPw' not in json.dumps(doc)
    [r] = registry.evaluate(CHECK, {'nova_services': doc}, {})
    assert r['status'] == 'error' and 'S3cretPw' not in json.dumps(r)
    # the task failed / nothing came back / garbage
    for facts in ({'nova_services': None, 'error': 'Timeout (12s) waiting for privilege escalation'},
                  {}, {'nova_services': 'garbage'}):
        [r] = registry.evaluate(CHECK, facts, {})
        assert r['id'] == 'nova.services_unreadable' and r['status'] == 'error'


def test_one_unreadable_cell_is_an_error_and_the_others_are_judged(tmp_path):
    conf = make_cloud(tmp_path, LIVE + [STALE])
    (tmp_path / 'nova_cell0.db').unlink()
    (tmp_path / 'nova_cell0.db').write_text('not a database')
    res = by_id(registry.evaluate(CHECK, {'nova_services': read(conf)}, {}))
    assert [r['evidence']['cell'] for r in res['nova.services_unreadable']] == ['cell0']
    assert res['nova.stale_service_pins_minimum'][0]['status'] == 'critical'


def test_reader_timeout_and_missing_interpreter(tmp_path):
    conf = make_cloud(tmp_path, LIVE)
    doc = ns.read_services([str(conf)], python='/nonexistent/python3')
    assert 'cannot run' in doc['error']['message']
    doc = ns.read_services([str(conf)], python=sys.executable, exec_prefix=['sh', '-c', 'sleep 5', '--'],
                           command_timeout=1)
    assert 'did not finish within 1s' in doc['error']['message']


def test_version_table_matches_the_aliases():
    # every release alias points at a version whose compute_rpc is in the table (nova/objects/service.py)
    for name, version in ns.SERVICE_VERSION_ALIASES.items():
        assert ns.compute_rpc(version) is not None, name
    assert ns.compute_rpc(54) == '5.13' and ns.compute_rpc(56) == '6.0' and ns.compute_rpc(999) is None
    assert ns.upgrade_levels_cap('Wallaby') == ('pinned', '6.0') and ns.upgrade_levels_cap('auto') == ('auto', None)
    assert ns.upgrade_levels_cap('6.1') == ('pinned', '6.1') and ns.upgrade_levels_cap(None) == (None, None)


# ------------------------------------------------------------------ the removal
class FakeCompute:
    """GET/DELETE/PUT /os-services at microversion 2.53 (ids are uuids), as nova answers them."""

    def __init__(self, services, conflict=()):
        self.services = dict((s['id'], s) for s in services)
        self.conflict = set(conflict)
        self.calls = []

    def __call__(self, method, path, body=None):
        self.calls.append((method, path))
        if method == 'GET':
            return 200, {'services': list(self.services.values())}
        uuid = path.rsplit('/', 1)[1]
        if uuid not in self.services:
            return 404, {'itemNotFound': {'message': 'Service %s not found.' % uuid}}
        if method == 'DELETE' and uuid in self.conflict:
            return 409, {'conflictingRequest': {'message': 'Unable to delete compute service that is hosting '
                                                           'instances. Migrate or delete the instances first.'}}
        if method == 'DELETE':
            del self.services[uuid]
            return 204, ''
        self.services[uuid]['forced_down'] = body['forced_down']
        return 200, {'service': self.services[uuid]}


def _svc(uuid, host, state='down'):
    return {'id': uuid, 'host': host, 'binary': 'nova-compute', 'state': state, 'forced_down': False}


def test_remove_only_confirmed_rows_capped_and_409_reported():
    api = FakeCompute([_svc('a', 'old-1'), _svc('b', 'old-2'), _svc('c', 'back', 'up'), _svc('d', 'old-4'),
                       _svc('e', 'old-5')], conflict={'d'})
    want = [{'uuid': 'a', 'host': 'old-1', 'binary': 'nova-compute', 'version': 66},
            {'uuid': 'c', 'host': 'back', 'binary': 'nova-compute'},
            {'uuid': 'x', 'host': 'gone', 'binary': 'nova-compute'},
            {'uuid': 'b', 'host': 'renamed', 'binary': 'nova-compute'},
            {'uuid': 'd', 'host': 'old-4', 'binary': 'nova-compute'},
            {'uuid': 'e', 'host': 'old-5', 'binary': 'nova-compute'}]
    removed, skipped, error = ns.remove(api, want, max_deletes=2)
    assert error is None
    assert [(r['uuid'], r['action']) for r in removed] == [('a', 'deleted')]
    assert dict((s['uuid'], s['reason']) for s in skipped) == {
        'c': 'up_now', 'x': 'gone', 'b': 'changed', 'd': 'conflict', 'e': 'cap'}
    assert 'hosting instances' in [s for s in skipped if s['uuid'] == 'd'][0]['detail']
    assert ('DELETE', '/os-services/b') not in api.calls and 'e' in api.services


def test_remove_check_mode_and_force_down():
    api = FakeCompute([_svc('a', 'old-1')])
    removed, skipped, _ = ns.remove(api, [{'uuid': 'a', 'host': 'old-1', 'binary': 'nova-compute'}], check_mode=True)
    assert removed[0]['action'] == 'would be deleted' and api.calls == [('GET', '/os-services')]
    removed, skipped, _ = ns.remove(api, [{'uuid': 'a', 'host': 'old-1', 'binary': 'nova-compute'}], mode='force_down')
    assert removed[0]['action'] == 'forced down' and api.services['a']['forced_down'] is True
    removed, skipped, _ = ns.remove(api, [{'uuid': 'a', 'host': 'old-1', 'binary': 'nova-compute'}], mode='force_down')
    assert removed == [] and skipped[0]['reason'] == 'gone'


def test_remove_stops_when_the_api_does_not_list():
    removed, skipped, error = ns.remove(lambda m, p, b=None: (503, 'Service Unavailable'), [{'uuid': 'a'}])
    assert (removed, skipped) == ([], []) and '503' in error


# ------------------------------------------------------------------ log lines
LINES = [
    '2026-12-01 05:00:01.123 4242 INFO nova.compute.rpcapi [None req-1 - - - - - -] Automatically selected '
    'compute RPC version 6.2 from minimum service version 66',
    '2026-12-01 05:00:02.456 4242 ERROR nova.api.openstack.wsgi_app [-] Current Nova version does not support '
    'computes older than Gazpacho but the minimum compute service level in your system is 66 and the oldest '
    'supported service level is 72.',
    '2026-12-01 05:00:03.789 4243 ERROR oslo_messaging.rpc.server Requested message version, 6.0 is incompatible.  '
    'It needs to be equal in major version and less than or equal in minor version as the specified version cap 5.13.',
]


def test_nova_control_log_signatures(tmp_path):
    log = tmp_path / 'nova-api.log'
    log.write_text('\n'.join(['noise'] + LINES) + '\n')
    found = log_signatures.scan(str(log), log_signatures.NOVA_CONTROL_SIGNATURES, 20, 0)
    assert [(m['signature'], m['line_no']) for m in found['matches']] == [('3a', 2), ('3b', 3), ('3d', 4)]
    doc = {'cells': [], 'error': None}
    cell = {'name': 'cell1', 'uuid': 'c1', 'now': NOW.strftime('%Y-%m-%dT%H:%M:%S'), 'services': []}
    facts = {'nova_services': dict(doc, cells=[cell]),
             'logs': {'ctl-1': {'logs': [dict(found, file='/var/log/nova/nova-api.log', service='nova-api')]}}}
    [r] = registry.evaluate(CHECK, facts, {'log_limit': 2})
    assert [(x['host'], x['file'], x['line_no']) for x in r['evidence']['log_lines']] == [
        ('ctl-1', '/var/log/nova/nova-api.log', 2), ('ctl-1', '/var/log/nova/nova-api.log', 3)]


# ------------------------------------------------------------------ recorded from the lab
def test_recorded_lab_read_is_clean_and_a_stale_row_in_it_is_found():
    """tests/unit/fixtures/nova/lab_services.json: the reader's output on the lab (MariaDB, nova
    34.0.0: cell0 empty, cell1 with scheduler, conductor, nova-osapi_compute whose last_seen_up is
    NULL, two computes)."""
    import copy
    import pathlib
    doc = json.loads((pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'nova' / 'lab_services.json').read_text())
    assert [c['name'] for c in doc['cells']] == ['cell0', 'cell1'] and doc['service_down_time'] == 10
    [r] = registry.evaluate(CHECK, {'nova_services': doc}, {})
    assert (r['id'], r['status']) == ('nova.stale_service_pins_minimum', 'ok')
    stale = copy.deepcopy(doc)
    cell1 = stale['cells'][1]
    cell1['services'].append(dict(cell1['services'][-1], id=99, uuid='9e9e9e9e-0000-4000-8000-000000000099',
                                  host='sd-stale-compute', version=66, last_seen_up='2026-11-01T00:00:00'))
    res = by_id(registry.evaluate(CHECK, {'nova_services': stale}, {}))
    [pin] = res['nova.stale_service_pins_minimum']
    assert pin['status'] == 'critical' and pin['evidence']['host'] == 'sd-stale-compute'
