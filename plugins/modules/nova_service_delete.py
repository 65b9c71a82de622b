#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: nova_service_delete
short_description: Delete (or force down) stale nova services by uuid, only those confirmed down
version_added: 0.1.0
description:
  - Removes the compute services listed in O(services) through the compute API at
    microversion 2.53 (C(DELETE /os-services/{uuid})); openstack.cloud has no module that
    deletes a compute service.
  - Acts only on what it is given, and only after C(GET /os-services) confirms each one is still
    listed with the same host and binary and is C(down). At most O(max_deletes) per run.
  - A 409 (instances or in-progress migrations remain on the host) is reported, never forced.
  - With O(mode=force_down) the services are forced down instead (C(PUT /os-services/{uuid})
    C(forced_down=true)); nova's minimum service version ignores forced-down rows.
  - Check mode lists what would be removed and changes nothing.
author:
  - stackdoctor developers (@stackdoctor)
extends_documentation_fragment:
  - stackdoctor.openstack.api_timeout
  - openstack.cloud.openstack
options:
  services:
    description: The services to remove, as the check reported them.
    type: list
    elements: dict
    required: true
    suboptions:
      uuid: {description: Service uuid., type: str, required: true}
      host: {description: Its host (must still match)., type: str, required: true}
      binary: {description: Its binary (must still match)., type: str, required: true}
      version: {description: Its version (reported back)., type: int}
      cell: {description: Its cell (reported back)., type: str}
      id: {description: Its row id in the cell database (not used by the API path)., type: int}
  mode:
    description: C(delete) the rows, or C(force_down) them.
    type: str
    choices: [delete, force_down]
    default: delete
  max_deletes:
    description: Most services changed in one run; the rest are reported with reason C(cap).
    type: int
    default: 5
'''

EXAMPLES = r'''
- name: Delete a stale compute service the check reported
  stackdoctor.openstack.nova_service_delete:
    cloud: mycloud
    api_timeout: 30
    services:
      - {uuid: 5f1f1d4e-0d3a-4ad4-9f5b-0d57c1c77b4a, host: compute-old, binary: nova-compute}
'''

RETURN = r'''
removed:
  description: Each service removed (or that would be, in check mode), with C(action).
  returned: always
  type: list
  elements: dict
left:
  description: Each service left, with C(reason) (gone, changed, up_now, cap, conflict, failed) and C(detail).
  returned: always
  type: list
  elements: dict
api_down:
  description: On failure, true when the compute API did not answer (connection refused or timed out, or
    a 5xx on C(GET /os-services)), e.g. nova-api refusing to start with C(TooOldComputeService).
  returned: failure
  type: bool
'''

from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    StackdoctorOpenStackModule)
from ansible_collections.stackdoctor.openstack.plugins.module_utils import nova_services as ns


class NovaServiceDeleteModule(StackdoctorOpenStackModule):
    argument_spec = dict(
        services=dict(type='list', elements='dict', required=True, options=dict(
            uuid=dict(type='str', required=True), host=dict(type='str', required=True),
            binary=dict(type='str', required=True), version=dict(type='int'), cell=dict(type='str'),
            id=dict(type='int'))),
        mode=dict(type='str', default='delete', choices=['delete', 'force_down']),
        max_deletes=dict(type='int', default=5),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        p = self.params
        if p['max_deletes'] < 0:
            self.fail_json(msg='max_deletes must be >= 0')
        try:
            removed, skipped, error = ns.remove(ns.sdk_transport(self.conn), p['services'], p['max_deletes'],
                                                p['mode'], self.check_mode)
        except Exception as exc:  # keystoneauth's ConnectFailure, ConnectTimeout...: nothing answers
            self.fail_json(msg='nothing removed: the compute API does not answer: %s: %s'
                           % (type(exc).__name__, str(exc)[:300]), removed=[], left=[], api_down=True)
        if error:
            # 5xx on GET /os-services: nova-api is there but cannot serve (e.g. its database)
            self.fail_json(msg='nothing removed: %s' % error, removed=[], left=[],
                           api_down=error.startswith('GET /os-services answered 5'))
        self.exit_json(changed=bool(removed), removed=removed, left=skipped)


def main():
    module = NovaServiceDeleteModule()
    module()


if __name__ == '__main__':
    main()
