"""The control-plane faults of the lab sabotage catalog, on the shared lab.

A fault that stops a shared service (nova-api, rabbitmq) is injected alone
(tests/lab/sabotage/lab_sabotage.yml -e fault=<name>); four that touch one host's file or filesystem
each are injected together (`batch`). diagnose runs with the control-plane checks only, and the
tests assert that each finding names its fault (id, host, service, file) and that nothing else
shows up; the faults are always undone (finally), so the lab is left as it was. A clean lab gives no finding at all from these checks. Time to detect (the
diagnose run) is printed for the catalog.
"""
import json
import os
import pathlib
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SABOTAGE = str(ROOT / 'tests' / 'lab' / 'sabotage' / 'lab_sabotage.yml')  # absolute: joins over playbooks/
INV = ROOT / 'inventories' / 'lab' / 'hosts.yml'
CLOUDS = ROOT / 'inventories' / 'lab' / 'clouds.yaml'
CHECKS = 'check_services_running,check_messaging,check_disk_space,check_service_credentials'
NODES_WITH_RPC_CONFIGS = {'sd-lab-controller', 'sd-lab-tripleo1', 'sd-lab-compute1', 'sd-lab-compute2',
                          'sd-lab-volume1', 'sd-lab-kolla1', 'sd-lab-network1'}
NOT_OK = ('warning', 'error', 'critical')


