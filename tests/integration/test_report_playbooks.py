# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the real diagnose / remediate / health_gate playbooks against fake local hosts.

Three hosts: node-a and node-b use ansible_connection=local, node-c is unreachable (ssh to
127.0.0.254 port 1). The registry is replaced by the test-only role tests/roles/check_fake
(records the results given in check_fake_results) and its fix tests/roles/fix_fake; node
facts gathering is off (the fake check needs none), so diagnose reaches hosts with ping.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / 'playbooks'

INVENTORY = {
    'all': {
        'vars': {'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'children': {'storage': {'hosts': {
            'node-a': {
                'ansible_connection': 'local',
                'check_fake_results': [
                    {'id': 'fake.thing', 'status': 'critical', 'summary': 'the <fake> thing & co is broken',
                     'evidence': {'file': '/etc/fake.conf', 'line': 3, 'password': 'hunter2'},
                     'fix': 'fix_fake', 'reference': 'test'},
                    {'id': 'fake.other', 'status': 'ok', 'summary': 'other fine'},
                ]},
            'node-b': {
                'ansible_connection': 'local',
                'check_fake_results': [
                    {'id': 'fake.thing', 'status': 'ok', 'summary': 'thing fine'},
                    {'id': 'fake.other', 'status': 'warning', 'summary': 'other is odd'},
                ]},
            'node-c': {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.254', 'ansible_port': 1,
                       'ansible_user': 'nobody'},
        }}},
    },
}
EXTRA = {
    'stackdoctor_check_registry': {
        'check_fake': {'role': 'check_fake', 'fix': 'fix_fake', 'fix_role': 'fix_fake',
                       'subsets': [], 'scope': 'host', 'profiles': ['periodic']},
    },
    'stackdoctor_gather_facts': False,
}
WAIVE_ALL = {
    'stackdoctor_waivers': [
        {'id': 'fake.*', 'hosts': 'node-a', 'reason': 'known, CHG-1', 'expires': '2099-12-31'},
        {'id': 'stackdoctor.host_unreachable', 'hosts': 'node-[c]', 'reason': 'being rebuilt',
         'expires': '2099-12-31'},
    ],
}


def _ansible_playbook():
    # make compat runs these tests with the oldest ansible-core the collection claims (meta/runtime.yml)
    if os.environ.get('STACKDOCTOR_ANSIBLE_PLAYBOOK'):
        return os.environ['STACKDOCTOR_ANSIBLE_PLAYBOOK']
    local = pathlib.Path(sys.executable).parent / 'ansible-playbook'
    return str(local) if local.exists() else shutil.which('ansible-playbook')


@pytest.fixture
def env(tmp_path):
    if not _ansible_playbook():
        pytest.skip('ansible-playbook not installed')
    (tmp_path / 'hosts.yml').write_text(yaml.safe_dump(INVENTORY))
    (tmp_path / 'extra.yml').write_text(yaml.safe_dump(EXTRA))
    (tmp_path / 'waivers.yml').write_text(yaml.safe_dump(WAIVE_ALL))
    e = dict(os.environ)
    e.update({
        'ANSIBLE_CONFIG': str(ROOT / 'ansible.cfg'),
        'ANSIBLE_ROLES_PATH': '%s:%s' % (ROOT / 'tests' / 'roles', ROOT / 'roles'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / '.ansible-tmp'),
    })
    return tmp_path, e


def run(env, playbook, *args):
    tmp_path, e = env
    cmd = [_ansible_playbook(), '-i', str(tmp_path / 'hosts.yml'), playbook, '-e', '@' + str(tmp_path / 'extra.yml')]
    cmd += list(args)
    proc = subprocess.run(cmd, cwd=str(tmp_path), env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300)
    return proc.returncode, proc.stdout


def load(report_dir):
    report_dir = pathlib.Path(report_dir)
    return (json.loads((report_dir / 'report.json').read_text()), (report_dir / 'report.md').read_text(),
            ET.parse(str(report_dir / 'junit.xml')).getroot())


def by(report, rid, host):
    return [r for r in report['results'] if r['id'] == rid and r['host'] == host]


def test_diagnose_by_path_writes_reports_in_cwd_default(env):
    tmp_path = env[0]
    rc, out = run(env, str(PLAYBOOKS / 'diagnose.yml'))
    assert rc == 0, out
    data, md, junit = load(tmp_path / 'stackdoctor-reports' / 'latest')
    assert data['schema_version'] == 1 and data['phase'] == 'diagnose'
    assert data['verdict'] == 'no go'
    assert sorted(data['hosts']) == ['node-a', 'node-b', 'node-c']
    crit = by(data, 'fake.thing', 'node-a')[0]
    assert crit['status'] == 'critical' and crit['check'] == 'check_fake'
    assert crit['evidence']['password'] != 'hunter2' and 'hunter2' not in md
    down = by(data, 'stackdoctor.host_unreachable', 'node-c')
    assert down and down[0]['status'] == 'error'
    assert set((b['id'], b['host']) for b in data['blocking']) == {
        ('fake.thing', 'node-a'), ('stackdoctor.host_unreachable', 'node-c')}
    # markdown: verdict first
    assert [line for line in md.splitlines()[1:] if line.strip()][0].startswith('**Verdict: NO GO**')
    assert md.index('## Critical') < md.index('## Error') < md.index('## Warning') < md.index('## Passed')
    # junit: check_fake x 2 reachable hosts + the unreachable host's case
    cases = list(junit.iter('testcase'))
    assert len(cases) == 3
    # the last message names the report and the verdict
    tail = out[out.rindex('TASK [Verdict]'):]
    assert 'report.md' in tail and 'NO GO' in tail


