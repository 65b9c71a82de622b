"""check_service_token: the node_facts subset service_token on real config files (a packaged compute's
and controller's nova.conf under a test root), then evaluate()."""
import json

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base, service_token
from ansible_collections.stackdoctor.openstack.plugins.module_utils.node_facts_subsets import Context, gather

SERVICE_USER = """[service_user]
send_service_user_token = {send}
auth_url = http://192.0.2.5:5000/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = s3cret-service-pw
"""


def _facts(tmp_path, text):
    conf = tmp_path / 'etc/nova/nova.conf'
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text('[DEFAULT]\ntransport_url = rabbit://nova:pw@192.0.2.5:5672/\n' + text)
    ctx = Context(root=str(tmp_path), params={'layout_flavour': 'packaged'})
    return gather(['service_token'], ctx)


def _run(facts, **params):
    return base.finish(service_token.DECLARATION, service_token.evaluate(facts, params), params)


def test_a_complete_service_user_is_ok_and_no_secret_is_read(tmp_path):
    facts = _facts(tmp_path, SERVICE_USER.format(send='true'))
    c, = facts['service_token']['configs']
    assert c['file'] == '/etc/nova/nova.conf' and 'nova-compute' in c['services']
    assert c['send'] == 'true' and c['send_line'] == 4 and c['has_password'] is True
    assert 's3cret-service-pw' not in json.dumps(facts)
    r, = _run(facts)
    assert (r['id'], r['status']) == ('nova.service_token_disabled', 'ok')


@pytest.mark.parametrize('text,expect', [
    (SERVICE_USER.format(send='false'), 'is false (line 4)'),
    (SERVICE_USER.replace('send_service_user_token = {send}\n', ''), 'is not set (default false)'),
    ('[keystone_authtoken]\nusername = nova\n', 'is not set (default false)'),
])
def test_no_service_token_is_critical_and_names_the_file(tmp_path, text, expect):
    r, = _run(_facts(tmp_path, text))
    assert (r['id'], r['status']) == ('nova.service_token_disabled', 'critical')
    assert '/etc/nova/nova.conf (' in r['summary'] and expect in r['summary'], r['summary']
    assert r['fix'] is None and 'OSSA-2023-003' in r['summary']


def test_on_without_credentials_names_what_is_missing(tmp_path):
    text = SERVICE_USER.format(send='True').replace('password = s3cret-service-pw\n', '').replace(
        'auth_type = password\n', '')
    r, = _run(_facts(tmp_path, text))
    assert (r['id'], r['status']) == ('nova.service_user_incomplete', 'critical')
    assert r['evidence']['missing'] == ['auth_type', 'password']


def test_no_nova_on_the_host_is_skipped_and_a_bad_file_is_an_error(tmp_path):
    r, = _run(gather(['service_token'], Context(root=str(tmp_path), params={'layout_flavour': 'packaged'})))
    assert r['status'] == 'skipped'
    r, = _run(_facts(tmp_path, '[service_user\nsend_service_user_token = true\n'))
    assert r['status'] == 'error' and '/etc/nova/nova.conf' in r['summary']


def test_site_severity_applies(tmp_path):
    r, = _run(_facts(tmp_path, SERVICE_USER.format(send='false')), severity={'nova.service_token_disabled': 'warning'})
    assert r['status'] == 'warning'
