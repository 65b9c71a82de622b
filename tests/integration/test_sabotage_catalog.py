"""The sabotage catalog, each fault alone, on the shared lab.

The faults of the troubleshooting course's sabotage list (services stopped, the broker unreachable,
wrong passwords, a lost admin role, a full instances directory, a foreign iSCSI address) and of the
TripleO/kolla health checks (an unhealthy container, a pacemaker failed action, a desynced galera
node, a haproxy server in maintenance, a rabbit memory alarm, ceph HEALTH_WARN, debug left on, a
known log signature) are the lab faults whose tests/lab/sabotage/vars/<fault>.yml says what
diagnose must name (`detects`: finding id @ host). Each is injected ALONE (lab_sabotage.yml
-e fault=<name>); diagnose runs every check of the catalog (the log signatures only for the faults
that name them, within a window that starts with the test) on the API host, the lab host and the
fault's hosts; the test asserts that the findings above ok are exactly the declared ones: named,
and nothing else new. The fault is always undone (finally). A clean lab gives no finding above ok
from all these checks on any host. Each test writes one line of the catalog table (fault | detected
by | fix | time to detect) to .cache/sabotage-catalog.txt, which make integration prints.
A new fault with `detects` joins the catalog by itself (and one entry in EXTRA below).

The floating-IP faults are asserted alone, with real packets, in test_network_agents.py.
"""
import json
import pathlib
import subprocess
import time

import pytest
import yaml

from conftest import ROOT, SABOTAGE, _play, _report

# the control plane's checks, and every check a catalog fault names (HA: containers, pacemaker,
# galera, haproxy, rabbitmq, ceph, debug mode, log signatures): every diagnose of the catalog runs
# all of them, so "nothing else new" holds across all of them
BASE_CHECKS = ('check_services_running', 'check_messaging', 'check_disk_space', 'check_service_credentials',
               'check_service_roles', 'check_target_address')
NOT_OK = ('warning', 'error', 'critical')


def _faults():
    out = {}
    for path in sorted((pathlib.Path(ROOT) / 'tests' / 'lab' / 'sabotage' / 'vars').glob('*.yml')):
        for name, fault in (yaml.safe_load(path.read_text()) or {}).items():
            if fault.get('detects'):
                out[name] = fault
    return out


FAULTS = _faults()
CATALOG_CHECKS = tuple(sorted(set(BASE_CHECKS).union(*(f['checks'] for f in FAULTS.values()))))
# check_log_signatures reads history (the logs of a window): it runs with a window that starts with
# the test, and only for the clean lab and the faults that name it; the services' own reaction to
# a fault (e.g. "AMQP server ... unreachable" after rabbit_stopped) is logged when they get to it
HISTORY_CHECKS = ('check_log_signatures',)
# the catalog table, one line per fault (make integration prints it after the run)
TABLE = pathlib.Path(ROOT) / '.cache' / 'sabotage-catalog.txt'


@pytest.fixture(scope='module', autouse=True)
def _table():
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text('fault | detected by (status id on host) | fix | time to detect (diagnose)\n')
    yield


def _row(line):
    print('catalog | ' + line)
    with TABLE.open('a') as f:
        f.write(line + '\n')


def _diagnose(out, since, checks=CATALOG_CHECKS, hosts=None):
    """diagnose with ``checks``; log lines count from ``since`` (time.time() at the test's start)."""
    extra = ['--limit', ','.join(hosts)] if hosts else []
    window = (time.time() - since + 5) / 3600.0
    t0 = time.monotonic()
    stdout = _play('diagnose.yml', '-e', 'stackdoctor_checks=%s' % ','.join(checks),
                   '-e', 'check_log_signatures_window_hours=%.5f' % window,
                   '-e', 'stackdoctor_report_dir=%s' % out, *extra)
    _keep_output(out, stdout)
    return _report(out), time.monotonic() - t0


