# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_service_roles: service users that lost their role in the service project (declaration + evaluate).

The role reads keystone with stackdoctor.openstack.keystone_role_assignments (state audit: the
calls openstack.cloud.role_assignment makes, for every expected assignment at once, each bounded
in time); evaluate() turns those answers into one result per service user.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_service_roles',
    'title': "OpenStack service users (nova, placement, cinder, glance, neutron, mistral) without their role in the service project",
    'scope': 'cloud',
    'groups': ['controllers'],
    'subsets': [],
    'apis': [
        'identity GET /v3/users?name=<user>&domain_id=<domain>',
        'identity GET /v3/role_assignments?user.id&scope.project.id&role.id',
    ],
    'fix': 'fix_service_roles',
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'keystone.service_role_missing': {
            'severity': 'critical', 'identity': ['user', 'project', 'role'],
            'title': "a service user does not hold the role the deployment gives it in the service project "
                     "(keystone's install guide: admin)"},
        'keystone.service_user_missing': {
            'severity': 'warning', 'fixable': False, 'identity': ['user'],
            'title': 'a service user that check_service_roles_users expects does not exist in keystone'},
    },
    'references': [
        'https://docs.openstack.org/nova/latest/install/controller-install-ubuntu.html '
        '(openstack role add --project service --user nova admin)',
        'https://docs.openstack.org/keystone/latest/admin/service-api-protection.html',
        'https://docs.openstack.org/keystone/latest/api/ (GET /v3/role_assignments)',
        'https://docs.ansible.com/ansible/latest/collections/openstack/cloud/role_assignment_module.html',
        'https://docs.openstack.org/api-ref/identity/v3/ (GET /v3/role_assignments, PUT /v3/projects/{project_id}/'
        'users/{user_id}/roles/{role_id})',
    ],
    'runbook': {
        'symptom': (
            "Requests between services fail with 401/403: nova cannot talk to placement, neutron or "
            "cinder (\"Unauthorized\", \"Forbidden\" in nova-compute or nova-conductor), servers stay in "
            "BUILD, volumes do not attach; keystonemiddleware logs that the service token is not "
            "authorized."),
        'cause': (
            "Someone removed the service user's role in the service project (`openstack role remove "
            "--project service --user nova admin`), a cleanup script took it, or a redeploy recreated "
            "the user without its role."),
        'reads': (
            "keystone from check_service_roles_api_host (module keystone_role_assignments, state "
            "audit): each user of check_service_roles_users in its domain, the project and the role, "
            "and whether the direct assignment exists (GET /v3/role_assignments), each call bounded by "
            "check_service_roles_api_timeout. Assignments through a group or inherited ones are not "
            "counted. A user marked optional that keystone does not know is a service not deployed."),
        'fix': (
            "fix_service_roles adds the missing assignment back (keystone_role_assignments state present: "
            "the PUT openstack.cloud.role_assignment makes; that module of openstack.cloud 2.5.0 fails "
            "with openstacksdk >= 4.15), only when fix_service_roles_enabled is true (opt-in) and only "
            "for the assignments the check found missing. Passwords are never read or written."),
        'verify': (
            "openstack role assignment list --user <user> --project service --names; re-run "
            "check_service_roles; retry the failing operation."),
    },
}


def evaluate(facts, params=None):
    """``facts``: ``{users: [{user, user_domain, project, project_domain, role, found, missing,
    error}], error}`` from the role; one result per expected assignment."""
    facts = facts or {}
    if facts.get('error'):
        return [base.result(DECLARATION, 'keystone.service_role_missing', 'error',
                            'keystone could not be read: %s' % facts['error'], {'message': facts['error']})]
    users = facts.get('users')
    if not isinstance(users, list):
        return [base.result(DECLARATION, 'keystone.service_role_missing', 'error',
                            'no role assignment answers to evaluate (bad input: %r)' % type(users).__name__)]
    results = []
    for u in users:
        if not isinstance(u, dict) or not u.get('user'):
            results.append(base.result(DECLARATION, 'keystone.service_role_missing', 'error',
                                       'bad entry in check_service_roles_users: %r' % (u,)))
            continue
        ev = dict((k, u.get(k)) for k in ('user', 'user_domain', 'project', 'project_domain', 'role'))
        what = "user %s (domain %s) role %s on project %s" % (u['user'], u.get('user_domain'), u.get('role'), u.get('project'))
        if u.get('error'):
            ev['message'] = u['error']
            results.append(base.result(DECLARATION, 'keystone.service_role_missing', 'error',
                                       '%s: keystone answered: %s' % (what, u['error']), ev))
        elif not u.get('found'):
            results.append(base.result(DECLARATION, 'keystone.service_user_missing', base.FAULT,
                                       'service user %s does not exist in domain %s' % (u['user'], u.get('user_domain')),
                                       ev))
        elif u.get('missing'):
            results.append(base.result(DECLARATION, 'keystone.service_role_missing', base.FAULT,
                                       '%s: no such assignment' % what, ev))
        else:
            results.append(base.result(DECLARATION, 'keystone.service_role_missing', 'ok', '%s: assigned' % what, ev))
    if not results:
        results.append(base.result(DECLARATION, 'keystone.service_role_missing', 'skipped',
                                   'check_service_roles_users is empty'))
    return results
