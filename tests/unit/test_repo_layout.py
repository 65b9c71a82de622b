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


def test_every_check_and_fix_role_is_declared():
    """A check_/fix_ role without a declaration would never be selected (tests/unit/test_pairs.py)."""
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry
    decls = registry.declarations()
    checks = [r.name for r in ROLES if r.name.startswith('check_')]
    fixes = [r.name for r in ROLES if r.name.startswith('fix_') and r.name != 'fix_frame']
    assert checks, 'no check roles'
    assert sorted(checks) == sorted(decls)
    assert sorted(fixes) == sorted(d['fix'] for d in decls.values() if d['fix'])
