# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_upgrade_checks: every service's own ``<service>-status upgrade check`` on the hosts
where the service is installed (declaration + evaluate).

The role runs ``stackdoctor.openstack.upgrade_checks`` (the commands through the layout:
on the host, or inside the service's container); ``evaluate`` turns each check of each
command into one result: Success ok, Warning warning, Failure critical, and a command that is
missing, times out, crashes or prints nothing readable an ``error``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_upgrade_checks',
    'title': "the services' own upgrade checks (<service>-status upgrade check) that warn or fail",
    'scope': 'host',
    'groups': ['controllers', 'api'],
    'subsets': ['layout'],
    'apis': [],
    'fix': None,
    'facts_only': False,
    'params': {
        'ignore': {'var': 'check_upgrade_checks_ignore', 'default': []},
    },
    'profiles': ['pre-upgrade'],
    'findings': {
        'upgrade.check_failed': {
            'severity': 'critical', 'fixable': False, 'identity': ['command', 'check'],
            'title': 'an upgrade check reports Failure: the upgrade (or the service after it) will break'},
        'upgrade.check_warning': {
            'severity': 'warning', 'fixable': False, 'identity': ['command', 'check'],
            'title': 'an upgrade check reports Warning: something to act on before or soon after the upgrade'},
        'upgrade.command_unusable': {
            'severity': 'error', 'fixable': False, 'identity': ['command'],
            'title': 'a status command is missing, timed out, crashed or printed no results: nothing was '
                     'checked for that service'},
    },
    'references': [
        'https://docs.openstack.org/nova/latest/cli/nova-status.html',
        'https://docs.openstack.org/nova/latest/reference/upgrade-checks.html',
        'https://docs.openstack.org/oslo.upgradecheck/latest/',
        'oslo_upgradecheck/upgradecheck.py (register_cli_options: upgrade check --json; '
        'UpgradeCommands.check: codes 0 Success, 1 Warning, 2 Failure, 255 error)',
        'nova/cmd/status.py (own parser from nova/cmd/common.py: no --json)',
        'placement/cmd/status.py (register_cli_options without main: --json accepted, table printed)',
    ],
    'runbook': {
        'symptom': (
            "Before an upgrade: <service>-status upgrade check (nova-status, placement-status, "
            "keystone-status, cinder-status, neutron-status, glance-status, ...) exits 1 (Warning) "
            "or 2 (Failure), e.g. nova-status \"Older than N-1 computes: Failure\" when a stale "
            "nova-compute services row is older than the oldest supported version."),
        'cause': (
            "Each project ships checks for what its next release will refuse or change: data "
            "migrations not run, options removed, services too old, policy files in JSON. They "
            "read the service's own configuration, database and APIs, so they are only as good as "
            "where they run: on a host (or in the container) of that service."),
        'reads': (
            "For each service the host's layout finds (nova-api/-conductor/-scheduler, "
            "placement-api, keystone, glance-api, cinder-api/-scheduler, neutron-server, heat, "
            "octavia, designate, barbican, manila, ironic), runs <service>-status upgrade check "
            "--json on the host (packaged) or with <cli> exec <container> (kolla, TripleO), each "
            "bounded by check_upgrade_checks_timeout; without --json when the command refuses it "
            "(nova-status), reading the table when it prints one (placement-status). "
            "check_upgrade_checks_commands names the commands instead (virtualenvs, other config "
            "files). Passwords in URLs of the output are masked. A Warning or Failure the site has "
            "judged is listed in check_upgrade_checks_ignore ({command, check, reason}) and "
            "reported skipped with that reason."),
        'fix': (
            "No generic fix: each check's details say what to do (run the named "
            "online_data_migrations, remove the named option, ...). Some are found and repaired by "
            "other pairs here: \"Older than N-1 computes\" by check_nova_service_versions / "
            "fix_nova_service_versions (the stale services row). An error result means the "
            "command could not run there: install or point check_upgrade_checks_commands at it, "
            "or raise check_upgrade_checks_timeout."),
        'verify': (
            "<service>-status upgrade check exits 0 and every result is Success; diagnose with "
            "-e stackdoctor_profile=pre-upgrade shows the results ok."),
    },
}
CHECK = DECLARATION['name']
FAILED, WARNING, UNUSABLE = 'upgrade.check_failed', 'upgrade.check_warning', 'upgrade.command_unusable'


