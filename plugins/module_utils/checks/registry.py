# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The registry of checks: one line per check module, everything else is read from it.

A new check adds its module name to ``CHECKS`` (the one registration line); the playbooks'
registry (``lookup('stackdoctor.openstack.checks')``), the docs and the README table come from
the declarations.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

PACKAGE = 'ansible_collections.stackdoctor.openstack.plugins.module_utils.checks'

# One line per check: the module under plugins/module_utils/checks/.
CHECKS = (
    'tgt_include',
    'placement_allocations',
    'qemu_img',
    'target_address',
    'glance_reachability',
    'nova_service_versions',
    'compute_services',
    'nested_virt',
    'upgrade_checks',
    'services_running',
    'messaging',
    'disk_space',
    'service_roles',
    'service_credentials',
    'ceph_health',
    'haproxy',
    'log_signatures',
    'rabbitmq_cluster',
    'images',
    'debug_mode',
    'containers',
    'pacemaker',
    'rbd_secrets',
    'galera',
    'fip_nat',
    'network_agents',
    'smoke',
    'mistral_actions',
    'service_token',
)

_CACHE = {}


def module(short):
    """The check module ``checks/<short>.py`` (declaration validated on first load)."""
    if short not in CHECKS:
        raise KeyError('unknown check check_%s (registered: %s)' % (short, ', '.join('check_' + c for c in CHECKS)))
    if short not in _CACHE:
        mod = importlib.import_module('%s.%s' % (PACKAGE, short))
        base.validate_declaration(getattr(mod, 'DECLARATION', None), short)
        if not callable(getattr(mod, 'evaluate', None)):
            raise base.DeclarationError('check module checks/%s.py has no evaluate(facts, params)' % short)
        _CACHE[short] = mod
    return _CACHE[short]


def short_name(check):
    return check[len('check_'):] if check.startswith('check_') else check


def declaration(check):
    """Declaration of a check by role name (``check_tgt_include``) or short name."""
    return module(short_name(check)).DECLARATION


def declarations():
    """Every declaration, by check role name, in registration order."""
    return dict((module(s).DECLARATION['name'], module(s).DECLARATION) for s in CHECKS)


def evaluate(check, facts, params=None):
    """Run a check's pure evaluate by name."""
    mod = module(short_name(check))
    params = dict(params or {})
    return base.finish(mod.DECLARATION, mod.evaluate(facts or {}, params), params)


def playbook_entry(decl):
    """The registry entry the playbooks select from (roles are the collection's)."""
    return {
        'scope': decl['scope'],
        'groups': list(decl['groups']),
        'subsets': list(decl['subsets']),
        'fix': decl['fix'],
        'profiles': list(decl['profiles']),
        'title': decl['title'],
        'doc': base.doc_path(decl),
        # host checks that need only node facts are evaluated in bulk by diagnose
        'facts_only': decl['scope'] == 'host' and decl.get('facts_only', True),
        'opt_in': bool(decl.get('opt_in', False)),
        'cross_host': bool(decl.get('cross_host', False)),
    }


def playbook_registry():
    return dict((name, playbook_entry(d)) for name, d in declarations().items())
