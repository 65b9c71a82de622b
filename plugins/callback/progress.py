# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: progress
type: stdout
short_description: Compact progress of stackdoctor runs - one line per check, unreachable hosts, the verdict table
version_added: 0.1.0
description:
  - A stdout callback for the playbooks of stackdoctor.openstack (diagnose, remediate, health_gate)
    on many hosts. Instead of every task on every host it prints
  - one line per check as hosts finish it, for example C(check_tgt_include 38/100 hosts, 2 critical)
    (the hosts of the check's groups among the targeted ones; a line at most every O(interval)
    seconds per check, and one when the check is done on all of them);
  - each unreachable host and each failed task as it happens (one line, the first line of its message);
  - each fix a remediation ran (C(fix_tgt_include on volume-1 changed - ...));
  - at the end the verdict table - per check the hosts and results by status, the verdict, the
    blocking results, what changed since the previous run, the report paths - and one line of host totals.
  - Opt in with C(ANSIBLE_STDOUT_CALLBACK=stackdoctor.openstack.progress) or C(stdout_callback) in
    ansible.cfg. The default callback keeps working for those who prefer every task.
  - Results are read from the tasks of M(stackdoctor.openstack.evaluate),
    M(stackdoctor.openstack.finding) and M(stackdoctor.openstack.report); other tasks only show
    when they fail.
  - Where the report was delivered (C(stackdoctor_report_delivered) and
    C(stackdoctor_report_delivery_errors), published by C(ansible.builtin.set_stats); see
    C(docs/report-delivery.md)) - each failed delivery as it happens, and both in the final table.
requirements:
  - set as the stdout callback (see the description)
options:
  interval:
    description: At most one progress line per check every this many seconds (the last line of a check always shows).
    type: float
    default: 5
    env:
      - name: STACKDOCTOR_PROGRESS_INTERVAL
    ini:
      - section: stackdoctor_progress
        key: interval
  blocking_lines:
    description: How many blocking results the final table lists (the report has them all).
    type: int
    default: 20
    env:
      - name: STACKDOCTOR_PROGRESS_BLOCKING_LINES
    ini:
      - section: stackdoctor_progress
        key: blocking_lines
author:
  - stackdoctor developers (@stackdoctor)