def _where(run):
    return ' in container %s' % run['container'] if run.get('container') else ''


def _ignored(ignore, command, check):
    for item in ignore or []:
        if isinstance(item, dict) and item.get('command') in (None, command) and item.get('check') == check:
            return item
    return None


def evaluate(facts, params=None):
    """Results from the module's ``runs`` (``facts['upgrade_checks']``; ``facts['error']`` when
    the task itself failed). ``params['ignore']``: ``[{command, check, reason}]`` the site has
    judged (a Warning or Failure of those becomes ``skipped`` with the reason)."""
    facts = facts or {}
    ignore = (params or {}).get('ignore') or []
    doc = facts.get('upgrade_checks')
    if facts.get('error') or not isinstance(doc, dict):
        msg = str(facts.get('error') or 'the upgrade_checks module returned nothing')
        return [base.result(DECLARATION, UNUSABLE, 'error', 'upgrade checks not run: %s' % msg.splitlines()[0][:200],
                            {'command': None, 'message': msg[:1000]})]
    runs = [r for r in doc.get('runs') or [] if isinstance(r, dict)]
    if not runs:
        return [base.result(DECLARATION, FAILED, 'skipped',
                            'no service with an upgrade check (<service>-status) is installed here',
                            {'command': None, 'check': None})]
    out = []
    for run in runs:
        name = run.get('name') or '?'
        common = {'command': name, 'service': run.get('service'), 'container': run.get('container'),
                  'argv': ' '.join(run.get('argv') or []), 'rc': run.get('rc'), 'format': run.get('format'),
                  'seconds': run.get('seconds')}
        if run.get('error') and not run.get('checks'):
            out.append(base.result(DECLARATION, UNUSABLE, base.FAULT,
                                   '%s upgrade check%s: %s' % (name, _where(run), run['error']),
                                   dict(common, message=run['error'])))
            continue
        for c in run.get('checks') or []:
            ev = dict(common, check=c.get('check'), result=c.get('result'), details=c.get('details'))
            text = '%s upgrade check "%s"%s' % (name, c.get('check'), _where(run))
            first = (c.get('details') or '').strip().splitlines()[:1]
            detail = (': %s' % first[0][:240]) if first else ''
            site = _ignored(ignore, name, c.get('check'))
            if c.get('result') == 'success':
                out.append(base.result(DECLARATION, FAILED, 'ok', text + ': Success', ev))
            elif site is not None and c.get('result') in ('warning', 'failure'):
                why = site.get('reason') or 'no reason given'
                out.append(base.result(DECLARATION, WARNING if c['result'] == 'warning' else FAILED, 'skipped',
                                       '%s: %s, ignored by the site: %s' % (text, c['result'].capitalize(), why),
                                       dict(ev, ignored_because=site.get('reason'))))
            elif c.get('result') == 'warning':
                out.append(base.result(DECLARATION, WARNING, base.FAULT, text + ': Warning' + detail, ev))
            elif c.get('result') == 'failure':
                out.append(base.result(DECLARATION, FAILED, base.FAULT, text + ': Failure' + detail, ev))
            else:
                out.append(base.result(DECLARATION, UNUSABLE, base.FAULT,
                                       '%s: result %r is none of Success, Warning, Failure' % (text, c.get('code')),
                                       dict(ev, message='unknown result')))
        if run.get('error'):
            out.append(base.result(DECLARATION, UNUSABLE, base.FAULT,
                                   '%s upgrade check%s: %s' % (name, _where(run), run['error']),
                                   dict(common, message=run['error'])))
    return out
