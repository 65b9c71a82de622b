# -*- coding: utf-8 -*-
# Copyright: stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn node_facts into check results (pure, run on the controller)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import tgt_include


def tgt_include_results(facts, log_limit=5):
    return tgt_include.evaluate(facts, log_limit=log_limit)


class FilterModule(object):
    def filters(self):
        return {'tgt_include_results': tgt_include_results}
