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

    def _domain_id(self, name, cache):
        if name not in cache:
            cache[name] = self.conn.identity.find_domain(name, ignore_missing=False)['id']
        return cache[name]

    def _one(self, entry, domains):
        out = dict(user=entry.get('user'), project=entry.get('project'), role=entry.get('role'),
                   user_domain=entry.get('user_domain') or 'Default',
                   project_domain=entry.get('project_domain') or 'Default',
                   found=False, user_exists=None, assigned=None, changed=False, error=None)
        if not (out['user'] and out['project'] and out['role']):
            out['error'] = 'an assignment needs user, project and role'
            return out
        ident = self.conn.identity
        try:
            user = ident.find_user(out['user'], domain_id=self._domain_id(out['user_domain'], domains))
            project = ident.find_project(out['project'], domain_id=self._domain_id(out['project_domain'], domains))
            role = ident.find_role(out['role'])
            out['user_exists'] = user is not None
            missing = [k for k, v in (('user', user), ('project', project), ('role', role)) if v is None]
            if missing:
                out['error'] = 'not found in keystone: %s' % ', '.join(
                    '%s %s' % (k, out[k]) for k in missing)
                return out
            out['found'] = True
            found = list(ident.role_assignments(user_id=user['id'], scope_project_id=project['id'],
                                                role_id=role['id']))
            out['assigned'] = bool(found)
            state = self.params['state']
            want = (state == 'present' and not found) or (state == 'absent' and found)
            if want:
                out['changed'] = True
                if not self.ansible.check_mode:
                    if state == 'present':
                        ident.assign_project_role_to_user(project, user, role)
                    else:
                        ident.unassign_project_role_from_user(project, user, role)
        except Exception as exc:  # pylint: disable=broad-except
            out['error'] = '%s: %s' % (type(exc).__name__, str(exc)[:300])
        return out

    def run(self):
        domains = {}
        results = [self._one(e or {}, domains) for e in self.params['assignments']]
        self.exit_json(changed=any(r['changed'] for r in results), assignments=results)


def main():
    module = KeystoneRoleAssignmentsModule()
    module()


if __name__ == '__main__':
    main()
