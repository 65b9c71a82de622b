#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: mistral_db_populate
short_description: Run C(mistral-db-manage populate) on the host or in mistral's container, bounded and masked
version_added: 0.1.0
description:
  - Runs C(mistral-db-manage --config-file <config_file> populate), which writes mistral's pre-installed
    definitions (C(action_manager.sync_db()) and C(workflows.sync_db()),
    C(mistral/db/sqlalchemy/migration/cli.py)) - the ad-hoc actions of C(mistral/resources/actions) and the
    workflows of the C(mistral.preinstalled_workflows) entry point (mistral-extra's), and up to Victoria
    every std.* action. It rewrites the system workflows and updates the ad-hoc actions it ships; it
    deletes no definition of a user.
  - With O(container), through C(<container_cli> exec <container>) (kolla's and TripleO's C(mistral_api)).
  - Bounded by O(timeout) (coreutils C(timeout)); output and errors are masked (a C([database] connection)
    URL printed by a failing command keeps no password).
  - In check mode nothing runs; the result says what would run. With C(--diff), the definitions
    O(missing) names are shown as missing before and present after.
  - A custom module because C(ansible.builtin.command) has no check mode, diff or masking of its output.
author:
  - stackdoctor developers (@stackdoctor)
options:
  command:
    description:
      - The C(mistral-db-manage) executable (a path when it is not on C($PATH), for example in a venv).
    type: str
    default: mistral-db-manage
  config_file:
    description:
      - mistral.conf as the command sees it (inside the container when O(container) is set).
    type: path
    default: /etc/mistral/mistral.conf
  container:
    description:
      - Run inside this container (C(mistral_api) for kolla and TripleO).
    type: str
  container_cli:
    description:
      - The container engine for O(container).
    type: str
    default: podman
  missing:
    description:
      - What the check found missing, C(actions) and C(workflows) (lists of names), shown in the diff.
    type: dict
    default: {}
  timeout:
    description:
      - Seconds the command may take.
    type: int
    default: 120
'''

EXAMPLES = r'''
- name: populate inside kolla's mistral_api container
  stackdoctor.openstack.mistral_db_populate:
    container: mistral_api
    container_cli: docker
    missing: {actions: [std.wait_ssh], workflows: [create_instance]}
'''

RETURN = r'''
argv:
  description: What ran, or would run in check mode (without the timeout wrapper).
  returned: always
  type: list
  elements: str
rc:
  description: The command's exit status (124 on timeout).
  returned: when it ran
  type: int
output:
  description: The last lines of its output (stdout and stderr), masked.
  returned: when it ran
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import mask_string

TIMEOUT_RC = 124
TAIL = 8


def populate_argv(command, config_file, container=None, container_cli='podman'):
    argv = [command, '--config-file', config_file, 'populate']
    if container:
        argv = [container_cli, 'exec', container] + argv
    return argv


def diff_of(missing):
    missing = missing or {}
    names = ['action %s' % n for n in missing.get('actions') or []] + \
            ['workflow %s' % n for n in missing.get('workflows') or []]
    if not names:
        names = ["mistral's pre-installed definitions"]
    return {'before': ''.join('%s: missing\n' % n for n in names),
            'after': ''.join('%s: defined\n' % n for n in names),
            'before_header': 'mistral definitions', 'after_header': 'after mistral-db-manage populate'}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            command=dict(type='str', default='mistral-db-manage'),
            config_file=dict(type='path', default='/etc/mistral/mistral.conf'),
            container=dict(type='str'),
            container_cli=dict(type='str', default='podman'),
            missing=dict(type='dict', default={}),
            timeout=dict(type='int', default=120),
        ),
        supports_check_mode=True,
    )
    p = module.params
    argv = populate_argv(p['command'], p['config_file'], p['container'], p['container_cli'])
    out = dict(changed=True, argv=argv)
    if module._diff:
        out['diff'] = diff_of(p['missing'])
    if module.check_mode:
        module.exit_json(msg='would run: %s' % ' '.join(argv), **out)
    rc, stdout, stderr = module.run_command(['timeout', str(p['timeout'])] + argv)
    lines = [mask_string(x) for x in (stdout + '\n' + stderr).splitlines() if x.strip()]
    out.update(rc=rc, output=lines[-TAIL:])
    where = ('in container %s' % p['container']) if p['container'] else 'on the host'
    if rc == TIMEOUT_RC:
        module.fail_json(msg='mistral-db-manage populate (%s, %s) did not finish within %ss'
                         % (p['config_file'], where, p['timeout']), **out)
    if rc != 0:
        module.fail_json(msg='mistral-db-manage populate (%s, %s) failed with rc %s: %s'
                         % (p['config_file'], where, rc, lines[-1] if lines else 'no output'), **out)
    module.exit_json(msg='ran: %s' % ' '.join(argv), **out)


if __name__ == '__main__':
    main()
