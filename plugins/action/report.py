# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin stackdoctor.openstack.report: gather every host's results, write the report.

Runs on the controller only: reads ``stackdoctor_results`` / ``stackdoctor_actions`` of the
targeted hosts from hostvars, applies waivers, computes the verdict and writes
``report.json``, ``report.md`` and ``junit.xml`` to ``report_dir`` (on the controller).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible.plugins.action import ActionBase

from ansible_collections.stackdoctor.openstack.plugins.module_utils import report as rp
from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd

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
)

FILES = (('json', 'report.json', rp.render_json),
         ('markdown', 'report.md', rp.render_markdown),
         ('junit', 'junit.xml', rp.render_junit))


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
                          missing_hosts=missing, profile=args.get('profile'))

        report_dir = os.path.abspath(os.path.expanduser(args['report_dir']))
        paths = {}
        changed = False
        try:
            os.makedirs(report_dir, exist_ok=True)
            for key, name, render in FILES:
                path = os.path.join(report_dir, name)
                changed = _write(path, render(report)) or changed
                paths[key] = path
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
            stats=rp.stats(report, paths, args['stats_blocking_limit']),
            msg=msg,
        )
        return result
