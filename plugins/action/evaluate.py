# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin stackdoctor.openstack.evaluate: run checks' evaluate() and record their results.

The one evaluate path: on the controller (no remote call), for each named check it takes the
check's parameters from the variables its declaration names (role defaults inside the check
role; the declared defaults when diagnose evaluates host checks in bulk), runs the check's pure
``evaluate(facts, params)`` and records the results as ``stackdoctor.openstack.finding`` does.
A check whose evaluate() raises becomes an ``error`` result of that check; the others still run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

ARGUMENT_SPEC = dict(
    checks=dict(type='list', elements='str', required=True),
    facts=dict(type='raw'),
    scope=dict(type='str', choices=['host', 'cloud'], default='host'),
    params=dict(type='dict', default={}),
    gathered=dict(type='raw'),
)


def down_result(gathered):
    """The error result for a host whose node_facts run (registered as ``gathered``) did not
    return facts: unreachable, or the module failed; None when the facts came back."""
    if not isinstance(gathered, dict) or gathered.get('skipped'):
        return None
    if gathered.get('unreachable'):
        rid, what = 'stackdoctor.host_unreachable', 'host unreachable'
    elif gathered.get('failed'):
        rid, what = 'stackdoctor.facts_failed', 'node facts could not be gathered'
    else:
        return None
    msg = str(gathered.get('msg') or gathered.get('module_stderr') or 'unknown error')
    first = (msg.strip().splitlines() or ['unknown error'])[0]
    return {'id': rid, 'check': 'stackdoctor', 'status': 'error', 'summary': '%s: %s' % (what, first),
            'evidence': {'msg': msg[:2000]}}


def check_params(decl, variables, template=None):
    """The parameters of a check: every declared param from its variable, plus its severities."""
    template = template or (lambda v: v)
    out = {}
    for name, spec in (decl.get('params') or {}).items():
        value = variables.get(spec['var'], spec.get('default'))
        out[name] = template(value)
    out['severity'] = template(variables.get(decl['name'] + '_severity', {})) or {}
    return out


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

    def _template(self, value):
        try:
            return sd.to_plain(self._templar.template(value))
        except Exception:  # a variable that cannot be rendered: the check's default applies
            return None

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        recorder = task_vars.get('inventory_hostname') or '?'
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except Exception as exc:
            result.update(failed=True, msg='stackdoctor.openstack.evaluate on host %s: %s' % (recorder, exc))
            return result
        host = sd.cloud_target(task_vars) if args['scope'] == 'cloud' else recorder
        facts = args.get('facts')
        if facts is None:
            facts = task_vars.get('stackdoctor_node_facts') or {}
        facts = sd.to_plain(facts) or {}

        stamp = sd.utc_now()
        down = down_result(sd.to_plain(args.get('gathered')))
        if down is not None:
            # nothing to evaluate on a host not reached: one error result, and the play ends there
            new = sd.validate_results([down], host=host, default_check='stackdoctor', stamp=stamp)
            merged = sd.merge_results(self._previous(task_vars, 'stackdoctor_results'), new)
            result.update(changed=False, results=new, msg=sd.format_line(new[0]),
                          ansible_facts=dict(stackdoctor_results=merged, _stackdoctor_down=True,
                                             stackdoctor_actions=self._previous(task_vars, 'stackdoctor_actions')))
            return result
        new = []
        for check in args['checks']:
            try:
                decl = registry.declaration(check)
            except KeyError as exc:
                result.update(failed=True, msg='stackdoctor.openstack.evaluate on host %s: %s' % (recorder, exc))
                return result
            params = check_params(decl, task_vars, self._template)
            params.update(sd.to_plain(args.get('params') or {}))
            try:
                raw = registry.evaluate(check, facts, params)
            except Exception as exc:  # a bug in one check must not hide the others
                raw = [{'id': 'stackdoctor.check_failed', 'check': check, 'status': 'error',
                        'summary': 'check %s could not evaluate its facts: %s: %s' % (check, type(exc).__name__, exc),
                        'evidence': {'exception': type(exc).__name__, 'detail': str(exc)}}]
            try:
                new += sd.validate_results(raw, host=host, default_check=check, stamp=stamp)
            except sd.ResultError as exc:
                result.update(failed=True, msg='stackdoctor.openstack.evaluate on %s: %s broke the result contract: %s'
                              % (recorder, check, exc))
                return result

        merged = sd.merge_results(self._previous(task_vars, 'stackdoctor_results'), new)
        actions = self._previous(task_vars, 'stackdoctor_actions')
        lines = [sd.format_line(r) for r in sorted(new, key=sd.sort_key)]
        result.update(
            changed=False,
            results=new,
            msg='\n'.join(lines) if lines else 'nothing to evaluate',
            ansible_facts=dict(stackdoctor_results=merged, stackdoctor_actions=actions, _stackdoctor_down=False),
        )
        return result
