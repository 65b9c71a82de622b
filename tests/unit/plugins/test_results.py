# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The result contract: validation, masking, severity, replace semantics, finding action."""
import re

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd

GOOD = {
    'id': 'cinder.tgt_include_missing', 'check': 'check_tgt_include', 'status': 'critical',
    'summary': 'tgt does not include the cinder volumes dir',
    'evidence': {'file': '/etc/tgt/targets.conf', 'backend': 'lvm-1'},
    'fix': 'fix_tgt_include', 'reference': 'seed 000',
}


def res(**changes):
    r = dict(GOOD)
    r.update(changes)
    return r


def test_valid_result_is_normalised_and_stamped():
    r = sd.validate_result(res(summary='  two   spaces  '), host='volume-1')
    assert r['host'] == 'volume-1'
    assert r['summary'] == 'two spaces'
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', r['time'])
    assert set(r) == {'id', 'check', 'host', 'status', 'summary', 'evidence', 'fix', 'reference', 'time'}


def test_optional_fields_default():
    r = sd.validate_result({'id': 'a.b', 'status': 'ok', 'summary': 'fine'}, host='h', default_check='check_x')
    assert r['check'] == 'check_x'
    assert r['evidence'] == {} and r['fix'] is None and r['reference'] is None


@pytest.mark.parametrize('field,value,needle', [
    ('id', 'Cinder.Bad', "'id'"),
    ('id', 'nodot', "'id'"),
    ('id', None, "'id'"),
    ('status', 'fatal', "'status'"),
    ('status', None, "'status'"),
    ('summary', '', "'summary'"),
    ('summary', '   ', "'summary'"),
    ('evidence', ['a'], "'evidence'"),
    ('fix', 'Fix Me', "'fix'"),
    ('check', 'bad check', "'check'"),
])
def test_invalid_fields_name_host_and_field(field, value, needle):
    with pytest.raises(sd.ResultError) as err:
        sd.validate_results([res(), res(**{field: value})], host='volume-7')
    msg = str(err.value)
    assert 'volume-7' in msg
    assert needle in msg
    assert 'result 1' in msg


def test_unknown_field_rejected():
    with pytest.raises(sd.ResultError, match='unknown field.*severity'):
        sd.validate_result(res(severity='high'), host='h')


def test_not_a_dict_or_list():
    with pytest.raises(sd.ResultError, match='host h'):
        sd.validate_result('critical', host='h')
    with pytest.raises(sd.ResultError, match="'results' must be a list"):
        sd.validate_results({'id': 'a.b'}, host='h')


def test_missing_check_without_default():
    r = res()
    del r['check']
    with pytest.raises(sd.ResultError, match="'check'"):
        sd.validate_result(r, host='h')


def test_evidence_is_masked():
    r = sd.validate_result(res(evidence={
        'password': 'hunter2', 'transport_url': 'rabbit://openstack:s3cret@ctl:5672/',
        'line': 'admin_password = topsecret', 'nested': {'auth_token': 'abc'}, 'file': '/etc/x'}), host='h')
    text = repr(r['evidence'])
    for secret in ('hunter2', 's3cret', 'topsecret', "'abc'"):
        assert secret not in text
    assert r['evidence']['file'] == '/etc/x'


def test_severity_order():
    assert sd.severity('ok') == sd.severity('skipped') == 0
    assert sd.severity('ok') < sd.severity('warning') < sd.severity('error') < sd.severity('critical')
    assert sd.severity('nonsense') == sd.severity('error')


def test_replace_semantics_per_check_and_host():
    old = sd.validate_results([res(), res(id='cinder.other', status='ok', summary='x')], host='h1')
    other_check = sd.validate_results([res(id='nova.x', check='check_nova', status='ok', summary='y')], host='h1')
    merged = sd.merge_results(old, other_check)
    assert [r['id'] for r in merged] == ['cinder.tgt_include_missing', 'cinder.other', 'nova.x']
    rerun = sd.validate_results([res(status='ok', summary='fixed')], host='h1')
    merged = sd.merge_results(merged, rerun)
    # both old check_tgt_include results are gone, replaced by the single new one
    assert [(r['id'], r['status']) for r in merged] == [('nova.x', 'ok'), ('cinder.tgt_include_missing', 'ok')]


def test_replace_does_not_touch_other_hosts_results():
    a = sd.validate_results([res()], host='h1')
    b = sd.validate_results([res(status='ok', summary='fine')], host='h2')
    merged = sd.merge_results(a, b)
    assert len(merged) == 2


def test_empty_new_results_keep_previous():
    old = sd.validate_results([res()], host='h1')
    assert sd.merge_results(old, []) == old
    assert sd.merge_results(None, []) == []


