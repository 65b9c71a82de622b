# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report: waivers, verdict, JSON / Markdown / JUnit rendering, the report action."""
import copy
import json
import os
import pathlib
import xml.etree.ElementTree as ET

import pytest
import yaml

from ansible_collections.stackdoctor.openstack.plugins.module_utils import report as rp
from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'results'
DATA = json.loads((FIXTURES / 'three_hosts.json').read_text())
WAIVERS = yaml.safe_load((FIXTURES / 'waivers.yml').read_text())
TODAY = '2026-06-15'
NOW = '2026-06-15T10:00:00Z'


def results():
    return copy.deepcopy(DATA['results'])


def build(waivers=None, gate='error', missing=None, res=None):
    return rp.build(results() if res is None else res, DATA['actions'], DATA['hosts'], waivers=waivers,
                    gate_severity=gate, title='Cloud <prod> & co', phase='diagnose', today=TODAY, now=NOW,
                    missing_hosts=missing)


def find(report, rid, host):
    return [r for r in report['results'] if r['id'] == rid and r['host'] == host]


# ------------------------------------------------------------------ waivers

def test_waiver_matches_id_pattern_and_host_pattern():
    out, extra, listing = rp.apply_waivers(results(), WAIVERS[:1], TODAY)
    waived = [r for r in out if r.get('waived')]
    assert [(r['id'], r['host'], r['status']) for r in waived] == [
        ('cinder.tgt_include_missing', 'volume-1', 'critical')]
    assert waived[0]['waiver']['reason'].startswith('CHG-1234')
    assert extra == []
    assert listing[0]['matched'] == 1 and listing[0]['state'] == 'active'


def test_waiver_does_not_touch_ok_results():
    out, dummy, listing = rp.apply_waivers(results(), [{'id': '*', 'reason': 'all', 'expires': TODAY}], TODAY)
    assert all(not r.get('waived') for r in out if r['status'] in ('ok', 'skipped'))
    assert listing[0]['matched'] == 3  # critical, warning, error


def test_waiver_host_pattern_must_match():
    out, extra, dummy = rp.apply_waivers(results(), WAIVERS[2:3], TODAY)
    assert not any(r.get('waived') for r in out)


def test_waiver_expiring_today_applies_yesterday_does_not():
    today = {'id': 'nova.service_down', 'reason': 'r', 'expires': TODAY}
    yesterday = {'id': 'nova.service_down', 'reason': 'r', 'expires': '2026-06-14'}
    out, extra, dummy = rp.apply_waivers(results(), [today], TODAY)
    assert find({'results': out}, 'nova.service_down', 'compute-1')[0].get('waived') is True
    assert extra == []
    out, extra, listing = rp.apply_waivers(results(), [yesterday], TODAY)
    assert not find({'results': out}, 'nova.service_down', 'compute-1')[0].get('waived')
    assert [(e['id'], e['status']) for e in extra] == [('stackdoctor.waiver_expired', 'warning')]
    assert 'nova.service_down' in extra[0]['summary'] and '2026-06-14' in extra[0]['summary']
    assert '*' in extra[0]['summary']  # the host pattern
    assert listing[0]['state'] == 'expired'


@pytest.mark.parametrize('waiver,needle', [
    ({'hosts': '*', 'reason': 'r', 'expires': '2099-01-01'}, "'id'"),
    ({'id': 'a.b', 'reason': 'r', 'expires': '31/12/2099'}, "'expires'"),
    ({'id': 'a.b', 'reason': 'r', 'expires': '2099-02-30'}, "'expires'"),
    ({'id': 'a.b', 'expires': '2099-01-01'}, "'reason'"),
    ({'id': 'a.b', 'reason': 'r', 'expires': '2099-01-01', 'host': 'x'}, 'unknown field'),
    ({'id': 'a.b', 'reason': 'r', 'expires': '2099-01-01', 'hosts': ['a']}, "'hosts'"),
    ('cinder.tgt_include_missing', 'must be a dict'),
    (None, 'must be a dict'),
])
def test_malformed_waiver_is_an_error_result(waiver, needle):
    out, extra, listing = rp.apply_waivers(results(), [waiver], TODAY)
    assert [(e['id'], e['status']) for e in extra] == [('stackdoctor.waiver_invalid', 'error')]
    assert needle in extra[0]['summary']
    assert listing == []


def test_waivers_not_a_list():
    dummy, extra, dummy2 = rp.apply_waivers(results(), {'id': 'x'}, TODAY)
    assert extra[0]['id'] == 'stackdoctor.waiver_invalid'


