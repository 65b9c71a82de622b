# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Execution environment (issue 14): ansible-builder's introspection reads the collection's
meta/execution-environment.yml from the installed tarball (python requirements as a FILE, the
tested version ranges), and ``ansible-builder create`` turns the user's definition under
examples/execution-environment/ into a build context. Nothing here needs a registry
(``ansible-builder build`` would; it is not run)."""
import pathlib
import shutil
import subprocess

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / 'examples' / 'execution-environment'

pytestmark = pytest.mark.skipif(not shutil.which('ansible-builder'),
                                reason='ansible-builder not on PATH (export PATH=$(make -s venv-path)/bin:$PATH)')


def _run(*cmd, **kw):
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp('ee-build')
    _run('ansible-galaxy', 'collection', 'build', '--force', '--output-path', str(out), str(ROOT), cwd=str(ROOT))
    path, = out.glob('stackdoctor-openstack-*.tar.gz')
    return path


def _pin(name):
    for line in (ROOT / 'requirements.txt').read_text().splitlines():
        if line.startswith(name + '=='):
            return line.split('==', 1)[1].strip()
    raise AssertionError('%s not pinned in requirements.txt' % name)


def test_collection_metadata_is_in_the_introspection_format():
    meta = yaml.safe_load((ROOT / 'meta' / 'execution-environment.yml').read_text())
    deps = meta['dependencies']
    # a list here broke every EE build: "expected str, bytes or os.PathLike object, not list"
    assert isinstance(deps['python'], str) and (ROOT / deps['python']).is_file()
    if 'system' in deps:
        assert isinstance(deps['system'], str) and (ROOT / deps['system']).is_file()


def test_python_requirements_have_ranges_that_hold_the_tested_versions():
    reqs = [Requirement(line.split('#')[0].strip())
            for line in (ROOT / 'meta' / 'ee-requirements.txt').read_text().splitlines()
            if line.split('#')[0].strip()]
    names = {r.name: r for r in reqs}
    assert 'openstacksdk' in names
    for r in reqs:
        assert r.specifier, '%s has no version range' % r.name
    assert names['openstacksdk'].specifier.contains(_pin('openstacksdk'))


def test_introspect_reads_the_installed_tarball(tarball, tmp_path):
    dest = tmp_path / 'collections'
    # --force: the checkout itself is on the configured collections path ("already installed")
    _run('ansible-galaxy', 'collection', 'install', '--force', '--offline', '--no-deps', '-p', str(dest), str(tarball))
    out = _run('ansible-builder', 'introspect', str(dest)).stdout
    data = yaml.safe_load(out)
    python = [line for line in data['python'] if 'from collection stackdoctor.openstack' in line]
    assert python and python[0].startswith('openstacksdk>=1.0,<5'), out
    assert data['system'] == []


def test_create_makes_a_build_context_from_the_example(tarball, tmp_path):
    work = tmp_path / 'ee'
    shutil.copytree(str(EXAMPLE), str(work))
    shutil.copy(str(tarball), str(work))
    context = tmp_path / 'context'
    _run('ansible-builder', 'create', '-f', 'execution-environment.yml', '-c', str(context), cwd=str(work))
    containerfile = (context / 'Containerfile').read_text()
    assert 'introspect' in containerfile and 'ansible-galaxy collection install' in containerfile
    assert (context / '_build' / 'collections' / tarball.name).is_file()
    reqs = yaml.safe_load((context / '_build' / 'requirements.yml').read_text())
    names = [c['name'] for c in reqs['collections']]
    # the galaxy stage runs in WORKDIR /build, where _build/ is copied: the tarball's relative path
    assert 'collections/%s' % tarball.name in names
    assert 'WORKDIR /build' in containerfile
    assert {'openstack.cloud', 'community.general'} <= set(names)
