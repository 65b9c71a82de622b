#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: collect_evidence
short_description: Write one host's evidence bundle (logs, masked configs, container inspect, pcs status, strace)
version_added: 0.1.0
description:
  - Collects, on the managed node, what an operator attaches to a bug report or hands to the next
    shift, and packs it as a C(tar.gz) with an index (C(index.json) and C(INDEX.txt)).
  - Config files of the services the layout finds on the host, every secret masked (secret keys
    with their whole value, URL passwords, tgt users); each secret value met there is then scrubbed
    from every other file of the bundle (logs, container inspect, strace output, facts).
  - Logs written since O(since) (file logs from the lines stamped at or after it; journald units and
    containers with C(--since)), each bounded by O(log_tail_bytes), the bundle by O(max_bytes).
  - C(<cli> inspect) of the host's containers (podman or docker, from the layout), C(pcs status --full)
    where pcs is installed, the facts and results given.
  - C(strace -f -tt -p <pid>) of one service for O(strace_seconds) only when O(strace_service) or
    O(strace_pid) is given; SIGINT detaches strace at the end; output bounded by O(strace_max_bytes).
  - Never fails because of what it finds or cannot read; those go to the index's C(errors) and
    C(skipped). Every command is bounded by O(command_timeout).
  - Writes only under O(dest) (a staging directory and the tarball); changes nothing else.
author:
  - stackdoctor developers (@stackdoctor)
