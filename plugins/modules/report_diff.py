#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation of the stackdoctor.openstack.report_diff action plugin (plugins/action/report_diff.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: report_diff
short_description: Compare two runs kept in the stackdoctor report history
version_added: 0.1.0
description:
  - Runs on the controller (action plugin, no remote call).
  - M(stackdoctor.openstack.report) keeps each run's C(report.json) as
    C(<history_dir>/<run id>/report.json). This compares two of them - the findings (results of
    severity warning or worse) that are new, fixed, persist, or were not checked again
    (the earlier run had the finding, the later one did not run that check on that host).
  - Identity of a finding - its id, its host and the evidence keys its check declares as
    C(identity) (the same identity the fix roles compare on).
options:
  history_dir:
    description: The history directory (C(stackdoctor_report_dir)/runs by default in the playbooks).
    type: path
    default: stackdoctor-reports/latest/runs
  old:
    description:
      - The earlier run - a run id of O(history_dir), a directory holding a C(report.json), or a
        C(report.json) path. Default - the newest run before O(new) of the same profile.
    type: str
  new:
    description: The later run (same forms as O(old)). Default - the newest run of O(history_dir).
    type: str
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
- name: What changed since the previous run of the same profile
  stackdoctor.openstack.report_diff:
    history_dir: ./stackdoctor-reports/latest/runs
  register: diff

- name: Two given runs
  stackdoctor.openstack.report_diff:
    history_dir: ./stackdoctor-reports/latest/runs
    old: 20261201T105300Z-diagnose
    new: 20261201T111500Z-after-remediation
'''

RETURN = r'''
old:
  description: The earlier run (run_id, generated, phase, profile, verdict, title).
  returned: success
  type: dict
new:
  description: The later run (same keys).
  returned: success
  type: dict
changes:
  description: Lists C(new), C(fixed), C(persists) (with C(was), the earlier status) and C(not_rechecked); each entry id, check, host, status, summary.
  returned: success
  type: dict
counts:
  description: The length of each list of RV(changes).
  returned: success
  type: dict
  sample: {new: 0, fixed: 3, persists: 1, not_rechecked: 0}
lines:
  description: The comparison as lines of text (one per finding, then the counts).
  returned: success
  type: list
  elements: str
runs:
  description: The run ids kept in O(history_dir), oldest first.
  returned: always
  type: list
  elements: str
'''
