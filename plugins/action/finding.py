# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin stackdoctor.openstack.finding: record check results on the controller.

No remote call: validates the results, masks their evidence, and returns the host's
``stackdoctor_results`` / ``stackdoctor_actions`` facts updated (results of a check recorded
again replace that check's old results on the host).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd

RESULT_KEYS = ('id', 'status', 'summary', 'evidence', 'fix', 'reference', 'host')

ARGUMENT_SPEC = dict(
    id=dict(type='str'),
    check=dict(type='str'),
    host=dict(type='str'),
    scope=dict(type='str', choices=['host', 'cloud'], default='host'),
    status=dict(type='str'),
    summary=dict(type='str'),
    evidence=dict(type='raw'),
    fix=dict(type='str'),
    reference=dict(type='str'),
    results=dict(type='list', elements='raw'),
    actions=dict(type='list', elements='raw'),
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def _previous(self, task_vars, name):
        facts = task_vars.get('ansible_facts') or {}
        value = facts.get(name) if hasattr(facts, 'get') else None
        if value is None:
            value = task_vars.get(name)
        return sd.to_plain(value) if isinstance(value, (list, tuple)) else []

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        host = task_vars.get('inventory_hostname') or '?'
        recorder = host

        try:
            dummy, args = self.validate_argument_spec(
                argument_spec=ARGUMENT_SPEC,
                mutually_exclusive=[('results', k) for k in RESULT_KEYS],
            )
        except Exception as exc:  # AnsibleArgumentSpecError and friends
            result.update(failed=True, msg='stackdoctor.openstack.finding on host %s: %s' % (host, exc))
            return result

        if args.get('scope') == 'cloud':
            # cloud-scope results belong to the cloud, whichever host ran the check
            host = sd.cloud_target(task_vars)
        default_check = args.get('check')
        if not default_check and getattr(self._task, '_role', None) is not None:
            try:
                default_check = self._task._role.get_name(include_role_fqcn=False)
            except TypeError:
                default_check = self._task._role.get_name()

        if args.get('results') is not None:
            raw_results = args['results']
        elif any(args.get(k) not in (None, '') for k in ('id', 'status', 'summary')):
            raw_results = [dict((k, args.get(k)) for k in RESULT_KEYS if args.get(k) is not None)]
        else:
            raw_results = []

        stamp = sd.utc_now()
        try:
            new = sd.validate_results(raw_results, host=host, default_check=default_check, stamp=stamp)
            actions = sd.validate_actions(args.get('actions'), host=host, stamp=stamp)
        except sd.ResultError as exc:
            result.update(failed=True, msg='stackdoctor.openstack.finding on %s: invalid result: %s' % (recorder, exc))
            return result

        merged = sd.merge_results(self._previous(task_vars, 'stackdoctor_results'), new)
        merged_actions = sd.merge_actions(self._previous(task_vars, 'stackdoctor_actions'), actions)

        lines = [sd.format_line(r) for r in sorted(new, key=sd.sort_key)]
        lines += ['action %s: %s%s' % (a['fix'], a['summary'], ' (changed)' if a['changed'] else '')
                  for a in actions]
        result.update(
            changed=False,
            results=new,
            actions=actions,
            msg='\n'.join(lines) if lines else 'nothing recorded',
            ansible_facts=dict(stackdoctor_results=merged, stackdoctor_actions=merged_actions),
        )
        return result
