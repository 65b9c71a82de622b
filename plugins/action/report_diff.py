# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin stackdoctor.openstack.report_diff: what changed between two kept runs.

Runs on the controller only; reads two report.json files of the history (module_utils/history.py)
and returns the findings that are new, fixed, persist or were not checked again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.plugins.action import ActionBase

from ansible_collections.stackdoctor.openstack.plugins.module_utils import history

ARGUMENT_SPEC = dict(
    history_dir=dict(type='path', default='stackdoctor-reports/latest/runs'),
    old=dict(type='str'),
    new=dict(type='str'),
)


def _line(entry):
    was = entry.get('was')
    return '%s %s on %s%s: %s' % (entry.get('status'), entry.get('id'), entry.get('host'),
                                  ' (was %s)' % was if was and was != entry.get('status') else '', entry.get('summary'))


def lines(changes, old, new):
    out = ['%s (%s, %s, %s) -> %s (%s, %s, %s)' % (
        old.get('run_id'), old.get('phase'), old.get('profile') or 'all checks', str(old.get('verdict')).upper(),
        new.get('run_id'), new.get('phase'), new.get('profile') or 'all checks', str(new.get('verdict')).upper())]
    for kind, title in (('new', 'new'), ('fixed', 'fixed'), ('persists', 'persists'),
                        ('not_rechecked', 'not checked again')):
        for entry in changes.get(kind) or []:
            out.append('%s: %s' % (title, _line(entry)))
    out.append('%d new, %d fixed, %d persist, %d not checked again' % tuple(
        len(changes.get(k) or []) for k in ('new', 'fixed', 'persists', 'not_rechecked')))
    return out


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars or {})
        del tmp
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except Exception as exc:
            result.update(failed=True, msg='stackdoctor.openstack.report_diff: %s' % exc)
            return result
        hdir = os.path.abspath(os.path.expanduser(args['history_dir']))
        runs = history.list_runs(hdir)
        new_ref = args.get('new') or (runs[-1] if runs else None)
        try:
            if not new_ref:
                raise history.HistoryError('no run kept in %s' % hdir)
            new = history.load_run(hdir, new_ref)
            old_ref = args.get('old')
            if old_ref:
                old = history.load_run(hdir, old_ref)
            else:
                old = history.previous_run(hdir, new.get('profile'), exclude=new.get('run_id'))
                if old is None:
                    raise history.HistoryError('no run of profile %s before %s in %s'
                                               % (new.get('profile') or 'all checks', new.get('run_id'), hdir))
        except history.HistoryError as exc:
            result.update(failed=True, msg='stackdoctor.openstack.report_diff: %s' % exc, runs=runs)
            return result
        changes = history.diff(old, new)
        result.update(
            changed=False,
            old=history.run_info(old),
            new=history.run_info(new),
            changes=changes,
            counts=dict((k, len(changes[k])) for k in ('new', 'fixed', 'persists', 'not_rechecked')),
            lines=lines(changes, old, new),
            runs=runs,
            msg='%s -> %s: %d new, %d fixed, %d persist' % (
                old.get('run_id'), new.get('run_id'), len(changes['new']), len(changes['fixed']), len(changes['persists'])),
        )
        return result
