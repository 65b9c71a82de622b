"""The HA and operations faults of the lab catalog (issue 12), each found by its own check.

Eight faults on six hosts, none of which its siblings' checks read: injected together
(tests/lab/sabotage/lab_sabotage.yml -e fault=a,b,...), one diagnose.yml limited to their checks,
undone together whatever happened (the lab is shared). Each test asserts that its check fires on
its host with its finding, and that the check fires nowhere else: each fires alone. Real daemons:
pacemaker + corosync (sd-lab-tripleo1, a one-node cluster with an ocf:pacemaker:Dummy resource),
MariaDB + galera-4 (sd-lab-controller, a one-node cluster left Donor/Desynced), haproxy's stats
socket (sd-lab-controller, in front of the lab's APIs), the lab's rabbitmq (memory alarm), a kolla
container's engine healthcheck (sd-lab-kolla1). Ceph cannot run here: `ceph` on sd-lab-tripleo1 is a
stand-in printing a recorded Reef status (tests/lab/README.md). The closing note quotes the report
of the broken TripleO HA node (pytest -s prints it).
"""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SABOTAGE = str(ROOT / 'tests' / 'lab' / 'sabotage' / 'lab_sabotage.yml')  # absolute: joins over playbooks/
INV = ROOT / 'inventories' / 'lab' / 'hosts.yml'
CLOUDS = ROOT / 'inventories' / 'lab' / 'clouds.yaml'
NOT_OK = ('warning', 'error', 'critical')
# fault -> (host, check, finding id, status)
FAULTS = {
    'container_unhealthy': ('sd-lab-kolla1', 'check_containers', 'containers.unhealthy', 'critical'),
    'pacemaker_failed_action': ('sd-lab-tripleo1', 'check_pacemaker', 'pacemaker.failed_action', 'critical'),
    'haproxy_server_maint': ('sd-lab-controller', 'check_haproxy', 'haproxy.server_maint', None),
    'rabbit_memory_alarm': ('lab-host', 'check_rabbitmq_cluster', 'rabbitmq.alarm', 'critical'),
    'ceph_health': ('sd-lab-tripleo1', 'check_ceph_health', 'ceph.osds_down', None),
    'debug_mode': ('sd-lab-compute2', 'check_debug_mode', 'logging.debug_enabled', None),
    'galera': ('sd-lab-controller', 'check_galera', 'galera.desynced', 'warning'),
}
# check_log_signatures reads every log of the layout: earlier faults of this session left real
# lines (rabbit down, tgt) in them. The fault's own line is row 7a on the volume host.
LOG_FAULT = ('log_glance_unreachable', 'sd-lab-volume1', 'check_log_signatures', '7a')


def _play(playbook, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), OS_CLIENT_CONFIG_FILE=str(CLOUDS))
    r = subprocess.run(['ansible-playbook', '-i', str(INV), str(ROOT / 'playbooks' / playbook), *extra],
                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, '%s failed:\n%s' % (playbook, r.stdout[-4000:])
    return r.stdout


@pytest.fixture(scope='module')
def ha(lab, tmp_path_factory):
    out = tmp_path_factory.mktemp('ha-faults')
    faults = ','.join(list(FAULTS) + [LOG_FAULT[0]])
    checks = ','.join(sorted({c for _h, c, _i, _s in FAULTS.values()} | {LOG_FAULT[2]}))
    try:
        _play(SABOTAGE, '-e', 'fault=%s' % faults)
        _play('diagnose.yml', '-e', 'stackdoctor_checks=%s' % checks, '-e', 'stackdoctor_report_dir=%s' % out)
        with open(out / 'report.json') as f:
            report = json.load(f)
    finally:
        _play(SABOTAGE, '-e', 'fault=%s' % faults, '-e', 'undo=true')
    # what an operator sees on the broken TripleO HA node (the closing note quotes it)
    for r in report['results']:
        if r['host'] == 'sd-lab-tripleo1' and r['status'] in NOT_OK:
            print('sd-lab-tripleo1: %s %s %s' % (r['status'], r['id'], r['summary']))
    md = (out / 'report.md').read_text()
    print('\n'.join(ln for ln in md.splitlines() if 'sd-lab-tripleo1' in ln)[:3000])
    return report, out


@pytest.mark.parametrize('fault', sorted(FAULTS))
def test_each_fault_is_found_by_its_check_and_only_there(ha, fault):
    report, _out = ha
    host, check, rid, status = FAULTS[fault]
    mine = [r for r in report['results'] if r['check'] == check and r['status'] in NOT_OK]
    assert {r['host'] for r in mine} == {host}, [(r['host'], r['id'], r['status'], r['summary']) for r in mine]
    hits = [r for r in mine if r['id'] == rid]
    assert hits, [(r['id'], r['status'], r['summary']) for r in mine]
    if status:
        assert hits[0]['status'] == status, hits[0]
    print('%s: %s %s on %s: %s' % (fault, hits[0]['status'], rid, host, hits[0]['summary']))


def test_the_log_line_names_the_check_to_run_next(ha):
    report, _out = ha
    fault, host, check, row = LOG_FAULT
    rows = [r for r in report['results'] if r['check'] == check and r['host'] == host and r['status'] in NOT_OK
            and (r.get('evidence') or {}).get('signature') == row]
    assert rows, [(r['host'], r['summary']) for r in report['results'] if r['check'] == check and r['status'] in NOT_OK]
    assert rows[0]['evidence']['next_check'] == 'check_glance_reachability', rows[0]
    assert rows[0]['evidence']['next_fix'] == 'fix_glance_api_servers', rows[0]
    print('%s: %s %s' % (fault, rows[0]['status'], rows[0]['summary']))


def test_no_secret_in_the_report(ha):
    report, out = ha
    with open(os.path.join(os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab'), 'etc', 'secrets.json')) as f:
        data = json.load(f)
    secrets = [v for k, v in data.items() if k != 'db'] + list((data.get('db') or {}).values())
    blob = json.dumps(report) + (out / 'report.md').read_text()
    assert secrets and not [s for s in secrets if s in blob]
