# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_mistral_actions: mistral's action list empty, std.* or OpenStack actions missing, the
pre-installed definitions that ``mistral-db-manage populate`` writes missing (declaration + evaluate).

The role asks mistral's API (module ``mistral_definitions_info``) for one page of the action list
and for the named actions and workflows. What is expected, per release (sources cited in the
declaration): the ``std.*`` actions come from the ``mistral.actions`` entry points of mistral's
setup.cfg (database rows before Wallaby, loaded by ``LegacyActionProvider`` since 11.0.0 when
``[legacy_action_provider] load_action_plugins``); ``std.wait_ssh`` is the ad-hoc action of
``mistral/resources/actions/wait_ssh.yaml`` and ``create_instance`` / ``delete_instance`` the
workflows mistral-extra registers through the ``mistral.preinstalled_workflows`` entry point: both
are written to the database by ``populate`` (``action_manager.sync_db``, ``workflows.sync_db``);
``nova.*`` / ``cinder.*`` come from mistral-extra's generators (since Ussuri, 10.0.0).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

EMPTY = 'mistral.actions_empty'
STD = 'mistral.std_actions_missing'
PREINSTALLED = 'mistral.preinstalled_missing'
OPENSTACK = 'mistral.openstack_actions_missing'
UNREADABLE = 'mistral.definitions_unreadable'

DECLARATION = {
    'name': 'check_mistral_actions',
    'title': "mistral's action list empty or without std.* actions, the definitions `mistral-db-manage "
             "populate` writes missing, OpenStack actions (mistral-extra) missing",
    'scope': 'cloud',
    'groups': ['controllers'],
    'subsets': [],
    'apis': [
        'workflowv2 GET /v2/actions?limit=1, /v2/actions/{name}, /v2/workflows/{name}',
    ],
    'fix': 'fix_mistral_actions',
    'params': {
        'std_actions': {'var': 'check_mistral_actions_std_actions',
                        'default': ['std.echo', 'std.http', 'std.noop', 'std.fail', 'std.ssh']},
        'preinstalled_actions': {'var': 'check_mistral_actions_preinstalled_actions', 'default': ['std.wait_ssh']},
        'preinstalled_workflows': {'var': 'check_mistral_actions_preinstalled_workflows',
                                   'default': ['create_instance', 'delete_instance']},
        'openstack_actions': {'var': 'check_mistral_actions_openstack_actions',
                              'default': ['nova.servers_list', 'cinder.volumes_list']},
    },
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        EMPTY: {'severity': 'critical',
                'title': "mistral's action list is empty: every workflow task that names an action fails"},
        STD: {'severity': 'critical',
              'title': 'std.* actions (std.echo, std.http, ...) are missing from the action list'},
        PREINSTALLED: {'severity': 'warning',
                       'title': 'the pre-installed definitions `mistral-db-manage populate` writes (std.wait_ssh, '
                                "mistral-extra's create_instance / delete_instance workflows) are missing"},
        OPENSTACK: {'severity': 'warning', 'fixable': False,
                    'title': 'OpenStack actions (nova.*, cinder.*) are missing: mistral-extra is not installed '
                             'or its generators are not loaded'},
        UNREADABLE: {'severity': 'error', 'fixable': False,
                     'title': "mistral's API could not be read (down, timeout, credentials): nothing was judged"},
    },
    'references': [
        'https://docs.openstack.org/mistral/latest/admin/install/install.html (mistral-db-manage upgrade head, '
        'populate)',
        'mistral/db/sqlalchemy/migration/cli.py (do_populate: action_manager.sync_db() + workflows.sync_db())',
        'mistral/services/action_manager.py (_register_preinstalled_adhoc_actions: resources/actions/*.yaml)',
        'mistral/services/workflows.py (register_preinstalled_workflows: entry point mistral.preinstalled_workflows)',
        'mistral commit 8bdf341a, 10.0.0 Ussuri: "Remove OpenStack actions from mistral" (moved to mistral-extra)',
        'mistral commit 06a0f334, 11.0.0 Wallaby: "Refactor Mistral with Action Providers"; mistral/config.py '
        '[legacy_action_provider] load_action_plugins, load_action_generators, only_builtin_actions',
        'https://docs.openstack.org/api-ref/workflow/ (GET /v2/actions, /v2/workflows)',
    ],
    'runbook': {
        'symptom': (
            "`openstack action definition list` prints nothing, or no std.* / nova.* rows; workflows fail at "
            "their first task with \"Failed to find action [action_name=std.echo]\" or \"Workflow not found\" "
            "(a TripleO undercloud before Wallaby: every deployment workflow)."),
        'cause': (
            "Up to Victoria (mistral 10.x) every action, std.* included, was a row of action_definitions_v2 "
            "that `mistral-db-manage populate` writes: a database restored without it, or a deployment that "
            "skipped the step, leaves the list empty. Since Wallaby (11.0.0) std.* come from the "
            "`mistral.actions` entry points at runtime ([legacy_action_provider] load_action_plugins) and "
            "populate writes the pre-installed ad-hoc actions (std.wait_ssh) and mistral-extra's workflows "
            "(create_instance, delete_instance). Since Ussuri the OpenStack actions (nova.*, cinder.*, ...) "
            "live in mistral-extra: not installed in the API/engine/executor image, or "
            "[legacy_action_provider] load_action_generators = false / only_builtin_actions = true, and they "
            "are gone."),
        'reads': (
            "mistral's API from check_mistral_actions_api_host (module mistral_definitions_info, each call "
            "bounded by check_mistral_actions_api_timeout): one page of GET /v2/actions, then GET "
            "/v2/actions/{name} for check_mistral_actions_std_actions, _preinstalled_actions and "
            "_openstack_actions and GET /v2/workflows/{name} for _preinstalled_workflows. A cloud without "
            "workflowv2 in its catalog is skipped."),
        'fix': (
            "fix_mistral_actions runs `mistral-db-manage --config-file <mistral.conf> populate` on "
            "fix_mistral_actions_host through its layout (inside the mistral_api container for kolla and "
            "TripleO, on the host for packages), then restarts mistral-api, mistral-engine and "
            "mistral-executor there through the layout (fix_mistral_actions_restart); only when the check found "
            "the list empty, std.* or the pre-installed definitions missing. populate re-creates only what "
            "mistral ships: workflows and ad-hoc actions of your own that were lost must come back from your "
            "sources. Missing OpenStack actions have no fix here: install mistral-extra in the image or venv of "
            "the three services (same release as mistral) and check the [legacy_action_provider] options."),
        'verify': (
            "`openstack action definition list -f value -c Name | grep -c '^std\\.'` is not 0, "
            "`openstack action definition show std.wait_ssh` and `openstack workflow show create_instance` "
            "answer, `openstack action definition show nova.servers_list` answers where mistral-extra is meant "
            "to be."),
    },
}


