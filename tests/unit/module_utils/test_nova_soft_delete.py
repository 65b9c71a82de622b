"""nova_services.soft_delete (SOFT_DELETE_WORKER, the opt-in database path of
fix_nova_service_versions) against real sqlite databases laid out as nova's: nova_api.cell_mappings,
and per cell the services, compute_nodes, instances and migrations tables with nova's columns for
what the worker reads and writes (nova/db/main/models.py). Asserted: only the confirmed row of the
check changes, with nova's soft-delete values (deleted = id, deleted_at = now, compute nodes
deleted and unmapped); every refusal (changed, up again, forced down, instance, migration in
progress, cap); check mode writes nothing; undo restores the row and its compute node; a second
run changes nothing; bad input is an error, never a traceback or a URL with a password."""
import datetime
import sqlite3
import sys

from ansible_collections.stackdoctor.openstack.plugins.module_utils import nova_services as ns

NOW = datetime.datetime.utcnow().replace(microsecond=0)
STALE_UUID = '44444444-4444-4444-8444-444444444444'
LIVE_UUID = '11111111-1111-4111-8111-111111111111'


def ago(seconds):
    return (NOW - datetime.timedelta(seconds=seconds)).strftime('%Y-%m-%d %H:%M:%S')


def make_cloud(tmp_path, stale_seen_ago=86400 * 30, forced_down=0, instance=False, migration=None):
    api = sqlite3.connect(str(tmp_path / 'nova_api.db'))
    api.execute('CREATE TABLE cell_mappings (id INTEGER PRIMARY KEY, uuid VARCHAR(36), name VARCHAR(255), '
                'database_connection TEXT)')
    api.execute("INSERT INTO cell_mappings (uuid, name, database_connection) VALUES "
                "('5c1c3a0e-9f5e-4a43-8f9e-1a2b3c4d5e6f', 'cell1', '{scheme}:///%s/nova_cell1.db')" % tmp_path)
    api.commit()
    db = sqlite3.connect(str(tmp_path / 'nova_cell1.db'))
    db.executescript('''
        CREATE TABLE services (id INTEGER PRIMARY KEY, uuid VARCHAR(36), host VARCHAR(255), "binary" VARCHAR(255),
            topic VARCHAR(255), disabled BOOLEAN, last_seen_up DATETIME, forced_down BOOLEAN, version INTEGER,
            created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted INTEGER DEFAULT 0);
        CREATE TABLE compute_nodes (id INTEGER PRIMARY KEY, service_id INTEGER, host VARCHAR(255), mapped INTEGER,
            updated_at DATETIME, deleted_at DATETIME, deleted INTEGER DEFAULT 0);
        CREATE TABLE instances (id INTEGER PRIMARY KEY, host VARCHAR(255), deleted INTEGER DEFAULT 0);
        CREATE TABLE migrations (id INTEGER PRIMARY KEY, source_compute VARCHAR(255), dest_compute VARCHAR(255),
            status VARCHAR(255), deleted INTEGER DEFAULT 0);
    ''')
    db.execute('INSERT INTO services (id, uuid, host, "binary", topic, disabled, last_seen_up, forced_down, version, '
               'created_at) VALUES (1, ?, ?, ?, ?, 0, ?, 0, 74, ?)',
               (LIVE_UUID, 'compute-1', 'nova-compute', 'compute', ago(3), ago(86400)))
    db.execute('INSERT INTO services (id, uuid, host, "binary", topic, disabled, last_seen_up, forced_down, version, '
               'created_at) VALUES (7, ?, ?, ?, ?, 1, ?, ?, 66, ?)',
               (STALE_UUID, 'compute-old', 'nova-compute', 'compute', ago(stale_seen_ago), forced_down, ago(86400 * 90)))
    db.execute("INSERT INTO compute_nodes (id, service_id, host, mapped, updated_at) VALUES (1, 1, 'compute-1', 1, ?)", (ago(5),))
    db.execute("INSERT INTO compute_nodes (id, service_id, host, mapped, updated_at) VALUES (3, 7, 'compute-old', 1, ?)",
               (ago(86400 * 30),))
    if instance:
        db.execute("INSERT INTO instances (host) VALUES ('compute-old')")
    if migration:
        db.execute("INSERT INTO migrations (source_compute, dest_compute, status) VALUES ('compute-old', 'compute-1', ?)",
                   (migration,))
    db.commit()
    conf = tmp_path / 'nova.conf'
    conf.write_text('[DEFAULT]\nservice_down_time = 60\n[api_database]\nconnection = sqlite:///%s/nova_api.db\n'
                    '[database]\nconnection = sqlite:///%s/nova_cell1.db\n' % (tmp_path, tmp_path))
    return conf


WANT = {'uuid': STALE_UUID, 'id': 7, 'host': 'compute-old', 'binary': 'nova-compute', 'version': 66, 'cell': 'cell1'}


def rows(tmp_path, sql):
    return sqlite3.connect(str(tmp_path / 'nova_cell1.db')).execute(sql).fetchall()


