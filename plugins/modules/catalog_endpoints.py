#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: catalog_endpoints
short_description: Read the services of one type and their endpoints from keystone (read-only)
version_added: 0.1.0
description:
  - Lists keystone's services of O(service_type) (C(GET /v3/services?type=)) and their endpoints
    (C(GET /v3/endpoints?service_id=)), as a service that falls back to the catalog sees them
    (cinder's C(glance_catalog_info), for example).
  - Changes nothing; every call is bounded by O(api_timeout).
  - Exists because the C(openstack.cloud) modules of the pinned collection read C(openstack.version),
    which openstacksdk 4.x no longer imports from its package (this module imports it first).
author:
  - stackdoctor developers (@stackdoctor)
options:
  service_type:
    description:
      - Catalog type of the services to list, for example C(image).
    type: str
    required: true
  api_timeout:
    description:
      - Seconds each API call (and the SDK's authentication) may take. With a cloud dict in
        O(cloud) it is added to the dict unless the dict has its own C(api_timeout).
    type: int
    default: 30
extends_documentation_fragment:
  - openstack.cloud.openstack
'''

EXAMPLES = r'''
- name: Glance's endpoints, as cinder's catalog fallback sees them
  stackdoctor.openstack.catalog_endpoints:
    cloud: mycloud
    service_type: image
    api_timeout: 20
  delegate_to: localhost
'''

RETURN = r'''
services:
  description: The services of O(service_type) (C(id), C(name), C(type), C(enabled)).
  returned: success
  type: list
  elements: dict
endpoints:
  description: Their endpoints (C(service_id), C(interface), C(url), C(region_id), C(enabled)).
  returned: success
  type: list
  elements: dict
'''

from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    StackdoctorOpenStackModule)


class CatalogEndpointsModule(StackdoctorOpenStackModule):
    argument_spec = dict(
        service_type=dict(type='str', required=True),
        api_timeout=dict(type='int', default=30),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        services, endpoints = [], []
        for svc in self.conn.identity.services(type=self.params['service_type']):
            services.append({'id': svc.id, 'name': svc.name, 'type': svc.type,
                             'enabled': getattr(svc, 'is_enabled', None)})
            for ep in self.conn.identity.endpoints(service_id=svc.id):
                endpoints.append({'service_id': ep.service_id, 'interface': ep.interface, 'url': ep.url,
                                  'region_id': ep.region_id, 'enabled': getattr(ep, 'is_enabled', None)})
        self.exit_json(changed=False, services=services, endpoints=endpoints)


def main():
    module = CatalogEndpointsModule()
    module()


if __name__ == '__main__':
    main()
