"""module_utils/slicing.py: what a slice publishes (bounded, one key per host) and the merge."""
import json

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import slicing


def _result(i, status='ok', check='check_disk_space', host='c1', evidence=None):
    return {'id': 'disk.space_low', 'check': check, 'status': status, 'host': host,
            'summary': 'x' * 500, 'evidence': evidence if evidence is not None else {'i': i},
            'fix': None, 'reference': 'docs/checks/check_disk_space.md', 'time': '2026-12-03T00:00:00Z'}


def test_host_key_is_fixed_per_host_and_a_variable_name():
    k = slicing.host_key('sd-lab-compute1')
    assert k == slicing.host_key('sd-lab-compute1') != slicing.host_key('sd-lab-compute2')
    assert k.startswith('stackdoctor_slice_host_') and k.replace('_', '').isalnum() and len(k) == 23 + 12


def test_summary_is_bounded_and_puts_what_is_wrong_first():
    results = [_result(i) for i in range(300)] + [_result(0, 'critical'), _result(1, 'warning')]
    s = slicing.summarize('c1', ['computes', 'all'], results, {'rbd_secrets': {'a': 1}, 'galera': {}},
                          ['rbd_secrets', 'layout'], max_results=50)
    assert [r['status'] for r in s['results'][:2]] == ['critical', 'warning']
    assert len(s['results']) == 50 and s['results_total'] == 302 and s['results_truncated']
    assert all(len(r['summary']) == slicing.SUMMARY_MAX for r in s['results'])
    assert 'time' not in s['results'][0]
    assert s['groups'] == ['computes'] and s['facts'] == {'rbd_secrets': {'a': 1}}


def test_large_evidence_and_large_facts_are_not_published():
    big = {'lines': ['y' * 100] * 100}
    s = slicing.summarize('c1', [], [_result(0, evidence=big)], {'rbd_secrets': big}, ['rbd_secrets'],
                          max_facts_bytes=1000)
    assert s['results'][0]['evidence'] == {'truncated': True}
    assert s['facts'] == {} and s['facts_truncated'] and s['facts_bytes'] > 1000
    assert len(json.dumps(s)) < 2000


def test_publish_keys_each_host_and_skips_hosts_with_nothing():
    out = slicing.publish(['c1', 'c2', 'cloud:lab'], lambda h: {'layout': {}} if h == 'c1' else {},
                          lambda h: ['computes'], lambda h: [_result(0, host=h)] if h != 'c2' else None, ['layout'])
    assert sorted(v['host'] for v in out.values()) == ['c1', 'cloud:lab']
    assert all(k == slicing.host_key(v['host']) for k, v in out.items())


def test_merge_drops_the_cross_host_checks_results_and_keeps_the_rest():
    a = slicing.summarize('c1', ['computes'], [_result(0), _result(1, 'critical', check='check_rbd_secrets')],
                          {'rbd_secrets': {}}, ['rbd_secrets'])
    b = slicing.summarize('v1', ['storage'], [_result(2, host='v1')], {'rbd_secrets': {}}, ['rbd_secrets'])
    m = slicing.merge({slicing.host_key('c1'): a, slicing.host_key('v1'): b}, ['check_rbd_secrets'])
    assert [h['host'] for h in m['hosts']] == ['c1', 'v1'] and m['dropped'] == 1
    assert [r['check'] for h in m['hosts'] for r in h['results']] == ['check_disk_space', 'check_disk_space']


@pytest.mark.parametrize('values,msg', [
    ({}, 'no slice summary'),
    ({slicing.host_key('c1'): {'format': 99, 'host': 'c1'}}, 'is not a stackdoctor slice summary'),
    ({slicing.host_key('c2'): slicing.summarize('c1', [], [], {}, [])}, 'holds the summary of c1'),
])
def test_merge_refuses_what_it_cannot_trust(values, msg):
    with pytest.raises(slicing.MergeError, match=msg):
        slicing.merge(values, [])
