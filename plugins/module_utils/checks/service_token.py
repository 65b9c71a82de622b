# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_service_token: nova services that do not send a service token with their calls to cinder
(OSSA-2023-003 / CVE-2023-2088): declaration + evaluate, from node facts (subset ``service_token``).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DISABLED = 'nova.service_token_disabled'
INCOMPLETE = 'nova.service_user_incomplete'
TRUE_WORDS = ('true', '1', 'yes', 'on')

DECLARATION = {
    'name': 'check_service_token',
    'title': 'nova services that send no service token to cinder ([service_user] send_service_user_token off, '
             'or the service user without credentials): volume detach and attachment deletes are refused '
             'since the OSSA-2023-003 fixes',
    'scope': 'host',
    'groups': ['computes', 'controllers'],
    'subsets': ['layout', 'service_token'],
    'apis': [],
    'fix': None,
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        DISABLED: {'severity': 'critical',
                   'title': "a nova service's config does not set [service_user] send_service_user_token = true"},
        INCOMPLETE: {'severity': 'critical',
                     'title': 'send_service_user_token is on but [service_user] lacks auth_type, a user, a '
                              'password or auth_url: nova cannot get the service token'},
    },
    'references': [
        'https://security.openstack.org/ossa/OSSA-2023-003.html (CVE-2023-2088: unauthorized volume access '
        'through deleted volume attachments)',
        'https://docs.openstack.org/nova/latest/admin/configuration/service-user-token.html',
        'nova/conf/service_token.py ([service_user] send_service_user_token)',
        'cinder/exception.py ConflictNovaUsingAttachment ("Detach volume from instance ... using the Compute '
        'API"), HTTP 409 to a delete without a service token',
        'https://bugs.launchpad.net/nova/+bug/2004555 (nova: service user tokens required for every nova service)',
    ],
    'runbook': {
        'symptom': (
            'Deleting a server leaves its volumes "in-use", detaching a volume fails, nova-compute logs '
            '"ConflictNovaUsingAttachment: ... (HTTP 409)" from cinder after the OSSA-2023-003 fixes '
            '(cinder 2023.1 and the backports), or an upgrade makes these start failing.'),
        'cause': (
            "Since the fixes for OSSA-2023-003 / CVE-2023-2088 cinder refuses to delete an attachment that nova "
            "made unless the request carries a service token (nova's own credentials, sent beside the user's "
            "token). nova sends one only with [service_user] send_service_user_token = true and a complete "
            "[service_user] (auth_type, username, password, auth_url, as keystoneauth reads them). The release "
            "notes of nova and cinder made it required; deployments configured before that often miss it on "
            "the computes."),
        'reads': (
            "the [service_user] section of each nova service's config file on the host, through the layout "
            "(node_facts subset service_token: the value of send_service_user_token and its line, whether "
            "auth_type, a user, a password and auth_url are set; never their values)."),
        'fix': (
            "no fix role: the service user's credentials are a site's secret. Set in every nova service's "
            "config (nova-compute above all) [service_user] send_service_user_token = true with auth_type = "
            "password, auth_url, username, password, the domains and project of nova's service user (usually "
            "the [keystone_authtoken] ones), then restart the nova services; kolla-ansible and TripleO render "
            "it since their 2023.1 / OSSA updates."),
        'verify': (
            "`crudini --get /etc/nova/nova.conf service_user send_service_user_token` answers true on every "
            "compute; deleting a test server with a volume attached leaves the volume available."),
    },
}


def evaluate(facts, params=None):
    """One result per nova config file on the host."""
    facts = facts or {}
    st = facts.get('service_token')
    if not isinstance(st, dict):
        return [base.result(DECLARATION, DISABLED, 'error',
                            'service_token facts were not gathered on this host (node_facts subset missing)')]
    configs = st.get('configs') or []
    if not configs:
        return [base.result(DECLARATION, DISABLED, 'skipped', 'no nova service config on this host')]
    results = []
    for c in configs:
        ev = {'file': c.get('file'), 'services': c.get('services') or [], 'line': c.get('send_line'),
              'value': c.get('send')}
        where = '%s (%s)' % (c.get('file'), ', '.join(ev['services']))
        if c.get('error'):
            results.append(base.config_error(DECLARATION, DISABLED, c))
            continue
        value = c.get('send')
        if value is None or value.lower() not in TRUE_WORDS:
            results.append(base.result(
                DECLARATION, DISABLED, base.FAULT,
                '%s: [service_user] send_service_user_token is %s: cinder refuses its attachment deletes '
                '(OSSA-2023-003)' % (where, 'not set (default false)' if value is None
                                     else '%s (line %s)' % (value, c.get('send_line'))), ev))
            continue
        missing = [name for name, ok in (('auth_type', bool(c.get('auth_type'))),
                                         ('username', c.get('has_username')),
                                         ('password', c.get('has_password')),
                                         ('auth_url', c.get('has_auth_url'))) if not ok]
        ev['missing'] = missing
        if missing:
            results.append(base.result(
                DECLARATION, INCOMPLETE, base.FAULT,
                '%s: send_service_user_token = true but [service_user] has no %s: nova cannot get the service '
                'token' % (where, ', '.join(missing)), ev))
        else:
            results.append(base.result(DECLARATION, DISABLED, 'ok',
                                       '%s sends a service token ([service_user] %s)' % (where, c.get('auth_type')),
                                       ev))
    return results
