"""playbooks/smoke.yml (check_smoke, opt-in) against the lab's real services.

On the clean lab every step passes for real: glance stores the image, cinder's LVM driver makes
the volume and its snapshot, nova-api/-conductor/-scheduler boot the server on a fake-driver
nova-compute (its port bound by neutron: tests/lab/neutron-ml2), the attach goes through cinder's
initialize_connection to the volume node's real tgtd, and the floating IP turns ACTIVE only once
the real neutron-l3-agent of sd-lab-network1 applied it. A leftover of an "interrupted" earlier
run is swept; nothing of the probe remains afterwards. With the L3 agent stopped
(l3_agent_stopped) only the floating IP step fails, with its answer, and the cleanup still
removes everything. Check mode creates nothing.
"""
import json
import time

from conftest import SABOTAGE, _play, _report

NOT_OK = ('warning', 'error', 'critical')
PREFIX = 'stackdoctor-smoke-'


def _conn():
    import scenarios
    return scenarios.connect()


def _probe_leftovers(conn):
    """Everything of the probe that exists, by kind (names start with PREFIX; floating IPs: description)."""
    return {
        'server': [s.name for s in conn.compute.servers() if (s.name or '').startswith(PREFIX)],
        'volume': [v.name for v in conn.block_storage.volumes() if (v.name or '').startswith(PREFIX)],
        'snapshot': [s.name for s in conn.block_storage.snapshots() if (s.name or '').startswith(PREFIX)],
        'image': [i.name for i in conn.image.images(tag='stackdoctor-smoke')],
        'floating_ip': [f.description for f in conn.network.ips() if (f.description or '').startswith(PREFIX)],
    }


def _smoke(out, *extra):
    t0 = time.monotonic()
    stdout = _play('smoke.yml', '-e', 'stackdoctor_report_dir=%s' % out, *extra)
    took = time.monotonic() - t0
    report = _report(out)
    mine = [r for r in report['results'] if r['check'] == 'check_smoke']
    return report, mine, took, stdout


def test_every_step_passes_on_the_clean_lab_and_nothing_remains(lab, tmp_path):
    conn = _conn()
    # what an interrupted earlier run would have left: a volume named like the probe's
    leftover = conn.block_storage.create_volume(name=PREFIX + '19700101000000-1-volume', size=1)
    conn.block_storage.wait_for_status(leftover, 'available', failures=['error'], wait=120)
    report, mine, took, _out = _smoke(tmp_path / 'clean')
    by_id = {r['id']: r for r in mine}
    assert [r for r in mine if r['status'] in NOT_OK] == [], json.dumps(mine, indent=1)[:3000]
    steps = by_id['smoke.step_failed']['evidence']['steps']
    print('smoke on the clean lab in %.1fs: %s' % (took, by_id['smoke.step_failed']['summary']))
    assert [(s['step'], s['ok']) for s in steps] == [
        ('image', True), ('volume', True), ('server', True), ('attach', True), ('floating_ip', True), ('snapshot', True)]
    fip = [s for s in steps if s['step'] == 'floating_ip'][0]
    assert fip['address'].startswith('203.0.113.')
    cleaned = by_id['smoke.cleanup_incomplete']
    assert {c['kind'] for c in cleaned['evidence']['removed']} == {'image', 'volume', 'server', 'floating_ip', 'snapshot'}
    assert leftover.name in [c['name'] for c in cleaned['evidence']['swept']]
    assert report['verdict'] == 'go'
    assert _probe_leftovers(conn) == {'server': [], 'volume': [], 'snapshot': [], 'image': [], 'floating_ip': []}


def test_check_mode_creates_nothing(lab, tmp_path):
    _report_, mine, _took, _out = _smoke(tmp_path / 'check', '--check')
    assert [(r['id'], r['status']) for r in mine] == [('smoke.step_failed', 'skipped')]
    assert _probe_leftovers(_conn())['image'] == []


def test_a_dead_l3_agent_fails_the_floating_ip_step_only(lab, tmp_path):
    try:
        _play(SABOTAGE, '-e', 'fault=l3_agent_stopped')
        report, mine, took, _out = _smoke(
            tmp_path / 'l3', '-e', 'check_smoke_step_timeout=20',
            '-e', '{"check_smoke_steps": ["image", "server", "floating_ip"]}')
    finally:
        _play(SABOTAGE, '-e', 'fault=l3_agent_stopped', '-e', 'undo=true')
    bad = [(r['id'], r['status'], r['evidence'].get('step')) for r in mine if r['status'] in NOT_OK]
    print('smoke with the L3 agent stopped in %.1fs: %s' % (took, [r['summary'] for r in mine if r['status'] in NOT_OK]))
    assert bad == [('smoke.step_failed', 'critical', 'floating_ip')], json.dumps(mine, indent=1)[:3000]
    hit = [r for r in mine if r['status'] == 'critical'][0]
    assert 'smoke step floating_ip failed after' in hit['summary'] and hit['evidence']['error']
    assert [s['step'] for s in hit['evidence']['steps'] if s['ok']] == ['image', 'server']
    assert report['verdict'] == 'no go'
    assert _probe_leftovers(_conn()) == {'server': [], 'volume': [], 'snapshot': [], 'image': [], 'floating_ip': []}
