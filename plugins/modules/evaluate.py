#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation of the stackdoctor.openstack.evaluate action plugin (plugins/action/evaluate.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: evaluate
short_description: Evaluate stackdoctor checks from their facts and record the results
version_added: 0.1.0
description:
  - Runs on the controller (action plugin, no remote call). For each check of O(checks), runs
    the pure C(evaluate(facts, params)) of its declaration (C(plugins/module_utils/checks/<name>.py))
    and records the results as M(stackdoctor.openstack.finding) does (validated, masked, a check
    recorded again replaces its own results).
  - The parameters of a check come from the variables its declaration names (C(params), for
    example C(check_tgt_include_log_lines)), and C(<check>_severity) for site severities; where
    a variable is not set, the declared default applies. Inside a check role these are the
    role's variables; C(diagnose.yml) evaluates every facts-only host check this way in one task.
  - A check whose evaluate() raises becomes an C(error) result of that check; the others are
    still evaluated. An unknown check name fails the task, naming the host.
options:
  checks:
    description: Check role names (declared in the registry).
    type: list
    elements: str
    required: true
  facts:
    description:
      - The facts to evaluate. Default - the host's C(stackdoctor_node_facts). Cloud-scope checks
        pass what their role read (a module's output).
    type: raw
  scope:
    description: C(cloud) records the results under C(cloud:<name>) (see M(stackdoctor.openstack.finding)).
    type: str
    choices: [host, cloud]
    default: host
  params:
    description: Parameters given to every check's evaluate(), over the ones read from variables.
    type: dict
    default: {}
  gathered:
    description:
      - The registered result of the host's M(stackdoctor.openstack.node_facts) task. When it says
        the host was unreachable or the module failed, no check is evaluated; one C(error) result
        C(stackdoctor.host_unreachable) or C(stackdoctor.facts_failed) is recorded instead and the
        fact C(_stackdoctor_down) is true (C(diagnose.yml) ends the host there).
    type: raw
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
author:
  - stackdoctor developers (@stackdoctor)
'''

EXAMPLES = r'''
- name: Evaluate the tgt include check on this host's node facts
  stackdoctor.openstack.evaluate:
    checks: [check_tgt_include]

- name: Evaluate a cloud-scope check on what its role read
  stackdoctor.openstack.evaluate:
    checks: [check_placement_allocations]
    scope: cloud
    facts:
      placement_audit: "{{ audit }}"
'''

RETURN = r'''
results:
  description: The results recorded by this call.
  returned: always
  type: list
  elements: dict
ansible_facts:
  description: The host's C(stackdoctor_results) (and C(stackdoctor_actions)) after the merge.
  returned: always
  type: dict
'''
