# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_service_credentials: database URLs and keystone passwords in the services' configs that do not work (declaration + evaluate).

Pure function: the ``credentials`` node facts (each [database]-style connection URL tried with a
real MySQL/MariaDB login to its database, each keystone password section with a real token
request, from the node, bounded in time) in, one result per URL or password section out.
Wrong passwords are reported, never rewritten, never shown.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_service_credentials',
    'title': "database connection URLs and keystone passwords in the services' configs that do not log in",
    'scope': 'host',
    'groups': ['controllers', 'computes', 'storage', 'network'],
    'subsets': ['layout', 'credentials'],
    'apis': [],
    'fix': None,
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'credentials.db_login_refused': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': 'the database refuses the user and password of the connection URL (error 1045)'},
        'credentials.db_schema_denied': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': 'the login works but the database named in the URL is missing or not granted (1049, 1044)'},
        'credentials.db_unreachable': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': 'the database server of the URL does not accept a connection or a login from this node '
                     '(down, firewall, host not allowed 1130)'},
        'credentials.keystone_password_refused': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': "keystone refuses the section's user, password and project (401): the service cannot "
                     "validate tokens or call other services"},
        'credentials.keystone_unreachable': {
            'severity': 'warning', 'identity': ['file', 'section'],
            'title': "the section's auth_url does not answer from this node"},
        'credentials.url_invalid': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': 'a connection URL or password section cannot be used (no host, bad port, no auth_url)'},
    },
    'references': [
        'https://docs.openstack.org/oslo.db/latest/reference/opts.html ([database] connection)',
        'https://docs.openstack.org/keystonemiddleware/latest/middlewarearchitecture.html ([keystone_authtoken])',
        'https://docs.openstack.org/api-ref/identity/v3/ (POST /v3/auth/tokens)',
        'https://mariadb.com/kb/en/connection/ (connection phase, mysql_native_password)',
        'https://mariadb.com/kb/en/mariadb-error-codes/ (1044, 1045, 1049, 1130)',
        'https://docs.openstack.org/nova/latest/install/controller-install-ubuntu.html',
    ],
    'runbook': {
        'symptom': (
            "A service does not start or answers 500: \"Access denied for user 'nova'@'...' (using password: "
            "YES)\" (OperationalError 1045) in its log after a restart; or every API call answers 401 / 503 "
            "and keystonemiddleware logs \"Identity response: ... 401\" / \"The request you have made requires "
            "authentication\"; nova-compute cannot report to placement."),
        'cause': (
            "A wrong password in [database] connection or [api_database] connection (a hand edit, a "
            "password rotated in the database but not in the config, or the reverse), a database or grant "
            "missing, or a wrong password/user/project in [keystone_authtoken] (or [placement], "
            "[service_user], ...) after a password change in keystone."),
        'reads': (
            "Every config file of the layout's services on the node; [database], [api_database] and "
            "[placement_database] connection (SQLAlchemy URLs): a MySQL/MariaDB login with the URL's "
            "user and password that selects the URL's database, then quits; every password section "
            "([keystone_authtoken], [placement], [service_user], [neutron], [nova], [cinder], [glance]): "
            "POST /v3/auth/tokens scoped to its project. Both from the node, each bounded by "
            "check_service_credentials_timeout (stackdoctor_probe_timeout). URLs are shown as "
            "user:***@host; a password never leaves the node."),
        'fix': (
            "No automatic fix: a password is never rewritten. Find the right value in the deployment "
            "tool's secrets (kolla passwords.yml, TripleO's parameters, juju relation data), or reset "
            "it on the database (ALTER USER) or in keystone (openstack user set --password), then put it "
            "in the config through the deployment tool and restart the service."),
        'verify': (
            "mysql -h <host> -u <user> -p <database> -e 'select 1'; openstack --os-username <user> "
            "--os-project-name service token issue; re-run check_service_credentials."),
    },
}


def _where(item, entry):
    return '%s line %s [%s]' % (item.get('file'), entry.get('line'), entry.get('section'))


def _ev(item, entry, keys):
    ev = {'file': item.get('file'), 'line': entry.get('line'), 'section': entry.get('section'),
          'services': item.get('services') or []}
    ev.update((k, entry[k]) for k in keys if entry.get(k) is not None)
    return ev


