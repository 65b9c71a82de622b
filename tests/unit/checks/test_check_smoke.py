"""Unit tests of check_smoke's evaluate() (the role's recorded step outcomes in, results out),
and of the opt-in selection that keeps it out of diagnose's default run."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry, selection, smoke

ALL_OK = [
    {'step': 'image', 'ok': True, 'seconds': 2.1, 'id': 'i1'},
    {'step': 'volume', 'ok': True, 'seconds': 4.0, 'id': 'v1'},
    {'step': 'server', 'ok': True, 'seconds': 9.5, 'id': 's1'},
    {'step': 'attach', 'ok': True, 'seconds': 6.2, 'id': 'v1'},
    {'step': 'floating_ip', 'ok': True, 'seconds': 7.7, 'id': 'f1', 'address': '203.0.113.11'},
    {'step': 'snapshot', 'ok': True, 'seconds': 3.3, 'id': 'n1'},
]
CLEANED = [{'kind': k, 'name': 'stackdoctor-smoke-1-%s' % k, 'id': k[0] + '1', 'removed': True, 'error': None}
           for k in ('floating_ip', 'server', 'snapshot', 'volume', 'image')]


def _eval(facts, params=None):
    return registry.evaluate('check_smoke', facts, params)


def _by_id(results):
    out = {}
    for r in results:
        out.setdefault(r['id'], []).append(r)
    return out


def test_every_step_passed_and_everything_removed_is_ok():
    results = _eval({'run': 'stackdoctor-smoke-1', 'steps': ALL_OK, 'cleanup': CLEANED, 'swept': []})
    assert sorted((r['id'], r['status']) for r in results) == [
        ('smoke.cleanup_incomplete', 'ok'), ('smoke.step_failed', 'ok'), ('smoke.step_slow', 'ok')]
    ok = _by_id(results)['smoke.step_failed'][0]
    assert ok['summary'].startswith('6 smoke steps passed in 32.8s: image 2.1s, volume 4.0s, server 9.5s')
    assert 'removed the 5 resources' in _by_id(results)['smoke.cleanup_incomplete'][0]['summary']


def test_a_failed_step_names_the_api_answer_and_what_it_stopped():
    steps = ALL_OK[:2] + [{'step': 'server', 'ok': False, 'seconds': 31.0,
                           'error': 'Error in creating the server (no server found): No valid host was found.'}]
    results = _eval({'run': 'r', 'steps': steps, 'cleanup': CLEANED[2:], 'swept': [],
                     'steps_requested': list(smoke.STEPS)})
    bad = [r for r in results if r['status'] not in ('ok', 'skipped')]
    assert [(r['id'], r['status']) for r in bad] == [('smoke.step_failed', 'critical')]
    s = bad[0]['summary']
    assert 'smoke step server failed after 31.0s: Error in creating the server' in s
    assert 'No valid host was found' in s and 'not run: attach, floating_ip' in s
    assert bad[0]['evidence']['call'].startswith('compute POST /servers')
    # the snapshot needs only the volume: it ran (not in this record: it is not blamed either way)
    assert bad[0]['evidence']['not_run'] == ['attach', 'floating_ip', 'snapshot']


def test_a_slow_step_is_a_warning_with_its_limit_and_site_limits_apply():
    steps = [dict(s) for s in ALL_OK]
    steps[2]['seconds'] = 130.0
    results = _eval({'steps': steps, 'cleanup': CLEANED})
    slow = [r for r in results if r['id'] == 'smoke.step_slow']
    assert [(r['status'], r['evidence']['step'], r['evidence']['limit']) for r in slow] == [('warning', 'server', 120)]
    results = _eval({'steps': steps, 'cleanup': CLEANED}, {'slow_seconds': {'server': 200}})
    assert [r['status'] for r in results if r['id'] == 'smoke.step_slow'] == ['ok']


def test_what_could_not_be_removed_is_named_for_the_next_run():
    cleanup = [dict(c) for c in CLEANED]
    cleanup[3].update(removed=False, error='Timeout waiting for resource to be absent')
    swept = [{'kind': 'server', 'name': 'stackdoctor-smoke-0-server', 'id': 's0', 'removed': True, 'error': None}]
    results = _eval({'steps': ALL_OK, 'cleanup': cleanup, 'swept': swept})
    left = [r for r in results if r['id'] == 'smoke.cleanup_incomplete']
    assert [(r['status'], r['evidence']['kind'], r['evidence']['id']) for r in left] == [('warning', 'volume', 'v1')]
    assert 'Timeout waiting' in left[0]['summary'] and 'next run removes it' in left[0]['summary']
    results = _eval({'steps': ALL_OK, 'cleanup': CLEANED, 'swept': swept})
    ok = [r for r in results if r['id'] == 'smoke.cleanup_incomplete'][0]
    assert ok['status'] == 'ok' and 'left by earlier runs: server stackdoctor-smoke-0-server' in ok['summary']


def test_unset_variables_check_mode_and_a_probe_that_did_not_start():
    r = _eval({'missing_vars': ['check_smoke_flavor'], 'steps_requested': ['server']})
    assert [(x['id'], x['status']) for x in r] == [('smoke.not_configured', 'error')]
    assert 'set check_smoke_flavor' in r[0]['summary']
    assert [x['status'] for x in _eval({'check_mode': True})] == ['skipped']
    r = _eval({'error': 'the probe did not start: Cloud stackdoctor-lab was not found.'})
    assert [(x['id'], x['status']) for x in r] == [('smoke.step_failed', 'error')]


def test_opt_in_check_runs_only_when_named():
    reg = registry.playbook_registry()
    assert reg['check_smoke']['opt_in'] is True
    default = selection.select(reg, None, ['controllers'])
    assert 'check_smoke' not in default['cloud'] and 'check_service_roles' in default['cloud']
    assert 'check_smoke' not in selection.select(reg, None, ['controllers'], 'post-deploy')['cloud']
    assert selection.select(reg, 'check_smoke', ['controllers'])['cloud'] == ['check_smoke']
