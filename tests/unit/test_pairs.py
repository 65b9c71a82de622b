"""Every declared check is a complete pair: roles, docs, unit tests, lab fault, scenario.

This is the test a new pair is written against: `python tools/devtool.py new <name>` creates the
files, and this test says what is still missing or out of date.
"""
import importlib.util
import pathlib
import re

import pytest
import yaml

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base, registry

ROOT = pathlib.Path(__file__).resolve().parents[2]
DECLS = registry.declarations()
NAMES = sorted(DECLS)


def _devtool():
    spec = importlib.util.spec_from_file_location('devtool', ROOT / 'tools' / 'devtool.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _yaml(path):
    return yaml.safe_load(path.read_text())


def test_every_module_under_checks_is_registered():
    modules = sorted(p.stem for p in (ROOT / 'plugins' / 'module_utils' / 'checks').glob('*.py')
                     if p.stem not in ('__init__', 'base', 'registry', 'selection'))
    assert modules == sorted(registry.CHECKS)


@pytest.mark.parametrize('name', NAMES)
def test_declaration_is_valid(name):
    base.validate_declaration(DECLS[name], name[len('check_'):])


@pytest.mark.parametrize('name', NAMES)
def test_check_role(name):
    role = ROOT / 'roles' / name
    spec = _yaml(role / 'meta' / 'argument_specs.yml')['argument_specs']['main']
    defaults = _yaml(role / 'defaults' / 'main.yml') or {}
    # the role records through the framework's one evaluate path, under the cloud for cloud checks
    evaluate = [t['stackdoctor.openstack.evaluate'] for t in _yaml(role / 'tasks' / 'main.yml')
                if 'stackdoctor.openstack.evaluate' in t]
    assert [e['checks'] for e in evaluate] == [[name]]
    assert (evaluate[0].get('scope') == 'cloud') == (DECLS[name]['scope'] == 'cloud')
    # every declared parameter is a documented role variable with the declared default
    for pname, pspec in (DECLS[name].get('params') or {}).items():
        assert defaults.get(pspec['var']) == pspec['default'], (pname, pspec)
        assert spec['options'][pspec['var']]['default'] == pspec['default'], (pname, pspec)
    # site severities are a documented knob of every check
    assert '%s_severity' % name in defaults and '%s_severity' % name in spec['options']
    # what the declaration says is not repeated in the role
    assert not [k for k in defaults if k.endswith('_subsets') or k.endswith('_groups')]


@pytest.mark.parametrize('name', [n for n in NAMES if DECLS[n]['fix']])
def test_fix_role_runs_in_the_frame(name):
    fix = DECLS[name]['fix']
    role = ROOT / 'roles' / fix
    main = _yaml(role / 'tasks' / 'main.yml')
    assert len(main) == 1, 'a fix role main.yml only includes the frame'
    inc = main[0]['ansible.builtin.include_role']
    assert inc['name'] == 'stackdoctor.openstack.fix_frame'
    assert main[0]['vars']['fix_frame_fix'] == fix
    assert (role / 'tasks' / 'fix.yml').is_file()
    assert (role / 'meta' / 'argument_specs.yml').is_file()


@pytest.mark.parametrize('name', NAMES)
def test_unit_tests_exist_and_are_filled(name):
    short = name[len('check_'):]
    path = ROOT / 'tests' / 'unit' / 'checks' / ('test_%s.py' % name)
    assert path.is_file(), 'no unit tests for %s' % name
    assert 'TODO' not in path.read_text(), '%s still has scaffold TODOs' % path.name


@pytest.mark.parametrize('name', NAMES)
def test_no_scaffold_todo_left(name):
    short = name[len('check_'):]
    files = [ROOT / 'plugins' / 'module_utils' / 'checks' / ('%s.py' % short)]
    files += list((ROOT / 'roles' / name).rglob('*.yml'))
    if DECLS[name]['fix']:
        files += list((ROOT / 'roles' / DECLS[name]['fix']).rglob('*.yml'))
    left = [str(p.relative_to(ROOT)) for p in files if re.search(r'\bTODO\b', p.read_text())]
    assert left == []


@pytest.mark.parametrize('name', NAMES)
def test_lab_fault(name):
    faults = {}
    for path in sorted((ROOT / 'tests' / 'lab' / 'sabotage' / 'vars').glob('*.yml')):
        data = _yaml(path)
        assert list(data) == [path.stem], '%s must hold one fault named after the file' % path
        faults.update(data)
        assert (ROOT / 'tests' / 'lab' / 'sabotage' / 'tasks' / data[path.stem]['tasks']).is_file()
    assert [f for f, e in faults.items() if name in e.get('checks', [])], 'no lab fault for %s' % name


@pytest.mark.parametrize('name', [n for n in NAMES if DECLS[n]['fix']])
def test_fix_is_tested_on_real_things(name):
    short = name[len('check_'):]
    if DECLS[name]['scope'] == 'host':
        # node-side fixes: molecule on node containers (converge, idempotence, verify): the
        # scenario named after the pair, or one whose converge runs this fix (pairs that act on
        # the same kind of node share one scenario's nodes)
        fix = 'stackdoctor.openstack.%s' % DECLS[name]['fix']
        scenarios = [d for d in sorted((ROOT / 'molecule').iterdir())
                     if d.name == short or (d / 'converge.yml').is_file()
                     and re.search(r'\b%s\b' % re.escape(fix), (d / 'converge.yml').read_text())]
        assert scenarios, 'no molecule scenario molecule/%s, and no scenario converges %s' % (short, fix)
        for d in scenarios:
            assert (d / 'molecule.yml').is_file() and (d / 'verify.yml').is_file()
    else:
        # API-side fixes: integration tests against the lab's real cloud
        assert (ROOT / 'tests' / 'integration' / ('test_%s.py' % short)).is_file()


def test_generated_docs_and_readme_table_are_up_to_date():
    stale = [str(p.relative_to(ROOT)) for p, content in _devtool().expected_files().items()
             if not p.exists() or p.read_text() != content]
    assert stale == [], 'run `make gen`'


def test_runbooks_have_no_undeclared_page():
    pages = sorted(p.stem for p in (ROOT / 'docs' / 'checks').glob('check_*.md'))
    assert pages == NAMES


def test_no_internal_reference_in_user_facing_text():
    bad = []
    for top in ('plugins', 'roles', 'playbooks', 'docs'):
        for path in (ROOT / top).rglob('*'):
            if path.is_file() and path.suffix in ('.py', '.yml', '.md') and path.name != 'base.py':
                text = path.read_text(errors='replace')
                if re.search(r'seed 0\d|openstack-facts\.md|shared/docs', text):
                    bad.append(str(path.relative_to(ROOT)))
    if re.search(r'seed 0\d', (ROOT / 'README.md').read_text()):
        bad.append('README.md')
    assert bad == []


def test_scaffold_creates_a_pair_this_test_recognises(tmp_path, monkeypatch):
    dev = _devtool()
    monkeypatch.setattr(dev, 'ROOT', tmp_path)
    written = dev.scaffold('widget_state', scope='host', fix=True)
    assert 'plugins/module_utils/checks/widget_state.py' in written
    assert 'roles/fix_widget_state/tasks/fix.yml' in written
    # the declaration it writes is the framework's shape, and evaluate() is not a stub that passes
    src = (tmp_path / 'plugins/module_utils/checks/widget_state.py').read_text()
    ns = {}
    exec(compile(src, 'widget_state.py', 'exec'), ns)
    base.validate_declaration(dict(ns['DECLARATION'], references=['https://example.invalid/x']), 'widget_state')
    with pytest.raises(NotImplementedError):
        ns['evaluate']({}, {})
    # its unit test fails until filled
    assert 'TODO' in (tmp_path / 'tests/unit/checks/test_check_widget_state.py').read_text()
    # and a changelog fragment that make changelog refuses until its TODO is replaced
    frag = _yaml(tmp_path / 'changelogs/fragments/widget_state.yml')
    assert frag['minor_changes'][0].startswith('TODO ``check_widget_state`` / ``fix_widget_state``')
    main = _yaml(tmp_path / 'roles/fix_widget_state/tasks/main.yml')
    assert main[0]['vars']['fix_frame_fix'] == 'fix_widget_state'
    with pytest.raises(SystemExit):
        dev.scaffold('widget_state')
