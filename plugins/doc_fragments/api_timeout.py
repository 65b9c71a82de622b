# -*- coding: utf-8 -*-
# Copyright: stackdoctor.openstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The bounded default of plugins/module_utils/openstack_module.py (StackdoctorOpenStackModule).
    # Listed before openstack.cloud.openstack: the first fragment's keys win when both set one.
    DOCUMENTATION = r'''
options:
  api_timeout:
    description:
      - Seconds each API call (and the SDK's authentication) may take; bounded by default so a
        stalled service gives an error, never a stuck job. With a cloud dict in O(cloud) it is
        added to the dict unless the dict has its own C(api_timeout).
    type: int
    default: 30
'''
