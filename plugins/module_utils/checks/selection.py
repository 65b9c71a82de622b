# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which checks run where, which fixes run, and what a fix still has to do: pure functions.

Used by the filters ``select_checks``, ``fix_plan``, ``open_results`` and ``still_open``
(playbooks and the shared fix frame) and unit-tested directly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks.base import PROFILES

OPEN_STATUSES = ('warning', 'critical')
COLLECTION = 'stackdoctor.openstack'


class SelectionError(ValueError):
    """Bad input to a selection (unknown check, unknown profile, ...)."""


def as_list(value):
    """None -> None; 'a, b' -> ['a', 'b']; lists are trimmed, empty names dropped."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(',')
    return [str(v).strip() for v in value if str(v).strip()]


def _in_groups(entry, group_names):
    groups = entry.get('groups') or []
    return not groups or bool(set(groups) & set(group_names or []))


def select(registry, requested=None, group_names=None, profile=None):
    """The checks to run on one host and the node_facts subsets they need.

    ``registry``: check name -> entry (scope, groups, subsets, profiles, ...).
    ``requested``: names (list or comma string); None or empty = every registered check that is
    not ``opt_in``.
    ``profile``: keep only the checks whose ``profiles`` hold it (None = no filter).
    Returns ``{requested, host, bulk, roles, cloud, subsets, excluded}``: ``host`` are the
    host-scope checks whose groups hold this host, split into ``bulk`` (declared facts-only:
    evaluated together in one controller-side task) and ``roles`` (their role is included),
    ``cloud`` every cloud-scope check (run once per play),
    ``subsets`` the union of ``layout`` and the subsets of every selected check whose groups
    hold this host (cloud checks read node facts of their groups' hosts through hostvars),
    ``excluded`` the requested checks the profile left out.
    Raises SelectionError for an unknown check or an unknown profile.
    """
    registry = registry or {}
    names = as_list(requested)
    if not names:  # every check, except the opt-in ones (they run only when named)
        names = [n for n, e in registry.items() if not e.get('opt_in')]
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise SelectionError('unknown check(s) %s; known: %s' % (', '.join(unknown), ', '.join(registry)))
    excluded = []
    if profile not in (None, ''):
        known_profiles = set(PROFILES) | set(p for e in registry.values() for p in (e.get('profiles') or []))
        if profile not in known_profiles:
            raise SelectionError('unknown profile %s; known: %s' % (profile, ', '.join(sorted(known_profiles))))
        excluded = [n for n in names if profile not in (registry[n].get('profiles') or [])]
        names = [n for n in names if n not in excluded]
    host, cloud, subsets = [], [], ['layout']
    for name in names:
        entry = registry[name]
        here = _in_groups(entry, group_names)
        if entry.get('scope', 'host') == 'host':
            if here:
                host.append(name)
        else:
            cloud.append(name)
        if here:
            subsets += [s for s in entry.get('subsets') or [] if s not in subsets]
    # cloud checks run in the registry's order, whatever order they were asked in: a later check
    # may read an earlier one's results (check_compute_services leaves the stale rows that
    # check_nova_service_versions reports to it)
    order = list(registry)
    cloud.sort(key=order.index)
    bulk = [n for n in host if registry[n].get('facts_only') and not registry[n].get('role')]
    roles = [n for n in host if n not in bulk]
    return {'requested': names, 'host': host, 'bulk': bulk, 'roles': roles, 'cloud': cloud,
            'subsets': subsets, 'excluded': excluded}


def fix_role(registry, check, fix):
    entry = registry.get(check) or {}
    if entry.get('fix') == fix and entry.get('fix_role'):
        return entry['fix_role']
    return '%s.%s' % (COLLECTION, fix)


def fix_plan(results, registry, selected, allowed=None):
    """The fixes to run on one host, in the order of the results that call for them.

    A fix runs when a result of a selected check is open (warning or critical) and names it;
    ``allowed`` (names, or None for every fix) restricts the plan. Returns
    ``[{fix, role, check, results}]``; unknown names in ``allowed`` raise SelectionError.
    """
    allowed = as_list(allowed)
    known = set(e.get('fix') for e in (registry or {}).values() if e.get('fix'))
    if allowed:
        unknown = [a for a in allowed if a not in known]
        if unknown:
            raise SelectionError('unknown fix(es) %s; known: %s' % (', '.join(unknown), ', '.join(sorted(known))))
    plan, index = [], {}
    for r in results or []:
        fix, check = r.get('fix'), r.get('check')
        if not fix or r.get('status') not in OPEN_STATUSES or check not in (selected or []):
            continue
        if allowed is not None and fix not in allowed:
            continue
        if fix not in index:
            index[fix] = len(plan)
            plan.append({'fix': fix, 'role': fix_role(registry, check, fix), 'check': check, 'results': 0})
        plan[index[fix]]['results'] += 1
    return plan


def result_key(result, identity=None):
    """What makes a result the same fault across runs: id + host + the identity evidence."""
    ev = result.get('evidence') or {}
    parts = [str(result.get('id')), str(result.get('host'))]
    parts += ['%s=%s' % (k, ev.get(k)) for k in (identity or [])]
    return '|'.join(parts)


def open_results(results, check, fix=None, host=None):
    """Open (warning/critical) results of ``check`` naming ``fix``, on ``host`` when given."""
    out = []
    for r in results or []:
        if r.get('check') != check or r.get('status') not in OPEN_STATUSES:
            continue
        if fix is not None and r.get('fix') != fix:
            continue
        if host is not None and r.get('host') not in (None, host):
            continue
        out.append(r)
    return out


def still_open(before, after, identities=None, handled=None):
    """Results of ``before`` that the fix handled and that are open again in ``after``.

    ``identities``: finding id -> evidence keys that identify the faulty thing (declaration).
    ``handled``: the keys (``result_key``) the fix says it acted on; None = every result of
    ``before``. Results the fix did not handle (a cap, an opt-in left off) are not counted.
    """
    identities = identities or {}

    def key(r):
        return result_key(r, identities.get(r.get('id')))

    wanted = set(key(r) for r in before or [])
    if handled is not None:
        wanted &= set(handled)
    return [r for r in after or [] if r.get('status') in OPEN_STATUSES and key(r) in wanted]
