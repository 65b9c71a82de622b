#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: upgrade_checks
short_description: Run the OpenStack services' own upgrade checks (<service>-status upgrade check)
version_added: 0.1.0
description:
  - Runs C(<service>-status upgrade check) for every service of O(layout) that is present on the
    host (nova, placement, keystone, glance, cinder, neutron, heat, octavia, designate, barbican,
    manila, ironic), on the host for packaged deployments and inside the service's container for
    kolla and TripleO (C(<cli> exec <container>)); or exactly the O(commands) given.
  - Asks for oslo.upgradecheck's JSON (C(--json)); reads the table when a command prints it
    anyway (placement-status) and runs it again without C(--json) when the command refuses the
    option. nova-status, which has no C(--json) (nova/cmd/status.py), is asked for the table.
  - Read-only from Ansible's side (the commands only read), so it never reports a change and
    runs in check mode.
  - Every command is bounded by O(timeout) seconds (coreutils C(timeout)).
  - Passwords in connection URLs of a command's output are replaced by C(***).
author:
  - stackdoctor developers (@stackdoctor)
options:
  commands:
    description:
      - The commands to run; when empty they come from O(layout).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The command (e.g. C(nova-status)).
        type: str
        required: true
      service:
        description: The service it checks (reported back).
        type: str
      argv:
        description: The command line before C(upgrade check); default the O(commands[].name) alone.
        type: list
        elements: str
      config_files:
        description: Passed as C(--config-file) each.
        type: list
        elements: str
      container:
        description: Run it inside this container (O(container_cli) exec).
        type: str
  layout:
    description: The host's layout (the C(stackdoctor_layout) fact of the C(layout) node facts subset).
    type: dict
    default: {}
  only:
    description: Command names to keep (empty = all).
    type: list
    elements: str
    default: []
  container_cli:
    description: Container engine for commands with a container (default the layout's).
    type: str
  timeout:
    description: Seconds one command may take.
    type: int
    default: 120
  parallel:
    description:
      - How many commands run at the same time (each is a service's Python starting and reading its
        database; C(1) runs them one after the other).
    type: int
    default: 4
  json:
    description: Ask for C(--json) first.
    type: bool
    default: true
notes:
  - Supports check mode (it changes nothing either way).
'''

EXAMPLES = r'''
- name: Run every upgrade check the layout calls for
  stackdoctor.openstack.upgrade_checks:
    layout: "{{ stackdoctor_layout }}"
    timeout: 120

- name: Run nova-status from a virtualenv with its own nova.conf
  stackdoctor.openstack.upgrade_checks:
    commands:
      - {name: nova-status, service: nova-api, argv: [/opt/nova/bin/nova-status], config_files: [/etc/nova/nova.conf]}
'''

RETURN = r'''
runs:
  description: One entry per command.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The command.
      type: str
    service:
      description: The service it checks.
      type: str
    container:
      description: The container it ran in (null on the host).
      type: str
    argv:
      description: What ran (without the timeout wrapper).
      type: list
      elements: str
    rc:
      description: Its exit code (0 success, 1 warning, 2 failure, 255 crash).
      type: int
    format:
      description: C(json) or C(table) (null when nothing was read).
      type: str
    checks:
      description: Each check with C(check), C(result) (success, warning, failure, unknown) and C(details).
      type: list
      elements: dict
    error:
      description: Why nothing could be read (missing command, timeout, crash).
      type: str
    seconds:
      description: How long it took.
      type: float
'''

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.stackdoctor.openstack.plugins.module_utils import upgrade_checks as uc


def main():
    module = AnsibleModule(
        argument_spec=dict(
            commands=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True), service=dict(type='str'),
                argv=dict(type='list', elements='str'), config_files=dict(type='list', elements='str'),
                container=dict(type='str'))),
            layout=dict(type='dict', default={}),
            only=dict(type='list', elements='str', default=[]),
            container_cli=dict(type='str'),
            timeout=dict(type='int', default=120),
            parallel=dict(type='int', default=4),
            json=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p['timeout'] <= 0:
        module.fail_json(msg='timeout must be > 0')
    if p['parallel'] <= 0:
        module.fail_json(msg='parallel must be > 0')
    only = p['only'] or None
    specs = [dict((k, v) for k, v in c.items() if v is not None) for c in p['commands']]
    if only:
        specs = [s for s in specs if s['name'] in only]
    if not specs and not p['commands']:
        specs = uc.commands_from_layout(p['layout'], only)
    cli = p['container_cli'] or (p['layout'] or {}).get('container_cli')
    if cli in (None, '', 'none'):
        cli = 'podman'

    def runner(argv):
        # expand_user_and_vars off: argv is data, not a shell line; errors='replace': a
        # command's stray bytes must not fail the run
        return module.run_command(argv, check_rc=False, handle_exceptions=False,
                                  expand_user_and_vars=False, errors='surrogate_then_replace')

    def one(spec):
        argv = uc.command_argv(spec, cli)
        res = uc.run_one(runner, argv, p['timeout'], p['json'] and spec['name'] not in uc.NO_JSON)
        res.update({'name': spec['name'], 'service': spec.get('service'), 'container': spec.get('container')})
        return res

    # side by side (run_command without cwd, umask or environ_update touches no process-wide state);
    # the runs keep the order of the commands
    with ThreadPoolExecutor(max_workers=p['parallel']) as pool:
        runs = list(pool.map(one, specs))
    module.exit_json(changed=False, runs=runs)


if __name__ == '__main__':
    main()