def _keep_output(out, stdout):
    """Every playbook's output of a test, in out/ansible-output.txt (read for secrets)."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / 'ansible-output.txt').open('a') as f:
        f.write(stdout)


def _bad(report):
    return sorted((r['host'], r['id'], r['status']) for r in report['results'] if r['status'] in NOT_OK)


def _lab_status_up():
    status = subprocess.run([str(ROOT / 'tests' / 'lab' / 'lab.sh'), 'status'], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert status.returncode == 0, status.stdout


def test_clean_lab_gives_no_finding(lab, tmp_path):
    # A clean lab holds no test scenarios: the guards of orphaned_allocations (fault=all, the session's
    # catalog fixture) stay after its undo, and their server in BUILD holds a scheduler claim that
    # nova-compute-1 logs every periodic (60 s) as "has allocations against this compute host but is not
    # found in the database": check_log_signatures' 4a, found whenever a periodic falls in the window.
    import scenarios
    scenarios.cleanup()
    time.sleep(2)   # a periodic already under way has logged by now, before the window starts
    report, took = _diagnose(tmp_path / 'clean', time.time())
    assert _bad(report) == []
    _row('(clean lab) | no finding above ok from %s on any host | - | %.1fs' % (', '.join(CATALOG_CHECKS), took))
    services = {(r['host'], r['evidence'].get('service')) for r in report['results'] if r['status'] == 'ok'}
    assert ('lab-host', 'rabbitmq') in services and ('lab-host', 'nova-api') in services
    # every node logged in to the real broker, from its own network namespace
    logged_in = {r['host'] for r in report['results']
                 if r['check'] == 'check_messaging' and r['status'] == 'ok'
                 and all(p.get('amqp') == 'ok' for p in r['evidence'].get('probes') or [{}])}
    rpc_nodes = {d['host'] for d in FAULTS['rabbit_stopped']['detects'] if d['id'].startswith('messaging.')}
    assert logged_in == rpc_nodes


# what each fault's findings must also say (file, masking, the API's words), beyond id and host
def _nova_api_stopped(report, hits, _out):
    assert 'nova_api.pid' in hits[0]['summary'] and hits[0]['fix'] is None


def _rabbit_stopped(report, hits, _out):
    hit = [r for r in hits if r['host'] == 'sd-lab-compute1'][0]
    assert 'refused' in hit['summary'] and hit['evidence']['file'] == '/etc/nova/nova.conf'
    assert hit['evidence']['url_masked'].startswith('rabbit://guest:*')
    assert '@10.0.2.2:15072' in hit['evidence']['url_masked'] and 'guest:guest' not in json.dumps(report)


def _broker_route_blocked(report, hits, _out):
    assert 'unreachable' in hits[0]['summary'].lower(), hits[0]['summary']
    assert hits[0]['evidence']['file'] == '/etc/nova/nova.conf' and 'guest:guest' not in json.dumps(report)


def _transport_url_invalid(report, hits, _out):
    assert '192.0.2.10:15072: TCP timeout' in hits[0]['summary']
    assert hits[0]['evidence']['file'] == '/etc/nova/nova.conf' and hits[0]['evidence']['line']
    assert 'guest:guest' not in json.dumps(report)


def _instances_path_full(report, hits, _out):
    # instances_path and the image cache under it: the same filesystem, both named
    assert sorted(r['evidence']['path'] for r in hits)[0] == '/var/lib/nova/instances'


def _wrong_password(section, secret):
    def check(report, hits, out):
        assert hits[0]['evidence']['file'] == '/etc/nova/nova.conf' and hits[0]['evidence']['section'] == section
        # not in the report, nor in the output of the sabotage's inject and undo or of diagnose
        assert secret not in json.dumps(report) + (out / 'report.md').read_text()
        assert secret not in (out / 'ansible-output.txt').read_text()
    return check


def _service_role_removed(report, hits, _out):
    assert hits[0]['evidence']['user'] == 'nova' and hits[0]['fix'] == 'fix_service_roles'


def _target_address(report, hits, _out):
    assert '203.0.113.10' in hits[0]['summary'] and hits[0]['fix'] == 'fix_target_address'


def _container_unhealthy(report, hits, _out):
    assert 'sd-lab-kolla1-keystone' in hits[0]['summary'] and 'unhealthy' in hits[0]['summary']


def _rabbit_memory_alarm(report, hits, _out):
    assert 'memory alarm on rabbit@localhost' in hits[0]['summary']


def _ceph_health(report, hits, _out):
    codes = {r['summary'].split(':')[0].split()[-1] for r in hits if r['id'] == 'ceph.health_warning'}
    assert {'OSD_DOWN', 'PG_DEGRADED'} <= codes, [r['summary'] for r in hits]


def _debug_mode(report, hits, _out):
    assert '/etc/nova/nova.conf' in hits[0]['summary']


def _log_glance_unreachable(report, hits, _out):
    assert 'row 7a' in hits[0]['summary'] and '/var/log/cinder/cinder-volume.log' in hits[0]['summary']


def _galera(report, hits, _out):
    assert 'Donor/Desynced' in hits[0]['summary']


def _pacemaker_failed_action(report, hits, _out):
    assert 'dummy monitor' in hits[0]['summary'] and hits[0]['fix'] == 'fix_pacemaker'


def _haproxy_server_maint(report, hits, _out):
    assert 'nova_api/ctl-2' in hits[0]['summary'] and 'MAINT' in hits[0]['summary']


def _mistral_actions(report, hits, _out):
    assert 'std.wait_ssh' in hits[0]['summary'] and 'create_instance' in hits[0]['summary']
    assert hits[0]['fix'] == 'fix_mistral_actions'


def _service_token_disabled(report, hits, _out):
    assert '/etc/nova/nova.conf (' in hits[0]['summary'] and 'nova-compute' in hits[0]['summary']
    assert 'send_service_user_token is false (line' in hits[0]['summary']
    assert hits[0]['fix'] is None


EXTRA = {
    'service_token_disabled': _service_token_disabled,
    'mistral_actions': _mistral_actions,
    'container_unhealthy': _container_unhealthy,
    'rabbit_memory_alarm': _rabbit_memory_alarm,
    'ceph_health': _ceph_health,
    'debug_mode': _debug_mode,
    'log_glance_unreachable': _log_glance_unreachable,
    'galera': _galera,
    'pacemaker_failed_action': _pacemaker_failed_action,
    'haproxy_server_maint': _haproxy_server_maint,
    'nova_api_stopped': _nova_api_stopped,
    'rabbit_stopped': _rabbit_stopped,
    'broker_route_blocked': _broker_route_blocked,
    'transport_url_invalid': _transport_url_invalid,
    'instances_path_full': _instances_path_full,
    'db_password_wrong': _wrong_password('database', 'sd-lab-WRONG-dbpw'),
    'keystone_password_wrong': _wrong_password('keystone_authtoken', 'sd-lab-WRONG-kspw'),
    'service_role_removed': _service_role_removed,
    'target_address': _target_address,
}


def test_every_catalog_fault_has_its_own_assertions():
    assert sorted(FAULTS) == sorted(EXTRA)


@pytest.mark.parametrize('fault', sorted(FAULTS))
def test_fault_alone_is_named_and_nothing_else(lab, tmp_path, fault):
    spec = FAULTS[fault]
    expected = sorted((d['host'], d['id']) for d in spec['detects'])
    hosts = ['localhost', 'lab-host'] + sorted({h for h in spec['hosts'] + [d['host'] for d in spec['detects']]
                                                if not h.startswith('cloud:') and h not in ('localhost', 'lab-host')})
    checks = [c for c in CATALOG_CHECKS if c not in HISTORY_CHECKS or c in spec['checks']]
    since = time.time()
    try:
        _keep_output(tmp_path, _play(SABOTAGE, '-e', 'fault=%s' % fault))
        report, took = _diagnose(tmp_path, since, checks, hosts)
    finally:
        _keep_output(tmp_path, _play(SABOTAGE, '-e', 'fault=%s' % fault, '-e', 'undo=true'))
    bad = _bad(report)
    assert sorted({(h, i) for h, i, _s in bad}) == expected, bad
    hits = [r for r in report['results'] if r['status'] in NOT_OK]
    EXTRA[fault](report, hits, tmp_path)
    fixes = sorted({r['fix'] for r in hits if r['fix']}) or ['none']
    _row('%s | %s | %s | %.1fs' % (
        fault, ', '.join(sorted({'%s %s on %s' % (r['status'], r['id'], r['host']) for r in hits})),
        ', '.join(fixes), took))
    if fault in ('nova_api_stopped', 'rabbit_stopped'):
        _lab_status_up()