def test_fixture_waivers_together():
    report = build(WAIVERS)
    ids = sorted((r['id'], r['status']) for r in report['results'] if r['check'] == sd.INTERNAL_CHECK)
    assert ids == [('stackdoctor.waiver_expired', 'warning'), ('stackdoctor.waiver_invalid', 'error')]
    assert find(report, 'cinder.tgt_include_missing', 'volume-1')[0]['waived'] is True
    assert not find(report, 'nova.service_down', 'compute-1')[0].get('waived')


# ------------------------------------------------------------------ verdict

@pytest.mark.parametrize('gate,verdict,blocking', [
    ('critical', rp.NO_GO, ['cinder.tgt_include_missing']),
    ('error', rp.NO_GO, ['cinder.tgt_include_missing', 'nova.service_down']),
    ('warning', rp.NO_GO, ['cinder.tgt_include_missing', 'nova.service_down', 'nova.service_version_old']),
])
def test_verdict_per_gate_severity(gate, verdict, blocking):
    v, b = rp.verdict(results(), gate)
    assert v == verdict
    assert [x['id'] for x in b] == blocking
    assert set(b[0]) == {'id', 'host', 'status', 'check', 'summary'}


def test_verdict_go_when_only_below_gate_or_waived():
    rs = [r for r in results() if r['status'] != 'critical']
    assert rp.verdict(rs, 'critical')[0] == rp.GO
    waived = rp.apply_waivers(results(), [{'id': 'cinder.*', 'reason': 'r', 'expires': TODAY}], TODAY)[0]
    assert rp.verdict(waived, 'critical') == (rp.GO, [])
    assert rp.verdict(waived, 'error')[0] == rp.NO_GO
    assert rp.verdict([r for r in results() if r['status'] in ('ok', 'skipped')], 'warning') == (rp.GO, [])


def test_bad_gate_severity():
    with pytest.raises(ValueError):
        rp.verdict(results(), 'ok')


def test_missing_host_gets_error_result():
    report = build(missing=['compute-9'])
    r = find(report, 'stackdoctor.host_unreachable', 'compute-9')[0]
    assert r['status'] == 'error' and 'no results' in r['summary']
    assert {'id': r['id'], 'host': 'compute-9', 'status': 'error', 'check': 'stackdoctor',
            'summary': r['summary']} in report['blocking']


def test_counts_and_json():
    report = build(WAIVERS[:1])
    c = report['counts']
    assert (c['critical'], c['error'], c['warning'], c['ok'], c['skipped'], c['waived']) == (0, 1, 1, 2, 1, 1)
    assert c['total'] == 6 and c['hosts'] == 3 and c['checks'] == 2
    data = json.loads(rp.render_json(report))
    assert data['schema_version'] == sd.SCHEMA_VERSION
    assert data['verdict'] == rp.NO_GO and data['gate_severity'] == 'error'
    assert len(data['actions']) == 1 and data['waivers'][0]['matched'] == 1


# ------------------------------------------------------------------ markdown

def test_markdown_verdict_first_then_severity_order():
    md = rp.render_markdown(build(WAIVERS[:1] + [{'id': 'nova.x', 'reason': 'r', 'expires': '2000-01-01'}]))
    lines = md.splitlines()
    assert lines[0].startswith('# Cloud')
    first_content = [line for line in lines[1:] if line.strip()][0]
    assert first_content.startswith('**Verdict: NO GO**')
    heads = ('**Verdict', '| critical | error', '## Error', '## Warning', '## Waived', '## Actions taken',
             '## Passed and skipped')
    pos = dict((h, md.index(h)) for h in heads)
    assert sorted(pos, key=pos.get) == ['**Verdict', '| critical | error', '## Error', '## Warning',
                                        '## Waived', '## Actions taken', '## Passed and skipped']
    assert '## Critical' not in md  # the only critical is waived


def test_markdown_finding_details():
    md = rp.render_markdown(build())
    assert '\x01' not in md
    section = md[md.index('## Critical'):md.index('## Error')]
    assert 'on `volume-1`' in section
    assert '- file: `/etc/tgt/targets.conf`' in section
    assert 'Fix: run role `stackdoctor.openstack.fix_tgt_include`' in section
    assert 'ansible-playbook stackdoctor.openstack.remediate -e stackdoctor_fixes=fix_tgt_include' in section
    assert 'Reference: seed 000' in section
    # blocking list right under the verdict names id, host and summary
    head = md[:md.index('| critical | error')]
    assert '`cinder.tgt_include_missing` on `volume-1`' in head and '`nova.service_down` on `compute-1`' in head


