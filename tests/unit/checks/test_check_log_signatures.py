"""check_log_signatures: the signature table over a node's logs through the layout (logs recorded on
the lab and from cinder: tests/unit/fixtures/logs/), the time window, and what each finding says to
run next."""
import pathlib
import shutil

from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import log_signatures, registry

LOGS = pathlib.Path(__file__).resolve().parent.parent / 'fixtures' / 'logs'


def _node(root):
    for src, dest in (('cinder-volume-seed000.log', '/var/log/cinder/cinder-volume.log'),
                      ('nova-scheduler-rabbit-restart.log', '/var/log/nova/nova-scheduler.log'),
                      ('nova-compute.log', '/var/log/nova/nova-compute.log')):
        p = root / dest.lstrip('/')
        p.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(str(LOGS / src), str(p))
    return root


def _facts(root, now):
    ctx = nfs.Context(root=str(root), params={})
    ctx.detected = layout_mod.detect(str(root))
    facts = nfs.gather(['log_signatures'], ctx)
    facts['log_signatures']['now'] = now
    return facts


def _by_file(results):
    out = {}
    for r in results:
        out.setdefault(r['evidence'].get('file'), []).append(r)
    return out


def test_rows_per_service():
    assert '1a' in ha_facts.signature_rows('cinder-volume') and '4a' not in ha_facts.signature_rows('cinder-volume')
    assert '3b' in ha_facts.signature_rows('nova-conductor') and '11a' in ha_facts.signature_rows('glance-api')
    assert ha_facts.signature_rows('nova-compute')[:3] == ['4a', '4b', '4c']


def test_gather_one_entry_per_log_with_times(tmp_path):
    facts = _facts(_node(tmp_path), '2026-12-01 10:00:00')['log_signatures']
    by = dict((l['file'], l) for l in facts['logs'])
    assert set(by) == {'/var/log/cinder/cinder-volume.log', '/var/log/nova/nova-scheduler.log',
                       '/var/log/nova/nova-compute.log'}
    sched = by['/var/log/nova/nova-scheduler.log']
    assert sched['services'] == ['nova-scheduler']
    assert sched['signatures']['11a']['count'] >= 4
    assert sched['signatures']['11a']['times'][0] == '2026-12-01 06:17:21'
    assert '11b' in sched['signatures']          # the reconnection line is recorded too
    assert by['/var/log/cinder/cinder-volume.log']['signatures']['1h']['last_time'].startswith('2024-03-12')


def test_window_keeps_recent_lines_and_names_the_next_check(tmp_path):
    results = registry.evaluate('check_log_signatures', _facts(_node(tmp_path), '2026-12-01 10:00:00'))
    by = _by_file(results)
    sched = by['/var/log/nova/nova-scheduler.log']
    fault = [r for r in sched if r['status'] == 'warning']
    assert [r['evidence']['signature'] for r in fault] == ['11a']
    assert fault[0]['evidence']['next_check'] == 'check_messaging'
    assert fault[0]['summary'].endswith('-> run check_messaging')
    assert 'in 24 h' in fault[0]['summary'] and fault[0]['evidence']['last_time'].startswith('2026-12-01 06:1')
    info = [r for r in sched if r['evidence'].get('signature') == '11b']
    assert info and info[0]['status'] == 'ok'
    # the 2024 cinder and nova-compute lines are outside 24 h: ok, listed as older
    cinder = by['/var/log/cinder/cinder-volume.log']
    assert [r['status'] for r in cinder] == ['ok'] and '1h (last 2024-03-12' in cinder[0]['summary']


def test_a_wide_window_reports_the_old_faults_with_their_fix(tmp_path):
    facts = _facts(_node(tmp_path), '2026-12-01 10:00:00')
    results = registry.evaluate('check_log_signatures', facts, {'window_hours': 24 * 365 * 3})
    by = _by_file(results)
    cinder = [r for r in by['/var/log/cinder/cinder-volume.log'] if r['status'] == 'warning']
    assert [r['evidence']['signature'] for r in cinder] == ['1h']
    assert cinder[0]['evidence']['next_fix'] == 'fix_tgt_include'
    assert 'run check_tgt_include then fix_tgt_include' in cinder[0]['summary']
    compute = [r['evidence']['signature'] for r in by['/var/log/nova/nova-compute.log'] if r['status'] == 'warning']
    assert compute == ['4a', '4b', '4c']
    assert all(r['fix'] is None for r in results)


def test_unreadable_and_nothing():
    facts = {'log_signatures': {'now': '2026-12-01 10:00:00', 'logs': [
        {'file': '/var/log/nova/nova-api.log', 'services': ['nova-api'],
         'error': {'message': 'cannot read: Permission denied'}}]}}
    res = log_signatures.evaluate(facts)
    assert [(r['id'], r['status']) for r in res] == [('logs.unreadable', 'warning')]
    assert [r['status'] for r in log_signatures.evaluate({'log_signatures': {'logs': []}})] == ['skipped']
    assert [r['status'] for r in log_signatures.evaluate({})] == ['error']
