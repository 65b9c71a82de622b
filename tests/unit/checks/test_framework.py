"""The pair framework: declarations, the result builder, the registry, selection, the fix plan
and the fix frame's open/still-open logic (plugins/module_utils/checks/)."""
import copy

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base, registry, selection
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import tgt_include

DECL = tgt_include.DECLARATION
REG = {
    'check_tgt_include': {'scope': 'host', 'groups': ['storage'], 'subsets': ['layout', 'cinder', 'tgt'],
                          'fix': 'fix_tgt_include', 'profiles': ['pre-upgrade', 'periodic']},
    'check_placement_allocations': {'scope': 'cloud', 'groups': ['computes'], 'subsets': ['nova_compute_log'],
                                    'fix': 'fix_placement_allocations', 'profiles': ['pre-upgrade']},
    'check_everywhere': {'scope': 'host', 'groups': [], 'subsets': ['disk'], 'fix': None,
                         'profiles': ['periodic']},
}


# ------------------------------------------------------------------ declarations
def test_registered_declarations_are_valid():
    decls = registry.declarations()
    assert list(decls)[:2] == ['check_tgt_include', 'check_placement_allocations']
    assert sorted(decls) == sorted('check_' + c for c in registry.CHECKS)
    assert registry.playbook_registry()['check_tgt_include']['doc'] == 'docs/checks/check_tgt_include.md'


@pytest.mark.parametrize('mutate, message', [
    (lambda d: d.pop('runbook'), "missing key 'runbook'"),
    (lambda d: d.update(scope='cluster'), 'scope must be one of'),
    (lambda d: d.update(profiles=['nightly']), 'profiles must be'),
    (lambda d: d.update(fix='repair_tgt'), 'fix must be None or fix_'),
    (lambda d: d['findings'].update({'Bad Id': {'severity': 'warning', 'title': 'x'}}), 'must be <service>.<fault>'),
    (lambda d: d['findings']['cinder.tgt_not_running'].update(severity='fatal'), 'needs severity'),
    (lambda d: d.update(references=['seed 000']), 'not a public source'),
    (lambda d: d['runbook'].update(verify=''), 'runbook misses verify'),
    (lambda d: d.update(extra=1), 'unknown key'),
])
def test_malformed_declarations_are_refused_with_the_reason(mutate, message):
    d = copy.deepcopy(DECL)
    mutate(d)
    with pytest.raises(base.DeclarationError, match=message):
        base.validate_declaration(d, 'tgt_include')


def test_declaration_name_must_match_its_module():
    with pytest.raises(base.DeclarationError, match='does not match its module'):
        base.validate_declaration(DECL, 'other')


# ------------------------------------------------------------------ results
def test_fault_takes_the_declared_severity_and_the_fix():
    r = base.result(DECL, 'cinder.tgt_not_running', base.FAULT, 'tgt stopped', {'backend': 'lvm'})
    assert (r['status'], r['fix'], r['check']) == ('critical', 'fix_tgt_include', 'check_tgt_include')
    assert r['reference'].split('; ')[0] == 'docs/checks/check_tgt_include.md'
    done = base.finish(DECL, [r], {'severity': {'cinder.tgt_not_running': 'warning'}})
    assert (done[0]['status'], done[0]['fix']) == ('warning', 'fix_tgt_include') and '_fault' not in done[0]
    done = base.finish(DECL, [r], {'severity': {'cinder.tgt_not_running': 'error'}})
    assert (done[0]['status'], done[0]['fix']) == ('error', None)


def test_fixed_statuses_are_not_overridden_and_carry_no_fix():
    ok = base.result(DECL, 'cinder.tgt_include_missing', 'ok', 'fine')
    err = base.result(DECL, 'cinder.tgt_include_missing', 'error', 'cannot read')
    done = base.finish(DECL, [ok, err], {'severity': {'cinder.tgt_include_missing': 'warning'}})
    assert [(r['status'], r['fix']) for r in done] == [('ok', None), ('error', None)]


def test_unfixable_finding_has_no_fix_and_undeclared_findings_are_refused():
    r = base.result(DECL, 'cinder.iscsi_helper_ignored', base.FAULT, 'ignored')
    assert (r['status'], r['fix']) == ('warning', None)
    with pytest.raises(base.DeclarationError, match='not declared'):
        base.result(DECL, 'cinder.something_else', base.FAULT, 'x')