def test_markdown_go_and_escaping():
    rs = [r for r in results() if r['status'] in ('ok', 'skipped', 'warning')]
    rs[0]['summary'] = 'pipe | and <b>html</b>'
    md = rp.render_markdown(build(res=rs))
    assert '**Verdict: GO**' in md
    assert '<b>' not in md
    table_rows = [line for line in md.splitlines() if line.startswith('| ok ')]
    assert table_rows and all(line.count(' | ') == 4 for line in table_rows)


# ------------------------------------------------------------------ junit

def test_junit_is_valid_one_case_per_check_and_host():
    report = build(WAIVERS[:1])
    root = ET.fromstring(rp.render_junit(report).encode('utf-8'))
    assert root.tag == 'testsuites'
    suites = root.findall('testsuite')
    checks = set(r['check'] for r in DATA['results'])
    assert set(s.get('name') for s in suites) == checks
    cases = root.iter('testcase')
    pairs = set((c.get('classname'), c.get('name')) for c in cases)
    assert len(pairs) == len(checks) * len(DATA['hosts'])
    assert int(root.get('tests')) == len(checks) * len(DATA['hosts'])


def test_junit_outcomes():
    root = ET.fromstring(rp.render_junit(build()).encode('utf-8'))

    def case(check, host):
        return [c for c in root.iter('testcase')
                if c.get('classname') == 'stackdoctor.openstack.' + check and c.get('name') == host][0]

    assert case('check_tgt_include', 'volume-1').find('failure') is not None
    assert case('check_tgt_include', 'volume-2').find('failure') is None
    assert case('check_tgt_include', 'compute-1').find('skipped') is not None
    assert case('check_nova_versions', 'compute-1').find('error') is not None
    warn = case('check_nova_versions', 'volume-2')
    assert warn.find('failure') is None and warn.find('error') is None
    assert 'old service version' in warn.find('system-out').text
    # escaping: < & > kept as text, control character replaced
    msg = case('check_nova_versions', 'compute-1').find('error').get('message')
    assert '<&>' in msg and '\x01' not in msg


def test_junit_waived_critical_passes():
    root = ET.fromstring(rp.render_junit(build(WAIVERS[:1])).encode('utf-8'))
    c = [c for c in root.iter('testcase') if c.get('name') == 'volume-1'
         and c.get('classname').endswith('check_tgt_include')][0]
    assert c.find('failure') is None and 'waived' in c.find('system-out').text


# ------------------------------------------------------------------ the action plugin

class _Shell(object):
    tmpdir = '/nonexistent'


class _Connection(object):
    _shell = _Shell()


class _HostVars(dict):
    pass


def _run_report(args, hostvars):
    from ansible.playbook.task import Task
    from ansible.playbook.play_context import PlayContext
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible_collections.stackdoctor.openstack.plugins.action.report import ActionModule

    task = Task()
    task.args = args
    loader = DataLoader()
    action = ActionModule(task, _Connection(), PlayContext(), loader, Templar(loader=loader), None)
    return action.run(task_vars={'inventory_hostname': 'localhost', 'hostvars': _HostVars(hostvars)})


def test_action_writes_files_and_reports_missing_hosts(tmp_path):
    by_host = {}
    for r in DATA['results']:
        by_host.setdefault(r['host'], []).append(r)
    hostvars = {
        'volume-1': {'ansible_facts': {'stackdoctor_results': by_host['volume-1'],
                                       'stackdoctor_actions': DATA['actions']}},
        'volume-2': {'stackdoctor_results': by_host['volume-2']},  # top-level variable also read
        'compute-1': {'stackdoctor_results': by_host['compute-1'] + ['garbage']},
        'down-1': {'inventory_hostname': 'down-1'},
        'localhost': {},
    }
    args = {'hosts': ['volume-1', 'volume-2', 'compute-1', 'down-1'], 'report_dir': str(tmp_path / 'r'),
            'waivers': WAIVERS, 'today': TODAY, 'gate_severity': 'critical', 'phase': 'test'}
    out = _run_report(args, hostvars)
    assert not out.get('failed'), out
    assert out['changed'] is True
    assert out['verdict'] == rp.GO  # the only critical is waived, the gate is critical
    assert out['blocking'] == []
    assert sorted(out['paths']) == ['history', 'html', 'json', 'junit', 'markdown']
    assert pathlib.Path(out['paths']['html']).read_text().startswith('<!DOCTYPE html>')
    assert out['paths']['history'] == str(tmp_path / 'r' / 'runs' / out['run_id'] / 'report.json')
    assert out['changes'] is None and out['changes_summary'] == 'no previous run of this profile'
    data = json.loads(pathlib.Path(out['paths']['json']).read_text())
    ids = set((r['id'], r['host']) for r in data['results'])
    assert ('stackdoctor.host_unreachable', 'down-1') in ids
    assert ('stackdoctor.invalid_result', 'compute-1') in ids
    assert data['phase'] == 'test' and len(data['actions']) == 1
    ET.parse(out['paths']['junit'])
    assert pathlib.Path(out['paths']['markdown']).read_text().startswith('# stackdoctor report')


