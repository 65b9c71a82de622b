# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_debug_mode: OpenStack services left logging at DEBUG (declaration + evaluate).

Pure function: the ``debug`` node facts (``[DEFAULT] debug`` of each service config file of the
layout found on the host, the size of each service's log) and the ``layout`` facts (which of
the services sharing a file are deployed here) in, one result per config file out.
``expected`` names services whose debug is on on purpose (a debug window opened with
``fix_debug_mode_state: true``): for them debug on is ok, debug off is the finding.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_debug_mode',
    'title': 'OpenStack services logging at DEBUG ([DEFAULT] debug = true): logs grow fast and fill the disk',
    'scope': 'host',
    'groups': ['controllers', 'computes', 'storage', 'network'],
    'subsets': ['layout', 'debug'],
    'apis': [],
    'fix': 'fix_debug_mode',
    'params': {'expected': {'var': 'check_debug_mode_expected', 'default': []}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'logging.debug_enabled': {
            'severity': 'warning', 'identity': ['file'],
            'title': '[DEFAULT] debug is on in a service config file: every request is logged at DEBUG '
                     '(large logs, slower services, more detail in logs than operators usually keep)'},
        'logging.debug_not_enabled': {
            'severity': 'warning', 'identity': ['file'],
            'title': 'debug is off for a service listed in check_debug_mode_expected (a debug window was '
                     'asked for and is not open)'},
    },
    'references': [
        'https://docs.openstack.org/oslo.log/latest/configuration/index.html (debug, log_config_append)',
        'oslo_log/_options.py (debug: BoolOpt, default False, mutable=True)',
        'oslo_log/log.py setup() (log_config_append replaces the options-based set-up)',
        'https://docs.openstack.org/oslo.config/latest/reference/mutable.html',
        'https://docs.openstack.org/kolla-ansible/latest/admin/advanced-configuration.html '
        '(OpenStack service configuration in Kolla: /etc/kolla/config overrides)',
        'https://docs.openstack.org/project-deploy-guide/tripleo-docs/latest/ (Debug parameter and '
        '<Service>Debug parameters of tripleo-heat-templates)',
    ],
    'runbook': {
        'symptom': (
            "A log directory (/var/log/nova, /var/log/kolla/<project>, /var/log/containers/<service>) grows "
            "by gigabytes a day, the filesystem fills (check_disk_space), services slow down under load; the "
            "logs are full of DEBUG lines (oslo.messaging payloads, SQL, HTTP request/response lines)."),
        'cause': (
            "Someone turned debug on to chase a problem and never turned it off: [DEFAULT] debug = true in the "
            "service's config (oslo.log's option, default false). On kolla the override sits in "
            "/etc/kolla/config/<service>.conf or globals.yml (openstack_logging_debug), on TripleO in the "
            "Debug / <Service>Debug heat parameters, on charms in the charm's debug config: the next deploy "
            "writes it again if it is set there."),
        'reads': (
            "Each service config file of the host's layout (the first .conf of every OpenStack service found "
            "on the host; files shared by several services, such as nova.conf on a controller, once), "
            "[DEFAULT] debug with its line (oslo.config's boolean words: true/1/yes/on), "
            "[DEFAULT] log_config_append (when set, a logging config file decides the levels and oslo.log "
            "ignores debug), and the size of each deployed service's log. check_debug_mode_expected names "
            "services whose debug is on on purpose."),
        'fix': (
            "fix_debug_mode turns debug off (fix_debug_mode_state: false, the default) or on "
            "(fix_debug_mode_state: true, a debug window) for the services named in "
            "fix_debug_mode_services, in the config file the layout names, with community.general.ini_file "
            "(backup, --check --diff show the exact file and line), then restarts every deployed service "
            "reading that file through the layout. On kolla, TripleO and charms the deployment tool owns the "
            "file: the change lasts until the next deploy, so also change it there (the action says so)."),
        'verify': (
            "grep -n '^debug' <config file>; the service's log shows no new DEBUG lines after the restart "
            "(tail -f <log> | grep ' DEBUG '); re-run check_debug_mode."),
    },
}
ENABLED = 'logging.debug_enabled'
NOT_ENABLED = 'logging.debug_not_enabled'
BOOLEAN_WORDS = ('1', 'true', 'yes', 'on', '0', 'false', 'no', 'off')


