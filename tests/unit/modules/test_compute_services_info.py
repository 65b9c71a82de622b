"""compute_services_info.read: the three listings, pages followed, a failed listing reported by
name while the others are still returned."""
from ansible_collections.stackdoctor.openstack.plugins.modules import compute_services_info as m


def test_lists_follow_pages_and_report_failures():
    calls = []

    def call(service, path, mv):
        calls.append((service, path, mv))
        if path == '/os-services':
            return 200, {'services': [{'binary': 'nova-compute', 'host': 'c1', 'state': 'up', 'status': 'enabled'}]}
        if path == '/os-hypervisors/detail':
            return 200, {'hypervisors': [{'id': 'u1'}], 'hypervisors_links': [{'rel': 'next', 'href': 'http://n/v2.1/os-hypervisors/detail?marker=u1'}]}
        if path.endswith('marker=u1'):
            return 200, {'hypervisors': [{'id': 'u2'}]}
        return 503, 'placement is down'

    out = m.read(call)
    assert [h['id'] for h in out['hypervisors']] == ['u1', 'u2'] and out['services'][0]['host'] == 'c1'
    assert out['providers'] is None and out['errors'] == {'providers': 'placement GET /resource_providers answered 503: placement is down'}
    assert calls[0] == ('compute', '/os-services', '2.53') and calls[-1] == ('placement', '/resource_providers', '1.14')


def test_exception_is_an_error_of_that_listing():
    def call(service, path, mv):
        if service == 'compute':
            raise RuntimeError('connect timeout')
        return 200, {'resource_providers': []}

    out = m.read(call)
    assert out['providers'] == [] and set(out['errors']) == {'services', 'hypervisors'}
    assert 'connect timeout' in out['errors']['services']
