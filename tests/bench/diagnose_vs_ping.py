"""Benchmark: `diagnose.yml` with every check over N light nodes against `ansible -m ping` on them.

Goal (issue 7, benchmark 4): diagnose at most 3x ping at 100 nodes. Not a test of the checks,
but it fails (exit 1) when diagnose did not produce one result set per node or missed a fault
the nodes were built with, so a fast run that skipped hosts cannot pass for a good one.

  flock /tmp/stackdoctor-heavy.lock python tests/bench/diagnose_vs_ping.py --nodes 100

What it does:
  1. builds (once, cached) the base rootfs (tests/bench/bench-rootfs.sh) and creates --nodes
     light nodes (tests/bench/light_nodes.py: overlay + netns + PID namespace + chroot, real
     cinder.conf / tgt conf.d / logs, a real tgtd on storage nodes, named sleeping stand-ins);
  2. writes an inventory with the nodes in `controllers`, `computes` and `storage`, reached by
     community.general.chroot with `ansible_chroot_exe` = `ip netns exec NODE nsenter --pid=..
     chroot` (pipelining on);
  3. alternates, --rounds times, `ansible bench_nodes -m ansible.builtin.ping` and
     `ansible-playbook stackdoctor.openstack.diagnose` (every check; cloud-scope checks only when
     the lab's cloud answers, otherwise they are excluded and the output says so), both with
     the same --forks; diagnose runs with the ansible.posix.profile_tasks callback;
  4. checks every diagnose report (report.json: every node a host of the report with results,
     no unreachable/facts_failed/check_failed result, each faulty storage node's
     tgt_include finding fired and no healthy node's), prints every time, the best of each,
     the ratio, and the top tasks of the best diagnose run;
  5. tears everything down (processes by PID, mounts, netns, state dir), also on failure,
     Ctrl-C or SIGTERM.
"""
import argparse
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import light_nodes  # noqa: E402  pylint: disable=wrong-import-position

STATE_DIR = '/var/tmp/stackdoctor-bench-nodes'
LAB_CLOUDS = ROOT / 'inventories' / 'lab' / 'clouds.yaml'
INTERNAL_ERRORS = ('stackdoctor.host_unreachable', 'stackdoctor.facts_failed', 'stackdoctor.check_failed')

_child = None


class Interrupted(Exception):
    pass


def _on_signal(signum, _frame):
    if _child is not None and _child.poll() is None:
        try:
            os.killpg(_child.pid, signal.SIGTERM)   # the ansible run we started (its own session)
        except ProcessLookupError:
            pass
    raise Interrupted('signal %d' % signum)


def run(argv, env, log_path):
    """Run argv (own session, output to log_path); returns (seconds, rc, output)."""
    global _child  # pylint: disable=global-statement
    t0 = time.monotonic()
    with open(log_path, 'w') as log:
        _child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        rc = _child.wait()
    dt = time.monotonic() - t0
    _child = None
    return dt, rc, pathlib.Path(log_path).read_text(errors='replace')


def registry():
    """{check: {scope, groups}} of every check the collection declares: the registry diagnose.yml
    reads (plugins/module_utils/checks/registry.py, through the collection link of `make deps`)."""
    coll = ROOT / '.cache' / 'collections'
    if not (coll / 'ansible_collections' / 'stackdoctor' / 'openstack').exists():
        sys.exit('no collection link under %s: run make deps first' % coll)
    sys.path.insert(0, str(coll))
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry as reg
    return dict((name, {'scope': e.get('scope', 'host'), 'groups': e.get('groups') or []})
                for name, e in reg.playbook_registry().items())