def run(conf, services=(WANT,), **kw):
    return ns.soft_delete([str(conf)], list(services), python=sys.executable, **kw)


def test_soft_deletes_the_confirmed_row_as_nova_does_and_a_second_run_changes_nothing(tmp_path):
    conf = make_cloud(tmp_path)
    doc = run(conf)
    assert doc['error'] is None and doc['skipped'] == []
    [r] = doc['removed']
    assert r['action'] == 'soft-deleted in the cell database' and r['service_id'] == 7 and r['compute_nodes'] == [3]
    assert r['database'].endswith('nova_cell1.db')
    [(deleted, deleted_at)] = rows(tmp_path, 'SELECT deleted, deleted_at FROM services WHERE id = 7')
    assert deleted == 7 and abs((datetime.datetime.strptime(deleted_at, '%Y-%m-%d %H:%M:%S') - NOW).total_seconds()) < 120
    assert rows(tmp_path, 'SELECT deleted, mapped, deleted_at FROM compute_nodes WHERE id = 3') == [(3, 0, deleted_at)]
    # the live service and its node are untouched
    assert rows(tmp_path, 'SELECT deleted, deleted_at FROM services WHERE id = 1') == [(0, None)]
    assert rows(tmp_path, 'SELECT deleted, mapped FROM compute_nodes WHERE id = 1') == [(0, 1)]
    again = run(conf)
    assert again['removed'] == [] and [s['reason'] for s in again['skipped']] == ['gone']


def test_check_mode_confirms_and_writes_nothing(tmp_path):
    conf = make_cloud(tmp_path)
    doc = run(conf, check_mode=True)
    assert [r['action'] for r in doc['removed']] == ['would be soft-deleted in the cell database']
    assert rows(tmp_path, 'SELECT deleted FROM services WHERE id = 7') == [(0,)]
    assert rows(tmp_path, 'SELECT deleted, mapped FROM compute_nodes WHERE id = 3') == [(0, 1)]


def test_undo_restores_the_row_and_its_compute_node(tmp_path):
    conf = make_cloud(tmp_path)
    run(conf)
    doc = run(conf, undo=True)
    assert [(r['action'], r['compute_nodes']) for r in doc['removed']] == [('restored', [3])]
    assert rows(tmp_path, 'SELECT deleted, deleted_at FROM services WHERE id = 7') == [(0, None)]
    assert rows(tmp_path, 'SELECT deleted, deleted_at FROM compute_nodes WHERE id = 3') == [(0, None)]
    assert run(conf, undo=True)['skipped'][0]['reason'] == 'gone'


def test_refusals(tmp_path):
    cases = [
        (dict(), dict(WANT, version=60), 'changed'),
        (dict(), dict(WANT, id=8), 'changed'),
        (dict(), dict(WANT, host='compute-1'), 'changed'),
        (dict(stale_seen_ago=5), WANT, 'up_now'),
        (dict(forced_down=1), WANT, 'gone'),
        (dict(instance=True), WANT, 'conflict'),
        (dict(migration='running'), WANT, 'conflict'),
        (dict(), dict(WANT, uuid='99999999-9999-4999-8999-999999999999'), 'gone'),
        (dict(), dict(WANT, cell='cell9'), 'gone'),
    ]
    for i, (cloud, want, reason) in enumerate(cases):
        d = tmp_path / str(i)
        d.mkdir()
        doc = run(make_cloud(d, **cloud), [want])
        assert doc['removed'] == [] and [s['reason'] for s in doc['skipped']] == [reason], (i, doc)
        assert rows(d, 'SELECT deleted FROM services WHERE id = 7') == [(0,)]
    # a finished migration is no conflict
    d = tmp_path / 'done'
    d.mkdir()
    assert run(make_cloud(d, migration='completed'))['removed']


def test_cap(tmp_path):
    doc = run(make_cloud(tmp_path), max_deletes=0)
    assert doc['removed'] == [] and doc['skipped'][0]['reason'] == 'cap'
    assert rows(tmp_path, 'SELECT deleted FROM services WHERE id = 7') == [(0,)]


def test_bad_input_is_an_error_without_secrets(tmp_path):
    doc = run(tmp_path / 'missing.conf')
    assert doc['removed'] == [] and 'cannot read' in doc['error']['message']
    conf = tmp_path / 'nova.conf'
    conf.write_text('[api_database]\nconnection = mysql+pymysql://nova:S3cretPassw0rd@127.0.0.1:1/nova_api\n')
    doc = run(conf, connect_timeout=2)
    assert doc['error'] and 'S3cretPassw0rd' not in repr(doc)
    doc = ns.soft_delete([str(conf)], [WANT], python='/nonexistent/python3')
    assert 'cannot run' in doc['error']['message']
    doc = ns.soft_delete([str(conf)], [WANT], python=sys.executable, exec_prefix=['sh', '-c', 'sleep 5', '--'],
                         command_timeout=1)
    assert 'did not finish within 1s' in doc['error']['message']