'''

import time

from ansible.plugins.callback import CallbackBase
from ansible.utils.color import stringc

try:
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry as _registry
except Exception:  # pylint: disable=broad-except
    _registry = None

RESULT_ACTIONS = ('evaluate', 'finding')
REPORT_ACTION = 'report'
COLLECTION = 'stackdoctor.openstack.'
COLUMNS = ('critical', 'error', 'warning', 'ok', 'skipped')
COLORS = {'critical': 'bright red', 'error': 'red', 'warning': 'yellow', 'ok': 'green'}
SEVERITY = {'ok': 0, 'skipped': 0, 'warning': 1, 'error': 2, 'critical': 3}
CLOUD_PREFIX = 'cloud:'
INTERNAL_CHECK = 'stackdoctor'


def _first_line(text, limit=200):
    for line in str(text or '').splitlines():
        line = ' '.join(line.split())
        if line:
            return line[:limit]
    return ''


def _is_set_stats(task):
    action = str(getattr(task, 'resolved_action', None) or getattr(task, 'action', '') or '')
    return action in ('set_stats', 'ansible.builtin.set_stats', 'ansible.legacy.set_stats')


def _short_action(task):
    """``evaluate`` for stackdoctor.openstack.evaluate (or its short name), else None."""
    action = str(getattr(task, 'resolved_action', None) or getattr(task, 'action', '') or '')
    if action.startswith(COLLECTION):
        return action[len(COLLECTION):]
    if action in RESULT_ACTIONS + (REPORT_ACTION,):
        return action
    return None


def _parts(result):
    """(host name, task, result dict) of a TaskResult, whichever ansible-core shapes it."""
    host = getattr(result, 'host', None) or getattr(result, '_host', None)
    task = getattr(result, 'task', None) or getattr(result, '_task', None)
    data = getattr(result, 'result', None)
    if not isinstance(data, dict):
        data = getattr(result, '_result', None) or {}
    name = host.get_name() if hasattr(host, 'get_name') else str(host)
    return name, task, data


def check_groups():
    """check name -> (scope, groups) from the declarations (empty without the registry)."""
    out = {}
    if _registry is None:
        return out
    try:
        for name, decl in _registry.declarations().items():
            out[name] = (decl.get('scope'), list(decl.get('groups') or []))
    except Exception:  # pylint: disable=broad-except
        pass
    return out


class Progress(object):
    """The bookkeeping, apart from Ansible (unit-tested directly)."""

    def __init__(self, interval=5.0, clock=time.time):
        self.interval = float(interval)
        self.clock = clock
        self.targets = []
        self.groups_of = {}          # host -> group names (when the inventory is known)
        self.checks = check_groups()
        self.results = {}            # (check, target) -> [results]
        self.printed = {}            # check -> (done, time)
        self.down = {}               # host -> message
        self.failed = []             # (host, task, message)
        self.report = None
        self.delivery = None         # {'delivered': [...], 'errors': [...]} when delivery was asked

    def set_targets(self, targets, groups_of=None):
        self.targets = list(targets)
        self.groups_of = dict(groups_of or {})

    def expected_hosts(self, check):
        """The targets a host check runs on (those in its groups), None when not known."""
        if not self.targets:
            return None
        scope, groups = self.checks.get(check, ('host', []))
        if not groups or not self.groups_of or check == INTERNAL_CHECK:
            return list(self.targets)
        return [h for h in self.targets if set(groups) & set(self.groups_of.get(h) or [])]

    def expected(self, check):
        """How many targets a check runs on: 1 for a cloud check, the targets in its groups."""
        if self.checks.get(check, ('host', []))[0] != 'host':
            return 1
        hosts = self.expected_hosts(check)
        return None if hosts is None else len(hosts)

    def done(self, check):
        """Targets with results of the check, and the unreachable ones it would have run on."""
        hosts = set(t for (c, t) in self.results if c == check)
        if self.checks.get(check, ('host', []))[0] == 'host':
            expected = self.expected_hosts(check)
            hosts |= set(h for h in self.down if expected is None or h in expected)
        return len(hosts)

    def counts(self, check):
        out = dict((s, 0) for s in COLUMNS)
        for (c, dummy), items in self.results.items():
            if c == check:
                for r in items:
                    out[r.get('status') if r.get('status') in out else 'error'] += 1
        return out

    def record(self, results):
        """Results of one task (one host, or a cloud check): returns the checks they touched."""
        fresh = {}
        for r in results or []:
            if isinstance(r, dict) and r.get('check'):
                fresh.setdefault((r['check'], str(r.get('host'))), []).append(r)
        # a check recorded again on a target (a fix re-running its check) replaces its results
        self.results.update(fresh)
        return sorted(set(c for c, dummy in fresh))

    def line(self, check):
        done, total = self.done(check), self.expected(check)
        c = self.counts(check)
        bad = ', '.join('%d %s' % (c[s], s) for s in ('critical', 'error', 'warning') if c[s])
        if self.checks.get(check, ('host',))[0] != 'host':
            what = 'cloud'
            if total == 1:
                what = 'done'
            text = '%s %s' % (check, what)
        else:
            text = '%s %d/%s hosts' % (check, done, total if total is not None else '?')
        return text + (', ' + bad if bad else ', all ok')

    def due(self, check, final=False):
        """True when a progress line of ``check`` should print now."""
        done, total = self.done(check), self.expected(check)
        last = self.printed.get(check)
        if last is not None and last[0] == done:
            return False
        if final or (total is not None and done >= total) or last is None:
            return True
        return self.clock() - last[1] >= self.interval

    def mark(self, check):
        self.printed[check] = (self.done(check), self.clock())

    def table(self, blocking_lines=20):
        """The final lines: per check, the verdict, blocking, changes, paths."""
        checks = sorted(set(c for c, dummy in self.results), key=lambda c: (c == INTERNAL_CHECK, c))
        if not checks and not self.report:
            return []
        width = max([len(c) for c in checks] + [len('check')])
        out = ['', '%-*s  %7s  %8s  %5s  %7s  %4s  %7s' % ((width, 'check', 'targets') + COLUMNS)]
        for check in checks:
            c = self.counts(check)
            targets = len(set(t for (k, t) in self.results if k == check))
            out.append('%-*s  %7d  %8d  %5d  %7d  %4d  %7d' % (
                (width, check, targets) + tuple(c[s] for s in COLUMNS)))
        rep = self.report
        if rep:
            verdict = str(rep.get('verdict') or '?').upper()
            blocking = rep.get('blocking') or []
            out += ['', 'VERDICT: %s (profile: %s, gate %s)%s' % (
                verdict, rep.get('profile') or 'all checks', rep.get('gate_severity'),
                ', %d blocking' % len(blocking) if blocking else '')]
            for b in blocking[:blocking_lines]:
                out.append('  %-8s %s on %s: %s' % (b.get('status'), b.get('id'), b.get('host'),
                                                    _first_line(b.get('summary'), 160)))
            if len(blocking) > blocking_lines:
                out.append('  ... and %d more (see the report)' % (len(blocking) - blocking_lines))
            if rep.get('changes_summary'):
                out.append('changes: %s' % rep['changes_summary'])
            paths = rep.get('paths') or {}
            for key in ('html', 'markdown', 'json'):
                if paths.get(key):
                    out.append('%-8s %s' % (key + ':', paths[key]))
        if self.delivery:
            for where in self.delivery.get('delivered') or []:
                out.append('delivered: %s' % where)
            for err in self.delivery.get('errors') or []:
                out.append('NOT delivered: %s' % _first_line(err, 400))
        return out


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'stackdoctor.openstack.progress'

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._progress = Progress()
        self._inventory = None

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super(CallbackModule, self).set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self._progress.interval = float(self.get_option('interval'))

    def _say(self, text, color=None):
        self._display.display(stringc(text, color) if color else text)

    # ---------------------------------------------------------------- plays
    def v2_playbook_on_start(self, playbook):
        name = getattr(playbook, '_file_name', '') or ''
        self._say('stackdoctor: %s' % name.rsplit('/', 1)[-1])

    def v2_playbook_on_play_start(self, play):
        manager = getattr(play, '_variable_manager', None)
        self._inventory = getattr(manager, '_inventory', None) or self._inventory
        self._say('== %s' % (play.get_name().strip() or 'play'))

    # ---------------------------------------------------------------- results
    def _targets_from(self, data):
        facts = data.get('ansible_facts') or {}
        targets = facts.get('_stackdoctor_targets')
        if not isinstance(targets, list) or not targets:
            return
        groups_of = {}
        if self._inventory is not None:
            for name in targets:
                try:
                    host = self._inventory.get_host(name)
                    groups_of[name] = [g.get_name() for g in host.get_groups()] if host is not None else []
                except Exception:  # pylint: disable=broad-except
                    pass
        self._progress.set_targets(targets, groups_of)
        self._say('targets: %d hosts' % len(targets))

    def v2_runner_on_ok(self, result):
        host, task, data = _parts(result)
        if not self._progress.targets:
            self._targets_from(data)
        action = _short_action(task)
        if action in RESULT_ACTIONS:
            for check in self._progress.record(data.get('results')):
                # the collection's own results (unreachable, failed checks) have their own lines
                if check != INTERNAL_CHECK and self._progress.due(check):
                    self._progress.mark(check)
                    self._check_line(check)
            for a in data.get('actions') or []:
                if isinstance(a, dict):
                    self._say('%s on %s%s: %s' % (a.get('fix'), a.get('host') or host,
                                                  ' changed' if a.get('changed') else '', _first_line(a.get('summary'))),
                              'yellow' if a.get('changed') else None)
        elif action == REPORT_ACTION and 'verdict' in data:
            self._progress.report = data
        elif _is_set_stats(task):
            stats = (data.get('ansible_stats') or {}).get('data') or {}
            if 'stackdoctor_report_delivery_errors' in stats:
                self._progress.delivery = {'delivered': list(stats.get('stackdoctor_report_delivered') or []),
                                           'errors': list(stats.get('stackdoctor_report_delivery_errors') or [])}
                for err in self._progress.delivery['errors']:
                    self._say('WARNING: %s' % _first_line(err, 400), 'yellow')

    def _check_line(self, check):
        c = self._progress.counts(check)
        color = next((COLORS[s] for s in ('critical', 'error', 'warning') if c[s]), None)
        self._say(self._progress.line(check), color)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        host, task, data = _parts(result)
        if ignore_errors:
            return
        msg = _first_line(data.get('msg') or data.get('stderr') or data.get('module_stderr') or 'failed')
        self._progress.failed.append((host, getattr(task, 'name', ''), msg))
        self._say('FAILED %s: %s: %s' % (host, getattr(task, 'get_name', lambda: '')() or '', msg), 'red')

    def v2_runner_on_unreachable(self, result):
        host, task, data = _parts(result)
        if host in self._progress.down:
            return
        msg = _first_line(data.get('msg') or 'unreachable')
        self._progress.down[host] = msg
        self._say('UNREACHABLE %s: %s' % (host, msg), 'bright red')

    def v2_runner_item_on_failed(self, result):
        self.v2_runner_on_failed(result)

    # ---------------------------------------------------------------- the end
    def v2_playbook_on_stats(self, stats):
        for check in sorted(set(c for c, dummy in self._progress.results)):
            if check != INTERNAL_CHECK and self._progress.due(check, final=True):
                self._progress.mark(check)
                self._check_line(check)
        for line in self._progress.table(int(self.get_option('blocking_lines'))):
            color = None
            if line.startswith('VERDICT: NO GO'):
                color = 'bright red'
            elif line.startswith('VERDICT: GO'):
                color = 'green'
            self._say(line, color)
        hosts = sorted(stats.processed.keys())
        totals = dict((k, 0) for k in ('ok', 'changed', 'failures', 'unreachable', 'rescued', 'ignored'))
        for h in hosts:
            s = stats.summarize(h)
            for k in totals:
                totals[k] += s.get(k, 0)
        bad = [h for h in hosts if stats.summarize(h).get('failures') or stats.summarize(h).get('unreachable')]
        self._say('')
        self._say('hosts: %d; tasks ok %d, changed %d, failed %d, unreachable %d, rescued %d, ignored %d%s' % (
            len(hosts), totals['ok'], totals['changed'], totals['failures'], totals['unreachable'],
            totals['rescued'], totals['ignored'], ('; failed or unreachable: %s' % ', '.join(bad[:20])) if bad else ''),
            'red' if bad else None)
        if getattr(stats, 'custom', None) and self._display.verbosity:
            self._say('custom stats: %s' % self._dump_results(stats.custom, indent=1))