def cloud_up(env):
    """The lab's cloud answers (token issued) within 20 s."""
    if not LAB_CLOUDS.exists():
        return False, 'no %s (the lab is not up: make lab-up)' % LAB_CLOUDS.relative_to(ROOT)
    code = ('import openstack; c = openstack.connect(cloud="stackdoctor-lab", api_timeout=10); '
            'c.authorize(); print("ok")')
    try:
        p = subprocess.run([sys.executable, '-c', code], env=dict(env, OS_CLIENT_CONFIG_FILE=str(LAB_CLOUDS)),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return False, 'the lab cloud did not answer within 20 s'
    if p.returncode == 0 and 'ok' in p.stdout:
        return True, 'lab cloud stackdoctor-lab answers (%s)' % LAB_CLOUDS.relative_to(ROOT)
    return False, 'the lab cloud does not answer: %s' % (p.stderr.strip().splitlines() or ['?'])[-1][:200]


def write_inventory(path, nodes, with_cloud):
    groups = {'controllers': {}, 'computes': {}, 'storage': {}}
    for n in nodes.values():
        groups[n['role']][n['name']] = {'ansible_host': n['root'], 'ansible_chroot_exe': n['enter']}
    inv = {'all': {'children': {
        'bench_nodes': {
            'vars': {'ansible_connection': 'community.general.chroot',
                     'ansible_python_interpreter': '/usr/bin/python3',
                     'ansible_pipelining': True},
            'children': dict((g, {'hosts': h}) for g, h in groups.items()),
        }}}}
    if with_cloud:
        inv['all']['children']['api'] = {
            'vars': {'stackdoctor_gather_facts': False},
            'hosts': {'localhost': {'ansible_connection': 'local',
                                    'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}
        inv['all']['vars'] = {'stackdoctor_cloud': 'stackdoctor-lab',
                              'stackdoctor_os_environment': {'OS_CLIENT_CONFIG_FILE': str(LAB_CLOUDS),
                                                             'OS_CLOUD': 'stackdoctor-lab'}}
    pathlib.Path(path).write_text(json.dumps(inv, indent=1))   # JSON is YAML


def check_report(report_dir, nodes, checks, reg):
    """Problems with one diagnose report (empty list: every node has its result set)."""
    problems = []
    path = pathlib.Path(report_dir) / 'report.json'
    if not path.exists():
        return ['no report.json in %s' % report_dir], None
    rep = json.loads(path.read_text())
    by_host = {}
    for r in rep.get('results', []):
        by_host.setdefault(r.get('host'), []).append(r)
    missing = sorted(set(nodes) - set(rep.get('hosts', [])))
    if missing:
        problems.append('%d nodes are not hosts of the report: %s' % (len(missing), ', '.join(missing[:5])))
    for name, n in sorted(nodes.items()):
        res = by_host.get(name, [])
        bad = [r for r in res if r.get('id') in INTERNAL_ERRORS]
        if bad:
            problems.append('%s: %s: %s' % (name, bad[0]['id'], bad[0].get('summary', '')[:200]))
        for c in checks:
            e = reg[c]
            if e['scope'] == 'host' and (not e['groups'] or n['role'] in e['groups']):
                if not [r for r in res if r.get('check') == c]:
                    problems.append('%s (%s): no result of %s' % (name, n['role'], c))
        if 'check_tgt_include' in checks and n['role'] == 'storage':
            fired = [r for r in res if r.get('check') == 'check_tgt_include' and r.get('status') not in ('ok', 'skipped')]
            if n['broken'] and not fired:
                problems.append('%s: tgt include removed, but check_tgt_include found nothing' % name)
            if not n['broken'] and fired:
                problems.append('%s: healthy, but check_tgt_include reported %s' % (name, fired[0].get('id')))
    return problems, rep


PROFILE_RE = re.compile(r'^(.*?)\s-{3,}\s+(\d+\.\d+)s\s*$')


def profile_lines(output):
    """(task, seconds) lines of the profile_tasks summary, in the order printed (slowest first)."""
    out, seen = [], False
    for line in output.splitlines():
        if line.startswith('=' * 20):
            seen = True
            continue
        m = PROFILE_RE.match(line)
        if m and seen:
            out.append((m.group(1).strip(), float(m.group(2))))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--nodes', type=int, default=100)
    ap.add_argument('--rounds', type=int, default=2, help='ping/diagnose pairs, alternating (default 2)')
    ap.add_argument('--forks', type=int, default=20, help='same for both (default 20, as ansible.cfg)')
    ap.add_argument('--cloud', choices=['auto', 'no'], default='auto',
                    help='auto: cloud-scope checks run against the lab cloud when it answers; no: never')
    ap.add_argument('--state-dir', default=STATE_DIR)
    ap.add_argument('--json', help='write every figure to this file')
    ap.add_argument('--keep-logs', action='store_true', help='keep the ansible outputs (printed path)')
    ap.add_argument('--no-facts-row', action='store_true',
                    help='skip the third run per round: `ansible -m stackdoctor.openstack.node_facts` alone')
    ap.add_argument('--top', type=int, default=12, help='tasks shown from profile_tasks (default 12)')
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit('must run as root (mounts, network namespaces, chroot)')
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_NOCOLOR='1', ANSIBLE_DEPRECATION_WARNINGS='0')
    work = pathlib.Path(tempfile.mkdtemp(prefix='sd-bench-diagnose-'))
    reg = registry()
    t_setup = time.monotonic()
    rootfs, cached = light_nodes.build_rootfs()
    t_rootfs = time.monotonic() - t_setup
    ln = light_nodes.LightNodes(args.state_dir, rootfs)
    figures = {'nodes': args.nodes, 'forks': args.forks, 'rounds': args.rounds, 'ping': [], 'diagnose': [],
               'node_facts': []}
    failed = []
    try:
        t0 = time.monotonic()
        nodes = ln.create(light_nodes.plan(args.nodes))
        t_create = time.monotonic() - t0
        with_cloud, why = (False, '--cloud no') if args.cloud == 'no' else cloud_up(env)
        cloud_checks = sorted(c for c, e in reg.items() if e['scope'] != 'host')
        checks = sorted(reg) if with_cloud else sorted(c for c in reg if reg[c]['scope'] == 'host')
        inv = work / 'inventory.yml'
        write_inventory(inv, nodes, with_cloud)
        roles = {}
        for n in nodes.values():
            roles[n['role']] = roles.get(n['role'], 0) + 1
        n_tgtd = sum(1 for n in nodes.values() if 'tgtd' in n['processes'])
        print('nodes: %d (%s) created in %.1f s; rootfs %s (%.1f s): %s' % (
            len(nodes), ', '.join('%s %d' % kv for kv in sorted(roles.items())), t_create,
            'cached' if cached else 'built', t_rootfs, rootfs))
        print('  each: overlay + netns + PID namespace + chroot; real files; real tgtd on %d storage nodes; '
              'named sleeping stand-ins' % n_tgtd)
        print('  faults built in: %d storage nodes without tgt\'s include (+ cinder-volume log line), '
              '%d computes logging an orphaned allocation' % (
                  sum(1 for n in nodes.values() if n['broken'] and n['role'] == 'storage'),
                  sum(1 for n in nodes.values() if n['broken'] and n['role'] == 'computes')))
        print('checks: %s' % ', '.join(checks))
        if not with_cloud and cloud_checks:
            print('EXCLUDED cloud-scope checks (need a cloud): %s. Reason: %s' % (', '.join(cloud_checks), why))
        elif cloud_checks:
            print('cloud-scope checks run against the lab: %s' % why)

        hosts = 'all' if with_cloud else 'bench_nodes'
        ping = ['ansible', '-i', str(inv), 'bench_nodes', '-m', 'ansible.builtin.ping', '-f', str(args.forks)]
        diag = ['ansible-playbook', '-i', str(inv), 'stackdoctor.openstack.diagnose', '-f', str(args.forks),
                '-e', 'stackdoctor_hosts=%s' % hosts]
        if not with_cloud:
            diag += ['-e', 'stackdoctor_checks=%s' % ','.join(checks)]
        # the one remote run diagnose makes per host, alone (every node-side subset on every node)
        facts = ['ansible', '-i', str(inv), 'bench_nodes', '-m', 'stackdoctor.openstack.node_facts', '-f',
                 str(args.forks), '-a', 'subsets=layout,cinder,tgt,cinder_volume_log,nova_compute_log', '-o']
        denv = dict(env, ANSIBLE_CALLBACKS_ENABLED='ansible.posix.profile_tasks',
                    PROFILE_TASKS_TASK_OUTPUT_LIMIT='all')
        print('\nping:     %s' % ' '.join(ping))
        print('diagnose: %s -e stackdoctor_report_dir=<per run>  (callback ansible.posix.profile_tasks)' % ' '.join(diag))
        best_diag_out = None
        for r in range(1, args.rounds + 1):
            dt, rc, out = run(ping, env, work / ('ping-%d.log' % r))
            ok = len(re.findall(r'\| SUCCESS =>', out))
            print('round %d  ping      %7.2f s  rc %d  %d/%d pong' % (r, dt, rc, ok, len(nodes)), flush=True)
            if rc != 0 or ok != len(nodes):
                failed.append('ping round %d: rc %d, %d/%d hosts answered (%s)' % (
                    r, rc, ok, len(nodes), work / ('ping-%d.log' % r)))
            figures['ping'].append(dt)
            rdir = work / ('report-%d' % r)
            dt, rc, dout = run(diag + ['-e', 'stackdoctor_report_dir=%s' % rdir], denv, work / ('diagnose-%d.log' % r))
            problems, rep = check_report(rdir, nodes, checks, reg)
            counts = (rep or {}).get('counts', {}) if isinstance(rep, dict) else {}
            print('round %d  diagnose  %7.2f s  rc %d  report: %s hosts, %s results, verdict %s%s' % (
                r, dt, rc, counts.get('hosts', '?'), counts.get('total', '?'),
                (rep or {}).get('verdict', '?') if isinstance(rep, dict) else '?',
                '' if not problems else '  PROBLEMS: %d' % len(problems)), flush=True)
            if rc not in (0, 2) or problems:
                # rc 2: ansible-playbook's "a host failed"; the report says which and is checked above
                failed.append('diagnose round %d: rc %d; %s (%s)' % (r, rc, '; '.join(problems[:5]),
                                                                     work / ('diagnose-%d.log' % r)))
            figures['diagnose'].append(dt)
            if not args.no_facts_row:
                fdt, rc, out = run(facts, env, work / ('node_facts-%d.log' % r))
                ok = len(re.findall(r'\| SUCCESS =>', out))
                print('round %d  node_facts%7.2f s  rc %d  %d/%d gathered' % (r, fdt, rc, ok, len(nodes)), flush=True)
                if rc != 0 or ok != len(nodes):
                    failed.append('node_facts round %d: rc %d, %d/%d (%s)' % (
                        r, rc, ok, len(nodes), work / ('node_facts-%d.log' % r)))
                figures['node_facts'].append(fdt)
            if best_diag_out is None or dt <= min(figures['diagnose']):
                best_diag_out = dout
        best_ping, best_diag = min(figures['ping']), min(figures['diagnose'])
        ratio = best_diag / best_ping
        figures.update({'best_ping': best_ping, 'best_diagnose': best_diag, 'ratio': ratio, 'checks': checks,
                        'excluded': [] if with_cloud else cloud_checks, 'cloud': why})
        print('\n%d nodes, forks %d, %d rounds alternating, %d cores, load %s' % (
            len(nodes), args.forks, args.rounds, os.cpu_count(), ' '.join('%.1f' % x for x in os.getloadavg())))
        print('%-52s %8s %8s  %s' % ('run', 'best s', 'x ping', 'all runs'))
        print('%-52s %8.2f %7.2fx  %s' % ('ansible -m ping (baseline)', best_ping, 1.0,
                                          ', '.join('%.2f' % t for t in figures['ping'])))
        print('%-52s %8.2f %7.2fx  %s' % ('diagnose.yml (%d checks%s)' % (
            len(checks), '' if with_cloud else ', cloud-scope excluded'), best_diag, ratio,
            ', '.join('%.2f' % t for t in figures['diagnose'])))
        if figures['node_facts']:
            bf = min(figures['node_facts'])
            figures['best_node_facts'] = bf
            print('%-52s %8.2f %7.2fx  %s' % ('ansible -m stackdoctor.openstack.node_facts (alone)', bf, bf / best_ping,
                                              ', '.join('%.2f' % t for t in figures['node_facts'])))
        print('goal: diagnose <= 3x ping: %s (%.2fx)' % ('MET' if ratio <= 3 else 'NOT MET', ratio))
        prof = profile_lines(best_diag_out or '')
        figures['profile'] = prof
        if prof:
            total = sum(s for _t, s in prof)
            print('\nwhat dominates (profile_tasks, best diagnose run; wall s per task, %d tasks, sum %.1f s):' % (
                len(prof), total))
            for task, s in prof[:args.top]:
                print('  %7.2f s  %4.0f%%  %s' % (s, 100 * s / total if total else 0, task))
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(figures, indent=1, default=str))
    except Interrupted as exc:
        failed.append('interrupted (%s)' % exc)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        problems = ln.teardown()
        print('\nteardown: %s' % ('every node, mount, netns and process removed' if not problems
                                  else 'PROBLEMS: ' + '; '.join(problems)))
        failed.extend('teardown: ' + p for p in problems)
        if failed and not args.keep_logs:
            args.keep_logs = True
        if args.keep_logs:
            print('logs and reports: %s' % work)
        else:
            subprocess.run(['rm', '-rf', '--one-file-system', str(work)], check=False)
    if failed:
        print('\nFAILED:\n  ' + '\n  '.join(failed))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