def test_registry_evaluate_runs_a_check_by_name_and_applies_severities():
    facts = {'cinder': {'found': True, 'config_file': '/etc/cinder/cinder.conf', 'backends': {
        'lvm': {'is_lvm': True, 'target_helper': 'tgtadm', 'volumes_dir': '/var/lib/cinder/volumes'}}},
        'tgt': {'installed': True, 'running': False, 'includes': [{'pattern': '/var/lib/cinder/volumes/*'}]}}
    res = registry.evaluate('check_tgt_include', facts, {'severity': {'cinder.tgt_not_running': 'warning'}})
    assert [(r['id'], r['status']) for r in res] == [('cinder.tgt_not_running', 'warning')]
    with pytest.raises(KeyError, match='unknown check'):
        registry.evaluate('check_nothing', {}, {})


# ------------------------------------------------------------------ selection
def test_select_by_groups_and_scope():
    s = selection.select(REG, None, ['storage'])
    assert s['host'] == ['check_tgt_include', 'check_everywhere']
    assert s['cloud'] == ['check_placement_allocations']
    # cloud checks run once per play, but read node facts only on hosts of their groups
    assert s['subsets'] == ['layout', 'cinder', 'tgt', 'disk']
    s = selection.select(REG, 'check_placement_allocations, check_tgt_include', ['computes'])
    assert (s['host'], s['cloud'], s['subsets']) == ([], ['check_placement_allocations'], ['layout', 'nova_compute_log'])


def test_select_by_profile():
    s = selection.select(REG, None, ['storage', 'computes'], 'pre-upgrade')
    assert (s['host'], s['cloud']) == (['check_tgt_include'], ['check_placement_allocations'])
    assert s['excluded'] == ['check_everywhere']
    s = selection.select(REG, ['check_everywhere', 'check_tgt_include'], ['storage'], 'periodic')
    assert s['host'] == ['check_everywhere', 'check_tgt_include']
    # a known profile no registered check belongs to selects nothing (and says what it left out)
    s = selection.select(REG, None, ['storage'], 'post-deploy')
    assert (s['host'], s['cloud'], s['excluded']) == ([], [], list(REG))


@pytest.mark.parametrize('requested, profile, message', [
    (['check_nope'], None, 'unknown check'),
    (None, 'nightly', 'unknown profile'),
])
def test_select_refuses_unknown_names(requested, profile, message):
    with pytest.raises(selection.SelectionError, match=message):
        selection.select(REG, requested, [], profile)


def test_empty_request_means_every_check():
    assert selection.select(REG, '', [])['requested'] == list(REG)
    assert selection.select(REG, [' ', ''], [])['requested'] == list(REG)


# ------------------------------------------------------------------ fix plan
RESULTS = [
    {'id': 'cinder.tgt_include_missing', 'check': 'check_tgt_include', 'status': 'critical', 'fix': 'fix_tgt_include'},
    {'id': 'cinder.tgt_not_running', 'check': 'check_tgt_include', 'status': 'critical', 'fix': 'fix_tgt_include'},
    {'id': 'placement.orphaned_allocation', 'check': 'check_placement_allocations', 'status': 'warning',
     'fix': 'fix_placement_allocations'},
    {'id': 'x.ok', 'check': 'check_everywhere', 'status': 'ok', 'fix': None},
    {'id': 'x.err', 'check': 'check_tgt_include', 'status': 'error', 'fix': 'fix_tgt_include'},
]


def test_fix_plan_one_entry_per_fix_in_result_order():
    plan = selection.fix_plan(RESULTS, REG, ['check_tgt_include', 'check_placement_allocations'])
    assert [(p['fix'], p['role'], p['results']) for p in plan] == [
        ('fix_tgt_include', 'stackdoctor.openstack.fix_tgt_include', 2),
        ('fix_placement_allocations', 'stackdoctor.openstack.fix_placement_allocations', 1)]


def test_fix_plan_respects_selection_allowed_and_role_overrides():
    assert [p['fix'] for p in selection.fix_plan(RESULTS, REG, ['check_placement_allocations'])] == ['fix_placement_allocations']
    assert [p['fix'] for p in selection.fix_plan(RESULTS, REG, list(REG), 'fix_tgt_include')] == ['fix_tgt_include']
    assert selection.fix_plan(RESULTS, REG, list(REG), []) == []
    reg = dict(REG, check_tgt_include=dict(REG['check_tgt_include'], fix_role='my.fix'))
    assert selection.fix_plan(RESULTS, reg, list(REG))[0]['role'] == 'my.fix'
    with pytest.raises(selection.SelectionError, match='unknown fix'):
        selection.fix_plan(RESULTS, REG, list(REG), ['fix_everything'])


