# Test-only connection plugin (tests/, not in the collection tarball: galaxy.yml build_ignore).
# molecule's podman driver connects to node containers with containers.podman.podman, which sets
# has_pipelining = False because its exec_command runs `podman exec` without --interactive, so
# nothing given on stdin reaches the command (containers.podman
# plugins/connection/podman.py). Without pipelining every module costs ansible-core three podman
# calls: `podman exec` to make the remote tmp dir, a copy of the AnsiballZ file, `podman exec` to
# run it (the tmp dir removal is chained onto that one; ansible-core
# lib/ansible/plugins/action/__init__.py _execute_module), plus `podman mount` on every connect.
# This subclass passes stdin with `podman exec --interactive` (docs.podman.io podman-exec:
# "-i, --interactive: When set to true, make stdin available to the contained process"), so
# ansible-core can pipe the module into the interpreter: one `podman exec` per module, and it
# mounts the container only when a file is actually copied (copy, template, fetch).
from __future__ import annotations

DOCUMENTATION = """
    name: podman_pipelining
    short_description: containers.podman.podman with pipelining (stackdoctor tests only)
    description:
      - Runs commands in an existing podman container like C(containers.podman.podman), but passes the
        module on stdin (C(podman exec --interactive)) so that ansible-core can pipeline modules.
      - Mounts the container's filesystem only when a file is put or fetched.
    author: stackdoctor
    extends_documentation_fragment:
      - connection_pipelining
    options:
      remote_addr:
        description: Name or ID of the container.
        default: inventory_hostname
        vars:
          - name: ansible_host
          - name: inventory_hostname
          - name: ansible_podman_host
      remote_user:
        description: User to run commands as inside the container (C(podman exec --user)).
        ini:
          - section: defaults
            key: remote_user
        env:
          - name: ANSIBLE_REMOTE_USER
        vars:
          - name: ansible_user
      podman_extra_args:
        description: Extra arguments given to every podman command.
        default: ''
        ini:
          - section: defaults
            key: podman_extra_args
        vars:
          - name: ansible_podman_extra_args
        env:
          - name: ANSIBLE_PODMAN_EXTRA_ARGS
      podman_executable:
        description: The podman executable.
        default: podman
        vars:
          - name: ansible_podman_executable
        env:
          - name: ANSIBLE_PODMAN_EXECUTABLE
"""

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


class Connection(PodmanConnection):
    """containers.podman.podman, with stdin passed to `podman exec` (pipelining) and a lazy mount."""

    transport = "podman_pipelining"
    has_pipelining = True

    def _connect(self):
        # No `podman mount` here: with pipelining most tasks never copy a file. put_file and
        # fetch_file mount on first use (the parent's _connect does the mount and its fallbacks).
        ConnectionBase._connect(self)
        self._mount_tried = False
        self._connected = True

    def _ensure_mount(self):
        if not getattr(self, "_mount_tried", False):
            PodmanConnection._connect(self)
            self._mount_tried = True

    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=False):
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        exec_args = ["exec"]
        if in_data is not None:
            exec_args.append("--interactive")
        if self.user:
            exec_args.extend(("--user", self.user))
        return self._podman(exec_args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)

    def put_file(self, in_path, out_path):
        self._ensure_mount()
        super().put_file(in_path, out_path)

    def fetch_file(self, in_path, out_path):
        self._ensure_mount()
        super().fetch_file(in_path, out_path)
