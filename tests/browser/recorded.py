# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reports for the browser test and the render benchmark, built from recorded results.

``fixtures/lab_before.json`` is a report.json the lab wrote (`make demo`, the diagnose before
remediation); without it, ``tests/unit/fixtures/results/three_hosts.json``. ``scaled(n)``
spreads the recorded nodes' results over ``n`` hosts (one node in three repaired, so the
matrix is mixed), keeps the cloud results once, and compares with an earlier run so the
"since the previous run" section is filled.

    python tests/browser/recorded.py 100 /tmp/report.html    # write a 100-host report.html
"""
import copy
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / '.cache' / 'collections'))

from ansible_collections.stackdoctor.openstack.plugins.module_utils import history  # noqa: E402
from ansible_collections.stackdoctor.openstack.plugins.module_utils import report as rp  # noqa: E402
from ansible_collections.stackdoctor.openstack.plugins.module_utils import report_html  # noqa: E402
from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd  # noqa: E402

LAB = HERE / 'fixtures' / 'lab_before.json'
THREE = ROOT / 'tests' / 'unit' / 'fixtures' / 'results' / 'three_hosts.json'
NOW = '2026-12-01T10:00:00Z'


def recorded():
    """(results, hosts, groups, source name)."""
    path = LAB if LAB.exists() else THREE
    data = json.loads(path.read_text())
    groups = data.get('groups') or {}
    if not groups:
        for h in data['hosts']:
            groups.setdefault('storage' if 'volume' in h or 'kolla' in h else
                              'compute' if 'compute' in h else 'controllers', []).append(h)
    return [sd.validate_result(r, stored=True) for r in data['results']], list(data['hosts']), groups, path.name


def small():
    """The recorded report itself, as report.html shows it."""
    results, hosts, groups, dummy = recorded()
    report = rp.build(results, [], hosts, today=NOW[:10], now=NOW, groups=groups, phase='diagnose',
                      title='stackdoctor: recorded lab results')
    return report


def scaled(n):
    """A report over ``n`` nodes from the recorded results, with changes since an earlier run."""
    results, hosts, groups, dummy = recorded()
    group_of = {}
    for g, members in groups.items():
        for m in members:
            group_of.setdefault(m, []).append(g)
    by_host = {}
    cloud = []
    for r in results:
        if sd.is_cloud_target(r['host']) or r['check'] == sd.INTERNAL_CHECK:
            cloud.append(r)
        else:
            by_host.setdefault(r['host'], []).append(r)
    templates = sorted(by_host)
    out, new_groups, names = [], {}, []
    for i in range(n):
        src = templates[i % len(templates)]
        name = 'node-%03d' % i
        names.append(name)
        for g in group_of.get(src, ['nodes']):
            new_groups.setdefault(g, []).append(name)
        for r in by_host[src]:
            r = copy.deepcopy(r)
            r['host'] = name
            if (i // len(templates)) % 3 == 1 and sd.severity(r['status']) > 0:
                r['status'] = 'ok'
                r['summary'] = 'repaired: ' + r['summary']
            out.append(r)
    out += [dict(copy.deepcopy(r), host='node-000') if r['check'] == sd.INTERNAL_CHECK else copy.deepcopy(r)
            for r in cloud if sd.is_cloud_target(r['host'])]
    report = rp.build(out, [], names, today=NOW[:10], now=NOW, groups=new_groups, phase='diagnose',
                      title='stackdoctor: %d nodes from recorded results' % n)
    # the run before: every third node still broken, the next one not yet
    before = copy.deepcopy(report)
    for r in before['results']:
        if r['summary'].startswith('repaired: '):
            r['status'], r['summary'] = 'critical', r['summary'][len('repaired: '):]
    before['run_id'] = '20261201T090000Z-diagnose'
    report['run_id'] = '20261201T100000Z-diagnose'
    report['changes'] = history.diff(before, report)
    return report


def write(report, path):
    page = report_html.render_html(report)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(page)
    return len(page)


if __name__ == '__main__':
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    target = sys.argv[2] if len(sys.argv) > 2 else os.path.join(str(ROOT), '.cache', 'browser', 'report-%d.html' % count)
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    print('%s: %d bytes' % (target, write(scaled(count), target)))
