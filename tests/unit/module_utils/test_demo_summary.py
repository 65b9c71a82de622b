# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo's console counts the nodes it checked, not the cloud target (tests/demo/summary.py)."""
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location('demo_summary', str(ROOT / 'tests' / 'demo' / 'summary.py'))
summary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary)

# The shape of the lab's report.json: seven targeted hosts, localhost is the API host.
REPORT = {
    'hosts': ['localhost', 'sd-lab-compute1', 'sd-lab-compute2', 'sd-lab-controller',
              'sd-lab-kolla1', 'sd-lab-tripleo1', 'sd-lab-volume1'],
    'results': [
        {'host': 'localhost', 'check': 'check_placement_allocations', 'id': 'placement.orphaned_allocation'},
        {'host': 'localhost', 'check': 'check_placement_allocations', 'id': 'placement.orphaned_allocation'},
        {'host': 'sd-lab-volume1', 'check': 'check_tgt_include', 'id': 'cinder.tgt_include_missing'},
        {'host': 'sd-lab-kolla1', 'check': 'check_tgt_include', 'id': 'cinder.tgt_include_missing'},
        {'host': 'sd-lab-tripleo1', 'check': 'stackdoctor', 'id': 'stackdoctor.host_unreachable'},
    ],
}


def test_scopes_come_from_the_repository():
    scopes = summary.check_scopes()
    assert scopes['check_tgt_include'] == 'host'
    assert scopes['check_placement_allocations'] in summary.CLOUD_SCOPES


def test_nodes_are_counted_apart_from_the_cloud_target():
    nodes, cloud, down, idle = summary.targets(REPORT, summary.check_scopes())
    assert nodes == ['sd-lab-kolla1', 'sd-lab-volume1']
    assert cloud == ['localhost']
    assert down == ['sd-lab-tripleo1']
    assert idle == ['sd-lab-compute1', 'sd-lab-compute2', 'sd-lab-controller']


def test_described_in_one_line():
    line = summary.describe_targets(REPORT, summary.check_scopes())
    assert line.startswith('checked 2 nodes (sd-lab-kolla1, sd-lab-volume1); cloud target localhost')
    assert 'NOT REACHED: sd-lab-tripleo1' in line
    assert '7' not in line


def test_result_scope_field_wins_over_an_unknown_check():
    report = {'hosts': ['stackdoctor-lab'],
              'results': [{'host': 'stackdoctor-lab', 'check': 'check_new', 'scope': 'cloud'}]}
    assert summary.targets(report, {}) == ([], ['stackdoctor-lab'], [], [])


def test_changes_described_in_one_line():
    assert summary.describe_changes({}) == 'no history kept'
    assert summary.describe_changes({'changes': None}) == 'no previous run of this profile'
    rep = {'changes': {'previous': {'run_id': '20261201T100000Z-diagnose'}, 'new': [], 'persists': [{}],
                       'fixed': [{}, {}], 'not_rechecked': []}}
    assert summary.describe_changes(rep) == 'since 20261201T100000Z-diagnose: 0 new, 2 fixed, 1 persist'
