#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: nova_service_versions
short_description: Read every nova cell's services table (read-only), with versions
version_added: 0.1.0
description:
  - Reads C([api_database] connection) from nova.conf on the host it runs on (or inside a
    container, see O(exec_prefix)), then C(nova_api.cell_mappings), then the C(services) table of
    every cell database (live rows, C(deleted = 0)), in read-only transactions.
  - Runs a small reader with nova's own Python (O(python)), which has the database driver;
    the reader reads the credentials itself, so none passes through Ansible, and database
    locations are returned without user or password.
  - The compute API does not show a service's C(version) (openstack.cloud.compute_service_info
    cannot tell a stale row from a live one), hence the database read.
  - Changes nothing.
author:
  - stackdoctor developers (@stackdoctor)
options:
  config_files:
    description:
      - nova.conf files, in the order nova reads them (later ones win), as seen by O(python)
        (inside the container when O(exec_prefix) is set).
    type: list
    elements: str
    default: [/etc/nova/nova.conf]
  python:
    description: Interpreter that has nova's database driver (PyMySQL).
    type: str
    default: python3
  exec_prefix:
    description:
      - Command that runs the reader elsewhere, for example C([podman, exec, -i, nova_api])
        for kolla and TripleO controllers. Empty runs it on the host.
    type: list
    elements: str
    default: []
  connect_timeout:
    description: Seconds to connect to each database.
    type: int
    default: 10
  read_timeout:
    description: Seconds each query may take.
    type: int
    default: 30
  command_timeout:
    description: Seconds for the whole reader run; after that it is stopped and an error returned.
    type: int
    default: 120
  max_rows:
    description: Most services rows read per cell; a cell with more is marked C(truncated).
    type: int
    default: 10000
  installed_table:
    description:
      - Take the version history from the installed nova (C(nova/objects/service.py)) when it
        can be imported; else (or when false) the table shipped with this collection is used.
    type: bool
    default: true
notes:
  - Supports check mode (it never changes anything).
'''

EXAMPLES = r'''
- name: Read the services tables on a packaged controller
  stackdoctor.openstack.nova_service_versions:
  register: services

- name: Read them inside kolla's nova_api container
  stackdoctor.openstack.nova_service_versions:
    exec_prefix: [docker, exec, -i, nova_api]
    config_files: [/etc/nova/nova.conf]
'''

RETURN = r'''
cells:
  description: One entry per cell mapping.
  returned: always
  type: list
  elements: dict
  contains:
    uuid: {description: Cell uuid., type: str}
    name: {description: Cell name., type: str}
    database: {description: Database location without credentials., type: str}
    now: {description: The database server's UTC time when read., type: str}
    error: {description: Why the cell could not be read (null when read)., type: str}
    truncated: {description: More rows than max_rows., type: bool}
    services:
      description: Live rows (id, uuid, host, binary, topic, version, disabled, disabled_reason,
        forced_down, last_seen_up, created_at, updated_at).
      type: list
      elements: dict
error:
  description: Why nothing could be read (file, section, message), or null.
  returned: always
  type: dict
upgrade_levels_compute:
  description: C([upgrade_levels] compute) from nova.conf, or null.
  returned: always
  type: str
service_down_time:
  description: C([DEFAULT] service_down_time) from nova.conf (default 60).
  returned: always
  type: int
table:
  description: The installed nova's version history when importable, else null.
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackdoctor.openstack.plugins.module_utils import nova_services as ns


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config_files=dict(type='list', elements='str', default=['/etc/nova/nova.conf']),
            python=dict(type='str', default='python3'),
            exec_prefix=dict(type='list', elements='str', default=[]),
            connect_timeout=dict(type='int', default=10),
            read_timeout=dict(type='int', default=30),
            command_timeout=dict(type='int', default=120),
            max_rows=dict(type='int', default=10000),
            installed_table=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    doc = ns.read_services(p['config_files'], python=p['python'], exec_prefix=p['exec_prefix'],
                           connect_timeout=p['connect_timeout'], read_timeout=p['read_timeout'],
                           command_timeout=p['command_timeout'], max_rows=p['max_rows'],
                           installed_table=p['installed_table'])
    result = dict(changed=False, cells=doc.get('cells') or [], error=doc.get('error'),
                  upgrade_levels_compute=doc.get('upgrade_levels_compute'),
                  service_down_time=doc.get('service_down_time') or 60, table=doc.get('table'),
                  config_files=p['config_files'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
