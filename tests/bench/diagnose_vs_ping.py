"""Benchmark: what diagnosing the lab's node containers costs, against `ansible -m ping`.

design.md asks that diagnosing N nodes cost a small multiple of `ansible -m ping` on the same
nodes. This runs, side by side on the lab's node containers (make lab-up), best of --repeat:
  1. ansible -m ansible.builtin.ping                       (the baseline: one round trip per host)
  2. ansible -m stackdoctor.openstack.node_facts            (the one remote run diagnose makes)
  3. ansible-playbook playbooks/diagnose.yml (node checks)   (facts + checks + report)
and prints wall seconds and the ratio to the baseline. Not a test: nothing is asserted.

  python tests/bench/diagnose_vs_ping.py [--repeat 3] [--limit containers]
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
INV = ROOT / 'inventories' / 'lab' / 'hosts.yml'


def timed(argv, env):
    t0 = time.monotonic()
    p = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit('failed (rc %d): %s\n%s' % (p.returncode, ' '.join(argv), p.stdout[-3000:]))
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--limit', default='containers', help='inventory pattern (default: every node container)')
    args = ap.parse_args()
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'))
    hosts = subprocess.run(['ansible', '-i', str(INV), args.limit, '--list-hosts'], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, text=True, check=True).stdout.split('\n')[1:]
    n = len([h for h in hosts if h.strip()])
    report_dir = tempfile.mkdtemp(prefix='sd-bench-diagnose-')
    runs = [
        ('ansible -m ping (baseline)', ['ansible', '-i', str(INV), args.limit, '-m', 'ansible.builtin.ping']),
        ('ansible -m stackdoctor.openstack.node_facts',
         ['ansible', '-i', str(INV), args.limit, '-m', 'stackdoctor.openstack.node_facts', '-o']),
        ('diagnose.yml (check_tgt_include, report)',
         ['ansible-playbook', '-i', str(INV), str(ROOT / 'playbooks' / 'diagnose.yml'), '--limit', args.limit,
          '-e', 'stackdoctor_checks=check_tgt_include', '-e', 'stackdoctor_report_dir=' + report_dir]),
    ]
    rows = []
    for name, argv in runs:
        times = [timed(argv, env) for _ in range(args.repeat)]
        rows.append((name, min(times), times))
    base = rows[0][1]
    print('\n%d hosts (%s), best of %d, 2-core machine' % (n, args.limit, args.repeat))
    print('%-45s %9s %9s  %s' % ('run', 'best s', 'x ping', 'all runs'))
    for name, best, times in rows:
        print('%-45s %9.2f %8.1fx  %s' % (name, best, best / base, ', '.join('%.2f' % t for t in times)))


if __name__ == '__main__':
    main()
