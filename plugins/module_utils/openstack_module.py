# -*- coding: utf-8 -*-
# Copyright: stackdoctor.openstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one base class of the collection's modules that talk to a cloud.

It is openstack.cloud's ``OpenStackModule`` (same argument names: ``cloud``, ``auth``,
``region_name``, ``api_timeout``, ... so ``module_defaults`` groups and AWX's injected
credentials apply) with two differences every module here needs:

* ``api_timeout`` is bounded by default (``DEFAULT_API_TIMEOUT`` seconds, the module may set its
  own default in its ``argument_spec``): a stalled service gives an error, never a stuck job.
  openstack.cloud refuses ``api_timeout`` beside a ``cloud`` given as a dict, so there the value
  goes into the dict (unless the dict sets its own).
* openstacksdk >= 4.x no longer imports ``openstack.version`` from ``openstack/__init__``, and
  openstack.cloud 2.5.0 reads ``openstack.version.__version__`` ("module 'openstack' has no
  attribute 'version'"); importing the submodule here makes it an attribute again.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule
try:
    import openstack.version  # noqa: F401  pylint: disable=unused-import
except ImportError:  # reported by OpenStackModule ("openstacksdk is required")
    pass

DEFAULT_API_TIMEOUT = 30


# pages followed at most by list_pages (a listing that never ends is an error, not a stuck job)
MAX_PAGES = 100


def next_page(body, key):
    """The ``next`` link of an OpenStack listing (``<key>_links``, nova and neutron), or None."""
    for link in body.get(key + '_links') or []:
        if isinstance(link, dict) and link.get('rel') == 'next' and link.get('href'):
            return link['href']
    return None


def list_pages(get, path, key, label):
    """Every item of a paginated listing: ``get(path) -> (status, json or text)``, following the
    ``next`` links up to MAX_PAGES. Returns ``(items, None)`` or ``(None, message)``; ``label``
    names the request in the message (``'network GET /v2.0/floatingips'``)."""
    items, where = [], path
    for _page in range(MAX_PAGES):
        try:
            status, body = get(where)
        except Exception as exc:  # pylint: disable=broad-except
            return None, '%s: %s' % (label, exc)
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get(key), list):
            return None, '%s answered %s: %s' % (label, status, str(body)[:300])
        items += body[key]
        where = next_page(body, key)
        if not where:
            return items, None
    return None, '%s: more than %d pages' % (label, MAX_PAGES)


def json_get(proxy, path, **kwargs):
    """``proxy.get(path)`` (an openstacksdk service proxy) -> ``(status, json or text)``, never raising
    on an HTTP error status: the shape ``list_pages`` and the readers' ``call`` take."""
    resp = proxy.get(path, raise_exc=False, **kwargs)
    try:
        return resp.status_code, resp.json()
    except ValueError:
        return resp.status_code, resp.text


class StackdoctorOpenStackModule(OpenStackModule):
    """OpenStackModule with a bounded ``api_timeout`` that also works with ``cloud`` as a dict."""

    def __init__(self):
        spec = dict(self.argument_spec or {})
        spec.setdefault('api_timeout', dict(type='int', default=DEFAULT_API_TIMEOUT))
        self.argument_spec = spec
        self.api_timeout = None  # the effective timeout, once the connection is made
        super(StackdoctorOpenStackModule, self).__init__()

    def effective_api_timeout(self, requested):
        """The timeout the session gets; a module with a deadline returns the smaller one."""
        return requested

    def openstack_cloud_from_module(self):
        requested = self.params.get('api_timeout')
        timeout = self.effective_api_timeout(requested)
        if requested is not None:
            self.params['api_timeout'] = timeout
        cloud = self.params.get('cloud')
        if isinstance(cloud, dict):
            cloud = dict(cloud)
            if timeout and 'api_timeout' not in cloud:
                cloud['api_timeout'] = timeout
            timeout = cloud.get('api_timeout') or timeout
            self.params['cloud'] = cloud
            self.params['api_timeout'] = None
        self.api_timeout = timeout
        return super(StackdoctorOpenStackModule, self).openstack_cloud_from_module()


# ---- the Networking API readers (floating_ips_info, network_agents_info)

def network_listing(call, path, key, errors, name):
    """Every item of ``GET /v2.0<path>`` (``call`` as list_pages takes it), or None with
    ``errors[name]`` set to why."""
    items, error = list_pages(call, path, key, 'network GET /v2.0%s' % path)
    if error:
        errors[name] = error
    return items


def network_backend(agents):
    """``l3_agent`` when an L3 agent is listed, ``ovn`` when OVN agents are and no L3 agent, else None."""
    types = set((a.get('agent_type') or '') for a in agents or [] if isinstance(a, dict))
    if 'L3 agent' in types:
        return 'l3_agent'
    if any('OVN' in t for t in types):
        return 'ovn'
    return None


class NetworkReaderModule(StackdoctorOpenStackModule):
    """A read-only module whose result is ``reader(call, max_routers)`` over the Networking API
    (``reader = staticmethod(read)`` in the module)."""
    argument_spec = dict(max_routers=dict(type='int', default=500))
    module_kwargs = dict(supports_check_mode=True)
    reader = None

    def run(self):
        self.exit_json(changed=False, **self.reader(lambda path: json_get(self.conn.network, path),
                                                    self.params['max_routers']))
