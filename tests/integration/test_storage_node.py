"""check_qemu_img, check_target_address, check_glance_reachability and their fixes on the shared lab.

Their faults (qemu_img, target_address, glance_api_servers) are in the lab's catalog: the session's
`catalog` fixture (conftest.py) injects every fault of `fault=all` at once, runs the real
diagnose.yml, remediate.yml and diagnose.yml, and records the node as the fixes left it; the tests
assert on those reports. Check mode, diff and idempotence of the node-side fixes: molecule/storage_node.
"""
import json
import pathlib

from labplay import play as _play  # tests/integration/labplay.py

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOST = 'sd-lab-volume1'


def _statuses(report, rid, host=None):
    return sorted((r['host'], r['status']) for r in report['results']
                  if r['id'] == rid and (host is None or r['host'] == host))


def _print(story, fault, check, fix):
    # what an operator sees, for `pytest -s` (the closing notes quote these lines)
    for phase in ('before', 'remediate', 'after'):
        for r in story[phase]['results']:
            if r['host'] == HOST and r['check'] == check:
                print('%s %s: %s %s %s' % (fault, phase, r['status'], r['id'], r['summary']))
    for a in story['remediate'].get('actions') or []:
        if a.get('fix') == fix:
            print('%s remediate: action %s: %s' % (fault, a.get('fix'), a.get('summary')))


# The three faults are part of the lab's catalog (fault=all): the session's `catalog` fixture
# (conftest.py) injected them with the others, ran diagnose.yml, remediate.yml and diagnose.yml
# once; each test reads its pair's part of those reports and of the node as the fixes left it.
def test_qemu_img_removed_is_found_installed_and_the_lab_left_clean(catalog):
    story = catalog
    _print(story, 'qemu_img', 'check_qemu_img', 'fix_qemu_img')
    before = [r for r in story['before']['results'] if r['host'] == HOST and r['check'] == 'check_qemu_img']
    assert [(r['id'], r['status']) for r in before] == [('cinder.qemu_img_missing', 'critical')], before
    assert before[0]['evidence']['where'] == 'host' and before[0]['evidence']['package'] == 'qemu-utils'
    assert 'unit cinder-volume' in before[0]['summary']
    # kolla: qemu-img is looked for inside the cinder_volume container, and is there
    kolla = [r for r in story['before']['results'] if r['host'] == 'sd-lab-kolla1' and r['check'] == 'check_qemu_img']
    assert [(r['status'], r['evidence']['where']) for r in kolla] == [('ok', 'container sd-lab-kolla1-cinder_volume')]
    actions = [a for a in story['remediate'].get('actions', []) if a.get('fix') == 'fix_qemu_img']
    assert any('installed package qemu-utils' in a['summary'] for a in actions), actions
    assert _statuses(story['after'], 'cinder.qemu_img_missing', HOST) == [(HOST, 'ok')]
    assert story['volume1']['qemu_img'].startswith('qemu-img version'), story['volume1']['qemu_img']


def test_foreign_target_address_is_found_and_set_back(catalog):
    story = catalog
    _print(story, 'target_address', 'check_target_address', 'fix_target_address')
    before = [r for r in story['before']['results'] if r['host'] == HOST and r['check'] == 'check_target_address']
    assert [(r['id'], r['status']) for r in before] == [('cinder.target_address_foreign', 'critical')], before
    assert before[0]['evidence']['value'] == '203.0.113.10'
    assert before[0]['evidence']['storage_network_address'] == '127.0.0.1'
    actions = [a for a in story['remediate'].get('actions', []) if a.get('fix') == 'fix_target_address']
    assert any('set target_ip_address = 127.0.0.1 in [lvm-1]' in a['summary'] for a in actions), actions
    assert any('restarted cinder-volume' in a['summary'] for a in actions), actions
    assert _statuses(story['after'], 'cinder.target_address_foreign', HOST) == [(HOST, 'ok')]
    # the file as the fix left it: the storage network's address in the backend's section
    conf = story['volume1']['cinder_conf']
    assert 'target_ip_address = 127.0.0.1' in conf and '203.0.113.10' not in conf, conf


def test_dead_glance_api_servers_is_found_from_the_node_and_handed_back_to_the_catalog(catalog):
    story = catalog
    _print(story, 'glance_api_servers', 'check_glance_reachability', 'fix_glance_api_servers')
    before = [r for r in story['before']['results'] if r['host'] == HOST and r['check'] == 'check_glance_reachability']
    assert [(r['id'], r['status']) for r in before] == [('cinder.glance_unreachable', 'critical')], before
    ev = before[0]['evidence']
    assert (ev['url'], ev['source']) == ('http://127.0.0.1:15199', 'glance_api_servers')
    assert 'refused' in before[0]['summary'].lower(), before[0]['summary']
    actions = [a for a in story['remediate'].get('actions', []) if a.get('fix') == 'fix_glance_api_servers']
    assert any('removed glance_api_servers = http://127.0.0.1:15199' in a['summary'] for a in actions), actions
    # glance_api_servers unset: cinder finds the lab's real glance-api through the catalog, and
    # the node reaches it there (tests/lab/node-forward.py)
    after = [r for r in story['after']['results'] if r['host'] == HOST and r['check'] == 'check_glance_reachability']
    assert [(r['status'], r['evidence'].get('source')) for r in after] == [('ok', 'catalog')], after
    assert 'glance_api_servers = http://127.0.0.1:15199' not in story['volume1']['cinder_conf']


def test_clean_lab_has_no_storage_node_finding(lab, tmp_path):
    _play('diagnose.yml', '-e', 'stackdoctor_checks=check_qemu_img,check_target_address,check_glance_reachability',
          '-e', 'stackdoctor_report_dir=%s' % tmp_path)
    with open(tmp_path / 'report.json') as f:
        report = json.load(f)
    bad = [(r['host'], r['id'], r['status'], r['summary']) for r in report['results']
           if r['check'] in ('check_qemu_img', 'check_target_address', 'check_glance_reachability')
           and r['status'] not in ('ok', 'skipped')]
    assert bad == []
