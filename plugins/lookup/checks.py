# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: checks
author: stackdoctor developers (@stackdoctor)
version_added: 0.1.0
short_description: The registry of stackdoctor checks, read from their declarations
description:
  - Without terms, returns one dict mapping every registered check role to its registry entry
    (scope, groups, subsets, fix, profiles, title, doc), as C(diagnose.yml) and C(remediate.yml)
    select from.
  - With terms (check role names), returns the full declaration of each (findings with their
    severities and identity fields, references, runbook).
  - The declarations live in C(plugins/module_utils/checks/<name>.py); the registration line is
    C(CHECKS) in C(plugins/module_utils/checks/registry.py).
options:
  _terms:
    description: Check role names; none for the whole registry.
    type: list
    elements: str
    required: false
'''

EXAMPLES = r'''
- name: Every check and where it runs
  ansible.builtin.debug:
    msg: "{{ lookup('stackdoctor.openstack.checks') }}"

- name: The declaration of one check
  ansible.builtin.debug:
    msg: "{{ lookup('stackdoctor.openstack.checks', 'check_tgt_include') }}"
'''

RETURN = r'''
_raw:
  description: The registry (no terms) or one declaration per term.
  type: list
  elements: dict
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            if not terms:
                return [registry.playbook_registry()]
            return [registry.declaration(str(t)) for t in terms]
        except (KeyError, ValueError) as exc:
            raise AnsibleLookupError('stackdoctor.openstack.checks: %s' % exc)
