# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWX job slicing, proved with ansible-runner on the lab (issue 14; docs/awx-slicing.md).

The fault cinder_rbd_secret_unknown gives the volume node's cinder an RBD backend whose
rbd_secret_uuid no compute holds: only a check that compares hosts sees it (check_rbd_secrets on
each compute, from the volume node's facts). The same AWX project playbooks run as AWX would:
1. one unsliced diagnose of the computes and the volume node;
2. a sliced diagnose as AWX slices a job (hosts dealt round-robin over 2 slices: compute1 and the
   volume node, compute2 alone), each slice with stackdoctor_slice_publish=true;
3. the correlation node (awx/playbooks/correlate.yml), without a limit (it connects to no host), with the
   slices' artifacts merged as AWX merges them for the next workflow node (a dict update).
Asserted: the second slice alone misses compute2's finding (why a correlation step is needed); the
correlated report has the same results (host, id, status) and verdict as the unsliced run; every
host's summary is bounded and under its own key; no secret of the lab reached an event or artifact.
"""
import json
import os
import pathlib
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]

LAB_DIR = os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab')
INV = ROOT / 'inventories' / 'lab'
SABOTAGE = ROOT / 'tests' / 'lab' / 'sabotage' / 'lab_sabotage.yml'
FAULT = 'cinder_rbd_secret_unknown'
HOSTS = ['sd-lab-compute1', 'sd-lab-compute2', 'sd-lab-volume1']
SLICES = [HOSTS[0::2], HOSTS[1::2]]   # AWX deals the hosts round-robin over the slices
CHECKS = 'check_rbd_secrets,check_tgt_include,check_disk_space'


def _secrets():
    with open(os.path.join(LAB_DIR, 'etc', 'secrets.json')) as f:
        sec = json.load(f)
    out = [v for k, v in sec.items() if isinstance(v, str)]
    out += list((sec.get('db') or {}).values())
    return [s for s in out if s]


def _sabotage(undo=False):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'))
    r = subprocess.run(['ansible-playbook', '-i', str(INV / 'hosts.yml'), str(SABOTAGE), '-e', 'fault=%s' % FAULT]
                       + (['-e', 'undo=true'] if undo else []), cwd=ROOT, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout[-3000:]


def _pdd(base, name):
    """A private data dir as AWX gives ansible-runner: the project's playbooks, the inventory
    (the lab's, with its group_vars), the environment (collections, the node connection plugin)."""
    pdd = base / name
    shutil.copytree(str(ROOT / 'awx' / 'playbooks'), str(pdd / 'project'))
    shutil.copytree(str(INV), str(pdd / 'inventory'), ignore=shutil.ignore_patterns('clouds.yaml'))
    (pdd / 'env').mkdir()
    (pdd / 'env' / 'envvars').write_text(yaml.safe_dump({
        'ANSIBLE_COLLECTIONS_PATH': str(ROOT / '.cache' / 'collections'),
        'ANSIBLE_ROLES_PATH': str(ROOT / 'roles'),
        'ANSIBLE_CONNECTION_PLUGINS': str(ROOT / 'tests' / 'plugins' / 'connection'),
        'STACKDOCTOR_LAB_DIR': LAB_DIR,
    }))
    return pdd


def _run(base, name, playbook, limit, extravars):
    import ansible_runner
    pdd = _pdd(base, name)
    (pdd / 'env' / 'extravars').write_text(yaml.safe_dump(dict(extravars, stackdoctor_report_dir=str(base / name / 'report'))))
    env = {k: os.environ.pop(k) for k in ('OS_CLOUD', 'OS_CLIENT_CONFIG_FILE', 'ANSIBLE_CONFIG') if k in os.environ}
    try:
        r = ansible_runner.run(private_data_dir=str(pdd), playbook=playbook, limit=limit, quiet=True)
    finally:
        os.environ.update(env)
    stdout = r.stdout.read()
    assert r.rc == 0, stdout[-3000:]   # diagnose: a NO GO is a verdict, not a failed job
    events = list(r.events)
    stats = [e for e in events if e.get('event') == 'playbook_on_stats']
    assert len(stats) == 1
    report = json.loads((base / name / 'report' / 'report.json').read_text())
    return {'artifact': stats[0]['event_data']['artifact_data'], 'report': report, 'events': events,
            'stdout': stdout, 'pdd': pdd}


def _seen(report):
    return sorted((r['host'], r['id'], r['status']) for r in report['results'])


@pytest.fixture
def fault(lab):
    _sabotage()
    try:
        yield FAULT
    finally:
        _sabotage(undo=True)


def test_two_slices_and_the_correlation_step_equal_one_unsliced_run(fault, tmp_path):
    ask = {'stackdoctor_survey_checks': CHECKS}
    whole = _run(tmp_path, 'unsliced', 'diagnose.yml', ','.join(HOSTS), ask)
    assert whole['report']['verdict'] == 'no go'
    found = [r for r in whole['report']['results'] if r['status'] == 'critical']
    assert sorted(r['host'] for r in found if r['id'] == 'libvirt.rbd_secret_missing') == HOSTS[:2]

    slices = [_run(tmp_path, 'slice%d' % i, 'diagnose.yml', ','.join(h), dict(ask, stackdoctor_slice_publish=True))
              for i, h in enumerate(SLICES)]
    # compute2's slice has no volume node: alone it calls the fault's compute ok
    alone = [r for r in slices[1]['report']['results'] if r['id'] == 'libvirt.rbd_secret_missing']
    assert {r['status'] for r in alone} == {'ok'}, alone

    merged = {}
    for s in slices:   # what AWX hands the next workflow node: the parents' artifacts, dict-updated
        merged.update(s['artifact'])
    keys = sorted(k for k in merged if k.startswith('stackdoctor_slice_host_'))
    published = [merged[k] for k in keys]
    assert sorted(p['host'] for p in published) == sorted(HOSTS)   # one key per host, none lost
    for p in published:
        assert len(json.dumps(p)) < 80000 and not p['facts_truncated'] and not p['results_truncated']
        assert 'rbd_secrets' in p['facts'] and 'layout' in p['facts']

    corr = _run(tmp_path, 'correlate', 'correlate.yml', None, dict(merged, **ask))
    assert corr['report']['verdict'] == whole['report']['verdict'], corr['stdout'][-8000:]
    assert _seen(corr['report']) == _seen(whole['report'])
    assert corr['artifact']['stackdoctor_verdict'] == 'no go'
    assert corr['artifact']['stackdoctor_blocking_total'] == whole['artifact']['stackdoctor_blocking_total']
    assert not any(k.startswith('stackdoctor_slice_host_') for k in corr['artifact'])
    assert 'merged 3 host summaries' in corr['stdout']
    # the correlation connected to nobody: no task ran on the slices' hosts but the local evaluation
    remote = [e for e in corr['events'] if e.get('event') == 'runner_on_ok'
              and e['event_data'].get('task_action') in ('stackdoctor.openstack.node_facts', 'ansible.builtin.command')]
    assert remote == []
    print('slicing: unsliced %s, correlated %s, %d results each' % (
        whole['report']['verdict'], corr['report']['verdict'], len(_seen(whole['report']))))
    print('slicing: published %s' % ', '.join('%s %d bytes' % (p['host'], len(json.dumps(p))) for p in published))
    print('slicing: correlation artifact %s' % json.dumps(dict(
        (k, corr['artifact'][k]) for k in ('stackdoctor_verdict', 'stackdoctor_counts', 'stackdoctor_blocking_total',
                                           'stackdoctor_blocking')), sort_keys=True))

    secrets = _secrets()
    for run in [whole, corr] + slices:
        blob = json.dumps(run['events']) + run['stdout'] + json.dumps(run['artifact'])
        assert not [s for s in secrets if s in blob]
        for f in (run['pdd'] / 'artifacts').rglob('*'):
            if f.is_file():
                text = f.read_text(errors='replace')
                assert not [s for s in secrets if s in text], f
