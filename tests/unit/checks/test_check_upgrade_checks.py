"""check_upgrade_checks: the command runner and parsers on output recorded on the lab (nova 34.0.0,
placement 16.0.0, keystone 30.0.0, oslo.upgradecheck 2.8.0; tests/unit/fixtures/upgrade_checks/):
nova-status refuses --json (its own parser), placement-status accepts it and prints the table,
keystone-status answers JSON, nova-status with its database unreachable crashes (rc 255); and the
Failure nova-status prints with the lab's stale nova-compute row. evaluate() over the module's
runs: every finding id, the ok and skipped paths, malformed input."""
import json
import pathlib

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import upgrade_checks as uc
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

CHECK = 'check_upgrade_checks'
FIX = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'upgrade_checks'


def text(name):
    return (FIX / name).read_text()


def runner_for(answers, calls=None):
    """argv -> (rc, out, err) by the first answer whose key is a suffix of argv."""
    def run(argv):
        if calls is not None:
            calls.append(list(argv))
        for key, ans in answers:
            if tuple(argv[-len(key):]) == tuple(key):
                return ans
        raise AssertionError('unexpected %r' % (argv,))
    return run


def ev(runs, params=None):
    return registry.evaluate(CHECK, {'upgrade_checks': {'runs': runs}}, params)


def by_id(results):
    out = {}
    for r in results:
        out.setdefault(r['id'], []).append(r)
    return out


# ----------------------------------------------------------------------------- parsers
def test_nova_status_table_recorded_on_the_lab():
    checks = uc.parse_table(text('nova-status-success.txt'))
    assert [c['check'] for c in checks] == [
        'Cells v2', 'Placement API', 'Cinder API', 'Policy File JSON to YAML Migration',
        'Older than N-1 computes', 'hw_machine_type unset', 'Service User Token Configuration']
    assert {c['result'] for c in checks} == {'success'} and {c['details'] for c in checks} == {None}


def test_nova_status_failure_with_the_stale_row_recorded_on_the_lab():
    checks = dict((c['check'], c) for c in uc.parse_table(text('nova-status-old-compute.txt')))
    old = checks['Older than N-1 computes']
    assert old['result'] == 'failure'
    # prettytable wraps the details over several rows: joined again into one text
    assert 'Current Nova version does not support computes older than' in old['details']
    assert 'minimum compute service level' in old['details'] and '66' in old['details']
    assert checks['Cells v2']['result'] == 'success'
    # the lab held instances then (fake driver): nova's own warning, its URL cut by the wrap
    machine = checks['hw_machine_type unset']
    assert machine['result'] == 'warning' and machine['details'].startswith('Instances found without hw_machine_type set.')
    assert machine['details'].endswith('https://docs.openstack.org/nova/latest/admin/hw-machine-type.html')


def test_keystone_status_json_recorded_on_the_lab():
    title, checks = uc.parse_json(text('keystone-status.json'))
    assert title == 'Upgrade Check Results'
    assert [(c['check'], c['result'], c['code']) for c in checks][0] == ('Check trust policies are not empty', 'success', 0)
    assert checks[-1]['details'] is None


def test_json_codes_and_words():
    doc = {'name': 'x', 'checks': [{'check': 'a', 'result': 1, 'details': 'w'},
                                   {'check': 'b', 'result': 2, 'details': 'f'},
                                   {'check': 'c', 'result': 'Warning', 'details': None},
                                   {'check': 'd', 'result': 7, 'details': ''}]}
    _title, checks = uc.parse_json('noise before\n' + json.dumps(doc))
    assert [c['result'] for c in checks] == ['warning', 'failure', 'warning', 'unknown']


def test_not_json_not_table():
    assert uc.parse_json('usage: foo') is None and uc.parse_json('{"a": 1}') is None
    assert uc.parse_table('hello\n| nothing |\n') is None


def test_scrub_masks_url_passwords():
    assert uc.scrub('mysql+pymysql://nova:s3cr3t@db:3306/nova x') == 'mysql+pymysql://nova:***@db:3306/nova x'
    assert uc.scrub('rabbit://openstack:p%40ss@mq:5672/') == 'rabbit://openstack:***@mq:5672/'
    assert uc.scrub('no url here') == 'no url here'


