"""check_mistral_actions / fix_mistral_actions against the lab's real mistral (23.0.0 with
mistral-extra 17.0.0: api under gunicorn, engine and executor, on the lab's MariaDB).

The fault mistral_actions empties mistral's definition tables (as a database restored without
`mistral-db-manage populate`); diagnose names what populate writes; remediate --check --diff runs
nothing and shows the definitions before and after; remediate runs populate on the lab host through
its layout and restarts mistral there; the check is clean again and a second remediate changes
nothing. The fault is always undone (finally). A clean lab gives no finding.
"""
from labplay import SABOTAGE, play as _play, run_checks

CHECK = 'check_mistral_actions'
NOT_OK = ('warning', 'error', 'critical')


def _run(playbook, out, *extra):
    return run_checks(playbook, out, CHECK, 'localhost,lab-host', *extra)


def _bad(report):
    return sorted((r['host'], r['id'], r['status']) for r in report['results']
                  if r['check'] == CHECK and r['status'] in NOT_OK)


def _summaries(report):
    return ' '.join(a.get('summary', '') for a in report.get('actions', []) if a.get('fix') == 'fix_mistral_actions')


def test_clean_lab_gives_no_finding(lab, tmp_path):
    report, _t, _o = _run('diagnose.yml', tmp_path / 'clean')
    assert _bad(report) == []
    oks = sorted(r['id'] for r in report['results'] if r['check'] == CHECK and r['status'] == 'ok')
    assert oks == ['mistral.openstack_actions_missing', 'mistral.preinstalled_missing', 'mistral.std_actions_missing']


def test_emptied_tables_found_populated_and_idempotent(lab, tmp_path):
    try:
        _play(SABOTAGE, '-e', 'fault=mistral_actions')
        before, took, _o = _run('diagnose.yml', tmp_path / 'before')
        print('catalog: mistral_actions detected by %s in %.1fs' % (CHECK, took))
        assert _bad(before) == [('cloud:stackdoctor-lab', 'mistral.preinstalled_missing', 'warning')]
        found = [r for r in before['results'] if r['id'] == 'mistral.preinstalled_missing'][0]
        assert found['evidence']['missing_actions'] == ['std.wait_ssh']
        assert found['evidence']['missing_workflows'] == ['create_instance', 'delete_instance']

        dry, _t, out = _run('remediate.yml', tmp_path / 'dry', '--check', '--diff')
        assert 'would change: mistral-db-manage populate (' in _summaries(dry), _summaries(dry)
        assert [a['details']['restarted'] for a in dry['actions'] if a.get('fix') == 'fix_mistral_actions'] == [[]]
        assert '-action std.wait_ssh: missing' in out and '+workflow create_instance: defined' in out
        assert _bad(dry) == _bad(before)   # nothing ran

        fixed, _t, out = _run('remediate.yml', tmp_path / 'fix')
        s = _summaries(fixed)
        assert 'changed: mistral-db-manage populate (' in s and 'mistral.conf) on lab-host' in s, s
        act = [a for a in fixed['actions'] if a.get('fix') == 'fix_mistral_actions'][0]
        assert act['details']['argv'][-3:] == ['--config-file', act['details']['argv'][-2], 'populate']
        assert act['details']['restarted'] == ['mistral-api', 'mistral-engine', 'mistral-executor']
        assert act['details']['host'] == 'lab-host'
        assert _bad(fixed) == []

        again, _t, out = _run('remediate.yml', tmp_path / 'again')
        assert _summaries(again) == ''   # nothing open: no fix ran
        assert 'changed=0' in out.split('PLAY RECAP')[-1].split('localhost')[1].split('\n')[0]
    finally:
        _play(SABOTAGE, '-e', 'fault=mistral_actions', '-e', 'undo=true')
