# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run history and diff (module_utils/history.py), and the report action keeping runs."""
import copy
import json
import os

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import history
from ansible_collections.stackdoctor.openstack.plugins.module_utils import report as rp

IDENTS = {'cinder.tgt_include_missing': ['backend']}


def res(rid, host, status, check='check_tgt_include', **evidence):
    return {'id': rid, 'check': check, 'host': host, 'status': status, 'summary': '%s on %s' % (rid, host),
            'evidence': evidence, 'fix': None, 'reference': None, 'time': '2026-01-01T00:00:00Z'}


def report(results, profile=None, phase='diagnose', now='2026-06-15T10:00:00Z'):
    hosts = sorted(set(r['host'] for r in results))
    return rp.build(copy.deepcopy(results), [], hosts, today=now[:10], now=now, profile=profile, phase=phase)


def key(entry):
    return (entry['id'], entry['host'])


def test_diff_new_fixed_persists_and_not_rechecked():
    before = report([res('cinder.tgt_include_missing', 'v1', 'critical', backend='lvm-1'),
                     res('cinder.tgt_include_missing', 'v1', 'critical', backend='lvm-2'),
                     res('cinder.tgt_include_missing', 'v2', 'warning', backend='lvm-1'),
                     res('nova.x', 'c9', 'error', check='check_nova')])
    after = report([res('cinder.tgt_include_missing', 'v1', 'ok', backend='lvm-1'),
                    res('cinder.tgt_include_missing', 'v1', 'critical', backend='lvm-2'),
                    res('cinder.tgt_include_missing', 'v2', 'critical', backend='lvm-1'),
                    res('cinder.tgt_include_missing', 'v3', 'warning', backend='lvm-1')])
    d = history.diff(before, after, IDENTS)
    assert [key(e) for e in d['new']] == [('cinder.tgt_include_missing', 'v3')]
    assert [key(e) for e in d['fixed']] == [('cinder.tgt_include_missing', 'v1')]
    assert sorted((key(e), e['was']) for e in d['persists']) == [
        (('cinder.tgt_include_missing', 'v1'), 'critical'), (('cinder.tgt_include_missing', 'v2'), 'warning')]
    assert [key(e) for e in d['not_rechecked']] == [('nova.x', 'c9')]  # check_nova did not run on c9
    assert 'evidence' not in d['fixed'][0]  # entries are small: id, check, host, status, summary
    assert history.summary_line(d).endswith('1 new, 1 fixed, 2 persist, 1 not checked again')


def test_identity_fields_tell_faults_apart():
    a = report([res('cinder.tgt_include_missing', 'v1', 'critical', backend='lvm-1', noise='x')])
    b = report([res('cinder.tgt_include_missing', 'v1', 'critical', backend='lvm-2', noise='x')])
    d = history.diff(a, b, IDENTS)
    assert len(d['new']) == 1 and len(d['fixed']) == 1 and not d['persists']
    c = report([res('cinder.tgt_include_missing', 'v1', 'critical', backend='lvm-1', noise='y')])
    assert len(history.diff(a, c, IDENTS)['persists']) == 1  # non-identity evidence may change


def test_identities_come_from_the_declarations():
    idents = history.identities()
    assert idents['cinder.tgt_include_missing'] == ['backend']


def test_run_ids_history_order_prune_and_previous_of_profile(tmp_path):
    h = str(tmp_path / 'runs')
    os.makedirs(h)
    ids = []
    for i, (profile, phase) in enumerate([(None, 'diagnose'), ('pre-upgrade', 'diagnose'),
                                          (None, 'after-remediation'), (None, 'diagnose')]):
        rep = report([res('cinder.tgt_include_missing', 'v1', 'critical', backend='b%d' % i)], profile=profile,
                     phase=phase, now='2026-06-15T10:00:0%dZ' % (i // 2))
        rid = history.new_run_id(rep, h)
        rep['run_id'] = rid
        history.save_run(h, rid, rp.render_json(rep))
        ids.append(rid)
    assert ids[:2] == ['20260615T100000Z-diagnose', '20260615T100000Z-diagnose-2'] and ids[2] == '20260615T100001Z-after-remediation'
    assert history.list_runs(h) == ids
    same_second = history.new_run_id({'generated': '2026-06-15T10:00:00Z', 'phase': 'diagnose'}, h)
    assert same_second == '20260615T100000Z-diagnose-3'
    assert history.previous_run(h, None)['run_id'] == ids[3]
    assert history.previous_run(h, None, exclude=ids[3])['run_id'] == ids[2]
    assert history.previous_run(h, 'pre-upgrade')['run_id'] == ids[1]
    assert history.previous_run(h, 'post-deploy') is None
    os.makedirs(os.path.join(h, 'keep-me'))  # not a run: never removed
    assert history.prune(h, 2) == ids[:2]
    assert history.list_runs(h) == ids[2:] and os.path.isdir(os.path.join(h, 'keep-me'))


def test_load_run_by_id_dir_or_file_and_errors(tmp_path):
    h = str(tmp_path)
    rep = report([res('a.b', 'h', 'warning', password='plain')])  # built by hand: not masked yet
    history.save_run(h, '20260615T100000Z-diagnose', json.dumps(rep))
    by_id = history.load_run(h, '20260615T100000Z-diagnose')
    assert by_id['results'][0]['evidence']['password'] == '********'
    assert history.load_run(None, os.path.join(h, '20260615T100000Z-diagnose'))['run_id'] == '20260615T100000Z-diagnose'
    assert history.load_run(None, os.path.join(h, '20260615T100000Z-diagnose', 'report.json'))['verdict']
    with pytest.raises(history.HistoryError):
        history.load_run(h, 'nope')
    (tmp_path / 'bad.json').write_text('{"x": 1}')
    with pytest.raises(history.HistoryError):
        history.load_run(h, str(tmp_path / 'bad.json'))
