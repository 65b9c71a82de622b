# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Log signatures: the facts doc rows on real and documented lines."""
import pathlib
import re

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures as ls

LOGS = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'logs'


def test_signature_table_shape():
    ids = [s['id'] for s in ls.SIGNATURES]
    for wanted in ('1a', '1b', '1c', '1d', '1e', '1f', '1g', '4a', '4b', '4c', '4d'):
        assert wanted in ids
    for s in ls.SIGNATURES:
        assert set(s) >= {'id', 'service', 'multiline', 'regex', 'diagnosis', 'source'}
        re.compile(s['regex'])
    assert ls.CINDER_VOLUME_SIGNATURES == ['1a', '1b', '1c', '1d', '1e', '1f', '1g', '1h', '7a', '7b', '7d', '7c', '7e']


def test_seed_000_traceback_is_1h():
    res = ls.scan(str(LOGS / 'cinder-volume-seed000.log'))
    sigs = [m['signature'] for m in res['matches']]
    # two tracebacks, each a tgt binary missing; 1e needs the file name, absent here
    assert sigs == ['1h', '1h']
    assert res['counts']['1e'] == 0
    first = res['matches'][0]
    assert first['line_no'] == 37
    assert first['text'].endswith('FileNotFoundError: [Errno 2] No such file or directory')
    assert first['groups'][0] == 'tgtadm_show'
    assert res['matches'][1]['line_no'] == 73
    assert res['truncated'] is False and res['lines_scanned'] == 74


def test_documented_cinder_lines():
    res = ls.scan(str(LOGS / 'cinder-volume-facts.log'), max_matches=100)
    by = {}
    for m in res['matches']:
        by.setdefault(m['signature'], []).append(m)
    assert by['1a'][0]['groups'] == ['volume-0d5ffdca-d6da-4da7-80bb-2900df33eeef',
                                     '/var/lib/cinder/volumes']
    assert by['1a'][0]['line_no'] == 2
    assert by['1b'][0]['groups'] == ['volume-11111111-2222-3333-4444-555555555555']
    assert [m['line_no'] for m in by['1c']] == [4, 11]
    assert sorted(m['groups'][0] for m in by['1d']) == ['for', 'of']
    assert by['1d'][0]['groups'][1].startswith('Resource could not be found')
    assert by['1e'][0]['groups'] == ['FileNotFoundError', 'tgtadm']
    assert by['1f'][0]['groups'] == ['adm'] and by['1f'][0]['line_no'] == 10
    assert by['1g'][0]['line_no'] == 11
    assert '1h' not in by
    assert res['counts']['1a'] == 2


def test_log_lines_are_masked():
    res = ls.scan(str(LOGS / 'cinder-volume-facts.log'), max_matches=100)
    text = repr(res)
    assert 'hunter2' not in text
    last_1a = [m for m in res['matches'] if m['signature'] == '1a'][-1]
    assert 'auth_password=********' in last_1a['text']


def test_max_matches_keeps_most_recent_and_counts_all():
    res = ls.scan(str(LOGS / 'cinder-volume-facts.log'), ['1a'], max_matches=1)
    assert len(res['matches']) == 1 and res['matches'][0]['line_no'] == 13
    assert res['counts'] == {'1a': 2}
    assert ls.scan(str(LOGS / 'cinder-volume-facts.log'), ['1a'], max_matches=0)['matches'] == []


def test_tail_bytes_reads_only_the_end_with_true_line_numbers(tmp_path):
    src = (LOGS / 'cinder-volume-facts.log').read_text().splitlines(True)
    filler = ['2024-03-12 16:00:00.000 1 INFO x [-] filler line %05d\n' % i for i in range(2000)]
    path = tmp_path / 'big.log'
    path.write_text(''.join(filler + src))
    tail = sum(len(l.encode()) for l in src) + 10
    res = ls.scan(str(path), ['1a', '1g'], tail_bytes=tail)
    assert res['truncated'] is True
    assert res['lines_scanned'] <= len(src)
    assert [m['line_no'] for m in res['matches']] == [2000 + 2, 2000 + 11, 2000 + 13]
    full = ls.scan(str(path), ['1a', '1g'], tail_bytes=0)
    assert [m['line_no'] for m in full['matches']] == [2000 + 2, 2000 + 11, 2000 + 13]


def test_nova_and_placement_lines():
    res = ls.scan(str(LOGS / 'nova-compute.log'), ['4a', '4b', '4c', '4d'])
    got = [(m['signature'], m['groups'][0]) for m in res['matches']]
    assert got == [('4a', '6f0bbd4c-1c2b-4a9e-9d39-7f4a0a1b2c3d'),
                   ('4b', '7f0bbd4c-1c2b-4a9e-9d39-7f4a0a1b2c3d'),
                   ('4c', '8f0bbd4c-1c2b-4a9e-9d39-7f4a0a1b2c3d'),
                   ('4d', '9f0bbd4c-1c2b-4a9e-9d39-7f4a0a1b2c3d')]
    assert res['matches'][2]['groups'][1:] == ['compute-2', 'compute-2.example.org']


def test_lines_input_and_unprefixed_multiline():
    lines = ['Got an OSError', "command: ('tgt-admin', '--update', 'iqn.x')", 'errno: 2']
    res = ls.scan(lines, ['1f'])
    assert res['matches'][0]['groups'] == ['-admin']
    assert res['size'] is None


def test_unknown_signature_id():
    with pytest.raises(ValueError):
        ls.scan([], ['zz'])


def test_missing_file_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        ls.scan(str(tmp_path / 'nope.log'))
