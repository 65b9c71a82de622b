"""The connection to node containers: containers.podman.podman (the baseline) against the test-only
tests/plugins/connection/podman_pipelining.py that the lab inventory and molecule use.

    python tests/bench/node_connection.py [--tasks 10] [--rounds 2] [--hosts 'containers']

Needs the lab up (`make lab-up`); reaches only its node containers. Not a test: it runs the same
playbook (TASKS pings and TASKS `command: true`, so that both the module path and the command path
count) with each connection, alternating, and prints wall time, the CPU seconds of the ansible
process tree and the ratio baseline / pipelined. Why they differ: containers.podman.podman sets
has_pipelining = False (it runs `podman exec` without --interactive, so nothing reaches stdin), so
ansible-core spends six podman calls per task (mount, home dir, tmp dir, put, run, remove);
pipelining pipes the module into one `podman exec --interactive` (ansible-core
lib/ansible/plugins/action/__init__.py _execute_module).
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORY = os.path.join(ROOT, 'inventories', 'lab', 'hosts.yml')


def playbook(tasks):
    lines = ['- hosts: "{{ bench_hosts }}"', '  gather_facts: false', '  tasks:']
    for i in range(tasks):
        lines += ['    - name: ping %d' % i, '      ansible.builtin.ping:',
                  '    - name: command %d' % i, '      ansible.builtin.command: "true"', '      changed_when: false']
    return '\n'.join(lines) + '\n'


def run(path, hosts, connection):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(['ansible-playbook', '-i', INVENTORY, path, '-e', 'bench_hosts=%s' % hosts,
                           '-e', 'ansible_connection=%s' % connection],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit('node_connection: %s failed (rc=%s):\n%s' % (connection, proc.returncode, proc.stdout[-2000:]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tasks', type=int, default=10, help='pings and commands each (default 10)')
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--hosts', default='containers', help="inventory pattern (default: the lab's node containers)")
    args = ap.parse_args()
    probe = subprocess.run(['podman', 'ps', '--format', '{{.Names}}'], capture_output=True, text=True, timeout=60)
    if 'sd-lab-controller' not in probe.stdout.split():
        sys.exit('node_connection: the lab is not up (make lab-up)')
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'bench.yml')
        with open(path, 'w') as f:
            f.write(playbook(args.tasks))
        best = {}
        for r in range(args.rounds):
            for conn in ('containers.podman.podman', 'podman_pipelining'):
                wall, cpu = run(path, args.hosts, conn)
                print('round %d  %-26s wall %6.1f s  controller CPU %6.1f s' % (r + 1, conn, wall, cpu), flush=True)
                if conn not in best or wall < best[conn][0]:
                    best[conn] = (wall, cpu)
    base, pipe = best['containers.podman.podman'], best['podman_pipelining']
    print('\n%d tasks on %s, best of %d:' % (2 * args.tasks, args.hosts, args.rounds))
    print('  containers.podman.podman  %6.1f s (CPU %5.1f s)' % base)
    print('  podman_pipelining         %6.1f s (CPU %5.1f s)' % pipe)
    print('  ratio baseline / pipelined: wall %.2fx, CPU %.2fx' % (base[0] / pipe[0], base[1] / pipe[1]))


if __name__ == '__main__':
    main()
