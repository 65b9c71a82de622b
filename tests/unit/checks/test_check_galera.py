"""check_galera: wsrep variables and status recorded from Debian 12's MariaDB 10.11 + Galera 4 (see
tests/unit/fixtures/galera/README.md), where the client runs (host, kolla and TripleO containers),
and evaluate() with the other nodes' status (split brain, cluster size)."""
import os
import stat

from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'galera')
UUID = 'd5daef3c-ee67-11f1-981d-06afcc47b4ad'
OTHER = '0b7c2f1e-ee68-11f1-8a4e-2a1f3c4d5e6f'


def _read(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def _galera(name, **extra):
    g = {'present': True, 'where': 'host', 'container': None, 'rc': 0, 'error': None,
         'login': 'root through the unix socket (no /root/.my.cnf)', 'command': 'mysql -B -N -e ...'}
    g.update(ha_facts.parse_wsrep(_read(name)))
    g.update(extra)
    return g


def _peer(uuid, size, status='Primary'):
    return {'present': True, 'error': None, 'variables': {'wsrep_on': 'ON'},
            'status': {'wsrep_cluster_state_uuid': uuid, 'wsrep_cluster_size': str(size),
                       'wsrep_cluster_status': status}}


def _run(name, **params):
    params.setdefault('host', 'ctl-0')
    return registry.evaluate('check_galera', {'galera': _galera(name)}, params)


def _ids(results):
    return [(r['id'], r['status']) for r in results]


def test_parse_recorded_outputs():
    synced = ha_facts.parse_wsrep(_read('synced_primary_2node.tsv'))
    assert synced['variables']['wsrep_on'] == 'ON'
    assert synced['variables']['wsrep_provider'] == '/usr/lib/galera/libgalera_smm.so'
    assert synced['status']['wsrep_cluster_status'] == 'Primary'
    assert synced['status']['wsrep_local_state_comment'] == 'Synced'
    assert synced['status']['wsrep_cluster_size'] == '2'
    assert synced['status']['wsrep_cluster_state_uuid'] == UUID
    assert 'wsrep_received_bytes' not in synced['status']     # counters stay on the node
    off = ha_facts.parse_wsrep(_read('wsrep_off.tsv'))
    assert off['variables'] == {'wsrep_cluster_address': '', 'wsrep_cluster_name': 'my_wsrep_cluster',
                                'wsrep_node_name': 'gtest-a', 'wsrep_on': 'OFF', 'wsrep_provider': 'none'}
    assert off['status']['wsrep_cluster_status'] == 'Disconnected' and off['status']['wsrep_cluster_size'] == '0'


def test_parse_refuses_output_without_wsrep_rows():
    for text in ('1\n', 'Variable_name\tValue\n'):
        try:
            ha_facts.parse_wsrep(text)
        except ValueError as exc:
            assert 'no wsrep_' in str(exc)
        else:
            raise AssertionError('no ValueError for %r' % text)


def test_server_without_any_wsrep_variable_is_a_single_database():
    # MySQL (e.g. juju's mysql-innodb-cluster) or a MariaDB built without wsrep: both statements return no row
    g = {'present': True, 'where': 'host', 'container': None, 'rc': 0, 'error': None, 'login': 'x', 'command': 'y'}
    g.update(ha_facts.parse_wsrep(''))
    results = registry.evaluate('check_galera', {'galera': g}, {'host': 'db-1'})
    assert _ids(results) == [('galera.not_enabled', 'ok')]
    assert results[0]['summary'].startswith('no wsrep variable at all')
    results = registry.evaluate('check_galera', {'galera': g}, {'host': 'db-1', 'expected': True})
    assert _ids(results) == [('galera.not_enabled', 'warning')]


def test_recorded_healthy_node_with_its_peer():
    results = _run('synced_primary_2node.tsv', cluster_size=2, peers={'ctl-1': _peer(UUID, 2)})
    assert _ids(results) == [('galera.not_primary', 'ok'), ('galera.not_synced', 'ok'), ('galera.not_ready', 'ok'),
                             ('galera.cluster_size', 'ok'), ('galera.split_brain', 'ok')]
    assert results[-1]['summary'] == 'every Galera node checked (ctl-0, ctl-1) is in cluster %s' % UUID
    assert results[0]['evidence']['cluster_status'] == 'Primary'
    assert results[0]['evidence']['login'].startswith('root through the unix socket')


def test_recorded_desynced_node_is_a_warning():
    results = _run('desynced_donor.tsv', cluster_size=2)
    assert ('galera.desynced', 'warning') in _ids(results)
    assert 'galera.not_synced' not in [r['id'] for r in results]
    desync = [r for r in results if r['id'] == 'galera.desynced'][0]
    assert desync['summary'] == ('wsrep_local_state_comment is Donor/Desynced (wsrep_desync_count 1): a state '
                                 'transfer, or wsrep_desync left ON')


def test_recorded_non_primary_node():
    results = _run('non_primary.tsv', cluster_size=2)
    assert _ids(results)[:4] == [('galera.not_primary', 'critical'), ('galera.not_synced', 'critical'),
                                 ('galera.not_ready', 'critical'), ('galera.cluster_size', 'warning')]
    assert results[0]['summary'].startswith('wsrep_cluster_status is non-Primary, not Primary')
    assert results[1]['summary'] == 'wsrep_local_state_comment is Initialized, not Synced'
    assert results[2]['summary'] == 'wsrep_ready OFF'
    assert results[3]['summary'] == 'wsrep_cluster_size is 1, expected 2 (check_galera_cluster_size)'


def test_recorded_plain_mariadb_is_ok_unless_galera_is_expected():
    assert _ids(_run('wsrep_off.tsv', cluster_size=3)) == [('galera.not_enabled', 'ok')]
    results = _run('wsrep_off.tsv', expected=True)
    assert _ids(results) == [('galera.not_enabled', 'warning')]
    assert results[0]['evidence']['wsrep_provider'] == 'none'


def test_split_brain_names_the_clusters_on_the_minority():
    peers = {'ctl-1': _peer(OTHER, 2), 'ctl-2': _peer(OTHER, 2)}
    results = _run('synced_primary_2node.tsv', peers=peers)
    split = [r for r in results if r['id'] == 'galera.split_brain'][0]
    assert split['status'] == 'critical'
    assert split['summary'] == ('split brain: this node is in cluster %s with ctl-0, apart from cluster %s '
                                '(ctl-1, ctl-2)' % (UUID, OTHER))
    assert split['evidence']['clusters'] == {UUID: ['ctl-0'], OTHER: ['ctl-1', 'ctl-2']}
    assert split['evidence']['cluster_state_uuid'] == UUID


def test_split_brain_majority_is_ok_and_a_tie_is_reported_on_both():
    results = _run('synced_primary_2node.tsv', host='ctl-1', peers={'ctl-0': _peer(UUID, 2), 'ctl-2': _peer(OTHER, 1)})
    split = [r for r in results if r['id'] == 'galera.split_brain'][0]
    assert split['status'] == 'ok' and 'reported on their hosts' in split['summary']
    results = _run('synced_primary_2node.tsv', peers={'ctl-1': _peer(OTHER, 1)})
    assert [r['status'] for r in results if r['id'] == 'galera.split_brain'] == ['critical']


def test_cluster_size_without_expected_size_compares_the_nodes():
    results = _run('non_primary.tsv', peers={'ctl-1': _peer(UUID, 2), 'ctl-2': _peer(UUID, 2)})
    size = [r for r in results if r['id'] == 'galera.cluster_size'][0]
    assert size['status'] == 'warning'
    assert size['summary'] == ('wsrep_cluster_size is 1 here, 2 on other nodes (ctl-0=1, ctl-1=2, ctl-2=2); no '
                               'expected size is set (check_galera_cluster_size)')
    results = _run('synced_primary_2node.tsv', cluster_size='', peers={'ctl-1': _peer(UUID, 2)})
    assert [r['status'] for r in results if r['id'] == 'galera.cluster_size'] == ['ok']


def test_peers_without_wsrep_or_status_are_not_compared():
    peers = {'ctl-1': {'present': False}, 'ctl-2': {'present': True, 'error': {'kind': 'server_down'}},
             'ctl-3': {'present': True, 'error': None, 'variables': {'wsrep_on': 'OFF'}, 'status': {}}}
    results = _run('synced_primary_2node.tsv', cluster_size=2, peers=peers)
    assert all(r['status'] == 'ok' for r in results)


def test_status_unavailable_names_host_and_what_was_tried():
    g = {'present': True, 'where': 'container', 'container': 'mariadb', 'rc': 1, 'status': None, 'variables': None,
         'login': 'first readable of /etc/mysql/healthcheck.cnf, /etc/healthcheck.cnf, else the container\'s '
                  'root client config', 'command': 'docker exec mariadb mysql ...',
         'error': {'kind': 'access_denied', 'message': 'mysql in container mariadb: %s (rc=1)'
                   % _read('access_denied.err').strip()}}
    results = registry.evaluate('check_galera', {'galera': g}, {'host': 'ctl-2'})
    assert _ids(results) == [('galera.status_unavailable', 'critical')]
    assert results[0]['summary'].startswith('no wsrep status on ctl-2: access denied with the credentials tried; '
                                            'tried docker exec mariadb mysql ... with first readable of')
    assert "ERROR 1698 (28000): Access denied for user 'monitor'@'localhost'" in results[0]['evidence']['message']


def test_classify_recorded_client_errors():
    assert ha_facts.classify_mysql_error(1, _read('server_down.err')) == 'server_down'
    assert ha_facts.classify_mysql_error(1, _read('access_denied.err')) == 'access_denied'
    assert ha_facts.classify_mysql_error(124, '') == 'timeout'
    assert ha_facts.classify_mysql_error(127, 'stackdoctor: no mysql client in the container') == 'no_client'
    assert ha_facts.classify_mysql_error(1, 'ERROR 1064 (42000): syntax') == 'failed'


def test_no_mariadb_is_skipped_and_missing_facts_an_error():
    results = registry.evaluate('check_galera', {'galera': {'present': False, 'looked_at': ['host: none']}})
    assert _ids(results) == [('galera.status_unavailable', 'skipped')]
    assert _ids(registry.evaluate('check_galera', {})) == [('galera.status_unavailable', 'error')]


# --- where the client runs -----------------------------------------------------------------------
class Runner:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        return self.answers.pop(0) if self.answers else (1, '', 'unexpected call')


def _ctx(tmp_path, flavour, containers=None, runner=None, overrides=None):
    detected = {'flavour': flavour, 'container_cli': 'podman' if containers is not None else 'none',
                'containers': containers, 'unit_files': {}, 'os_family': 'Debian'}
    ctx = nfs.Context(root=str(tmp_path), params={'command_timeout': 7}, runner=runner)
    ctx.layout = layout_mod.resolve(flavour, overrides or {}, detected, str(tmp_path))
    return ctx


def _exe(tmp_path, path):
    real = tmp_path / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text('#!/bin/sh\n')
    real.chmod(real.stat().st_mode | stat.S_IEXEC)


def test_kolla_reads_in_the_mariadb_container_with_the_monitor_config(tmp_path):
    runner = Runner([(0, _read('synced_primary_2node.tsv'), '')])
    ctx = _ctx(tmp_path, 'kolla', {'mariadb': {'state': 'running', 'running': True, 'image': 'x'}}, runner)
    g = ha_facts.gather_galera(ctx)
    assert (g['present'], g['where'], g['container'], g['error']) == (True, 'container', 'mariadb', None)
    argv = runner.calls[0]
    assert argv[:5] == ['timeout', '12', 'podman', 'exec', 'mariadb']
    assert '/etc/mysql/healthcheck.cnf /etc/healthcheck.cnf' in argv[7] and '--defaults-file="$f"' in argv[7]
    assert argv[9:12] == ['--connect-timeout=7', '-B', '-N'] and argv[-1] == ha_facts.GALERA_QUERY
    assert g['status']['wsrep_cluster_state_uuid'] == UUID


def test_tripleo_reads_in_the_bundle_replica(tmp_path):
    runner = Runner([(1, '', _read('server_down.err'))])
    ctx = _ctx(tmp_path, 'tripleo', {'galera-bundle-podman-2': {'state': 'running', 'running': True, 'image': 'x'}},
               runner)
    g = ha_facts.gather_galera(ctx)
    assert (g['where'], g['container']) == ('container', 'galera-bundle-podman-2')
    assert 'for f in ""' in runner.calls[0][7]      # no defaults file: the container's root client config
    assert g['error']['kind'] == 'server_down'
    assert g['error']['message'].startswith("mysql in container galera-bundle-podman-2: ERROR 2002 (HY000): Can't")


def test_kolla_host_without_the_container_has_no_database(tmp_path):
    (tmp_path / 'proc' / '42').mkdir(parents=True)
    (tmp_path / 'proc' / '42' / 'comm').write_text('mariadbd\n')
    g = ha_facts.gather_galera(_ctx(tmp_path, 'kolla', {}, Runner([])))
    assert g['present'] is False and g['looked_at'] == ['container mariadb: not on this host']


def test_packaged_host_runs_the_client_as_root(tmp_path):
    (tmp_path / 'proc' / '42').mkdir(parents=True)
    (tmp_path / 'proc' / '42' / 'comm').write_text('mariadbd\n')
    _exe(tmp_path, '/usr/bin/mariadb')
    runner = Runner([(0, _read('wsrep_off.tsv'), '')])
    g = ha_facts.gather_galera(_ctx(tmp_path, 'packaged', None, runner))
    assert (g['present'], g['where'], g['error']) == (True, 'host', None)
    assert runner.calls[0][:4] == ['timeout', '12', '/usr/bin/mariadb', '--connect-timeout=7']
    assert g['login'] == 'root through the unix socket (no /root/.my.cnf)'
    assert g['variables']['wsrep_on'] == 'OFF'
    # /root/.my.cnf (RDO, puppet-mysql) is passed to the client, never read
    (tmp_path / 'root').mkdir()
    (tmp_path / 'root' / '.my.cnf').write_text('[client]\npassword=secret\n')
    runner = Runner([(0, _read('wsrep_off.tsv'), '')])
    g = ha_facts.gather_galera(_ctx(tmp_path, 'packaged', None, runner))
    assert runner.calls[0][3] == '--defaults-extra-file=/root/.my.cnf' and g['login'] == '/root/.my.cnf'
    assert 'secret' not in repr(g)


def test_packaged_host_server_enabled_but_no_client(tmp_path):
    runner = Runner([(0, 'enabled\ndisabled\nalias\n', '')])
    g = ha_facts.gather_galera(_ctx(tmp_path, 'packaged', None, runner))
    assert runner.calls[0][2:] == ['systemctl', 'is-enabled', 'mariadb.service', 'mysql.service', 'mysqld.service']
    assert g['present'] and g['error']['kind'] == 'no_client'
    results = registry.evaluate('check_galera', {'galera': g}, {'host': 'db-1'})
    assert results[0]['status'] == 'critical' and results[0]['summary'].startswith('no wsrep status on db-1: no mysql')


def test_installed_but_disabled_mariadb_is_not_present_whatever_its_aliases_say(tmp_path):
    # Debian 12 with mariadb-server installed and disabled: `systemctl is-enabled mariadb.service
    # mysql.service mysqld.service` answers disabled, alias, alias (rc 1), measured on the lab's controller
    g = ha_facts.gather_galera(_ctx(tmp_path, 'packaged', None, Runner([(1, 'disabled\nalias\nalias\n', '')])))
    assert g['present'] is False and g['looked_at'] == ['host: server process none, enabled unit none']


def test_packaged_host_without_server_is_not_present(tmp_path):
    g = ha_facts.gather_galera(_ctx(tmp_path, 'packaged', None, Runner([(1, 'disabled\n', '')])))
    assert g['present'] is False and g['looked_at'] == ['host: server process none, enabled unit none']
