"""check_service_roles: evaluate() on what the role reads from keystone (identity_user_info,
role_assignment in check mode: changed = the assignment is missing)."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry


def _u(user, found=True, missing=False, error=None):
    return {'user': user, 'user_domain': 'Default', 'project': 'service', 'project_domain': 'Default',
            'role': 'admin', 'found': found, 'missing': missing if found else None, 'error': error}


def _ev(users, error=None):
    return registry.evaluate('check_service_roles', {'users': users, 'error': error})


def test_missing_role_is_critical_and_fixable():
    res = _ev([_u('nova', missing=True), _u('placement')])
    assert [(r['id'], r['status'], r['fix']) for r in res] == [
        ('keystone.service_role_missing', 'critical', 'fix_service_roles'),
        ('keystone.service_role_missing', 'ok', None)]
    assert res[0]['evidence'] == {'user': 'nova', 'user_domain': 'Default', 'project': 'service',
                                  'project_domain': 'Default', 'role': 'admin'}
    assert 'user nova (domain Default) role admin on project service' in res[0]['summary']


def test_missing_user_and_keystone_errors():
    res = _ev([_u('cinder', found=False), _u('glance', error='HttpException: 503')])
    assert [(r['id'], r['status'], r['fix']) for r in res] == [
        ('keystone.service_user_missing', 'warning', None), ('keystone.service_role_missing', 'error', None)]
    assert _ev([], error='timed out')[0]['status'] == 'error'
    assert _ev(None)[0]['status'] == 'error'
    assert _ev(['nova'])[0]['status'] == 'error'
    assert _ev([])[0]['status'] == 'skipped'
