#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: mistral_definitions_info
short_description: Ask mistral's API whether named actions and workflows are defined (read-only)
version_added: 0.1.0
description:
  - Finds mistral in the catalog (service type C(workflowv2)) and asks its API for one page of the
    action list (C(GET /v2/actions?limit=1), is it empty), then for each named action
    (C(GET /v2/actions/{name})) and workflow (C(GET /v2/workflows/{name})). A bounded number of
    calls (two plus one per name), each bounded by O(api_timeout); the full action list is not read
    (with mistral-extra it holds thousands of generated actions).
  - Changes nothing. A cloud without mistral in its catalog gives RV(catalog)=false, not a failure.
  - A custom module because no module of openstack.cloud reads mistral's definitions.
author:
  - stackdoctor developers (@stackdoctor)
options:
  actions:
    description:
      - Action names to look up (for example C(std.echo), C(std.wait_ssh), C(nova.servers_list)).
    type: list
    elements: str
    default: []
  workflows:
    description:
      - Workflow names to look up (for example mistral-extra's C(create_instance)).
    type: list
    elements: str
    default: []
  namespace:
    description:
      - The namespace the names are looked up in (mistral's default namespace is empty).
    type: str
    default: ''
extends_documentation_fragment:
  - stackdoctor.openstack.api_timeout
  - openstack.cloud.openstack
'''

EXAMPLES = r'''
- name: Are mistral's standard actions and workflows there?
  stackdoctor.openstack.mistral_definitions_info:
    cloud: mycloud
    actions: [std.echo, std.http, std.wait_ssh, nova.servers_list]
    workflows: [create_instance, delete_instance]
    api_timeout: 20
  register: mistral_defs
'''

RETURN = r'''
catalog:
  description: Whether the catalog has a C(workflowv2) endpoint.
  returned: always
  type: bool
endpoint:
  description: The endpoint that was asked.
  returned: when RV(catalog) is true
  type: str
any_actions:
  description: Whether C(GET /v2/actions?limit=1) returned at least one action.
  returned: when RV(catalog) is true
  type: bool
actions:
  description: Each named action with C(present) (true, false) and, when present, C(is_system) and C(scope).
  returned: when RV(catalog) is true
  type: dict
workflows:
  description: Each named workflow with C(present) and, when present, C(scope) and C(project_id).
  returned: when RV(catalog) is true
  type: dict
calls:
  description: The API calls made, with their HTTP status and seconds.
  returned: always
  type: list
  elements: dict
'''

import time

from ansible.module_utils.six.moves.urllib.parse import quote
from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    StackdoctorOpenStackModule, json_get)

SERVICE_TYPE = 'workflowv2'


class MistralDefinitionsInfoModule(StackdoctorOpenStackModule):
    argument_spec = dict(
        actions=dict(type='list', elements='str', default=[]),
        workflows=dict(type='list', elements='str', default=[]),
        namespace=dict(type='str', default=''),
    )
    module_kwargs = dict(supports_check_mode=True)

    def _get(self, endpoint, path, calls):
        t0 = time.time()
        try:
            status, body = json_get(self.conn.session, endpoint + path, timeout=self.api_timeout)
        except Exception as exc:  # pylint: disable=broad-except
            calls.append({'path': path, 'status': None, 'seconds': round(time.time() - t0, 2)})
            self.fail_json(msg='mistral GET %s%s: %s' % (endpoint, path, exc), calls=calls)
        calls.append({'path': path, 'status': status, 'seconds': round(time.time() - t0, 2)})
        if status not in (200, 404):
            detail = body.get('faultstring') if isinstance(body, dict) else None
            self.fail_json(msg='mistral GET %s%s answered HTTP %s: %s' % (
                endpoint, path, status, detail or str(body or '')[:200].strip()), calls=calls)
        return status, body if isinstance(body, dict) else {}

    def _lookup(self, endpoint, collection, names, suffix, fields, calls):
        """``{name: {present, <fields> when present}}`` from ``GET /<collection>/<name>`` each."""
        out = {}
        for name in names:
            status, body = self._get(endpoint, '/%s/%s%s' % (collection, quote(name, safe=''), suffix), calls)
            out[name] = {'present': status == 200}
            if status == 200:
                out[name].update((f, body.get(f)) for f in fields)
        return out

    def run(self):
        calls = []
        try:
            endpoint = self.conn.session.get_endpoint(service_type=SERVICE_TYPE, interface=self.params.get('interface'),
                                                      region_name=self.params.get('region_name'))
        except Exception as exc:  # pylint: disable=broad-except
            if type(exc).__name__ == 'EndpointNotFound':
                self.exit_json(changed=False, catalog=False, calls=calls)
            self.fail_json(msg='the catalog could not be read: %s' % exc, calls=calls)
        if not endpoint:
            self.exit_json(changed=False, catalog=False, calls=calls)
        endpoint = endpoint.rstrip('/')
        ns = self.params['namespace']
        suffix = ('?namespace=%s' % quote(ns)) if ns else ''
        _status, body = self._get(endpoint, '/actions?limit=1', calls)
        any_actions = bool(body.get('actions'))
        actions = self._lookup(endpoint, 'actions', self.params['actions'], suffix, ('is_system', 'scope'), calls)
        workflows = self._lookup(endpoint, 'workflows', self.params['workflows'], suffix, ('scope', 'project_id'), calls)
        self.exit_json(changed=False, catalog=True, endpoint=endpoint, any_actions=any_actions,
                       actions=actions, workflows=workflows, calls=calls)


def main():
    module = MistralDefinitionsInfoModule()
    module()


if __name__ == '__main__':
    main()
