# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit-test fixtures. ``tests/conftest.py`` makes ``ansible_collections.stackdoctor.openstack``
importable (the link ``.cache/collections/ansible_collections/stackdoctor/openstack`` -> repo root).
"""
import pathlib

import pytest

FIXTURES = pathlib.Path(__file__).resolve().parent / 'fixtures'


@pytest.fixture
def fixtures_dir():
    """Path of ``tests/unit/fixtures``."""
    return FIXTURES
