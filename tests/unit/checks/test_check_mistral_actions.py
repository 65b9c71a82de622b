"""Unit tests of check_mistral_actions's evaluate() and of mistral_db_populate's argv and diff.

Facts: answers of the module mistral_definitions_info recorded on the lab (mistral 23.0.0,
mistral-extra 17.0.0): healthy; after the lab fault mistral_actions (definition tables emptied);
with [legacy_action_provider] load_action_generators = false; and with load_action_plugins = false
as well on the emptied tables (GET /v2/actions?limit=1 returned nothing).
"""
import json
import os

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base, mistral_actions
from ansible_collections.stackdoctor.openstack.plugins.modules import mistral_db_populate

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'mistral')


def recorded(name):
    with open(os.path.join(FIX, name + '.json')) as f:
        return json.load(f)


def run(read=None, error=None, **params):
    return base.finish(mistral_actions.DECLARATION,
                       mistral_actions.evaluate({'read': read, 'error': error}, params), params)


def by_id(results):
    return dict((r['id'], r) for r in results)


def test_a_healthy_mistral_gives_ok_only():
    results = run(recorded('healthy'))
    assert sorted((r['id'], r['status']) for r in results) == [
        ('mistral.openstack_actions_missing', 'ok'), ('mistral.preinstalled_missing', 'ok'),
        ('mistral.std_actions_missing', 'ok')]


def test_emptied_tables_name_what_populate_writes_and_the_fix():
    r = by_id(run(recorded('populate_missing')))
    pre = r['mistral.preinstalled_missing']
    assert pre['status'] == 'warning'
    assert pre['evidence']['missing_actions'] == ['std.wait_ssh']
    assert pre['evidence']['missing_workflows'] == ['create_instance', 'delete_instance']
    assert pre['fix'] == 'fix_mistral_actions'
    assert 'http://127.0.0.1:15006/v2' in pre['summary']
    assert r['mistral.std_actions_missing']['status'] == 'ok'
    assert r['mistral.openstack_actions_missing']['status'] == 'ok'


def test_without_mistral_extra_the_openstack_actions_are_named_and_not_fixable():
    r = by_id(run(recorded('no_openstack_actions')))
    os_missing = r['mistral.openstack_actions_missing']
    assert os_missing['status'] == 'warning'
    assert os_missing['evidence']['missing'] == ['nova.servers_list', 'cinder.volumes_list']
    assert not os_missing['fix']
    assert 'mistral-extra' in os_missing['summary']
    # mistral-extra's workflows are not expected without it: only std.wait_ssh is asked of populate
    assert r['mistral.preinstalled_missing']['evidence']['missing_workflows'] == []
    assert r['mistral.preinstalled_missing']['evidence']['missing_actions'] == ['std.wait_ssh']


def test_an_empty_action_list_is_one_critical_result():
    results = run(recorded('empty'))
    assert [(r['id'], r['status']) for r in results] == [('mistral.actions_empty', 'critical')]
    assert results[0]['fix'] == 'fix_mistral_actions'
    assert 'populate' in results[0]['summary']


def test_std_actions_missing_is_critical_and_lists_them():
    read = recorded('healthy')
    read['actions']['std.http']['present'] = False
    r = by_id(run(read))
    assert r['mistral.std_actions_missing']['status'] == 'critical'
    assert r['mistral.std_actions_missing']['evidence']['missing'] == ['std.http']


def test_no_mistral_in_the_catalog_is_skipped():
    assert [(r['id'], r['status']) for r in run({'catalog': False, 'calls': []})] == [
        ('mistral.actions_empty', 'skipped')]


def test_an_unreadable_api_is_an_error_not_a_finding():
    results = run(None, error='mistral GET http://127.0.0.1:15006/v2/actions?limit=1: Read timed out. (read timeout=30)')
    assert [(r['id'], r['status']) for r in results] == [('mistral.definitions_unreadable', 'error')]
    assert 'Read timed out' in results[0]['summary']


def test_site_lists_and_severity_apply():
    r = by_id(run(recorded('no_openstack_actions'), openstack_actions=[], preinstalled_actions=[],
                  preinstalled_workflows=[], severity={'mistral.preinstalled_missing': 'critical'}))
    assert r['mistral.openstack_actions_missing']['status'] == 'ok'
    assert r['mistral.preinstalled_missing']['status'] == 'ok'
    # without OpenStack actions to ask for, mistral-extra's workflows are expected (the site empties that list)
    r = by_id(run(recorded('no_openstack_actions'), openstack_actions=[]))
    assert r['mistral.preinstalled_missing']['evidence']['missing_workflows'] == ['create_instance', 'delete_instance']
    r = by_id(run(recorded('populate_missing'), severity={'mistral.preinstalled_missing': 'critical'}))
    assert r['mistral.preinstalled_missing']['status'] == 'critical'


@pytest.mark.parametrize('container,want', [
    (None, ['mistral-db-manage', '--config-file', '/etc/mistral/mistral.conf', 'populate']),
    ('mistral_api', ['docker', 'exec', 'mistral_api', 'mistral-db-manage', '--config-file',
                     '/etc/mistral/mistral.conf', 'populate']),
])
def test_populate_argv_on_the_host_or_in_the_container(container, want):
    assert mistral_db_populate.populate_argv('mistral-db-manage', '/etc/mistral/mistral.conf', container,
                                             'docker') == want


def test_populate_diff_names_each_missing_definition():
    d = mistral_db_populate.diff_of({'actions': ['std.wait_ssh'], 'workflows': ['create_instance']})
    assert d['before'] == 'action std.wait_ssh: missing\nworkflow create_instance: missing\n'
    assert d['after'] == 'action std.wait_ssh: defined\nworkflow create_instance: defined\n'
