"""check_compute_services' evaluate() over what openstack.cloud.resources returns (openstacksdk
resources' to_dict(computed=False): services, hypervisors, resource providers), in the shapes the
lab's nova 34 and placement 16 answer."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

CHECK = 'check_compute_services'
C1, C2 = 'a3b1c7e2-1111-4d2a-9c1e-000000000001', 'a3b1c7e2-2222-4d2a-9c1e-000000000002'


def svc(binary, host, state='up', status='enabled', reason=None, forced=False):
    return {'id': host + binary, 'binary': binary, 'host': host, 'availability_zone': 'nova', 'state': state,
            'status': status, 'disabled_reason': reason, 'is_forced_down': forced,
            'updated_at': '2026-12-01T05:10:00.000000', 'name': binary, 'location': None}


def hyp(name, uid, state='up'):
    return {'id': uid, 'name': name, 'state': state, 'status': 'enabled', 'service_details': None, 'location': None}


def rp(name, uid, parent=None):
    return {'id': uid, 'name': name, 'generation': 3, 'parent_provider_id': parent,
            'root_provider_id': parent or uid, 'location': None}


CLEAN = {'services': [svc('nova-conductor', 'controller'), svc('nova-scheduler', 'controller'),
                      svc('nova-compute', 'compute-1'), svc('nova-compute', 'compute-2')],
         'hypervisors': [hyp('compute-1', C1), hyp('compute-2', C2)],
         'providers': [rp('compute-1', C1), rp('compute-2', C2), rp('compute-1_sriov', 'child-1', parent=C1)]}


def ids(results):
    return sorted((r['id'], r['status']) for r in results)


def test_clean_cloud_is_one_ok():
    [r] = registry.evaluate(CHECK, CLEAN, {})
    assert (r['id'], r['status']) == ('nova.service_down', 'ok') and '4 services' in r['summary']


def test_down_compute_is_found_once_with_what_to_look_at():
    facts = dict(CLEAN, services=CLEAN['services'][:3] + [svc('nova-compute', 'compute-2', state='down')],
                 hypervisors=[hyp('compute-1', C1), hyp('compute-2', C2, state='down')])
    [r] = registry.evaluate(CHECK, facts, {})
    assert (r['id'], r['status'], r['evidence']['host']) == ('nova.service_down', 'critical', 'compute-2')
    assert r['evidence']['since'].startswith('2026-12-01') and 'log' in r['summary'] and r['fix'] is None


def test_forced_down_or_disabled_with_reason_is_not_reported():
    facts = dict(CLEAN, services=CLEAN['services'][:3] + [
        svc('nova-compute', 'compute-2', state='down', forced=True),
        svc('nova-compute', 'compute-9', state='down', status='disabled', reason='hardware repair')])
    assert ids(registry.evaluate(CHECK, facts, {})) == [('nova.service_down', 'ok')]


def test_disabled_without_reason():
    facts = dict(CLEAN, services=CLEAN['services'] + [svc('nova-compute', 'compute-3', status='disabled')])
    [r] = registry.evaluate(CHECK, facts, {})
    assert (r['id'], r['evidence']['host']) == ('nova.service_disabled_without_reason', 'compute-3')


def test_hypervisor_down_while_service_is_not_reported_down():
    facts = dict(CLEAN, hypervisors=[hyp('compute-1', C1), hyp('compute-2', C2, state='down')])
    assert ids(registry.evaluate(CHECK, facts, {})) == [('nova.hypervisor_down', 'critical')]


def test_compute_nodes_and_providers_that_do_not_match():
    facts = dict(CLEAN, hypervisors=CLEAN['hypervisors'] + [hyp('compute-3', 'c3')],
                 providers=CLEAN['providers'] + [rp('compute-old', 'old-1'), rp('shared-nfs', 'nfs-1')])
    res = registry.evaluate(CHECK, facts, {'ignore_providers': ['shared-nfs']})
    assert ids(res) == [('placement.compute_node_without_provider', 'critical'),
                        ('placement.provider_without_compute_node', 'warning')]
    by = dict((r['id'], r['evidence']) for r in res)
    assert by['placement.compute_node_without_provider']['hypervisor'] == 'compute-3'
    assert by['placement.provider_without_compute_node']['provider'] == 'old-1'
    # matched by name when the uuids differ (pre-2.53 integer ids)
    facts = dict(CLEAN, hypervisors=[hyp('compute-1', 7), hyp('compute-2', 8)])
    assert ids(registry.evaluate(CHECK, facts, {})) == [('nova.service_down', 'ok')]


def test_api_failures_are_error_results_and_nothing_else_is_judged_from_them():
    facts = {'services': CLEAN['services'], 'errors': {'hypervisors': 'Timed out after 30s', 'providers': 'HTTP 503'}}
    res = registry.evaluate(CHECK, facts, {})
    assert ids(res) == [('nova.compute_services_unreadable', 'error')] * 2
    assert ids(registry.evaluate(CHECK, {}, {})) == [('nova.compute_services_unreadable', 'error')] * 3
    assert ids(registry.evaluate(CHECK, {'services': 'garbage', 'hypervisors': None, 'providers': []}, {})) == [
        ('nova.compute_services_unreadable', 'error')] * 2


def test_stale_row_owned_by_nova_service_versions_is_skipped_not_reported_twice():
    """The lab's stale row (sd-stale-compute, down 30 days): check_nova_service_versions reports it
    (critical, fix_nova_service_versions); here it is one skipped result naming that owner, by
    uuid (the API's id at 2.53) or by binary and host. Another down service is still critical."""
    stale = dict(svc('nova-compute', 'sd-stale-compute', state='down'), id='5e1c0000-0000-4000-8000-00000000dead')
    facts = dict(CLEAN, services=CLEAN['services'] + [stale, svc('nova-compute', 'compute-3', state='down')])
    before = ids(registry.evaluate(CHECK, facts, {}))
    assert before == [('nova.service_down', 'critical')] * 2
    for row in ({'uuid': stale['id'], 'host': 'other', 'binary': 'x', 'version': 66, 'cell': 'cell1'},
                {'uuid': None, 'host': 'sd-stale-compute', 'binary': 'nova-compute', 'version': 66, 'cell': 'cell1'}):
        res = registry.evaluate(CHECK, dict(facts, stale_rows=[row]), {})
        assert ids(res) == [('nova.service_down', 'critical'), ('nova.service_down', 'skipped')]
        [sk] = [r for r in res if r['status'] == 'skipped']
        assert sk['evidence']['host'] == 'sd-stale-compute' and sk['fix'] is None
        assert sk['evidence']['owned_by']['fix'] == 'fix_nova_service_versions'
        assert 'check_nova_service_versions' in sk['summary'] and 'v66' in sk['summary']
    # an up service of the same host is not skipped because of a stale row
    up = dict(stale, state='up')
    assert ids(registry.evaluate(CHECK, dict(CLEAN, services=CLEAN['services'] + [up],
                                             stale_rows=[{'uuid': stale['id']}]), {})) == [('nova.service_down', 'ok')]