def _size(n):
    n = int(n or 0)
    for unit, div in (('GiB', 1024 ** 3), ('MiB', 1024 ** 2), ('KiB', 1024)):
        if n >= div:
            return '%.1f %s' % (float(n) / div, unit)
    return '%d bytes' % n


def _deployed(facts, names):
    """The services of ``names`` the layout finds deployed on the host (all when unknown)."""
    services = ((facts.get('layout') or {}).get('services')) or {}
    if not services:
        return list(names)
    return [n for n in names if (services.get(n) or {}).get('present')]


def evaluate(facts, params=None):
    """One result per service config file; ``params``: ``expected`` (services debugged on purpose), ``severity``."""
    facts = facts or {}
    params = params or {}
    debug = facts.get('debug')
    if not isinstance(debug, dict):
        return [base.result(DECLARATION, ENABLED, 'error',
                            'debug facts were not gathered on this host (node_facts subset "debug" missing)')]
    expected = params.get('expected') or []
    if isinstance(expected, str):
        expected = [s.strip() for s in expected.split(',') if s.strip()]
    flavour = (facts.get('layout') or {}).get('flavour')
    config_change = (facts.get('layout') or {}).get('config_change')
    results = []
    for item in debug.get('configs') or []:
        names = list(item.get('services') or [])
        deployed = _deployed(facts, names)
        ev = {'file': item.get('file'), 'line': item.get('line'), 'section': 'DEFAULT', 'option': 'debug',
              'value': item.get('value'), 'services': deployed or names, 'deployed': bool(deployed),
              'flavour': flavour}
        if item.get('error'):
            results.append(base.config_error(DECLARATION, ENABLED, item, services=names, flavour=flavour))
            continue
        value = item.get('value')
        if value is not None and str(value).strip().lower() not in BOOLEAN_WORDS:
            results.append(base.result(
                DECLARATION, ENABLED, 'error',
                'debug = %s in %s line %s is not a boolean: oslo.config refuses it and %s will not start'
                % (value, item.get('file'), item.get('line'), ', '.join(deployed or names)), ev))
            continue
        logs = dict((lg.get('service'), lg) for lg in item.get('logs') or [] if lg.get('service') in (deployed or names))
        if logs:
            ev['logs'] = dict((s, {'file': lg.get('file'), 'bytes': lg.get('bytes')}) for s, lg in sorted(logs.items()))
        append = item.get('log_config_append')
        if append:
            ev['log_config_append'] = append
        wanted = sorted(set(expected) & set(names))
        if wanted:
            ev['expected'] = wanted
        where = '%s%s' % (item.get('file'), ' line %s' % item['line'] if item.get('line') else '')
        who = ', '.join(deployed) if deployed else '%s (none deployed here)' % ', '.join(names)
        if item.get('enabled'):
            biggest = sorted(logs.values(), key=lambda lg: -(lg.get('bytes') or 0))
            size = (': %s is %s' % (biggest[0].get('file'), _size(biggest[0].get('bytes')))) if biggest else ''
            note = (' (log_config_append = %s line %s: the logging config file decides the levels)'
                    % (append.get('value'), append.get('line'))) if append else ''
            if wanted:
                results.append(base.result(
                    DECLARATION, ENABLED, 'ok',
                    'debug = %s in %s, as check_debug_mode_expected asks for %s%s%s'
                    % (value, where, ', '.join(wanted), size, note), ev))
            else:
                if config_change and flavour != 'packaged':
                    ev['durable_change'] = config_change
                if deployed:
                    what = '%s log%s at DEBUG' % (who, 's' if len(deployed) == 1 else '')
                else:
                    what = 'read by %s, none of them deployed here: DEBUG once one starts' % ', '.join(names)
                results.append(base.result(
                    DECLARATION, ENABLED, base.FAULT,
                    'debug = %s in %s: %s%s%s' % (value, where, what, size, note), ev))
        elif wanted:
            results.append(base.result(
                DECLARATION, NOT_ENABLED, base.FAULT,
                'debug is %s in %s but check_debug_mode_expected names %s' % (
                    'off (%s)' % value if value is not None else 'not set (off)', where, ', '.join(wanted)), ev))
        else:
            results.append(base.result(
                DECLARATION, ENABLED, 'ok',
                'debug %s in %s (%s)' % ('= %s' % value if value is not None else 'not set (off)', where, who), ev))
    if not results:
        results.append(base.result(DECLARATION, ENABLED, 'skipped',
                                   'no OpenStack service config file of the %s layout on this host' % (flavour or '?')))
    return results
