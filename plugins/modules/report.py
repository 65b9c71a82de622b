#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation of the stackdoctor.openstack.report action plugin (plugins/action/report.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: report
short_description: Write the stackdoctor report (JSON, Markdown, HTML, JUnit), keep its history, compute the verdict
version_added: 0.1.0
description:
  - Runs on the controller (action plugin, no remote call), normally in a play on C(localhost).
  - Reads every targeted host's C(stackdoctor_results) and C(stackdoctor_actions) facts
    (recorded by M(stackdoctor.openstack.finding)) from C(hostvars). A targeted host with no
    results fact at all (unreachable, or its play failed) gets an C(error) result
    C(stackdoctor.host_unreachable).
  - Applies waivers, computes the verdict (C(go) unless an un-waived result reaches
    O(gate_severity); severity ok = skipped < warning < error < critical) and writes
    C(report.json), C(report.md), C(report.html) and C(junit.xml) into O(report_dir) on the controller.
  - C(report.html) is one self-contained page (inline style and script, no network fetch; it
    works from a C(file://) URL and as an AWX artifact) - the verdict and profile, the blocking
    results with evidence, fix command and runbook link, what changed since the previous run,
    a host x check matrix coloured by the worst status (a click on a cell shows that host's
    results for that check), filters by severity, check and host group. Every text is
    HTML-escaped; evidence is masked as in the other reports.
  - History - unless O(history_keep) is C(0), the run's C(report.json) is also kept as
    C(<history_dir>/<run id>/report.json) (the last O(history_keep) runs). C(report.md) and
    C(report.html) show, against the newest earlier run of the same O(profile), the findings
    that are new, fixed, persist or were not checked again (identity - the finding id, the host
    and the evidence keys the check declares as C(identity)). The playbook
    C(stackdoctor.openstack.report_diff) compares any two runs.
  - An expired waiver stops applying and produces a C(warning) result
    C(stackdoctor.waiver_expired); a malformed waiver produces an C(error) result
    C(stackdoctor.waiver_invalid).
options:
  hosts:
    description: The targeted inventory hostnames (for example C(query('inventory_hostnames', 'all'))).
    type: list
    elements: str
    required: true
  report_dir:
    description: Directory (created if needed) on the controller; relative to the current directory.
    type: path
    default: stackdoctor-reports/latest
  waivers:
    description:
      - Accepted findings. Each a dict with C(id) (result id, fnmatch pattern allowed),
        C(hosts) (fnmatch pattern, default C(*)), C(reason) (required) and C(expires)
        (C(YYYY-MM-DD), required; the waiver applies through that day).
      - A waived result keeps its status, is marked C(waived) and does not count for the verdict.
    type: list
    elements: dict
    default: []
  gate_severity:
    description: Lowest severity that makes the verdict C(no go).
    type: str
    choices: [warning, error, critical]
    default: error
  title:
    description: Title of the report.
    type: str
    default: stackdoctor report
  today:
    description: Date used for waiver expiry (C(YYYY-MM-DD)); defaults to today (UTC). For tests.
    type: str
  phase:
    description: What run produced the results (C(diagnose), C(after-remediation), ...).
    type: str
    default: diagnose
  profile:
    description:
      - The profile the run judged (C(pre-upgrade), C(post-deploy), C(periodic)), shown with the
        verdict; null when every check ran.
    type: str
  stats_blocking_limit:
    description:
      - At most this many blocking results in RV(stats) (what C(set_stats) publishes as AWX job
        artifacts); C(stackdoctor_blocking_total) in RV(stats) has the total.
    type: int
    default: 20
  history_dir:
    description: Where the runs are kept; default C(<report_dir>/runs).
    type: path
  history_keep:
    description: How many runs the history keeps (the oldest are removed); C(0) keeps none and shows no changes.
    type: int
    default: 20
  runbook_base:
    description:
      - Where C(report.html) links the checks' runbook pages (C(<runbook_base><check>.md)), for
        example a URL of the rendered docs. Default - the C(docs/checks/) directory of this
        collection as a C(file://) URL.
    type: str
  slice_publish:
    description:
      - Also return RV(slice_stats) - one bounded summary per host for C(ansible.builtin.set_stats), so that
        the correlation step of a sliced run (AWX job slicing, C(playbooks/correlate.yml)) can run the
        cross-host checks over every slice's hosts.
    type: bool
    default: false
  slice_subsets:
    description:
      - The node-facts subsets each summary carries (those the cross-host checks read).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reports are written in check mode too (they describe the run, they change no host).
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
- name: Write the report
  stackdoctor.openstack.report:
    hosts: "{{ query('inventory_hostnames', stackdoctor_hosts | default('all')) }}"
    report_dir: ./stackdoctor-reports/latest
    gate_severity: error
    waivers:
      - id: cinder.tgt_include_missing
        hosts: volume-*
        reason: CHG-1234, fixed in the next maintenance window
        expires: "2026-12-31"
  register: stackdoctor_report
'''

RETURN = r'''
verdict:
  description: C(go) or C(no go).
  returned: success
  type: str
  sample: no go
counts:
  description: >-
    Number of un-waived results per status, plus C(waived), C(total), C(hosts) (targeted hosts),
    C(checked) (hosts with results of their own), C(clouds) (cloud targets), C(checks).
  returned: success
  type: dict
  sample: {critical: 1, error: 0, warning: 0, ok: 4, skipped: 0, waived: 0, total: 5, hosts: 3, checks: 1}
blocking:
  description: The un-waived results at or above the gate severity (id, host, status, check, summary).
  returned: success
  type: list
  elements: dict
gate_severity:
  description: The gate severity used.
  returned: success
  type: str
phase:
  description: The phase given.
  returned: success
  type: str
profile:
  description: The profile given, or null.
  returned: success
  type: str
report_dir:
  description: Absolute path of the report directory.
  returned: success
  type: str
paths:
  description: Absolute paths of the files written.
  returned: success
  type: dict
  contains:
    json:
      description: report.json
      type: str
    markdown:
      description: report.md
      type: str
    html:
      description: report.html
      type: str
    junit:
      description: junit.xml
      type: str
    history:
      description: This run's report.json in the history (absent when O(history_keep) is C(0)).
      type: str
run_id:
  description: The run's id in the history (C(YYYYmmddTHHMMSSZ-<phase>)); null when O(history_keep) is C(0).
  returned: success
  type: str
  sample: 20261201T105300Z-diagnose
history_dir:
  description: Absolute path of the history directory; null when O(history_keep) is C(0).
  returned: success
  type: str
changes:
  description: Number of findings C(new), C(fixed), C(persists), C(not_rechecked) since the previous run of the profile; null when there is none.
  returned: success
  type: dict
  sample: {new: 0, fixed: 3, persists: 1, not_rechecked: 0}
changes_since:
  description: Run id of the previous run compared with, or null.
  returned: success
  type: str
changes_summary:
  description: One line saying what changed since the previous run.
  returned: success
  type: str
  sample: "since 20261201T105300Z-diagnose (diagnose): 0 new, 3 fixed, 1 persist"
slice_stats:
  description:
    - With O(slice_publish), C(stackdoctor_slice_host_<12 hex digits of sha1(host)>) for every host (and
      C(cloud:<name>)) - C(host), C(groups), C(results) (non-ok first, at most 200, evidence over 2 KB
      replaced by a marker), C(facts) (the O(slice_subsets), none over 64 KB of JSON, C(facts_truncated) says so).
      One key per host - AWX merges the slices' artifacts with a dict update.
  returned: with O(slice_publish)
  type: dict
stats:
  description:
    - Bounded data for C(ansible.builtin.set_stats) (AWX job artifacts, workflow conditions),
      which outlive the job's container where the report files may not.
    - Keys C(stackdoctor_verdict), C(stackdoctor_gate_severity), C(stackdoctor_counts),
      C(stackdoctor_blocking) (at most O(stats_blocking_limit) results, each id, check, status,
      host, summary of at most 200 characters, fix), C(stackdoctor_blocking_total),
      C(stackdoctor_blocking_truncated), C(stackdoctor_phase), C(stackdoctor_profile),
      C(stackdoctor_generated), C(stackdoctor_report_paths).
  returned: success
  type: dict
  sample:
    stackdoctor_verdict: no go
    stackdoctor_blocking_total: 1
    stackdoctor_blocking_truncated: false
    stackdoctor_blocking:
      - {id: cinder.tgt_include_missing, check: check_tgt_include, status: critical, host: volume-1,
         summary: "tgt does not include /var/lib/cinder/volumes", fix: fix_tgt_include}
'''
