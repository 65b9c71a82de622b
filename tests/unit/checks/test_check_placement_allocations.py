"""check_placement_allocations' evaluate() over the audit module's output, from exchanges
recorded against the real lab (tests/unit/fixtures/placement/, replayed as the module's unit
tests do)."""
import importlib.util
import json
import pathlib

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import placement as pl
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base, registry
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import placement_allocations as check

UNIT = pathlib.Path(__file__).resolve().parents[1]
FIX = UNIT / 'fixtures' / 'placement'


def _module_tests():
    spec = importlib.util.spec_from_file_location('_pl_tests', UNIT / 'modules' / 'test_placement_allocations.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def recorded():
    rec = json.loads((FIX / 'lab_audit.json').read_text())
    found = pl.audit(pl.Api(_module_tests().Replay(rec['exchanges'])), rec['params'])
    return rec['scenario'], pl.public(found)


def test_orphans_and_moved_become_warnings_with_the_fix(recorded):
    s, audit = recorded
    res = registry.evaluate('check_placement_allocations', {'placement_audit': audit}, {})
    by = dict((r['evidence']['consumer'], r) for r in res)
    orphan = by[s['orphan']['consumer']]
    assert orphan['id'] == 'placement.orphaned_allocation' and orphan['status'] == 'warning'
    assert orphan['fix'] == 'fix_placement_allocations' and orphan['check'] == 'check_placement_allocations'
    assert orphan['reference'].startswith('docs/checks/check_placement_allocations.md; https://')
    assert by[s['moved']['consumer']]['id'] == 'placement.moved_allocation'
    # left alone: a server in BUILD, a migration, a live server
    for guard in ('build', 'live'):
        assert s[guard]['consumer'] not in by
    assert all('_fault' not in r for r in res)


def test_custom_class_only_orphan_names_the_variable_that_removes_it(recorded):
    s, audit = recorded
    res = registry.evaluate('check_placement_allocations', {'placement_audit': audit}, {})
    custom = [r for r in res if r['evidence']['consumer'] == s['custom']['consumer']][0]
    assert custom['evidence']['custom_rc_only'] is True
    assert custom['evidence']['fix_vars'] == {check.CUSTOM_RC_VAR: True}
    plain = [r for r in res if r['evidence']['consumer'] == s['orphan']['consumer']][0]
    assert 'fix_vars' not in plain['evidence']
    res = registry.evaluate('check_placement_allocations', {'placement_audit': audit},
                            {'include_custom_resource_classes': True})
    custom = [r for r in res if r['evidence']['consumer'] == s['custom']['consumer']][0]
    assert 'fix_vars' not in custom['evidence']


def test_site_severity_applies_to_faults_only(recorded):
    dummy, audit = recorded
    res = registry.evaluate('check_placement_allocations', {'placement_audit': audit},
                            {'severity': {'placement.orphaned_allocation': 'critical'}})
    statuses = sorted(set((r['id'], r['status']) for r in res))
    assert ('placement.orphaned_allocation', 'critical') in statuses
    assert ('placement.moved_allocation', 'warning') in statuses


def test_a_failed_audit_is_one_error_line_and_the_full_text_in_evidence():
    msg = 'Failed to connect\nTraceback (most recent call last):\n  ... [Errno 111] Connection refused'
    res = check.evaluate({'placement_audit': None, 'error': msg}, {})
    assert [(r['id'], r['status'], r['fix']) for r in res] == [('placement.audit_aborted', 'error', None)]
    assert res[0]['summary'] == 'placement allocation audit failed: Failed to connect'
    assert res[0]['evidence']['message'] == msg


def test_an_aborted_audit_judges_nothing():
    res = registry.evaluate('check_placement_allocations',
                            {'placement_audit': {'aborted': 'nova_unavailable', 'abort_message': 'nova-api answered 503'}}, {})
    assert [(r['id'], r['status']) for r in res] == [('placement.audit_aborted', 'error')]


def test_a_clean_cloud_is_one_ok_result():
    res = registry.evaluate('check_placement_allocations', {'placement_audit': {
        'orphans': [], 'moved': [], 'skipped': [], 'summary': {'consumers': 4},
        'providers_checked': [{'name': 'compute-1'}, {'name': 'compute-2'}]}}, {})
    assert [(r['id'], r['status'], r['fix']) for r in res] == [('placement.orphaned_allocation', 'ok', None)]
    base.validate_declaration(check.DECLARATION, 'placement_allocations')
