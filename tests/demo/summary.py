#!/usr/bin/env python3
"""Summary of `make demo` (tests/demo/demo.sh) from the three report.json files.

    python tests/demo/summary.py stackdoctor-reports/demo

Prints the verdicts before and after, what was checked (the nodes, counted apart from the
cloud target the API checks report under), the tgt results per volume host before and after,
the orphaned allocation found and removed, and whether the live/BUILD/migrating consumers of
tests/lab/scenarios.py still hold their allocations (read through the placement API).
Exit 1 if the demo did not show what it should.
"""
import ast
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))

CLOUD_SCOPES = ('cloud', 'cluster')
INTERNAL_CHECK = 'stackdoctor'


def check_scopes(root=ROOT):
    """{check role: scope} from the checks' declarations and the registry (host | cloud/cluster)."""
    scopes = {}
    try:
        import yaml
        with open(os.path.join(root, 'playbooks', 'vars', 'checks.yml')) as f:
            registry = (yaml.safe_load(f) or {}).get('stackdoctor_check_registry') or {}
        for name, entry in registry.items():
            if isinstance(entry, dict) and entry.get('scope'):
                scopes[name] = entry['scope']
    except Exception:  # no registry file, or no yaml: the declarations may still say
        pass
    for path in glob.glob(os.path.join(root, 'plugins', 'module_utils', 'checks', '*.py')):
        try:
            with open(path) as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            if (isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == 'DECLARATION' for t in node.targets)
                    and isinstance(node.value, ast.Dict)):
                fields = {}
                for k, v in zip(node.value.keys, node.value.values):
                    if isinstance(k, ast.Constant) and k.value in ('name', 'scope') and isinstance(v, ast.Constant):
                        fields[k.value] = v.value
                if fields.get('name') and fields.get('scope'):
                    scopes[fields['name']] = fields['scope']
    return scopes


def targets(report, scopes):
    """What a report covered: (nodes checked, cloud targets, unreachable, targeted with no check).

    A node is a host with a result of a host-scope check; a cloud target is the host (or named
    cloud) that the API checks' results are recorded under: it is not a node, and is not counted
    as one. Hosts with only the collection's own error result (unreachable, facts failed) and
    targeted hosts with no result at all are listed apart.
    """
    nodes, cloud, down = set(), set(), set()
    for r in report.get('results') or []:
        host, check = r.get('host'), r.get('check')
        if check == INTERNAL_CHECK:
            down.add(host)
        elif r.get('scope') in CLOUD_SCOPES or scopes.get(check) in CLOUD_SCOPES:
            cloud.add(host)
        else:
            nodes.add(host)
    nodes -= cloud
    down -= nodes | cloud
    idle = set(report.get('hosts') or []) - nodes - cloud - down
    return sorted(nodes), sorted(cloud), sorted(down), sorted(idle)


def describe_targets(report, scopes):
    nodes, cloud, down, idle = targets(report, scopes)
    line = 'checked %d node%s (%s)' % (len(nodes), '' if len(nodes) == 1 else 's', ', '.join(nodes) or '-')
    if cloud:
        line += '; cloud target %s (API checks)' % ', '.join(cloud)
    if down:
        line += '; NOT REACHED: %s' % ', '.join(down)
    if idle:
        line += '; no check applies to %s' % ', '.join(idle)
    return line


def describe_changes(report):
    """One line: what changed since the previous run (report.json's `changes`, history.py)."""
    if 'changes' not in report:
        return 'no history kept'
    changes = report.get('changes')
    if not changes:
        return 'no previous run of this profile'
    n = dict((k, len(changes.get(k) or [])) for k in ('new', 'fixed', 'persists', 'not_rechecked'))
    line = 'since %s: %d new, %d fixed, %d persist' % (
        (changes.get('previous') or {}).get('run_id'), n['new'], n['fixed'], n['persists'])
    if n['not_rechecked']:
        line += ', %d not checked again' % n['not_rechecked']
    return line