# ------------------------------------------------------------------ fix frame
def _r(rid, status, **ev):
    return {'id': rid, 'check': 'check_tgt_include', 'host': 'vol-1', 'status': status,
            'fix': 'fix_tgt_include' if status in ('warning', 'critical') else None, 'evidence': ev}


def test_open_results_of_one_check_and_fix():
    rs = [_r('cinder.tgt_include_missing', 'critical', backend='a'), _r('cinder.tgt_include_missing', 'ok', backend='b'),
          dict(_r('cinder.tgt_not_running', 'critical', backend='a'), host='vol-2')]
    assert len(selection.open_results(rs, 'check_tgt_include', 'fix_tgt_include')) == 2
    assert len(selection.open_results(rs, 'check_tgt_include', 'fix_tgt_include', 'vol-1')) == 1
    assert selection.open_results(rs, 'check_other') == []


def test_still_open_compares_identities_and_respects_what_the_fix_handled():
    ident = {'cinder.tgt_include_missing': ['backend']}
    before = [_r('cinder.tgt_include_missing', 'critical', backend='a'),
              _r('cinder.tgt_include_missing', 'critical', backend='b')]
    fixed = [_r('cinder.tgt_include_missing', 'ok', backend='a'), _r('cinder.tgt_include_missing', 'ok', backend='b')]
    assert selection.still_open(before, fixed, ident) == []
    half = [_r('cinder.tgt_include_missing', 'ok', backend='a'), _r('cinder.tgt_include_missing', 'critical', backend='b')]
    assert [r['evidence']['backend'] for r in selection.still_open(before, half, ident)] == ['b']
    # the fix handled only backend a (a cap, an opt-in left off): b staying open is not a failure
    handled = [selection.result_key(before[0], ['backend'])]
    assert selection.still_open(before, half, ident, handled) == []
    # a new fault the fix did not act on is not its failure either
    new = [_r('cinder.tgt_include_missing', 'critical', backend='c')]
    assert selection.still_open(before, new, ident) == []


# ------------------------------------------------------------------ the evaluate action's parameters
def test_check_params_come_from_the_declared_variables_or_their_defaults():
    from ansible_collections.stackdoctor.openstack.plugins.action.evaluate import check_params
    assert check_params(DECL, {}) == {'log_limit': 5, 'severity': {}}
    got = check_params(DECL, {'check_tgt_include_log_lines': 2,
                              'check_tgt_include_severity': {'cinder.tgt_not_running': 'warning'},
                              'check_other_log_lines': 9})
    assert got == {'log_limit': 2, 'severity': {'cinder.tgt_not_running': 'warning'}}


def test_params_must_name_a_variable_of_the_check():
    d = copy.deepcopy(DECL)
    d['params'] = {'log_limit': {'var': 'log_lines', 'default': 5}}
    with pytest.raises(base.DeclarationError, match='needs var'):
        base.validate_declaration(d, 'tgt_include')


def test_bulk_and_role_checks_are_told_apart():
    reg = dict(REG)
    reg['check_tgt_include'] = dict(REG['check_tgt_include'], facts_only=True)
    reg['check_everywhere'] = dict(REG['check_everywhere'], facts_only=True, role='my.role')
    s = selection.select(reg, None, ['storage'])
    assert (s['bulk'], s['roles']) == (['check_tgt_include'], ['check_everywhere'])
    assert registry.playbook_registry()['check_tgt_include']['facts_only'] is True
    assert registry.playbook_registry()['check_placement_allocations']['facts_only'] is False


def test_a_host_not_reached_or_without_facts_is_one_error_result_and_nothing_else():
    from ansible_collections.stackdoctor.openstack.plugins.action.evaluate import down_result
    # facts came back (or gathering was skipped): evaluate as usual
    assert down_result({'changed': False, 'ansible_facts': {'stackdoctor_node_facts': {}}}) is None
    assert down_result({'skipped': True}) is None
    assert down_result(None) is None
    r = down_result({'unreachable': True, 'msg': 'Failed to connect to the host via ssh: timed out\nmore'})
    assert (r['id'], r['status'], r['check']) == ('stackdoctor.host_unreachable', 'error', 'stackdoctor')
    assert r['summary'] == 'host unreachable: Failed to connect to the host via ssh: timed out'
    assert 'more' in r['evidence']['msg']
    r = down_result({'failed': True, 'module_stderr': 'Traceback ...\nSyntaxError', 'msg': ''})
    assert r['id'] == 'stackdoctor.facts_failed' and r['summary'].startswith('node facts could not be gathered: Traceback')
    assert len(down_result({'failed': True, 'msg': 'x' * 5000})['evidence']['msg']) == 2000
