"""openstack_module.list_pages: the paginated listing both compute_services_info and
floating_ips_info read through (next links, errors, the page bound)."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils import openstack_module as om
from ansible_collections.stackdoctor.openstack.plugins.modules import compute_services_info as c
from ansible_collections.stackdoctor.openstack.plugins.modules import floating_ips_info as f


def test_pages_followed_and_errors_named_per_listing():
    pages = {'/os-services': {'services': [1], 'services_links': [{'rel': 'next', 'href': '/os-services?m=1'}]},
             '/os-services?m=1': {'services': [2]}}

    def call(service, path, mv):
        if service == 'placement':
            raise RuntimeError('down')
        if path in pages:
            return 200, pages[path]
        return 500, 'boom'
    out = c.read(call)
    assert out['services'] == [1, 2] and out['hypervisors'] is None and out['providers'] is None
    assert out['errors'] == {'hypervisors': 'compute GET /os-hypervisors/detail answered 500: boom',
                             'providers': 'placement GET /resource_providers: down'}


def test_a_listing_that_never_ends_is_an_error():
    def loop(path):
        return 200, {'floatingips': [], 'floatingips_links': [{'rel': 'next', 'href': '/again'}]}
    errors = {}
    assert f._list(loop, '/floatingips', 'floatingips', errors, 'floatingips') is None
    assert errors == {'floatingips': 'network GET /v2.0/floatingips: more than %d pages' % om.MAX_PAGES}