def load(d, name):
    with open(os.path.join(d, name, 'report.json')) as f:
        return json.load(f)


def main(d):
    before, fix, after = load(d, '1-before'), load(d, '2-remediate'), load(d, '3-after')
    ok = True
    print('\n== what the demo showed ==')
    print('verdict before: %-6s  after remediation: %-6s  after: %s'
          % (before['verdict'].upper(), fix['verdict'].upper(), after['verdict'].upper()))
    ok &= before['verdict'] == 'no go' and after['verdict'] == 'go'
    scopes = check_scopes()
    print('before: %s' % describe_targets(before, scopes))
    print('after:  %s' % describe_targets(after, scopes))

    def tgt(rep):
        return {r['host']: r['status'] for r in rep['results'] if r['check'] == 'check_tgt_include'}
    tb, ta = tgt(before), tgt(after)
    for host in sorted(set(tb) | set(ta)):
        print('check_tgt_include on %-16s before: %-9s after: %s' % (host, tb.get(host), ta.get(host)))
        ok &= tb.get(host) == 'critical' and ta.get(host) == 'ok'

    def orphans(rep):
        return [r for r in rep['results'] if r['id'] == 'placement.orphaned_allocation'
                and r['status'] not in ('ok', 'skipped') and (r.get('evidence') or {}).get('consumer')]
    orph = orphans(before)
    gone = [r['evidence']['consumer'] for r in orphans(after)]
    for r in orph:
        c = r['evidence']['consumer']
        lines = r['evidence'].get('log_lines') or []
        print('orphaned allocation: %s  (%s)' % (c, 'still there' if c in gone else 'removed'))
        print('   %s' % r['summary'])
        if lines:
            print('   nova-compute log: %s' % (lines[0]['line'] if isinstance(lines[0], dict) else lines[0])[:220])
    ok &= bool(orph) and not gone
    for a in fix.get('actions', []):
        print('fix %-26s on %-16s %s' % (a['fix'], a['host'], a['summary']))

    try:
        import scenarios
        conn = scenarios.connect()
        for it in scenarios.load_state():
            if it.get('kind') in ('live', 'build', 'migration'):
                held = all(scenarios._holds(conn, c) for c in it.get('allocations', []))
                state = 'still holds its allocations' if held else 'LOST ITS ALLOCATIONS'
                print('left alone: %-9s consumer %s %s' % (it['kind'], it['consumer'], state))
                ok &= held
    except Exception as e:  # the summary must not hide the reports
        print('(could not read the guard consumers: %s)' % e)

    print('\nwhat changed (report history: %s):' % os.path.join(os.path.abspath(d), 'runs'))
    for name, rep in (('before -> after remediation', fix), ('after remediation -> after', after)):
        print('  %s: %s' % (name, describe_changes(rep)))
        if name.startswith('before'):
            fixed = (rep.get('changes') or {}).get('fixed') or []
            ok &= bool(fixed)   # the remediation's report lists what it fixed
            for c in fixed:
                print('    fixed: %s %s on %s' % (c.get('status'), c.get('id'), c.get('host')))
            for c in (rep.get('changes') or {}).get('persists') or []:
                print('    persists: %s %s on %s' % (c.get('status'), c.get('id'), c.get('host')))
    print('  any two runs: ansible-playbook stackdoctor.openstack.report_diff -e stackdoctor_report_history_dir=%s'
          ' [-e stackdoctor_diff_old=<run id> -e stackdoctor_diff_new=<run id>]' % os.path.join(os.path.abspath(d), 'runs'))

    print('\nreports (report.md, report.json, junit.xml):')
    for n in ('1-before', '2-remediate', '3-after'):
        print('  %s' % os.path.join(os.path.abspath(d), n, 'report.md'))
    print('the page to open (report.html):')
    for n in ('1-before', '3-after'):
        print('  file://%s' % os.path.join(os.path.abspath(d), n, 'report.html'))
    if not ok:
        print('\ndemo: the reports do not show fault found then repaired', file=sys.stderr)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else 'stackdoctor-reports/demo'))
