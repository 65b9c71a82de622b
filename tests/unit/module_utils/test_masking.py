# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets never leave: masking of strings and nested data."""
import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import (
    MASK, is_secret_key, mask_data, mask_string)

SECRETS = ['s3cr3t', 'RabbitPw', 'DbPw', 'Pw9zZ3tY', 'hunter2', 'tok-123', 'OsPw']


@pytest.mark.parametrize('text, expected', [
    ('OS_PASSWORD=OsPw', 'OS_PASSWORD=' + MASK),
    ('export OS_PASSWORD="OsPw"', 'export OS_PASSWORD="%s"' % MASK),
    ('transport_url = rabbit://openstack:RabbitPw@192.0.2.1:5672/',
     'transport_url = rabbit://openstack:%s@192.0.2.1:5672/' % MASK),
    ('connection = mysql+pymysql://cinder:DbPw@db/cinder',
     'connection = mysql+pymysql://cinder:%s@db/cinder' % MASK),
    # several rabbit hosts, each with its credentials
    ('transport_url = rabbit://a:RabbitPw@h1:5672,b:s3cr3t@h2:5672/',
     'transport_url = rabbit://a:%s@h1:5672,b:%s@h2:5672/' % (MASK, MASK)),
    # a password holding '@' or '/': masked up to the last '@' of the authority
    ('connection = mysql://cinder:Db@Pw/x@db/cinder', 'connection = mysql://cinder:%s@db/cinder' % MASK),
    # a password holding ',': cannot be split into hosts, masked as one
    ('rabbit://a:Rab,bitPw@h1:5672/', 'rabbit://a:%s@h1:5672/' % MASK),
    ("error: (pymysql.err.OperationalError) mysql+pymysql://nova:DbPw@10.0.0.5/nova')",
     "error: (pymysql.err.OperationalError) mysql+pymysql://nova:%s@10.0.0.5/nova')" % MASK),
    ('ceph: key = AQBzZ3tYhunter2==', 'ceph: key = ' + MASK),
    ('OS_AUTH_TOKEN=tok-123', 'OS_AUTH_TOKEN=' + MASK),
    ('authToken: tok-123', 'authToken: ' + MASK),
    ('see rabbit://openstack:RabbitPw@10.0.0.1:5672//', 'see rabbit://openstack:%s@10.0.0.1:5672//' % MASK),
    ('auth_url = http://admin:s3cr3t@keystone:5000/v3', 'auth_url = http://admin:%s@keystone:5000/v3' % MASK),
    ('    incominguser 2Xc4KkR8 Pw9zZ3tY', '    incominguser 2Xc4KkR8 ' + MASK),
    ('outgoinguser out s3cr3t', 'outgoinguser out ' + MASK),
    ("{'auth_password': 'hunter2', 'auth_username': 'u'}",
     "{'auth_password': '%s', 'auth_username': 'u'}" % MASK),
    ('{"password": "a b c", "user": "x"}', '{"password": "%s", "user": "x"}' % MASK),
    ('admin_password: s3cr3t', 'admin_password: ' + MASK),
    ('token=tok-123&x=1', 'token=%s&x=1' % MASK),
    ('openstack --os-password s3cr3t server list', 'openstack --os-password %s server list' % MASK),
    ('openstack --os-password=s3cr3t server list', 'openstack --os-password=%s server list' % MASK),
    ('auth_key=abc', 'auth_key=' + MASK),
])
def test_mask_string(text, expected):
    assert mask_string(text) == expected


@pytest.mark.parametrize('text', [
    'Failed to create iscsi target for Volume ID: volume-0d5ffdca. It could be caused',
    "Also please ensure your tgtd config file contains 'include /var/lib/cinder/volumes/*'",
    'www_authenticate_uri = http://keystone:5000',
    '[keystone_authtoken]',
    'keystone_authtoken = x',
    'Instance 6f0bbd4c-1c2b-4a9e-9d39-7f4a0a1b2c3d has allocations against this compute host',
    'target_helper = tgtadm',
    'password = ',
    'password=' + MASK,
    # look-alikes: a word that contains or resembles a secret word is not a secret key
    "Failed to establish a new connection: [Errno 111] Connection refused",
    "HTTPConnectionPool(host='127.0.0.1', port=5000): Max retries exceeded with url: /v3 "
    "(Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: "
    "Failed to establish a new connection: [Errno 111] Connection refused'))",
    'tokenizer: whitespace',
    'keystone: http://keystone:5000/v3',
    'passwordless: true',
    'bypass=1',
    'monkey: see',
    'compass = north',
    'password_length = 16',
    'token_cache_time = 300',
    'key_file = /etc/ssl/private/cinder.key',
    # rbd_secret_uuid names a libvirt secret, it is not one (see masking.py)
    'rbd_secret_uuid = 457eb676-33da-42ec-9a8c-9293d545c337',
    'transport_url = rabbit://rabbit-1:5672/',
    'connection = sqlite:////var/lib/nova/nova.sqlite',
    'http://keystone:5000/v3/auth/tokens',
    'mailto://ops@example.org',
    'see https://bugs.launchpad.net/cinder/+bug/1400529 and user@host',
])
def test_mask_string_leaves_harmless_text(text):
    assert mask_string(text) == text