options:
  dest:
    description: Directory on the node for the staging directory and the tarball (created, mode 0700).
    type: path
    default: /var/tmp/stackdoctor-evidence
  name:
    description: Bundle name (directory inside the tarball and the tarball's base name).
    type: str
    required: true
  host:
    description: Inventory name of the host, recorded in the index.
    type: str
    required: true
  since:
    description: Logs since C(<N>h), C(<N>m), C(<N>d) ago, epoch seconds or a node-local C(YYYY-MM-DD[ HH:MM[:SS]]).
    type: str
    default: 24h
  log_tail_bytes:
    description: Bytes read at most from the end of each log (and kept of each journal/container log).
    type: int
    default: 4194304
  max_bytes:
    description: Bytes the whole bundle may hold before compression; what does not fit is listed as skipped.
    type: int
    default: 67108864
  command_timeout:
    description: Seconds each command (journalctl, container CLI, pcs, systemctl) may take.
    type: int
    default: 30
  containers:
    description: Inspect the host's containers.
    type: bool
    default: true
  max_containers:
    description: Containers inspected at most.
    type: int
    default: 100
  strace_service:
    description: Logical service (layout name) whose main process is traced; none by default.
    type: str
  strace_pid:
    description: PID to trace instead of a service's main process.
    type: int
  strace_seconds:
    description: Seconds strace runs (at most O(strace_max_seconds)).
    type: float
    default: 5
  strace_max_seconds:
    description: Upper bound of O(strace_seconds).
    type: float
    default: 60
  strace_max_bytes:
    description: Bytes of strace output kept.
    type: int
    default: 8388608
  facts:
    description: The host's C(stackdoctor_node_facts), written masked to C(facts.json).
    type: dict
  results:
    description: The host's C(stackdoctor_results), written masked to C(results.json).
    type: list
    elements: dict
  layout:
    description: The host's layout (C(stackdoctor_layout)); detected on the node when not given.
    type: dict
  layout_flavour:
    description: Flavour to resolve when O(layout) is not given.
    type: str
    default: auto
    choices: [auto, packaged, kolla, tripleo, juju]
  layout_overrides:
    description: Per-service layout overrides when O(layout) is not given.
    type: dict
    default: {}
  keep_staging:
    description: Keep the staging directory next to the tarball.
    type: bool
    default: false
notes:
  - Check mode collects nothing and reports what would be collected (the tarball path).
  - strace needs the C(strace) binary and ptrace permission on the target (root, or CAP_SYS_PTRACE
    where the kernel's Yama ptrace_scope or the container runtime restricts it).
'''

EXAMPLES = r'''
- name: Bundle this host's evidence of the last 6 hours, with 10 s of strace of cinder-volume
  stackdoctor.openstack.collect_evidence:
    name: "evidence-{{ inventory_hostname }}-20261201T1800Z"
    host: "{{ inventory_hostname }}"
    since: 6h
    strace_service: cinder-volume
    strace_seconds: 10
    facts: "{{ stackdoctor_node_facts | default({}) }}"
  register: bundle
'''

RETURN = r'''
tarball:
  description: Path of the bundle on the node.
  returned: success, not in check mode
  type: str
  sample: /var/tmp/stackdoctor-evidence/evidence-vol-1-20261201T1800Z.tar.gz
sha256:
  description: SHA-256 of the tarball.
  returned: success, not in check mode
  type: str
size:
  description: Bytes of the tarball.
  returned: success, not in check mode
  type: int
index:
  description: The bundle's index (also C(index.json) in the tarball) - host, times, files with kind, source,
    bytes and truncation, skipped items, errors.
  returned: success, not in check mode
  type: dict
'''

import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackdoctor.openstack.plugins.module_utils import evidence
from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type='path', default='/var/tmp/stackdoctor-evidence'),
            name=dict(type='str', required=True),
            host=dict(type='str', required=True),
            since=dict(type='str', default='24h'),
            log_tail_bytes=dict(type='int', default=4 * 1024 * 1024),
            max_bytes=dict(type='int', default=64 * 1024 * 1024),
            command_timeout=dict(type='int', default=30),
            containers=dict(type='bool', default=True),
            max_containers=dict(type='int', default=100),
            strace_service=dict(type='str'),
            strace_pid=dict(type='int'),
            strace_seconds=dict(type='float', default=5),
            strace_max_seconds=dict(type='float', default=60),
            strace_max_bytes=dict(type='int', default=8 * 1024 * 1024),
            facts=dict(type='dict', no_log=False),
            results=dict(type='list', elements='dict'),
            layout=dict(type='dict'),
            layout_flavour=dict(type='str', default='auto', choices=['auto', 'packaged', 'kolla', 'tripleo', 'juju']),
            layout_overrides=dict(type='dict', default={}),
            keep_staging=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    name = os.path.basename(p['name'].strip()) or 'evidence'
    tarball = os.path.join(p['dest'], name + '.tar.gz')
    try:
        evidence.parse_since(p['since'])
    except ValueError as exc:
        module.fail_json(msg='%s: %s' % (p['host'], exc))
    if module.check_mode:
        module.exit_json(changed=False, msg='would write %s' % tarball, tarball=tarball)
    layout = p['layout']
    if not layout or not layout.get('services'):
        try:
            layout = layout_mod.resolve(p['layout_flavour'], p['layout_overrides'], layout_mod.detect('/'), '/')
        except Exception as exc:  # pylint: disable=broad-except  # an unknown layout still gives a bundle
            layout = {'flavour': None, 'container_cli': 'none', 'services': {}, 'errors': [str(exc)]}
    workdir = os.path.join(p['dest'], name)
    if os.path.isdir(workdir):
        shutil.rmtree(workdir)
    if not os.path.isdir(p['dest']):
        os.makedirs(p['dest'], 0o700)
    os.chmod(p['dest'], 0o700)
    params = dict(since=p['since'], log_tail_bytes=p['log_tail_bytes'], max_bytes=p['max_bytes'],
                  command_timeout=p['command_timeout'], containers=p['containers'],
                  max_containers=p['max_containers'], facts=p['facts'], results=p['results'],
                  strace={'service': p['strace_service'], 'pid': p['strace_pid'], 'seconds': p['strace_seconds'],
                          'max_seconds': p['strace_max_seconds'], 'max_bytes': p['strace_max_bytes']})
    index = evidence.collect(p['host'], workdir, layout, params)
    sha, size = evidence.pack(workdir, tarball, name)
    if not p['keep_staging']:
        shutil.rmtree(workdir, ignore_errors=True)
    module.exit_json(changed=True, tarball=tarball, sha256=sha, size=size, index=index)


if __name__ == '__main__':
    main()
