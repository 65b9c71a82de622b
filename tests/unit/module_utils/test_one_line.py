# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Summaries are one readable line; the full (masked) text stays in evidence."""
import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd
from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import MASK

# What nova/keystoneauth put in a failed task's msg when the API is down (one long line,
# then a traceback-ish tail).
CONN_ERROR = (
    "Unable to establish connection to http://127.0.0.1:15001/v3/auth/tokens: "
    "HTTPConnectionPool(host='127.0.0.1', port=15001): Max retries exceeded with url: "
    "/v3/auth/tokens (Caused by NewConnectionError('<urllib3.connection.HTTPConnection "
    "object at 0x7f3b2c1d0>: Failed to establish a new connection: [Errno 111] Connection "
    "refused'))\nTraceback (most recent call last):\n  File \"x.py\", line 1\n")


@pytest.mark.parametrize('text, expected', [
    ('short', 'short'),
    ('  two   spaces  ', 'two spaces'),
    ('\n\n  first line\nsecond line', 'first line'),
    ('', ''),
    (None, ''),
    ('a' * 300, 'a' * 197 + '...'),
])
def test_one_line(text, expected):
    assert sd.one_line(text) == expected


def test_one_line_cuts_at_a_word_and_respects_the_limit():
    line = sd.one_line(CONN_ERROR, 80)
    assert len(line) <= 80
    assert line.endswith('...')
    assert '\n' not in line
    assert line == 'Unable to establish connection to http://127.0.0.1:15001/v3/auth/tokens...'
    # cut after a whole word, not inside one
    assert CONN_ERROR.startswith(line[:-3] + ': ')


def _result(summary, evidence=None):
    return {'id': 'placement.audit_aborted', 'check': 'check_placement_allocations',
            'status': 'error', 'summary': summary, 'evidence': evidence or {}}


def test_abort_summary_is_one_line_and_evidence_keeps_the_full_text():
    r = sd.validate_result(_result('placement allocation audit failed: ' + CONN_ERROR,
                                   {'msg': 'kept'}), host='cloud')
    assert '\n' not in r['summary']
    assert len(r['summary']) <= sd.SUMMARY_MAX
    assert r['summary'].startswith('placement allocation audit failed: Unable to establish')
    assert r['evidence']['msg'] == 'kept'
    assert 'Traceback (most recent call last)' in r['evidence']['detail']
    assert '[Errno 111] Connection refused' in r['evidence']['detail']
    # stored again (the report re-validates): nothing changes
    again = sd.validate_result(r, host='cloud', stored=True)
    assert again['summary'] == r['summary'] and again['evidence'] == r['evidence']


def test_short_summary_adds_no_detail():
    r = sd.validate_result(_result('tgt does not include the cinder volumes dir'), host='h')
    assert r['evidence'] == {}


def test_existing_detail_is_not_overwritten():
    r = sd.validate_result(_result('line one\nline two', {'detail': 'the check said this'}), host='h')
    assert r['summary'] == 'line one'
    assert r['evidence']['detail'] == 'the check said this'
    assert r['evidence']['summary_detail'] == 'line one\nline two'


def test_summary_and_detail_are_masked():
    r = sd.validate_result(_result('cannot reach rabbit://openstack:RabbitPw@10.0.0.1:5672/\n'
                                   'OS_PASSWORD=OsPw'), host='h')
    text = repr(r)
    assert 'RabbitPw' not in text and 'OsPw' not in text
    assert r['summary'] == 'cannot reach rabbit://openstack:%s@10.0.0.1:5672/' % MASK
    assert r['evidence']['detail'].endswith('OS_PASSWORD=' + MASK)


def test_action_summary_is_one_line():
    (a,) = sd.validate_actions([{'fix': 'fix_tgt_include', 'summary': 'restarted\ncinder-volume',
                                 'changed': True}], host='h')
    assert a['summary'] == 'restarted'
    assert a['details']['detail'] == 'restarted\ncinder-volume'