def test_mask_string_non_strings():
    assert mask_string(None) is None
    assert mask_string('') == ''


@pytest.mark.parametrize('key, secret', [
    ('password', True), ('admin_password', True), ('Passwd', True),
    ('token', True), ('auth_token', True), ('key', True), ('ssh_key', True),
    ('credential', True), ('OS_PASSWORD', True), ('authToken', True), ('db-pass', True),
    ('api_key', True), ('keys', True),
    # URLs: their password is masked, the key itself is not a secret
    ('transport_url', False), ('connection', False),
    ('rbd_secret_uuid', False), ('tokenizer', False), ('passwordless', False),
    ('bypass', False), ('monkey', False), ('key_manager', False), ('token_cache_time', False),
    ('keystone_authtoken', False), ('keystone', False), ('volume_group', False),
    ('target_helper', False), ('key_file', False), ('password_length', False),
    ('connection_recycle_time', False), ('passthrough', False), (3, False),
])
def test_is_secret_key(key, secret):
    assert is_secret_key(key) is secret


def test_mask_data_nested():
    data = {
        'DEFAULT': {'transport_url': 'rabbit://a:RabbitPw@h/', 'debug': 'true'},
        'keystone_authtoken': {'password': 'OsPw', 'username': 'cinder',
                               'auth_url': 'http://u:s3cr3t@k:5000'},
        'database': {'connection': 'mysql://c:DbPw@db/c'},
        'list': ['OS_PASSWORD=OsPw', {'token': 'tok-123'}, ('incominguser a Pw9zZ3tY',)],
        'unset': {'password': None, 'secret': '', 'token_flag': True},
        'count': 3,
    }
    out = mask_data(data)
    text = repr(out)
    for s in SECRETS:
        assert s not in text
    assert out['keystone_authtoken']['username'] == 'cinder'
    assert out['keystone_authtoken']['password'] == MASK
    assert out['keystone_authtoken']['auth_url'] == 'http://u:%s@k:5000' % MASK
    assert out['DEFAULT']['transport_url'] == 'rabbit://a:%s@h/' % MASK
    assert out['database']['connection'] == 'mysql://c:%s@c' % MASK or \
        out['database']['connection'] == 'mysql://c:%s@db/c' % MASK
    assert out['DEFAULT']['debug'] == 'true'
    assert out['unset'] == {'password': None, 'secret': '', 'token_flag': True}
    assert out['count'] == 3
    assert isinstance(out['list'][2], tuple)
    # input untouched
    assert data['keystone_authtoken']['password'] == 'OsPw'


def test_mask_data_secret_key_holding_container_is_recursed():
    out = mask_data({'secrets': [{'uuid': 'u', 'usage': 'x'}], 'password': ['a']})
    assert out['secrets'] == [{'uuid': 'u', 'usage': 'x'}]
    assert out['password'] == [MASK]


def test_mask_is_idempotent():
    once = mask_string('OS_PASSWORD=x rabbit://a:b@c incominguser u p')
    assert mask_string(once) == once


@pytest.mark.parametrize('value, expected', [
    ('rabbit://a:RabbitPw@h/', 'rabbit://a:%s@h/' % MASK),
    ('sqlite:////var/lib/cinder/cinder.sqlite', 'sqlite:////var/lib/cinder/cinder.sqlite'),
    # not a URL but holding an '@': cannot tell where a password ends, mask it all
    ('cinder:DbPw@db', MASK),
    (None, None),
    ('', ''),
])
def test_mask_data_url_keys(value, expected):
    assert mask_data({'connection': value}) == {'connection': expected}
    assert mask_data({'transport_url': value}) == {'transport_url': expected}


def test_mask_data_leaves_error_text_readable():
    evidence = {'error': 'Failed to establish a new connection: [Errno 111] Connection refused',
                'msg': 'keystone: tokenizer passwordless', 'exception_key_count': 3}
    assert mask_data(evidence) == evidence


def test_mask_url_without_userinfo_is_untouched():
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import mask_url
    assert mask_url('http://keystone:5000/v3') == 'http://keystone:5000/v3'
    assert mask_url('rabbit://u:p@h1,u:q@h2/') == 'rabbit://u:%s@h1,u:%s@h2/' % (MASK, MASK)
