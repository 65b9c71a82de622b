"""The demo's story on the lab, through the real playbooks (tests/demo/demo.sh does the same):
lab_sabotage.yml -e fault=all -> diagnose.yml -> remediate.yml -> diagnose.yml, asserting on
report.json: before, cinder.tgt_include_missing is critical on sd-lab-volume1 and sd-lab-kolla1
and the injected orphan is reported by its consumer uuid; after, those are ok/absent and the
verdict is go; the live, BUILD and migrating consumers still hold their allocations.

Seed 000 with a real volume operation (tests/lab/README.md, "cinder and tgt"): right after the
sabotage, a new volume's os-initialize_connection (what nova does at attach) fails and the lab's
real cinder-volume logs its own "Failed to create iscsi target ... ensure your tgtd config file
contains 'include /var/lib/cinder/volumes/*'" line; check_tgt_include reports the config and
that line; after the remediation the same call on the same volume succeeds and the target is
exported by sd-lab-volume1's tgtd. The same on the kolla volume node: a volume in zone "kolla"
lands on the lab's cinder-volume-kolla, whose tgt-admin runs in sd-lab-kolla1's cinder_volume
container (as kolla runs it) against the image's /etc/tgt/targets.conf the sabotage stripped; the
fix puts the include back there, and the target is then exported by the tgtd container.

The story is the session's `catalog` fixture (conftest.py), which test_storage_node reads too.
The lab is shared: assertions are on our own hosts and consumer uuids only.
"""
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VOLUME_HOSTS = ['sd-lab-kolla1', 'sd-lab-volume1']
TGT_LOG_LINE = 'Failed to create iscsi target for Volume ID:'
TGT_LOG_HINT = "ensure your tgtd config file contains 'include /var/lib/cinder/volumes/*'"
sys.path.insert(0, str(ROOT / 'tests' / 'lab'))


@pytest.fixture
def story(catalog):
    """The catalog run (tests/integration/conftest.py): shared with the other tests that read it."""
    return catalog


def _results(rep, rid, host=None):
    return [r for r in rep['results'] if r['id'] == rid and (host is None or r['host'] == host)]


def _orphan_consumers(rep):
    return {(r.get('evidence') or {}).get('consumer')
            for r in _results(rep, 'placement.orphaned_allocation') if r['status'] not in ('ok', 'skipped')}


def test_before_tgt_include_critical_on_both_volume_hosts(story):
    for host in VOLUME_HOSTS:
        statuses = [r['status'] for r in _results(story['before'], 'cinder.tgt_include_missing', host)]
        assert statuses == ['critical'], (host, statuses)
    assert story['before']['verdict'] == 'no go'


def test_before_orphan_reported_by_consumer(story):
    assert story['orphans'], 'lab_sabotage.yml recorded no orphan'
    assert set(story['orphans']) <= _orphan_consumers(story['before'])


def test_cloud_results_belong_to_the_cloud_not_a_host(story):
    hosts = {r['host'] for r in _results(story['before'], 'placement.orphaned_allocation')}
    assert hosts == {'cloud:stackdoctor-lab'}, hosts
    md = (story['out'] / 'before' / 'report.md').read_text()
    assert 'on cloud `stackdoctor-lab`' in md and '| cloud `stackdoctor-lab` |' in md
    # what the cloud-scope fix did is recorded under the cloud too
    fixes = [a for a in story['remediate'].get('actions', []) if a['fix'] == 'fix_placement_allocations']
    assert fixes and {a['host'] for a in fixes} == {'cloud:stackdoctor-lab'}, fixes


def test_guards_exist_and_are_not_reported(story):
    assert {g['kind'] for g in story['guards']} >= {'live', 'build', 'migration'}
    reported = _orphan_consumers(story['before'])
    for g in story['guards']:
        assert not set(g['allocations']) & reported, g


def test_check_diff_remediation_shows_changes_and_changes_nothing(story):
    # the tgt fix shows its diff, the placement fix says what it would remove, nothing is applied
    assert '+include /var/lib/cinder/volumes/*' in story['dry_out']
    assert story['dry_held'] and all(story['dry_held'].values()), story['dry_held']
    for host in VOLUME_HOSTS:
        statuses = [r['status'] for r in _results(story['dry_run'], 'cinder.tgt_include_missing', host)]
        assert statuses == ['critical'], (host, statuses)
    summaries = ' '.join(a.get('summary', '') for a in story['dry_run'].get('actions', []))
    assert 'would' in summaries, summaries
    assert story['dry_run']['verdict'] == 'no go'


def _lab_secrets():
    """Every password the lab wrote (keystone users and one per database), from etc/secrets.json."""
    import json as _json
    import os as _os
    lab = _os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab')
    with open(_os.path.join(lab, 'etc', 'secrets.json')) as f:
        data = _json.load(f)
    out = [v for k, v in data.items() if k != 'db']
    return out + list((data.get('db') or {}).values())


def test_no_secret_reaches_a_report(story):
    import json as _json
    blob = _json.dumps([story[k] for k in ('before', 'dry_run', 'remediate', 'after')]) + story['dry_out']
    secrets = _lab_secrets()
    assert len(secrets) >= 6, 'expected keystone and database passwords in etc/secrets.json'
    for secret in secrets:
        assert secret not in blob