# ----------------------------------------------------------------------------- run_one
def test_nova_status_refuses_json_and_is_asked_again():
    calls = []
    run = runner_for([(('upgrade', 'check', '--json'), (2, '', 'usage: nova-status ...\n' + text('nova-status-json-refused.stderr'))),
                      (('upgrade', 'check'), (0, text('nova-status-success.txt'), ''))], calls)
    res = uc.run_one(run, ['nova-status'], 30)
    assert res['format'] == 'table' and res['json_refused'] and res['error'] is None and len(res['checks']) == 7
    assert calls == [['timeout', '30', 'nova-status', 'upgrade', 'check', '--json'],
                     ['timeout', '30', 'nova-status', 'upgrade', 'check']]


def test_placement_status_prints_the_table_despite_json():
    run = runner_for([(('--json',), (0, text('placement-status-json-flag.txt'), ''))])
    res = uc.run_one(run, ['placement-status'], 30)
    assert res['format'] == 'table' and [c['check'] for c in res['checks']][0] == 'Missing Root Provider IDs'


def test_keystone_json():
    run = runner_for([(('--json',), (0, text('keystone-status.json'), ''))])
    res = uc.run_one(run, ['podman', 'exec', 'keystone', 'keystone-status'], 30)
    assert res['format'] == 'json' and len(res['checks']) == 3


def test_failure_exit_code_2_is_results_not_a_usage_error():
    run = runner_for([(('--json',), (2, '', text('nova-status-json-refused.stderr'))),
                      (('check',), (2, text('nova-status-old-compute.txt'), ''))])
    res = uc.run_one(run, ['nova-status'], 30)
    assert res['rc'] == 2 and res['error'] is None
    assert [c['check'] for c in res['checks'] if c['result'] == 'failure'] == ['Older than N-1 computes']


def test_crash_rc_255_recorded_on_the_lab():
    run = runner_for([(('--json',), (2, '', text('nova-status-json-refused.stderr'))),
                      (('check',), (255, text('nova-status-db-unreachable.txt'), ''))])
    res = uc.run_one(run, ['nova-status'], 30)
    assert res['format'] is None and res['error'].startswith('the upgrade check crashed (rc 255): ')
    assert 'DBConnectionError' in res['error']


@pytest.mark.parametrize('rc,err,want', [
    (127, 'timeout: failed to run command \'nova-status\': No such file or directory', 'command not found'),
    (126, 'permission denied', 'command not found or not executable'),
    (124, '', 'did not finish within 7s'),
    (0, 'garbage', 'no upgrade check results'),
])
def test_missing_timeout_unreadable(rc, err, want):
    res = uc.run_one(lambda argv: (rc, '', err), ['nova-status'], 7)
    assert want in res['error'] and not res['checks']


def test_runner_oserror():
    def boom(argv):
        raise OSError(2, 'No such file or directory')
    assert 'cannot run nova-status' in uc.run_one(boom, ['nova-status'], 7)['error']


def test_command_argv_and_layout():
    assert uc.command_argv({'name': 'nova-status', 'config_files': ['/a.conf']}) == ['nova-status', '--config-file', '/a.conf']
    assert uc.command_argv({'name': 'nova-status', 'container': 'nova_api'}, 'docker') == ['docker', 'exec', 'nova_api', 'nova-status']
    kolla = {'flavour': 'kolla', 'services': {
        'nova-api': {'present': True, 'restart': {'container': 'nova_api', 'containers': ['nova_api']}},
        'nova-conductor': {'present': True, 'restart': {'containers': ['nova_conductor']}},
        'placement-api': {'present': True, 'restart': {'containers': ['placement_api']}},
        'glance-api': {'present': False, 'restart': {'containers': ['glance_api']}}}}
    assert uc.commands_from_layout(kolla) == [{'name': 'nova-status', 'service': 'nova-api', 'container': 'nova_api'},
                                              {'name': 'placement-status', 'service': 'placement-api', 'container': 'placement_api'}]
    packaged = {'flavour': 'packaged', 'services': {'nova-conductor': {'present': True, 'restart': {'containers': []}}}}
    assert uc.commands_from_layout(packaged) == [{'name': 'nova-status', 'service': 'nova-conductor', 'container': None}]
    assert uc.commands_from_layout(kolla, only=['placement-status'])[0]['name'] == 'placement-status'
    assert uc.commands_from_layout({}) == []


# ----------------------------------------------------------------------------- evaluate
def run_doc(name, checks=None, **kw):
    d = {'name': name, 'service': kw.pop('service', None), 'container': kw.pop('container', None),
         'argv': [name, 'upgrade', 'check'], 'rc': kw.pop('rc', 0), 'format': 'table', 'checks': checks or [],
         'error': kw.pop('error', None), 'seconds': 1.0}
    d.update(kw)
    return d