def _missing(found, names):
    found = found or {}
    return [n for n in names if not (found.get(n) or {}).get('present')]


def _named(rid, found, names, ev, what, why):
    """One result for a list of names that must all be defined: ``rid`` fires with the missing ones."""
    missing = _missing(found, names)
    if missing:
        return base.result(DECLARATION, rid, base.FAULT, '%s missing from mistral at %s: %s %s' % (
            what, ev['endpoint'], ', '.join(missing), why), dict(ev, missing=missing))
    return base.result(DECLARATION, rid, 'ok', 'the %s are defined: %s' % (what, ', '.join(names)), ev)


def evaluate(facts, params=None):
    """Results for one cloud from the answer of ``mistral_definitions_info`` (``facts['read']``)."""
    facts = facts or {}
    params = params or {}
    spec = DECLARATION['params']

    def want(key):
        value = params.get(key)
        return list(spec[key]['default'] if value is None else value)

    read = facts.get('read')
    if facts.get('error') or not isinstance(read, dict):
        return [base.result(DECLARATION, UNREADABLE, 'error',
                            "mistral's API could not be read: %s" % (facts.get('error') or 'no answer'),
                            {'error': facts.get('error')})]
    if not read.get('catalog'):
        return [base.result(DECLARATION, EMPTY, 'skipped',
                            'no workflowv2 (mistral) endpoint in the catalog: this cloud has no mistral')]
    ev = {'endpoint': read.get('endpoint')}
    actions, workflows = read.get('actions') or {}, read.get('workflows') or {}
    if not read.get('any_actions'):
        return [base.result(DECLARATION, EMPTY, base.FAULT,
                            "mistral's action list at %s is empty (GET /v2/actions returned no action): up to "
                            "Victoria `mistral-db-manage populate` was not run; since Wallaby the action "
                            "providers load nothing ([legacy_action_provider] load_action_plugins)" % ev['endpoint'],
                            ev)]
    results = [_named(STD, actions, want('std_actions'), ev, 'std actions', (
        '(populate up to Victoria; since Wallaby [legacy_action_provider] load_action_plugins and '
        'allowlist/denylist)'))]
    os_names = want('openstack_actions')
    os_missing = _missing(actions, os_names)
    extra = not os_names or len(os_missing) < len(os_names)   # mistral-extra loaded
    pre_missing = _missing(actions, want('preinstalled_actions'))
    wf_names = want('preinstalled_workflows')
    wf_missing = _missing(workflows, wf_names) if extra else []
    if pre_missing or wf_missing:
        results.append(base.result(
            DECLARATION, PREINSTALLED, base.FAULT,
            'definitions `mistral-db-manage populate` writes are missing from mistral at %s: %s' % (
                ev['endpoint'], ', '.join(['action ' + n for n in pre_missing] + ['workflow ' + n for n in wf_missing])),
            dict(ev, missing_actions=pre_missing, missing_workflows=wf_missing)))
    else:
        results.append(base.result(
            DECLARATION, PREINSTALLED, 'ok', 'the pre-installed definitions are there: %s' % ', '.join(
                want('preinstalled_actions') + (wf_names if extra else [])) + ('' if extra else
                                                                               " (mistral-extra's workflows "
                                                                               "not expected without it)"), ev))
    results.append(_named(OPENSTACK, actions, os_names, ev, 'OpenStack actions', (
        '(mistral-extra not installed where mistral runs, or [legacy_action_provider] load_action_generators = '
        'false / only_builtin_actions = true)')))
    return results
