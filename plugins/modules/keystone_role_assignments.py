#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: keystone_role_assignments
short_description: Read, add or remove project role assignments of keystone users, in one call
version_added: 0.1.0
description:
  - For each entry of O(assignments) (user, project, role and their domains) reads whether the
    direct assignment exists (C(GET /v3/role_assignments)), and with O(state=present) or
    O(state=absent) adds or removes it. Check mode reports what would change and changes nothing.
  - The same keystone calls as M(openstack.cloud.role_assignment), for many assignments at once
    and with a bounded O(api_timeout). M(openstack.cloud.role_assignment) of openstack.cloud 2.5.0
    (bundled with ansible 12) fails with openstacksdk 4.15 or later (it reads
    C(openstack.version.__version__), which openstacksdk no longer imports); this module imports it.
  - A user, project or role that keystone does not know is reported per entry (C(found) false,
    C(error)), never a failure of the whole call.
author:
  - stackdoctor developers (@stackdoctor)
options:
  assignments:
    description: The assignments - C(user), C(project), C(role), optional C(user_domain) and C(project_domain) (default C(Default)).
    type: list
    elements: dict
    required: true
  state:
    description: C(audit) reads only; C(present) adds missing assignments; C(absent) removes existing ones.
    type: str
    default: audit
    choices: [audit, present, absent]
  api_timeout:
    description: Seconds each keystone call may take.
    type: int
    default: 30
extends_documentation_fragment:
  - openstack.cloud.openstack
attributes:
  check_mode:
    description: Reports what would change, changes nothing.
    support: full
'''

EXAMPLES = r'''
- name: Is nova admin in the service project
  stackdoctor.openstack.keystone_role_assignments:
    cloud: mycloud
    assignments:
      - {user: nova, project: service, role: admin}
  register: roles
'''

RETURN = r'''
assignments:
  description: One entry per requested assignment - the request plus C(found) (user, project and role
    exist), C(user_exists), C(assigned) (before the change), C(changed), C(error).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    StackdoctorOpenStackModule)


class KeystoneRoleAssignmentsModule(StackdoctorOpenStackModule):
    argument_spec = dict(
        assignments=dict(type='list', elements='dict', required=True),
        state=dict(type='str', default='audit', choices=['audit', 'present', 'absent']),
        api_timeout=dict(type='int', default=30),
    )
    module_kwargs = dict(supports_check_mode=True)

    # Lookups shared by all entries (the usual request is every service user in one project with
    # one role): each domain, project and role is looked up once, each (project, role) pair's
    # direct user assignments are read with one GET /v3/role_assignments. About 3 keystone
    # requests per user fewer than one find_user/find_project/find_role/role_assignments per entry.
    def _cached(self, cache, key, read):
        if key not in cache:
            cache[key] = read()
        return cache[key]

    def _domain_id(self, name):
        return self._cached(self._domains, name,
                            lambda: self.conn.identity.find_domain(name, ignore_missing=False)['id'])

    def _user(self, name, domain_id):
        ident = self.conn.identity
        # by name in its domain (one request); an id, or a name the filter does not match, through find_user
        found = list(ident.users(name=name, domain_id=domain_id))
        return found[0] if len(found) == 1 else ident.find_user(name, domain_id=domain_id)

    def _holders(self, project_id, role_id):
        """The user ids with a direct assignment of role_id on project_id (one request, then kept up to date)."""
        return self._cached(self._assigned, (project_id, role_id), lambda: set(
            (a.user or {}).get('id') for a in self.conn.identity.role_assignments(
                scope_project_id=project_id, role_id=role_id) if (a.user or {}).get('id')))

    def _one(self, entry):
        out = dict(user=entry.get('user'), project=entry.get('project'), role=entry.get('role'),
                   user_domain=entry.get('user_domain') or 'Default',
                   project_domain=entry.get('project_domain') or 'Default',
                   found=False, user_exists=None, assigned=None, changed=False, error=None)
        if not (out['user'] and out['project'] and out['role']):
            out['error'] = 'an assignment needs user, project and role'
            return out
        ident = self.conn.identity
        try:
            user = self._user(out['user'], self._domain_id(out['user_domain']))
            project_domain = self._domain_id(out['project_domain'])
            project = self._cached(self._projects, (out['project'], project_domain),
                                   lambda: ident.find_project(out['project'], domain_id=project_domain))
            role = self._cached(self._roles, out['role'], lambda: ident.find_role(out['role']))
            out['user_exists'] = user is not None
            missing = [k for k, v in (('user', user), ('project', project), ('role', role)) if v is None]
            if missing:
                out['error'] = 'not found in keystone: %s' % ', '.join(
                    '%s %s' % (k, out[k]) for k in missing)
                return out
            out['found'] = True
            holders = self._holders(project['id'], role['id'])
            found = user['id'] in holders
            out['assigned'] = found
            state = self.params['state']
            want = (state == 'present' and not found) or (state == 'absent' and found)
            if want:
                out['changed'] = True
                if not self.ansible.check_mode:
                    if state == 'present':
                        ident.assign_project_role_to_user(project, user, role)
                        holders.add(user['id'])
                    else:
                        ident.unassign_project_role_from_user(project, user, role)
                        holders.discard(user['id'])
        except Exception as exc:  # pylint: disable=broad-except
            out['error'] = '%s: %s' % (type(exc).__name__, str(exc)[:300])
        return out

    def run(self):
        self._domains, self._projects, self._roles, self._assigned = {}, {}, {}, {}
        results = [self._one(e or {}) for e in self.params['assignments']]
        self.exit_json(changed=any(r['changed'] for r in results), assignments=results)


def main():
    module = KeystoneRoleAssignmentsModule()
    module()


if __name__ == '__main__':
    main()
