"""Repository conventions that keep the collection easy to extend (every role documented, ...)."""
import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / 'roles').iterdir() if p.is_dir())


def test_there_are_roles():
    assert len(ROLES) >= 5


def test_every_role_has_argument_specs():
    missing = [r.name for r in ROLES if not (r / 'meta' / 'argument_specs.yml').is_file()]
    assert missing == []


def test_role_variables_are_prefixed_with_the_role_name():
    bad = []
    for role in ROLES:
        spec = yaml.safe_load((role / 'meta' / 'argument_specs.yml').read_text())
        for entry in spec['argument_specs'].values():
            for opt in (entry.get('options') or {}):
                if not opt.startswith(role.name + '_'):
                    bad.append('%s: %s' % (role.name, opt))
        defaults = role / 'defaults' / 'main.yml'
        if defaults.is_file():
            for var in (yaml.safe_load(defaults.read_text()) or {}):
                if not var.startswith(role.name + '_'):
                    bad.append('%s defaults: %s' % (role.name, var))
    assert bad == []


def test_every_check_role_has_a_registry_entry_and_fix_roles_pair():
    registry = yaml.safe_load((ROOT / 'playbooks' / 'vars' / 'checks.yml').read_text())['stackdoctor_check_registry']
    checks = [r.name for r in ROLES if r.name.startswith('check_')]
    assert checks, 'no check roles'
    for check in checks:
        assert check in registry, check
        fix = registry[check].get('fix')
        if fix:
            assert (ROOT / 'roles' / fix).is_dir(), fix
            name = check[len('check_'):]
            if registry[check].get('scope', 'host') == 'host':
                # node-side fixes are tested on node containers
                assert (ROOT / 'molecule' / name / 'molecule.yml').is_file(), 'no molecule scenario for ' + fix
            else:
                # API-side fixes are tested against the lab's real cloud
                assert (ROOT / 'tests' / 'integration' / ('test_%s.py' % name)).is_file(), 'no lab test for ' + fix
