#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: nova_service_soft_delete
short_description: Soft-delete stale nova services rows in their cell database (when nova-api cannot start)
version_added: 0.1.0
description:
  - The database path of C(fix_nova_service_versions), for the one case the compute API cannot
    serve - nova-api refuses to start (C(TooOldComputeService), nova/utils.py
    C(raise_if_old_compute)) because of the very rows to delete. Opt-in in the fix role
    (C(fix_nova_service_versions_db_when_api_down)); prefer the API (C(DELETE /os-services/{uuid})).
  - Runs a small worker with nova's own Python (O(python), on the host or in nova's container
    through O(exec_prefix)) that reads nova.conf itself (C([api_database] connection), then
    C(nova_api.cell_mappings) for the cell database URL); no credential passes through Ansible
    and none is returned.
  - For each row given (only the rows the check reported), it confirms first, in the cell
    database, a live row (C(deleted = 0)) with the same uuid, id, host, binary and version, not
    forced down, still down (C(last_seen_up) older than C([DEFAULT] service_down_time)) and, for a
    nova-compute, no instance on the host and no migration in progress (the compute API's 409
    cases). Then, in one transaction per row, what nova's own delete does to the database
    (nova/db/main/api.py C(service_destroy)), and nothing else - the C(services) row gets
    C(deleted = id) and C(deleted_at = now) (the database server's UTC time); for a nova-compute,
    its C(compute_nodes) rows (C(service_id) or C(host)) get C(deleted = id),
    C(deleted_at = now) and C(mapped = 0).
  - Unlike the API's delete, it removes no placement resource provider and no
    C(nova_api.host_mappings) row; the result lists the compute node ids it soft-deleted.
  - At most O(max_deletes) rows per run. Check mode confirms (read-only transaction) and lists
    what would be soft-deleted.
  - O(state=restored) is the undo - the most recently soft-deleted row of each uuid gets
    C(deleted = 0), C(deleted_at = NULL) again, and the compute nodes soft-deleted at the same
    instant too (C(mapped) stays 0 - C(nova-manage cell_v2 discover_hosts) maps them again);
    refused when a live row for the same host and binary exists.
author:
  - stackdoctor developers (@stackdoctor)
options:
  services:
    description: The rows to act on, as C(check_nova_service_versions) reported them.
    type: list
    elements: dict
    required: true
    suboptions:
      uuid: {description: Service uuid., type: str, required: true}
      id: {description: Row id in the cell database (confirmed when given)., type: int}
      host: {description: Service host (confirmed)., type: str, required: true}
      binary: {description: Service binary (confirmed)., type: str, required: true}
      version: {description: Service version (confirmed when given)., type: int}
      cell: {description: Cell name (from nova_api.cell_mappings)., type: str}
      cell_uuid: {description: Cell uuid (preferred over the name when given)., type: str}
  state:
    description: C(absent) soft-deletes; C(restored) undoes a soft delete of these uuids.
    type: str
    default: absent
    choices: [absent, restored]
  max_deletes:
    description: Most rows soft-deleted in one run (the rest are reported with reason C(cap)).
    type: int
    default: 5
  config_files:
    description: nova.conf files as O(python) sees them (later ones win).
    type: list
    elements: str
    default: [/etc/nova/nova.conf]
  python:
    description: Interpreter with nova's database driver (PyMySQL).
    type: str
    default: python3
  exec_prefix:
    description: Command that runs the worker elsewhere, e.g. C([podman, exec, -i, nova_api]); empty runs it here.
    type: list
    elements: str
    default: []
  connect_timeout:
    description: Seconds to connect to each database.
    type: int
    default: 10
  read_timeout:
    description: Seconds each statement may take.
    type: int
    default: 30
  command_timeout:
    description: Seconds for the whole worker run.
    type: int
    default: 120
notes:
  - Supports check mode (read-only confirmation, nothing written).
seealso:
  - module: stackdoctor.openstack.nova_service_delete
  - module: stackdoctor.openstack.nova_service_versions
'''

EXAMPLES = r'''
- name: Soft-delete the stale row nova-api refuses to start with (kolla)
  stackdoctor.openstack.nova_service_soft_delete:
    exec_prefix: [docker, exec, -i, nova_api]
    services:
      - {uuid: 0b3f9c8e-2d1a-4c7e-9f00-5a6b7c8d9e0f, id: 12, host: old-compute, binary: nova-compute, version: 66, cell: cell1}

- name: Undo it
  stackdoctor.openstack.nova_service_soft_delete:
    exec_prefix: [docker, exec, -i, nova_api]
    state: restored
    services:
      - {uuid: 0b3f9c8e-2d1a-4c7e-9f00-5a6b7c8d9e0f, host: old-compute, binary: nova-compute, cell: cell1}
'''

RETURN = r'''
removed:
  description: Each row soft-deleted or restored (or that would be, in check mode), with C(action),
    C(service_id), C(compute_nodes) (ids), C(deleted_at) and C(database) (without credentials).
  returned: always
  type: list
  elements: dict
left:
  description: Each row left, with C(reason) (gone, changed, up_now, conflict, cap, failed) and C(detail).
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackdoctor.openstack.plugins.module_utils import nova_services as ns


def main():
    module = AnsibleModule(
        argument_spec=dict(
            services=dict(type='list', elements='dict', required=True, options=dict(
                uuid=dict(type='str', required=True), id=dict(type='int'), host=dict(type='str', required=True),
                binary=dict(type='str', required=True), version=dict(type='int'), cell=dict(type='str'),
                cell_uuid=dict(type='str'))),
            state=dict(type='str', default='absent', choices=['absent', 'restored']),
            max_deletes=dict(type='int', default=5),
            config_files=dict(type='list', elements='str', default=['/etc/nova/nova.conf']),
            python=dict(type='str', default='python3'),
            exec_prefix=dict(type='list', elements='str', default=[]),
            connect_timeout=dict(type='int', default=10),
            read_timeout=dict(type='int', default=30),
            command_timeout=dict(type='int', default=120),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p['max_deletes'] < 0:
        module.fail_json(msg='max_deletes must be >= 0')
    doc = ns.soft_delete(p['config_files'], p['services'], python=p['python'], exec_prefix=p['exec_prefix'],
                         connect_timeout=p['connect_timeout'], read_timeout=p['read_timeout'],
                         command_timeout=p['command_timeout'], max_deletes=p['max_deletes'],
                         check_mode=module.check_mode, undo=p['state'] == 'restored')
    if doc.get('error'):
        err = doc['error']
        module.fail_json(msg='nothing soft-deleted: %s%s' % (err.get('message'), ' (%s)' % err['file'] if err.get('file') else ''),
                         removed=[], left=[], error=err)
    module.exit_json(changed=bool(doc['removed']), removed=doc['removed'], left=doc['skipped'])


if __name__ == '__main__':
    main()