def test_actions_validated_masked_appended():
    acts = sd.validate_actions([{'fix': 'fix_tgt_include', 'summary': 'added include', 'changed': 'yes',
                                 'details': {'password': 'x', 'file': '/etc/tgt/targets.conf'}}], host='h')
    assert acts[0]['changed'] is True and acts[0]['host'] == 'h'
    assert acts[0]['details']['password'] != 'x'
    assert len(sd.merge_actions(acts, acts)) == 2
    with pytest.raises(sd.ResultError, match="'fix'"):
        sd.validate_actions([{'summary': 'x'}], host='h')
    with pytest.raises(sd.ResultError, match="'changed'"):
        sd.validate_actions([{'fix': 'fix_a', 'summary': 'x', 'changed': 'maybe'}], host='h')


def test_stored_results_accept_report_fields():
    r = sd.validate_result(res(time='2026-01-01T00:00:00Z', waived=True, waiver={'id': 'x'}),
                           host='h', stored=True)
    assert r['time'] == '2026-01-01T00:00:00Z' and r['waived'] is True
    with pytest.raises(sd.ResultError):
        sd.validate_result(res(time='2026-01-01T00:00:00Z'), host='h')


def test_format_line_and_sort():
    rs = sd.validate_results([res(status='ok', id='a.a', summary='s'), res(status='critical', id='b.b'),
                              res(status='warning', id='c.c', summary='w')], host='h')
    assert [r['status'] for r in sorted(rs, key=sd.sort_key)] == ['critical', 'warning', 'ok']
    assert sd.format_line(rs[1]).startswith('critical b.b: ')


# ------------------------------------------------------------- the action plugin

class _Shell(object):
    tmpdir = '/nonexistent'  # the finding action never uses it: no remote call


class _Connection(object):
    _shell = _Shell()


class _Role(object):
    def get_name(self, include_role_fqcn=True):
        return 'stackdoctor.openstack.check_role' if include_role_fqcn else 'check_role'


def _run_finding(args, task_vars=None, role=None, check_mode=False):
    from ansible.playbook.task import Task
    from ansible.playbook.play_context import PlayContext
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible_collections.stackdoctor.openstack.plugins.action.finding import ActionModule

    task = Task()
    task.args = args
    task.check_mode = check_mode
    task._role = role
    ctx = PlayContext()
    ctx.check_mode = check_mode
    loader = DataLoader()
    action = ActionModule(task, _Connection(), ctx, loader, Templar(loader=loader), None)
    tv = {'inventory_hostname': 'volume-1'}
    tv.update(task_vars or {})
    return action.run(task_vars=tv)


def test_action_records_and_replaces():
    first = _run_finding({'check': 'check_tgt_include', 'results': [res(), res(id='cinder.x', status='ok', summary='o')]})
    assert not first.get('failed'), first
    assert first['changed'] is False
    facts = first['ansible_facts']
    assert [r['host'] for r in facts['stackdoctor_results']] == ['volume-1', 'volume-1']
    assert 'critical cinder.tgt_include_missing: ' in first['msg']
    second = _run_finding({'id': 'cinder.tgt_include_missing', 'check': 'check_tgt_include', 'status': 'ok',
                           'summary': 'fixed'}, task_vars={'ansible_facts': facts})
    assert [(r['id'], r['status']) for r in second['ansible_facts']['stackdoctor_results']] == [
        ('cinder.tgt_include_missing', 'ok')]


def test_action_fails_with_host_and_field():
    out = _run_finding({'results': [res(status='fatal')]})
    assert out['failed'] is True
    assert 'volume-1' in out['msg'] and "'status'" in out['msg']


def test_action_check_defaults_to_role_and_works_in_check_mode():
    out = _run_finding({'id': 'a.b', 'status': 'ok', 'summary': 'fine'}, role=_Role(), check_mode=True)
    assert not out.get('failed'), out
    assert out['ansible_facts']['stackdoctor_results'][0]['check'] == 'check_role'


def test_action_actions_and_empty_call():
    prev = {'stackdoctor_results': [dict(sd.validate_result(res(), host='volume-1'))]}
    out = _run_finding({'actions': [{'fix': 'fix_tgt_include', 'summary': 'did it', 'changed': True}]},
                       task_vars={'stackdoctor_results': prev['stackdoctor_results']})
    assert len(out['ansible_facts']['stackdoctor_results']) == 1
    assert out['ansible_facts']['stackdoctor_actions'][0]['fix'] == 'fix_tgt_include'
    empty = _run_finding({})
    assert empty['ansible_facts'] == {'stackdoctor_results': [], 'stackdoctor_actions': []}


def test_action_rejects_results_with_single_fields():
    out = _run_finding({'results': [res()], 'id': 'a.b'})
    assert out['failed'] is True and 'volume-1' in out['msg']