def _db_result(item, d):
    ev = _ev(item, d, ('url_masked', 'dialect', 'database', 'username'))
    where = _where(item, d)
    if d.get('error'):
        ev['message'] = d['error'].get('message')
        return base.result(DECLARATION, 'credentials.url_invalid', base.FAULT, '%s: %s' % (where, ev['message']), ev)
    p = d.get('probe')
    if p is None:
        return base.result(DECLARATION, 'credentials.db_login_refused', 'skipped',
                           '%s: %s not tried (%s)' % (where, d.get('url_masked'), d.get('dialect')), ev)
    ev['probe'] = dict((k, p.get(k)) for k in ('tcp', 'login', 'error_code', 'error_text', 'server_version',
                                               'auth_plugin', 'detail', 'elapsed_ms') if p.get(k) is not None)
    login = p.get('login')
    said = ('%s %s' % (p.get('error_code'), p.get('error_text'))) if p.get('error_code') else (p.get('detail') or '')
    if p.get('tcp') != 'ok':
        return base.result(DECLARATION, 'credentials.db_unreachable', base.FAULT,
                           '%s: %s: TCP %s (%s)' % (where, d.get('url_masked'), p.get('tcp'), p.get('detail')), ev)
    if login == 'ok':
        return base.result(DECLARATION, 'credentials.db_login_refused', 'ok',
                           '%s: %s logs in and opens %s' % (where, d.get('url_masked'), d.get('database')), ev)
    if login == 'not_tried':
        return base.result(DECLARATION, 'credentials.db_login_refused', 'ok',
                           '%s: %s reachable (no login tried for %s)' % (where, d.get('url_masked'), d.get('dialect')), ev)
    if login == 'access_denied':
        return base.result(DECLARATION, 'credentials.db_login_refused', base.FAULT,
                           '%s: %s: the database refuses the password: %s' % (where, d.get('url_masked'), said), ev)
    if login in ('db_access_denied', 'unknown_database'):
        return base.result(DECLARATION, 'credentials.db_schema_denied', base.FAULT,
                           '%s: %s: %s' % (where, d.get('url_masked'), said), ev)
    if login in ('host_not_allowed', 'host_blocked', 'timeout', 'closed', 'too_many_connections'):
        return base.result(DECLARATION, 'credentials.db_unreachable', base.FAULT,
                           '%s: %s: %s (%s)' % (where, d.get('url_masked'), login, said), ev)
    return base.result(DECLARATION, 'credentials.db_login_refused', 'error',
                       '%s: %s: cannot decide: %s (%s)' % (where, d.get('url_masked'), login, said), ev)


def _ks_result(item, k):
    ev = _ev(item, k, ('auth_url', 'username', 'project', 'user_domain', 'project_domain'))
    where = _where(item, k)
    who = 'user %s project %s at %s' % (k.get('username'), k.get('project'), k.get('auth_url'))
    if k.get('error'):
        ev['message'] = k['error'].get('message')
        return base.result(DECLARATION, 'credentials.url_invalid', base.FAULT, '%s: %s' % (where, ev['message']), ev)
    p = k.get('probe')
    if p is None:
        return base.result(DECLARATION, 'credentials.keystone_password_refused', 'skipped',
                           '%s: %s not tried (probes off)' % (where, who), ev)
    ev['probe'] = dict((x, p.get(x)) for x in ('url', 'status', 'token', 'detail', 'elapsed_ms') if p.get(x) is not None)
    token = p.get('token')
    if token == 'ok':
        return base.result(DECLARATION, 'credentials.keystone_password_refused', 'ok',
                           '%s: %s gets a token' % (where, who), ev)
    if token == 'refused':
        return base.result(DECLARATION, 'credentials.keystone_password_refused', base.FAULT,
                           '%s: keystone refuses %s (401: wrong password, user, domain or project)' % (where, who), ev)
    if token in ('unreachable', 'timeout'):
        return base.result(DECLARATION, 'credentials.keystone_unreachable', base.FAULT,
                           '%s: %s: keystone %s (%s)' % (where, who, token, p.get('detail')), ev)
    return base.result(DECLARATION, 'credentials.keystone_password_refused', 'error',
                       '%s: %s: keystone answered %s (%s)' % (where, who, p.get('status'), p.get('detail')), ev)


def evaluate(facts, params=None):
    """One result per database URL and keystone password section of the host's configs."""
    facts = facts or {}
    c = facts.get('credentials')
    if not isinstance(c, dict):
        return [base.result(DECLARATION, 'credentials.db_login_refused', 'error',
                            'credentials facts were not gathered on this host (node_facts subset "credentials" missing)')]
    if c.get('error') and not c.get('configs'):
        err = c['error'] if isinstance(c['error'], dict) else {'message': str(c['error'])}
        return [base.result(DECLARATION, 'credentials.db_login_refused', 'error',
                            'cannot read the services\' configs: %s' % err.get('message'),
                            {'file': err.get('file'), 'message': err.get('message')})]
    results = []
    for item in c.get('configs') or []:
        if item.get('error'):
            results.append(base.config_error(DECLARATION, 'credentials.url_invalid', item))
            continue
        for d in item.get('databases') or []:
            results.append(_db_result(item, d))
        for k in item.get('keystone') or []:
            results.append(_ks_result(item, k))
    if not results:
        results.append(base.result(DECLARATION, 'credentials.db_login_refused', 'skipped',
                                   'no database URL or keystone password in the services\' configs on this host'))
    return results
