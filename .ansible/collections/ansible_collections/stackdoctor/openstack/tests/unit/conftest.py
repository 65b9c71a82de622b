# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit-test helpers: make ``ansible_collections.stackdoctor.openstack`` importable.

``tests/conftest.py`` already puts ``.cache/collections`` (holding the link
``ansible_collections/stackdoctor/openstack`` -> repo root, made by ``make deps``) on
``sys.path``; this file repeats it so ``pytest tests/unit`` also works when run from a
different rootdir, and provides the fixtures directory.
"""
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / '.cache' / 'collections'
_LINK = COLLECTIONS / 'ansible_collections' / 'stackdoctor' / 'openstack'
if not _LINK.exists():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to('../../../..')
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

FIXTURES = pathlib.Path(__file__).resolve().parent / 'fixtures'


@pytest.fixture
def fixtures_dir():
    """Path of ``tests/unit/fixtures``."""
    return FIXTURES