def test_health_gate_by_fqcn_fails_on_critical(env):
    tmp_path = env[0]
    rc, out = run(env, 'stackdoctor.openstack.health_gate', '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'g1'),
                  '-e', 'stackdoctor_gate_severity=critical')
    assert rc != 0, out
    assert 'health gate (all checks): NO GO' in out and 'fake.thing' in out
    data = load(tmp_path / 'g1')[0]
    assert [(b['id'], b['host']) for b in data['blocking']] == [('fake.thing', 'node-a')]


def test_health_gate_passes_when_waived(env):
    tmp_path = env[0]
    rc, out = run(env, 'stackdoctor.openstack.health_gate', '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'g2'),
                  '-e', '@' + str(tmp_path / 'waivers.yml'))
    assert rc == 0, out
    assert 'health gate (all checks): go' in out
    data, md, dummy = load(tmp_path / 'g2')
    assert data['verdict'] == 'go'
    assert by(data, 'fake.thing', 'node-a')[0]['waived'] is True
    assert by(data, 'stackdoctor.host_unreachable', 'node-c')[0]['waived'] is True
    assert '## Waived (2)' in md


def test_health_gate_expired_waiver_stops_applying(env):
    tmp_path = env[0]
    waivers = json.dumps({'stackdoctor_waivers': [
        {'id': 'fake.thing', 'hosts': 'node-a', 'reason': 'old', 'expires': '2026-01-01'}],
        'stackdoctor_today': '2026-01-02', 'stackdoctor_gate_severity': 'critical'})
    rc, out = run(env, str(PLAYBOOKS / 'health_gate.yml'), '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'g3'),
                  '-e', waivers)
    assert rc != 0, out
    data = load(tmp_path / 'g3')[0]
    assert not by(data, 'fake.thing', 'node-a')[0].get('waived')
    expired = [r for r in data['results'] if r['id'] == 'stackdoctor.waiver_expired']
    assert expired and expired[0]['status'] == 'warning' and '2026-01-01' in expired[0]['summary']


def test_remediate_check_mode_runs_fix_for_non_ok_results(env):
    tmp_path = env[0]
    rc, out = run(env, 'stackdoctor.openstack.remediate', '--check', '--diff',
                  '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'm1'))
    assert rc == 0, out
    data = load(tmp_path / 'm1')[0]
    assert data['phase'] == 'after-remediation'
    assert [(a['fix'], a['host']) for a in data['actions']] == [('fix_fake', 'node-a')]
    assert data['actions'][0]['summary'].startswith('would repair')
    # the fix re-recorded check_fake on node-a: its old results are replaced
    assert [(r['id'], r['status']) for r in data['results'] if r['host'] == 'node-a'] == [('fake.thing', 'ok')]
    # node-b's warning has no fix: untouched
    assert by(data, 'fake.other', 'node-b')[0]['status'] == 'warning'


def test_remediate_respects_fix_selection(env):
    tmp_path = env[0]
    rc, out = run(env, str(PLAYBOOKS / 'remediate.yml'), '-e', '{"stackdoctor_fixes": []}',
                  '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'm2'))
    assert rc == 0, out
    data = load(tmp_path / 'm2')[0]
    assert data['actions'] == []
    assert by(data, 'fake.thing', 'node-a')[0]['status'] == 'critical'
    # a fix name that does not exist is an error, not a silent no-op
    rc, out = run(env, str(PLAYBOOKS / 'remediate.yml'), '-e', 'stackdoctor_fixes=fix_other',
                  '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'm3'))
    assert rc != 0 and 'unknown fix(es) fix_other' in out, out


def test_health_gate_judges_a_profile_and_names_it(env):
    tmp_path = env[0]
    rc, out = run(env, str(PLAYBOOKS / 'health_gate.yml'), '-e', 'stackdoctor_profile=periodic', '-l', 'node-a',
                  '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'p1'))
    assert rc != 0 and 'health gate (periodic): NO GO' in out, out
    data, md = load(tmp_path / 'p1')[:2]
    assert data['profile'] == 'periodic' and 'Profile: periodic.' in md
    # check_fake is not in pre-upgrade: nothing of it runs, the report says which profile it judged
    rc, out = run(env, str(PLAYBOOKS / 'health_gate.yml'), '-e', 'stackdoctor_profile=pre-upgrade', '-l', 'node-a',
                  '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'p2'))
    assert rc == 0 and 'health gate (pre-upgrade): go' in out, out
    data = load(tmp_path / 'p2')[0]
    assert data['profile'] == 'pre-upgrade' and not [r for r in data['results'] if r['check'] == 'check_fake']
    rc, out = run(env, str(PLAYBOOKS / 'diagnose.yml'), '-e', 'stackdoctor_profile=nightly',
                  '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'p3'))
    assert rc != 0 and 'unknown profile nightly' in out, out


def test_failing_check_role_becomes_error_result_and_unknown_check_fails(env):
    tmp_path = env[0]
    rc, out = run(env, str(PLAYBOOKS / 'diagnose.yml'), '-e', 'check_fake_fail=true', '-l', 'node-a',
                  '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'f1'))
    assert rc == 0, out
    data = load(tmp_path / 'f1')[0]
    assert data['hosts'] == ['node-a']  # --limit is honoured: node-b/node-c are not reported missing
    failed = by(data, 'stackdoctor.check_failed', 'node-a')
    assert failed and failed[0]['status'] == 'error' and failed[0]['check'] == 'check_fake'
    assert 'told to fail' in failed[0]['summary']

    rc, out = run(env, str(PLAYBOOKS / 'diagnose.yml'), '-e', 'stackdoctor_checks=check_nope',
                  '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'f2'))
    assert rc != 0
    assert 'unknown check(s) check_nope' in out