def _play(playbook, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), OS_CLIENT_CONFIG_FILE=str(CLOUDS))
    r = subprocess.run(['ansible-playbook', '-i', str(INV), str(ROOT / 'playbooks' / playbook), *extra],
                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, '%s failed:\n%s' % (playbook, r.stdout[-4000:])
    return r.stdout


def _diagnose(out):
    t0 = time.monotonic()
    _play('diagnose.yml', '-e', 'stackdoctor_checks=%s' % CHECKS, '-e', 'stackdoctor_report_dir=%s' % out)
    took = time.monotonic() - t0
    with open(out / 'report.json') as f:
        return json.load(f), took


def _bad(report):
    return sorted((r['host'], r['id'], r['status'], (r.get('evidence') or {}).get('service'))
                  for r in report['results'] if r['status'] in NOT_OK)


def test_clean_lab_gives_no_finding(lab, tmp_path):
    report, _took = _diagnose(tmp_path / 'clean')
    assert _bad(report) == []
    services = {(r['host'], r['evidence'].get('service')) for r in report['results'] if r['status'] == 'ok'}
    assert ('lab-host', 'rabbitmq') in services and ('lab-host', 'nova-api') in services
    # every node logged in to the real broker, from its own network namespace
    logged_in = {r['host'] for r in report['results']
                 if r['check'] == 'check_messaging' and r['status'] == 'ok'
                 and all(p.get('amqp') == 'ok' for p in r['evidence'].get('probes') or [{}])}
    assert logged_in == NODES_WITH_RPC_CONFIGS


def _inject(fault):
    _play(SABOTAGE, '-e', 'fault=%s' % fault)


def _undo(fault):
    _play(SABOTAGE, '-e', 'fault=%s' % fault, '-e', 'undo=true')


def _lab_status_up():
    status = subprocess.run([str(ROOT / 'tests' / 'lab' / 'lab.sh'), 'status'], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert status.returncode == 0, status.stdout


def test_nova_api_stopped(lab, tmp_path):
    try:
        _inject('nova_api_stopped')
        report, took = _diagnose(tmp_path / 'nova_api_stopped')
        print('catalog: nova_api_stopped detected by check_services_running in %.1fs' % took)
        assert _bad(report) == [('lab-host', 'services.process_gone', 'critical', 'nova-api')]
        hit = [r for r in report['results'] if r['status'] == 'critical'][0]
        assert 'nova_api.pid' in hit['summary'] and hit['fix'] is None
    finally:
        _undo('nova_api_stopped')
    _lab_status_up()


def test_rabbit_stopped(lab, tmp_path):
    try:
        _inject('rabbit_stopped')
        report, took = _diagnose(tmp_path / 'rabbit_stopped')
        print('catalog: rabbit_stopped detected by check_services_running + check_messaging in %.1fs' % took)
        bad = _bad(report)
        assert ('lab-host', 'services.process_gone', 'critical', 'rabbitmq') in bad
        messaging = {(h, i) for h, i, s, _svc in bad if i.startswith('messaging.')}
        assert messaging == {(h, 'messaging.broker_unreachable') for h in NODES_WITH_RPC_CONFIGS}
        assert len(bad) == 1 + len([b for b in bad if b[1].startswith('messaging.')])
        hit = [r for r in report['results'] if r['host'] == 'sd-lab-compute1' and r['status'] == 'critical'][0]
        assert 'refused' in hit['summary'] and hit['evidence']['file'] == '/etc/nova/nova.conf'
        assert hit['evidence']['url_masked'].startswith('rabbit://guest:*')
        assert '@10.0.2.2:15072' in hit['evidence']['url_masked'] and 'guest:guest' not in json.dumps(report)
    finally:
        _undo('rabbit_stopped')
    _lab_status_up()


# Four faults that touch one host and one file or filesystem each, none of which can hide another:
# injected together, found by one diagnose run, undone together. Each test asserts on its own
# host's findings of its check, and that nothing else is wrong beyond the four.
BATCH = {
    'transport_url_invalid': ('sd-lab-compute1', 'check_messaging'),
    'instances_path_full': ('sd-lab-compute1', 'check_disk_space'),
    'db_password_wrong': ('sd-lab-controller', 'check_service_credentials'),
    'keystone_password_wrong': ('sd-lab-compute2', 'check_service_credentials'),
}


@pytest.fixture(scope='module')
def batch(lab, tmp_path_factory):
    out = tmp_path_factory.mktemp('control-plane-batch')
    faults = ','.join(BATCH)
    try:
        _inject(faults)
        report, took = _diagnose(out)
        print('catalog: %s detected by one diagnose (%s) in %.1fs' % (faults, CHECKS, took))
        yield report, out
    finally:
        _undo(faults)


def _mine(report, fault):
    host, check = BATCH[fault]
    return [r for r in report['results'] if r['host'] == host and r['check'] == check and r['status'] in NOT_OK]


def test_batch_finds_the_four_faults_and_nothing_else(batch):
    report, _out = batch
    expected = {(h, c) for h, c in BATCH.values()}
    assert {(r['host'], r['check']) for r in report['results'] if r['status'] in NOT_OK} == expected, _bad(report)


def test_transport_url_invalid(batch):
    report, _out = batch
    mine = _mine(report, 'transport_url_invalid')
    assert [(r['id'], r['status']) for r in mine] == [('messaging.broker_unreachable', 'critical')], mine
    hit = mine[0]
    assert '192.0.2.10:15072: TCP timeout' in hit['summary']
    assert hit['evidence']['file'] == '/etc/nova/nova.conf' and hit['evidence']['line']
    assert 'guest:guest' not in json.dumps(report)


def test_instances_path_full(batch):
    report, _out = batch
    mine = _mine(report, 'instances_path_full')
    assert {(r['id'], r['status']) for r in mine} == {('disk.space_exhausted', 'critical')}, mine
    paths = sorted(r['evidence']['path'] for r in mine)
    # instances_path and the image cache under it: the same filesystem, both named
    assert paths[0] == '/var/lib/nova/instances'


@pytest.mark.parametrize('fault,rid,section,secret', [
    ('db_password_wrong', 'credentials.db_login_refused', 'database', 'sd-lab-WRONG-dbpw'),
    ('keystone_password_wrong', 'credentials.keystone_password_refused', 'keystone_authtoken', 'sd-lab-WRONG-kspw'),
])
def test_wrong_password_named_never_shown(batch, fault, rid, section, secret):
    report, out = batch
    mine = _mine(report, fault)
    assert [(r['id'], r['status']) for r in mine] == [(rid, 'critical')], mine
    hit = mine[0]
    assert hit['evidence']['file'] == '/etc/nova/nova.conf' and hit['evidence']['section'] == section
    blob = json.dumps(report) + (out / 'report.md').read_text()
    assert secret not in blob
