#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation of the stackdoctor.openstack.finding action plugin (plugins/action/finding.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: finding
short_description: Record stackdoctor check results and fix actions for a host
version_added: 0.1.0
description:
  - Runs on the controller (action plugin, no remote call). Validates one result or a list
    of results against the stackdoctor result contract, masks secrets in their evidence,
    fills in C(host) (inventory_hostname) and C(time) (UTC), and returns the host facts
    C(stackdoctor_results) and C(stackdoctor_actions).
  - When a check is recorded again on a host (a fix role re-running its check), the new
    results of that check replace all its previous results on that host.
  - Fix roles record what they did with O(actions); actions are appended to C(stackdoctor_actions).
  - Fails, naming the host and the bad field, when a result does not follow the contract.
  - Calling it with no result and no action returns the host's facts unchanged (and makes
    sure they are defined).
options:
  id:
    description: Stable result id, C(<service>.<fault>), matching C(^[a-z0-9_]+\.[a-z0-9_.]+$).
    type: str
  check:
    description:
      - Name of the check role that produced the result(s); the default for every result of
        O(results) without one. Defaults to the name of the role calling the action.
    type: str
  host:
    description: Host the result is about. Defaults to C(inventory_hostname).
    type: str
  scope:
    description:
      - C(cloud) records the results under the cloud target C(cloud:<name>) instead of the host
        that ran the check (cloud-scope checks, such as API audits). The name comes from
        C(stackdoctor_cloud_target), else the cloud name of C(stackdoctor_cloud), else
        C(OS_CLOUD) of C(stackdoctor_os_environment), else C(default).
    type: str
    choices: [host, cloud]
    default: host
  status:
    description: Outcome.
    type: str
    choices: [ok, warning, critical, skipped, error]
  summary:
    description: One sentence an operator understands. Must not be empty.
    type: str
  evidence:
    description: What was seen (file, line, backend, ...). Secrets are masked.
    type: dict
  fix:
    description: Name of the fix role that repairs this result, or null.
    type: str
  reference:
    description: Where the fault and its remedy are documented (the check's runbook page, upstream docs, source paths, bug numbers).
    type: str
  results:
    description:
      - A list of results, each a dict with the keys O(id), O(check), O(host), O(status),
        O(summary), O(evidence), O(fix), O(reference).
      - Mutually exclusive with the single-result options.
    type: list
    elements: dict
  actions:
    description:
      - What a fix role did, each a dict with C(fix) (role name), C(summary) (one sentence),
        C(changed) (bool) and C(details) (dict, masked).
    type: list
    elements: dict
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
notes:
  - The action never contacts the managed host; it works in check mode.
author:
  - stackdoctor developers (@stackdoctor)
'''

EXAMPLES = r'''
- name: Record one result
  stackdoctor.openstack.finding:
    id: cinder.tgt_include_missing
    check: check_tgt_include
    status: critical
    summary: /etc/tgt/targets.conf does not include /var/lib/cinder/volumes/*
    evidence:
      file: /etc/tgt/targets.conf
      backend: lvm-1
    fix: fix_tgt_include
    reference: docs/checks/check_tgt_include.md; https://docs.openstack.org/cinder/latest/admin/ts-cinder-config.html

- name: Record every result of a check (ok ones included)
  stackdoctor.openstack.finding:
    check: check_tgt_include
    results: "{{ stackdoctor_node_facts | stackdoctor.openstack.tgt_include_results }}"

- name: Record what a fix did
  stackdoctor.openstack.finding:
    actions:
      - fix: fix_tgt_include
        summary: added include /var/lib/cinder/volumes/* to /etc/tgt/targets.conf
        changed: true
        details:
          file: /etc/tgt/targets.conf
'''

RETURN = r'''
results:
  description: The results recorded by this call, validated, masked and stamped.
  returned: always
  type: list
  elements: dict
actions:
  description: The actions recorded by this call.
  returned: always
  type: list
  elements: dict
msg:
  description: "One line per result: C(<status> <id>: <summary>)."
  returned: always
  type: str
  sample: "critical cinder.tgt_include_missing: /etc/tgt/targets.conf does not include the cinder volumes dir"
ansible_facts:
  description: The host's facts after this call.
  returned: always
  type: dict
  contains:
    stackdoctor_results:
      description: Every result recorded on the host so far (a check recorded again replaces its old ones).
      type: list
      elements: dict
    stackdoctor_actions:
      description: Every action recorded on the host so far.
      type: list
      elements: dict
'''