def test_action_bad_args(tmp_path):
    out = _run_report({'hosts': ['a'], 'report_dir': str(tmp_path), 'gate_severity': 'ok'}, {})
    assert out['failed'] is True and 'gate_severity' in out['msg']
    out = _run_report({'hosts': ['a'], 'report_dir': str(tmp_path), 'today': 'tomorrow'}, {})
    assert out['failed'] is True and 'today' in out['msg']


# ------------------------------------------------------------------ cloud targets, runbooks, profile
def _cloud_report():
    res = [
        {'id': 'placement.orphaned_allocation', 'check': 'check_placement_allocations', 'host': 'cloud:prod',
         'status': 'warning', 'summary': 'consumer c1 holds VCPU=1 but nova has no such server',
         'evidence': {'consumer': 'c1', 'fix_vars': {'fix_placement_allocations_include_custom_resource_classes': True}},
         'fix': 'fix_placement_allocations',
         'reference': 'docs/checks/check_placement_allocations.md; https://docs.openstack.org/nova/latest/'},
        {'id': 'cinder.tgt_include_missing', 'check': 'check_tgt_include', 'host': 'vol-1', 'status': 'ok',
         'summary': 'fine', 'evidence': {}, 'fix': None, 'reference': 'docs/checks/check_tgt_include.md'},
    ]
    res = [sd.validate_result(r, stored=True) for r in res]
    return rp.build(res, [], ['controller', 'vol-1'], today='2026-01-01', profile='pre-upgrade')


def test_cloud_results_are_a_target_of_their_own():
    rep = _cloud_report()
    c = rep['counts']
    # the controller only ran the API check: targeted, not a checked node; the cloud is counted apart
    assert (c['hosts'], c['checked'], c['clouds']) == (2, 1, 1)
    md = rp.render_markdown(rep)
    assert '### `placement.orphaned_allocation` on cloud `prod`' in md
    assert '| cloud `prod` | warning |' in md and md.index('| cloud `prod`') < md.index('| `vol-1`')
    assert 'Hosts: 1 checked of 2 targeted; cloud: `prod`.' in md
    assert 'Profile: pre-upgrade.' in md and rep['profile'] == 'pre-upgrade'


def test_fix_line_of_a_cloud_result_has_no_limit_and_names_the_opt_in():
    md = rp.render_markdown(_cloud_report())
    line = [ln for ln in md.splitlines() if ln.startswith('- Fix:')][0]
    assert '--limit' not in line
    assert '-e fix_placement_allocations_include_custom_resource_classes=true' in line
    assert '- Runbook: docs/checks/check_placement_allocations.md' in md


# ------------------------------------------------------------------ set_stats (AWX artifacts)
def test_stats_carry_verdict_counts_and_blocking_results_bounded():
    res = []
    for i in range(150):
        r = copy.deepcopy(DATA['results'][0])
        r.update(id='cinder.tgt_include_missing', status='critical', host='volume-%03d' % i,
                 summary='x' * 500, fix='fix_tgt_include', evidence={'big': 'y' * 10000})
        res.append(r)
    report = rp.build(res, [], ['volume-%03d' % i for i in range(150)], today=TODAY, now=NOW)
    st = rp.stats(report, {'markdown': '/r/report.md'})
    assert st['stackdoctor_verdict'] == rp.NO_GO
    assert st['stackdoctor_blocking_total'] == 150 and st['stackdoctor_blocking_truncated'] is True
    assert len(st['stackdoctor_blocking']) == rp.STATS_BLOCKING_MAX
    first = st['stackdoctor_blocking'][0]
    assert set(first) == {'id', 'check', 'status', 'host', 'summary', 'fix'}
    assert len(first['summary']) <= sd.SUMMARY_MAX and first['fix'] == 'fix_tgt_include'
    assert st['stackdoctor_counts']['critical'] == 150
    assert st['stackdoctor_report_paths'] == {'markdown': '/r/report.md'}
    # bounded whatever the cloud: no evidence, 20 results of a few hundred bytes each
    assert len(json.dumps(st)) < 10000