def test_every_result_becomes_its_own_finding():
    checks = uc.parse_table(text('nova-status-old-compute.txt'))
    warn = {'check': 'Incomplete Consumers', 'result': 'warning', 'details': 'There are 3 incomplete consumers\nRun it'}
    res = ev([run_doc('nova-status', checks, rc=2, service='nova-api'),
              run_doc('placement-status', [warn], rc=1, container='placement_api')])
    ids = by_id(res)
    [fail] = [r for r in ids['upgrade.check_failed'] if r['status'] != 'ok']
    assert fail['status'] == 'critical' and fail['evidence']['check'] == 'Older than N-1 computes'
    assert fail['summary'].startswith('nova-status upgrade check "Older than N-1 computes": Failure: Current Nova version')
    assert fail['fix'] is None
    assert [r['status'] for r in ids['upgrade.check_failed']].count('ok') == len(checks) - 2
    machine, w = ids['upgrade.check_warning']
    assert machine['evidence']['check'] == 'hw_machine_type unset' and machine['status'] == 'warning'
    assert w['status'] == 'warning' and 'in container placement_api' in w['summary'] and '\n' not in w['summary']
    assert w['evidence']['details'].endswith('Run it')


def test_all_success_is_ok():
    res = ev([run_doc('nova-status', uc.parse_table(text('nova-status-success.txt')))])
    assert {(r['id'], r['status']) for r in res} == {('upgrade.check_failed', 'ok')} and len(res) == 7


def test_unusable_command_is_error():
    res = ev([run_doc('cinder-status', error='command not found or not executable (rc 127): x', rc=127, format=None)])
    [r] = res
    assert (r['id'], r['status'], r['evidence']['command']) == ('upgrade.command_unusable', 'error', 'cinder-status')


def test_unknown_result_and_error_after_results():
    res = ev([run_doc('x-status', [{'check': 'a', 'result': 'unknown', 'code': 9, 'details': None}],
                      error='unexpected exit code 3', rc=3)])
    assert [(r['id'], r['status']) for r in res] == [('upgrade.command_unusable', 'error')] * 2


def test_nothing_installed_is_skipped_and_module_failure_is_error():
    [r] = ev([])
    assert (r['id'], r['status']) == ('upgrade.check_failed', 'skipped')
    [r] = registry.evaluate(CHECK, {'upgrade_checks': None, 'error': 'module failed\nmore'})
    assert (r['id'], r['status']) == ('upgrade.command_unusable', 'error') and 'module failed' in r['summary']
    [r] = registry.evaluate(CHECK, {})
    assert r['status'] == 'error'


def test_site_ignores_a_judged_warning():
    checks = uc.parse_table(text('nova-status-old-compute.txt'))
    ignore = [{'command': 'nova-status', 'check': 'hw_machine_type unset', 'reason': 'no libvirt here'},
              {'check': 'Cells v2', 'reason': 'a Success is never touched'}]
    res = ev([run_doc('nova-status', checks, rc=2)], {'ignore': ignore})
    [m] = [r for r in res if r['evidence']['check'] == 'hw_machine_type unset']
    assert (m['id'], m['status'], m['evidence']['ignored_because']) == ('upgrade.check_warning', 'skipped', 'no libvirt here')
    assert 'ignored by the site: no libvirt here' in m['summary']
    assert [r['status'] for r in res if r['evidence']['check'] == 'Cells v2'] == ['ok']
    assert [r['status'] for r in res if r['evidence']['check'] == 'Older than N-1 computes'] == ['critical']
    # another command's check of the same name is not ignored
    res = ev([run_doc('x-status', [{'check': 'hw_machine_type unset', 'result': 'warning', 'details': None}])], {'ignore': ignore})
    assert res[0]['status'] == 'warning'


def test_site_severity_override():
    warn = {'check': 'w', 'result': 'warning', 'details': None}
    [r] = ev([run_doc('nova-status', [warn])], {'severity': {'upgrade.check_warning': 'critical'}})
    assert r['status'] == 'critical'


def test_no_secret_in_results():
    crash = uc.run_one(lambda argv: (255, 'Error:\nTraceback\nOperationalError: mysql+pymysql://nova:hunter2@db/nova', ''),
                       ['nova-status'], 5)
    res = ev([dict(run_doc('nova-status', error=crash['error'], rc=255))])
    assert 'hunter2' not in json.dumps(res)
