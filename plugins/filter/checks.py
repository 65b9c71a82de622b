# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The framework's filters (pure, controller side): evaluate a check by name, select checks,
plan fixes, and tell a fix frame what is open and what is still open after it acted."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import selection
from ansible_collections.stackdoctor.openstack.plugins.module_utils import slicing
from ansible_collections.stackdoctor.openstack.plugins.module_utils.results import to_plain


def check_results(facts, check, **params):
    """Results of ``check`` (role name) from ``facts`` through its declared evaluate()."""
    try:
        return registry.evaluate(check, to_plain(facts), to_plain(params))
    except KeyError as exc:
        raise AnsibleFilterError(str(exc))


def select_checks(registry_entries, requested=None, group_names=None, profile=None):
    try:
        return selection.select(to_plain(registry_entries), to_plain(requested), to_plain(group_names), profile)
    except selection.SelectionError as exc:
        raise AnsibleFilterError(str(exc))


def fix_plan(results, registry_entries, selected, allowed=None):
    try:
        return selection.fix_plan(to_plain(results), to_plain(registry_entries), to_plain(selected), to_plain(allowed))
    except selection.SelectionError as exc:
        raise AnsibleFilterError(str(exc))


def open_results(results, check, fix=None, host=None):
    return selection.open_results(to_plain(results), check, fix, host)


def still_open(before, after, check, handled=None):
    decl = registry.declaration(check) if registry.short_name(check) in registry.CHECKS else {'findings': {}}
    identities = dict((fid, spec.get('identity') or []) for fid, spec in decl['findings'].items())
    return selection.still_open(to_plain(before), to_plain(after), identities, to_plain(handled))


def result_keys(results, check):
    decl = registry.declaration(check) if registry.short_name(check) in registry.CHECKS else {'findings': {}}
    return [selection.result_key(r, (decl['findings'].get(r.get('id')) or {}).get('identity'))
            for r in to_plain(results) or []]


def paired_check(fix, registry_entries=None):
    """The check whose declared fix is ``fix`` (``registry_entries``: the playbooks' registry)."""
    entries = to_plain(registry_entries) or registry.playbook_registry()
    found = [name for name, e in entries.items() if e.get('fix') == fix]
    if len(found) != 1:
        raise AnsibleFilterError('fix %s is the paired fix of %s check(s) (%s); expected exactly one'
                                 % (fix, len(found), ', '.join(found) or 'none'))
    return found[0]


def slice_merge(names, values, cross_checks):
    """The slices' summaries (``names`` of the ``stackdoctor_slice_host_*`` vars and their
    ``values``) merged for the correlation step: module_utils/slicing.py ``merge``."""
    names, values = to_plain(names) or [], to_plain(values) or []
    if len(names) != len(values):
        raise AnsibleFilterError('slice_merge: %d names but %d values' % (len(names), len(values)))
    try:
        return slicing.merge(dict(zip(names, values)), to_plain(cross_checks))
    except slicing.MergeError as exc:
        raise AnsibleFilterError('slice_merge: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {
            'check_results': check_results,
            'select_checks': select_checks,
            'fix_plan': fix_plan,
            'open_results': open_results,
            'still_open': still_open,
            'result_keys': result_keys,
            'paired_check': paired_check,
            'slice_merge': slice_merge,
        }