def test_stats_go_and_limit():
    report = build(gate='critical', waivers=WAIVERS)
    st = rp.stats(report, limit=0)
    assert st['stackdoctor_blocking'] == [] and st['stackdoctor_blocking_truncated'] is (st['stackdoctor_blocking_total'] > 0)


def test_action_returns_stats(tmp_path):
    hostvars = {'volume-1': {'stackdoctor_results': [r for r in DATA['results'] if r['host'] == 'volume-1']},
                'localhost': {}}
    out = _run_report({'hosts': ['volume-1'], 'report_dir': str(tmp_path), 'today': TODAY,
                       'stats_blocking_limit': 1}, hostvars)
    assert out['stats']['stackdoctor_verdict'] == out['verdict']
    assert len(out['stats']['stackdoctor_blocking']) <= 1
    assert out['stats']['stackdoctor_blocking_total'] == len(out['blocking'])


def test_action_keeps_history_and_shows_changes(tmp_path):
    hv = {'volume-1': {'stackdoctor_results': [r for r in DATA['results'] if r['host'] == 'volume-1']},
          'localhost': {}}
    args = {'hosts': ['volume-1'], 'report_dir': str(tmp_path / 'a'), 'today': TODAY,
            'history_dir': str(tmp_path / 'h'), 'history_keep': 2}
    first = _run_report(args, hv)
    fixed = copy.deepcopy(hv)
    for r in fixed['volume-1']['stackdoctor_results']:
        r['status'] = 'ok'
    second = _run_report(dict(args, report_dir=str(tmp_path / 'b')), fixed)
    assert second['changes_since'] == first['run_id'] and second['changes']['fixed'] == 1
    assert 'since %s (test' % first['run_id'] in second['msg'] or '1 fixed' in second['changes_summary']
    md = pathlib.Path(second['paths']['markdown']).read_text()
    assert '**0 new, 1 fixed, 0 persist**' in md
    assert 'id="n-fixed">1 fixed' in pathlib.Path(second['paths']['html']).read_text()
    third = _run_report(dict(args, report_dir=str(tmp_path / 'c')), fixed)
    assert len(os.listdir(str(tmp_path / 'h'))) == 2 and third['changes']['fixed'] == 0
    off = _run_report(dict(args, report_dir=str(tmp_path / 'd'), history_keep=0), fixed)
    assert off['run_id'] is None and 'history' not in off['paths']
    assert 'Since the previous run' not in pathlib.Path(off['paths']['markdown']).read_text()


def test_report_diff_action(tmp_path):
    from ansible_collections.stackdoctor.openstack.plugins.action import report_diff
    hv = {'volume-1': {'stackdoctor_results': [r for r in DATA['results'] if r['host'] == 'volume-1']},
          'localhost': {}}
    args = {'hosts': ['volume-1'], 'report_dir': str(tmp_path / 'a'), 'today': TODAY}
    first = _run_report(args, hv)
    ok = copy.deepcopy(hv)
    for r in ok['volume-1']['stackdoctor_results']:
        r['status'] = 'ok'
    second = _run_report(args, ok)
    out = _run_action(report_diff.ActionModule, {'history_dir': str(tmp_path / 'a' / 'runs')})
    assert not out.get('failed'), out
    assert (out['old']['run_id'], out['new']['run_id']) == (first['run_id'], second['run_id'])
    assert out['counts']['fixed'] == 1 and out['lines'][-1].startswith('0 new, 1 fixed')
    back = _run_action(report_diff.ActionModule, {'history_dir': str(tmp_path / 'a' / 'runs'),
                                                  'old': second['run_id'], 'new': first['run_id']})
    assert back['counts']['new'] == 1
    bad = _run_action(report_diff.ActionModule, {'history_dir': str(tmp_path / 'nothing')})
    assert bad['failed'] and 'no run kept' in bad['msg']


def _run_action(cls, args):
    from ansible.playbook.task import Task
    from ansible.playbook.play_context import PlayContext
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    task = Task()
    task.args = args
    loader = DataLoader()
    return cls(task, _Connection(), PlayContext(), loader, Templar(loader=loader), None).run(task_vars={})
