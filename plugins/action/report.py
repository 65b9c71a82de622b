# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin stackdoctor.openstack.report: gather every host's results, write the report.

Runs on the controller only: reads ``stackdoctor_results`` / ``stackdoctor_actions`` of the
targeted hosts from hostvars, applies waivers, computes the verdict and writes
``report.json``, ``report.md``, ``report.html`` and ``junit.xml`` to ``report_dir`` (on the
controller), and keeps the run's report.json in the history (``history_dir``, the last
``history_keep`` runs), against which report.md and report.html show what changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

try:
    from urllib.request import pathname2url
except ImportError:  # pragma: no cover
    from urllib import pathname2url

from ansible.plugins.action import ActionBase

from ansible_collections.stackdoctor.openstack.plugins.module_utils import history
from ansible_collections.stackdoctor.openstack.plugins.module_utils import report as rp
from ansible_collections.stackdoctor.openstack.plugins.module_utils import report_html
from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd
from ansible_collections.stackdoctor.openstack.plugins.module_utils import slicing

DEFAULT_REPORT_DIR = 'stackdoctor-reports/latest'

ARGUMENT_SPEC = dict(
    hosts=dict(type='list', elements='str', required=True),
    report_dir=dict(type='path', default=DEFAULT_REPORT_DIR),
    waivers=dict(type='raw', default=[]),
    gate_severity=dict(type='str', default='error', choices=list(sd.GATE_SEVERITIES)),
    title=dict(type='str', default='stackdoctor report'),
    today=dict(type='str'),
    phase=dict(type='str', default='diagnose'),
    profile=dict(type='str'),
    stats_blocking_limit=dict(type='int', default=rp.STATS_BLOCKING_MAX),
    history_dir=dict(type='path'),
    history_keep=dict(type='int', default=history.DEFAULT_KEEP),
    runbook_base=dict(type='str'),
    # AWX job slicing (module_utils/slicing.py): also return each host's bounded summary for set_stats
    slice_publish=dict(type='bool', default=False),
    slice_subsets=dict(type='list', elements='str', default=[]),
)

FILES = (('json', 'report.json', rp.render_json),
         ('markdown', 'report.md', rp.render_markdown),
         ('html', 'report.html', None),
         ('junit', 'junit.xml', rp.render_junit))


def default_runbook_base():
    """The collection's docs/checks/ as a file:// URL (report.html links each check's runbook
    there), or the relative docs/checks/ when this copy has no docs."""
    docs = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        'docs', 'checks')
    if os.path.isdir(docs):
        return 'file://' + pathname2url(docs) + '/'
    return report_html.DEFAULT_RUNBOOK_BASE


def _fact(hostvars_of_host, name):
    """A host's fact, from ansible_facts first, then the top-level variable."""
    value = None
    try:
        facts = hostvars_of_host.get('ansible_facts') or {}
        value = facts.get(name)
    except Exception:
        value = None
    if value is None:
        try:
            value = hostvars_of_host.get(name)
        except Exception:
            value = None
    return value


