#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: compute_services_info
short_description: List nova's compute services, hypervisors and placement's resource providers
version_added: 0.1.0
description:
  - Reads C(GET /os-services) and C(GET /os-hypervisors/detail) (compute API, microversion 2.53,
    ids are uuids) and C(GET /resource_providers) (placement, microversion 1.14, with parent and root
    providers), as check_compute_services compares them.
  - Each listing that fails is reported in RV(errors) under its name; the others are still
    returned. Read-only; runs in check mode.
  - openstack.cloud.resources is not used because its module_utils reads
    C(openstack.version.__version__), which openstacksdk 4.x no longer imports with C(openstack).
author:
  - stackdoctor developers (@stackdoctor)
extends_documentation_fragment:
  - stackdoctor.openstack.api_timeout
  - openstack.cloud.openstack
'''

EXAMPLES = r'''
- name: List what check_compute_services compares
  stackdoctor.openstack.compute_services_info:
    cloud: mycloud
    api_timeout: 30
'''

RETURN = r'''
services:
  description: C(GET /os-services) services (null when that call failed).
  returned: always
  type: list
  elements: dict
hypervisors:
  description: C(GET /os-hypervisors/detail) hypervisors (null when that call failed).
  returned: always
  type: list
  elements: dict
providers:
  description: C(GET /resource_providers) resource providers (null when that call failed).
  returned: always
  type: list
  elements: dict
errors:
  description: Listing name -> why it failed.
  returned: always
  type: dict
'''

from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    StackdoctorOpenStackModule, json_get, list_pages)

LISTINGS = (
    # name, service, path, microversion, key in the answer
    ('services', 'compute', '/os-services', '2.53', 'services'),
    ('hypervisors', 'compute', '/os-hypervisors/detail', '2.53', 'hypervisors'),
    ('providers', 'placement', '/resource_providers', '1.14', 'resource_providers'),
)


def read(call):
    """``call(service, path, microversion) -> (status, json or text)`` -> the module's result.

    Follows ``<key>_links`` ``next`` (nova pages hypervisors at [api] max_limit, 1000).
    """
    out = {'services': None, 'hypervisors': None, 'providers': None, 'errors': {}}
    for name, service, path, mv, key in LISTINGS:
        out[name], error = list_pages(lambda where, service=service, mv=mv: call(service, where, mv),
                                      path, key, '%s GET %s' % (service, path))
        if error:
            out['errors'][name] = error
    return out


class ComputeServicesInfoModule(StackdoctorOpenStackModule):
    argument_spec = dict()
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        def call(service, path, mv):
            return json_get(self.conn.compute if service == 'compute' else self.conn.placement, path, microversion=mv)
        self.exit_json(changed=False, **read(call))


def main():
    module = ComputeServicesInfoModule()
    module()


if __name__ == '__main__':
    main()
