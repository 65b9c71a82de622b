# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWX objects as code (issue 14): the project's playbook files (awx/playbooks/) and the
awx.awx-format definitions (awx/definitions.yml, applied by awx/configure.yml) load, pass
``ansible-playbook --syntax-check``, use only options the bundled awx.awx modules document, and
the workflow's gate fails on a NO GO published by set_stats and passes on GO. No AWX here:
nothing is applied."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
AWX = ROOT / 'awx'
DEFS = yaml.safe_load((AWX / 'definitions.yml').read_text())
PLAYBOOKS = sorted((AWX / 'playbooks').glob('*.yml'))

needs_ansible = pytest.mark.skipif(not shutil.which('ansible-playbook'),
                                   reason='ansible-playbook not on PATH (export PATH=$(make -s venv-path)/bin:$PATH)')


def _env():
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    return env


def test_every_file_is_yaml():
    for f in sorted(AWX.rglob('*.yml')):
        assert yaml.safe_load(f.read_text()) is not None, f


def test_project_playbooks_import_existing_collection_playbooks():
    wrappers = [p for p in PLAYBOOKS if p.stem != 'gate_on_stats']
    assert {p.stem for p in wrappers} == {'diagnose', 'remediate', 'health_gate', 'correlate'}
    for p in wrappers:
        play, = yaml.safe_load(p.read_text())
        fqcn = play['ansible.builtin.import_playbook']
        assert fqcn == 'stackdoctor.openstack.%s' % p.stem
        assert (ROOT / 'playbooks' / (p.stem + '.yml')).is_file()
    assert not any('lab_sabotage' in p.name for p in PLAYBOOKS)


@needs_ansible
def test_syntax_check():
    for pb in PLAYBOOKS + [AWX / 'configure.yml']:
        proc = subprocess.run(['ansible-playbook', '--syntax-check', '-i', 'localhost,', str(pb)],
                              cwd=str(ROOT), env=_env(), capture_output=True, text=True)
        assert proc.returncode == 0, (pb, proc.stdout, proc.stderr)


def _options(module):
    proc = subprocess.run(['ansible-doc', '-j', module], env=_env(), capture_output=True, text=True, check=True)
    doc = json.loads(proc.stdout)[module]['doc']
    names = set()
    for name, spec in doc['options'].items():
        names.add(name)
        names.update(spec.get('aliases') or [])
    return names, doc['options']


@needs_ansible
def test_configure_uses_documented_awx_options_only():
    plays = yaml.safe_load((AWX / 'configure.yml').read_text())
    tasks = [t for p in plays for t in p['tasks']]
    modules = {}
    for t in tasks:
        mod = [k for k in t if k.startswith('awx.awx.')]
        assert len(mod) == 1, t
        modules.setdefault(mod[0], []).append(t[mod[0]])
    assert set(modules) == {'awx.awx.notification_template', 'awx.awx.job_template', 'awx.awx.workflow_job_template'}
    for module, calls in modules.items():
        names, dummy = _options(module)
        for args in calls:
            assert set(args) <= names, (module, set(args) - names)
    # workflow nodes: the suboptions of workflow_nodes
    dummy, wf = _options('awx.awx.workflow_job_template')
    node_opts = set(wf['workflow_nodes']['suboptions'])
    for wf_def in (DEFS['stackdoctor_awx_workflow'], DEFS['stackdoctor_awx_sliced_workflow']):
        for node in wf_def['workflow_nodes']:
            assert set(node) <= node_opts, set(node) - node_opts
    # the sliced workflow: sliced diagnose (publishing) -> correlate -> gate -> upgrade
    jts = dict((j['name'], j) for j in DEFS['stackdoctor_awx_job_templates'])
    sliced = jts['stackdoctor diagnose (sliced)']
    assert sliced['extra_vars'] == {'stackdoctor_slice_publish': True} and sliced['job_slice_count']
    order = [n['unified_job_template']['name'] for n in DEFS['stackdoctor_awx_sliced_workflow']['workflow_nodes']]
    assert order[:3] == ['stackdoctor diagnose (sliced)', 'stackdoctor correlate', 'stackdoctor gate on verdict']
    assert jts['stackdoctor correlate']['playbook'] == 'awx/playbooks/correlate.yml'


def test_survey_spec():
    spec = DEFS['stackdoctor_awx_survey']['spec']
    variables = {q['variable']: q for q in spec}
    assert set(variables) == {'stackdoctor_hosts', 'stackdoctor_survey_checks', 'stackdoctor_profile',
                              'stackdoctor_gate_severity', 'stackdoctor_survey_waivers'}
    for q in spec:
        assert q['type'] in ('text', 'textarea', 'multiplechoice', 'multiselect', 'integer', 'float', 'password')
        assert q['question_name'] and 'required' in q
        if q['type'] == 'multiplechoice':
            assert q['default'] in q['choices']
    assert variables['stackdoctor_gate_severity']['choices'] == ['warning', 'error', 'critical']


def test_workflow_graph():
    nodes = DEFS['stackdoctor_awx_workflow']['workflow_nodes']
    ids = [n['identifier'] for n in nodes]
    assert ids == ['diagnose', 'gate', 'upgrade']
    templates = {t['name']: t for t in DEFS['stackdoctor_awx_job_templates']}
    for n in nodes:
        for kind, targets in (n.get('related') or {}).items():
            assert kind in ('success_nodes', 'failure_nodes', 'always_nodes')
            assert all(t['identifier'] in ids for t in targets)
        if n['identifier'] != 'upgrade':
            tmpl = templates[n['unified_job_template']['name']]
            assert (ROOT / tmpl['playbook']).is_file()
    # NO GO must not reach the upgrade: only the gate's success leads there, nothing on failure
    assert nodes[1]['related'] == {'success_nodes': [{'identifier': 'upgrade'}]}
    assert 'failure_nodes' not in nodes[0].get('related', {})


def _gate(tmp_path, stats):
    (tmp_path / 'stats.json').write_text(json.dumps(stats))
    return subprocess.run(
        ['ansible-playbook', '-i', 'localhost,', str(AWX / 'playbooks' / 'gate_on_stats.yml'),
         '-e', '@%s' % (tmp_path / 'stats.json'), '-e', 'ansible_python_interpreter=%s' % sys.executable],
        cwd=str(ROOT), env=_env(), capture_output=True, text=True)


@needs_ansible
def test_gate_on_stats(tmp_path):
    no_go = {'stackdoctor_verdict': 'no go', 'stackdoctor_gate_severity': 'error',
             'stackdoctor_counts': {'critical': 1}, 'stackdoctor_blocking_total': 1,
             'stackdoctor_blocking_truncated': False,
             'stackdoctor_blocking': [{'id': 'cinder.tgt_include_missing', 'check': 'check_tgt_include',
                                       'status': 'critical', 'host': 'volume-1', 'summary': 'no include',
                                       'fix': 'fix_tgt_include'}]}
    proc = _gate(tmp_path, no_go)
    assert proc.returncode == 2, proc.stdout
    assert 'NO GO' in proc.stdout and 'cinder.tgt_include_missing on volume-1' in proc.stdout
    proc = _gate(tmp_path, dict(no_go, stackdoctor_verdict='go', stackdoctor_blocking=[], stackdoctor_blocking_total=0))
    assert proc.returncode == 0, proc.stdout
    proc = _gate(tmp_path, {})
    assert proc.returncode == 2 and 'no stackdoctor_verdict' in proc.stdout