def _write(path, content):
    """Write ``content`` to ``path`` atomically; return True when the file changed."""
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            if handle.read() == content:
                return False
    except (IOError, OSError):
        pass
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def _collect(self, task_vars, hosts, report_host):
        """(results, actions, missing_hosts) from the hosts' facts; bad entries become errors."""
        hostvars = task_vars.get('hostvars') or {}
        results, actions, missing = [], [], []
        sources = list(hosts)
        if report_host not in sources:
            sources.append(report_host)  # cross-host checks may record on the controller
        for host in sources:
            try:
                hv = hostvars[host]
            except Exception:
                hv = None
            raw_results = _fact(hv, 'stackdoctor_results') if hv is not None else None
            raw_actions = _fact(hv, 'stackdoctor_actions') if hv is not None else None
            if raw_results is None:
                if host in hosts:
                    missing.append(host)
            else:
                raw_results = sd.to_plain(raw_results)
                if not isinstance(raw_results, list):
                    raw_results = [raw_results]
                for index, raw in enumerate(raw_results):
                    try:
                        results.append(sd.validate_result(raw, host=host, index=index, stored=True))
                    except sd.ResultError as exc:
                        results.append(rp.internal_result(
                            'stackdoctor.invalid_result', 'error',
                            'a recorded result does not follow the contract: %s' % exc, host,
                            {'index': index}))
            for index, raw in enumerate(sd.to_plain(raw_actions) or []):
                try:
                    actions.append(sd.validate_action(raw, host=host, index=index))
                except sd.ResultError as exc:
                    results.append(rp.internal_result(
                        'stackdoctor.invalid_action', 'error',
                        'a recorded action does not follow the contract: %s' % exc, host, {'index': index}))
        return results, actions, missing

    def _slice_stats(self, task_vars, hosts, results, subsets):
        """Each host's bounded summary (results grouped by their host, cloud results under
        ``cloud:<name>``; node facts of the cross-host checks' subsets) for set_stats."""
        hostvars = task_vars.get('hostvars') or {}
        by_host = {}
        for r in results:
            by_host.setdefault(r.get('host'), []).append(r)

        def facts(h):
            try:
                value = _fact(hostvars[h], 'stackdoctor_node_facts')
            except Exception:
                return {}
            value = sd.to_plain(value)
            return value if isinstance(value, dict) else {}

        def groups(h):
            try:
                return sd.to_plain(hostvars[h].get('group_names')) or []
            except Exception:
                return []
        names = list(hosts) + sorted(h for h in by_host if h not in hosts)
        return slicing.publish(names, facts, groups, lambda h: by_host.get(h), subsets)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except Exception as exc:
            result.update(failed=True, msg='stackdoctor.openstack.report: %s' % exc)
            return result

        # The report is written on the controller whichever host runs the task (run_once).
        report_host = 'localhost'
        hosts = [str(h) for h in (args['hosts'] or [])]
        if args.get('today'):
            try:
                rp.parse_date(args['today'])
            except ValueError as exc:
                result.update(failed=True, msg='stackdoctor.openstack.report: today: %s' % exc)
                return result

        results, actions, missing = self._collect(task_vars, hosts, report_host)
        report = rp.build(results, actions, hosts, waivers=sd.to_plain(args.get('waivers')),
                          gate_severity=args['gate_severity'], title=args['title'],
                          phase=args['phase'], today=args.get('today'), report_host=report_host,
                          missing_hosts=missing, profile=args.get('profile'),
                          groups=sd.to_plain(task_vars.get('groups')))

        report_dir = os.path.abspath(os.path.expanduser(args['report_dir']))
        keep = args['history_keep']
        history_dir = os.path.abspath(os.path.expanduser(args['history_dir'] or os.path.join(report_dir, history.RUNS_DIR)))
        runbook_base = args.get('runbook_base') or default_runbook_base()
        paths = {}
        changed = False
        try:
            os.makedirs(report_dir, exist_ok=True)
            if keep > 0:
                # the previous run of the same profile, before this one joins the history
                os.makedirs(history_dir, exist_ok=True)
                previous = history.previous_run(history_dir, report['profile'])
                report['run_id'] = history.new_run_id(report, history_dir)
                report['changes'] = history.diff(previous, report) if previous else None
            for key, name, render in FILES:
                path = os.path.join(report_dir, name)
                if key == 'html':
                    content = report_html.render_html(report, runbook_base)
                else:
                    content = render(report)
                changed = _write(path, content) or changed
                paths[key] = path
            if keep > 0:
                paths['history'] = history.save_run(history_dir, report['run_id'], rp.render_json(report))
                history.prune(history_dir, keep)
        except (IOError, OSError) as exc:
            result.update(failed=True, msg='stackdoctor.openstack.report: cannot write the report to %s: %s'
                          % (report_dir, exc), verdict=report['verdict'], blocking=report['blocking'])
            return result

        if report['verdict'] == rp.GO:
            msg = 'verdict: go (%d results, %d hosts checked of %d, %d cloud); report: %s' % (
                report['counts']['total'], report['counts']['checked'], report['counts']['hosts'],
                report['counts']['clouds'], paths['markdown'])
        else:
            msg = 'verdict: no go, %d blocking: %s; report: %s' % (
                len(report['blocking']),
                '; '.join('%s %s on %s' % (b['status'], b['id'], b['host']) for b in report['blocking']),
                paths['markdown'])
        changes = report.get('changes')
        if keep > 0:
            msg += '; %s' % history.summary_line(changes)
        result.update(
            changed=changed,
            verdict=report['verdict'],
            counts=report['counts'],
            blocking=report['blocking'],
            gate_severity=report['gate_severity'],
            phase=report['phase'],
            profile=report['profile'],
            report_dir=report_dir,
            paths=paths,
            run_id=report.get('run_id'),
            history_dir=history_dir if keep > 0 else None,
            changes=dict((k, len(changes.get(k) or [])) for k in ('new', 'fixed', 'persists', 'not_rechecked'))
            if changes else None,
            changes_since=(changes.get('previous') or {}).get('run_id') if changes else None,
            changes_summary=history.summary_line(changes) if keep > 0 else 'history off (history_keep 0)',
            stats=rp.stats(report, paths, args['stats_blocking_limit']),
            msg=msg,
        )
        if args['slice_publish']:
            result['slice_stats'] = self._slice_stats(task_vars, hosts, results, args['slice_subsets'])
        return result