def test_after_tgt_ok_orphan_gone_verdict_go(story):
    after = story['after']
    for host in VOLUME_HOSTS:
        mine = [r for r in after['results'] if r['host'] == host and r['check'] == 'check_tgt_include']
        assert mine and all(r['status'] == 'ok' for r in mine), (host, mine)
    assert not set(story['orphans']) & _orphan_consumers(after)
    assert after['verdict'] == 'go', after['blocking']


def test_remediate_report_says_what_is_true_after_the_fixes(story):
    """remediate.yml re-runs the checks still open after the fixes: nova-status's "Older than N-1
    computes" (check_upgrade_checks, no fix of its own) was failing before fix_nova_service_versions
    removed the stale row; the remediate report must not carry that pre-fix result into its verdict."""
    rem = story['remediate']
    before = [r for r in story['before']['results'] if r['check'] == 'check_upgrade_checks' and r['status'] == 'critical']
    assert before, 'the sabotage should make nova-status fail (stale_compute_service)'
    still = [r for r in rem['results'] if r['check'] == 'check_upgrade_checks' and r['status'] == 'critical']
    assert not still, still
    assert rem['verdict'] == 'go', rem['blocking']
    nova = [a for a in rem['actions'] if a['fix'] == 'fix_nova_service_versions']
    reloaded = [(r['state'], r['service'], r['host']) for r in nova[0]['details']['reloaded']] if nova else []
    assert ('restarted', 'nova-api', 'lab-host') in reloaded, nova


def test_remediation_removed_exactly_our_orphan_kind(story):
    removed = [c['consumer'] for a in story['remediate']['actions'] if a['fix'] == 'fix_placement_allocations'
               for c in a['details']['removed']]
    assert set(story['orphans']) <= set(removed)


def test_guards_still_hold_their_allocations(story):
    import scenarios
    conn = scenarios.connect()
    for g in story['guards']:
        for c in g['allocations']:
            assert scenarios._holds(conn, c), '%s consumer %s lost its allocations' % (g['kind'], c)


def test_seed000_volume_attach_fails_then_succeeds_after_the_tgt_fix(story):
    vol, before, after = story['volume'], story['attach_before'], story['attach_after']
    assert vol['status'] == 'available', vol
    # cinder-api: 500 "Unable to fetch connection information from backend."; cinder-volume's own line
    assert before['status_code'] == 500, before
    assert 'Unable to fetch connection information from backend' in json.dumps(before['error'])
    lines = [ln for ln in story['attach_log'].splitlines() if TGT_LOG_LINE in ln]
    assert lines and TGT_LOG_HINT in lines[0] and 'volume-' + vol['volume'] in lines[0], story['attach_log'][-3000:]
    print('cinder-volume.log: ' + lines[0])
    # the same call on the same volume after remediate.yml; the node's tgtd exports the target
    assert after['status_code'] == 200 and after['driver_volume_type'] == 'iscsi', after
    assert after['data']['target_iqn'].endswith('volume-' + vol['volume'])
    assert after['data']['target_iqn'] in story['targets_after']


def test_seed000_on_kolla_attach_fails_in_the_container_then_succeeds_after_the_fix(story):
    k = story['kolla']
    vol, before, after = k['volume'], k['attach_before'], k['attach_after']
    assert vol['status'] == 'available' and vol['host'] == 'kolla-1@lvm-kolla#lvm-kolla', vol
    assert before['status_code'] == 500, before
    lines = [ln for ln in k['attach_log'].splitlines() if TGT_LOG_LINE in ln]
    assert lines and TGT_LOG_HINT in lines[0] and 'volume-' + vol['volume'] in lines[0], k['attach_log'][-3000:]
    print('kolla cinder-volume.log: ' + lines[0])
    # the check on the kolla node saw the container's config and that line in kolla's log
    mine = _results(story['before'], 'cinder.tgt_include_missing', 'sd-lab-kolla1')
    assert [r['status'] for r in mine] == ['critical'], mine
    ev = json.dumps(mine[0]['evidence'])
    assert vol['volume'] in ev, ev[:3000]
    fixes = [a for a in story['remediate'].get('actions', [])
             if a['fix'] == 'fix_tgt_include' and a['host'] == 'sd-lab-kolla1']
    assert any('lost when kolla-ansible re-creates it' in json.dumps(a) for a in fixes), fixes
    assert after['status_code'] == 200 and after['driver_volume_type'] == 'iscsi', after
    assert after['data']['target_iqn'].endswith('volume-' + vol['volume'])
    assert after['data']['target_iqn'] in k['targets_after'], k['targets_after']


def test_seed000_check_reports_the_config_and_cinders_log_line(story):
    mine = [r for r in _results(story['before'], 'cinder.tgt_include_missing', 'sd-lab-volume1')]
    assert [r['status'] for r in mine] == ['critical'], mine
    ev = json.dumps(mine[0]['evidence'])
    assert '/var/lib/cinder/volumes' in ev
    assert TGT_LOG_LINE in ev and story['volume']['volume'] in ev, ev[:3000]
    fixes = [a for a in story['remediate'].get('actions', [])
             if a['fix'] == 'fix_tgt_include' and a['host'] == 'sd-lab-volume1']
    assert any('include /var/lib/cinder/volumes/*' in a['summary'] and 'restarted cinder-volume' in a['summary']
               for a in fixes), fixes
