"""check_service_credentials: database URLs, the MySQL/MariaDB login on recorded MariaDB
10.11.19 exchanges, the keystone token request, the credentials subset and evaluate()."""
import base64
import io
import json
import os

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import cred_probe
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures')
WRONG_DB = 'sd-lab-WRONG-dbpw'
WRONG_KS = 'sd-lab-WRONG-kspw'
with open(os.path.join(FIX, 'mysql', 'mariadb-10.11.19.json')) as _f:
    RECORDED = json.load(_f)


class Replay:
    def __init__(self, data):
        self.data, self.sent = data, b''

    def settimeout(self, t):
        pass

    def sendall(self, d):
        self.sent += d

    def recv(self, n):
        out, self.data = self.data[:min(n, 29)], self.data[min(n, 29):]
        return out

    def close(self):
        pass


@pytest.mark.parametrize('name,expected', [('ok', 'ok'), ('wrong_password', 'access_denied'),
                                           ('db_denied', 'db_access_denied')])
def test_mysql_login_on_recorded_mariadb(name, expected):
    sock = Replay(base64.b64decode(RECORDED[name]['server_bytes_b64']))
    res = cred_probe.mysql_login('127.0.0.1', 15050, 'nova', WRONG_DB, RECORDED[name]['database'], 2,
                                 connect=lambda a, t: sock)
    assert res['login'] == expected and res['server_version'].endswith('MariaDB-0+deb12u1')
    assert res['error_code'] == RECORDED[name]['result']['error_code']
    assert WRONG_DB not in json.dumps(res)
    assert b'nova\x00' in sock.sent and WRONG_DB.encode() not in sock.sent  # scrambled, never in clear


def test_parse_db_url():
    p = cred_probe.parse_db_url('mysql+pymysql://nova:p%40ss@10.0.2.2:15050/nova?charset=utf8')
    assert (p['dialect'], p['driver'], p['username'], p['password'], p['host'], p['port'], p['database']) == \
        ('mysql', 'pymysql', 'nova', 'p@ss', '10.0.2.2', 15050, 'nova')
    assert cred_probe.mask_db_url(p) == 'mysql+pymysql://nova:***@10.0.2.2:15050/nova'
    assert cred_probe.parse_db_url('mysql://u:p@db/x')['port'] == 3306
    for bad in ('nova', 'mysql://u:p@:3306/x', 'mysql://u:p@h:x/y'):
        with pytest.raises(cred_probe.URLParseError) as exc:
            cred_probe.parse_db_url(bad)
        assert 'p@' not in str(exc.value)


def test_keystone_token_answers():
    from urllib.error import HTTPError

    class Resp:
        def getcode(self):
            return 201

        def close(self):
            pass
    seen = {}

    def ok(req, timeout=None):
        seen['body'], seen['url'], seen['timeout'] = req.data, req.full_url, timeout
        return Resp()
    res = cred_probe.keystone_token('http://10.0.2.2:15000', 'nova', WRONG_KS, 'service', timeout=3, opener=ok)
    assert res['token'] == 'ok' and seen['url'] == 'http://10.0.2.2:15000/v3/auth/tokens' and seen['timeout'] == 3
    assert WRONG_KS in seen['body'].decode() and WRONG_KS not in json.dumps(res)

    def refused(req, timeout=None):
        # keystone's 401 body, as the lab's keystone 30.0.0 answered it
        raise HTTPError(req.full_url, 401, 'Unauthorized', {}, io.BytesIO(
            b'{"error":{"code":401,"message":"The request you have made requires authentication.",'
            b'"title":"Unauthorized"}}'))
    res = cred_probe.keystone_token('http://10.0.2.2:15000/v3', 'nova', WRONG_KS, 'service', opener=refused)
    assert (res['status'], res['token']) == (401, 'refused') and 'requires authentication' in res['detail']


def _node(tmp_path, monkeypatch, db_answer, ks_answer):
    conf = ('[DEFAULT]\n[database]\nconnection = mysql+pymysql://nova:%s@10.0.2.2:15050/nova?charset=utf8\n'
            '[keystone_authtoken]\nauth_url = http://10.0.2.2:15000/v3\nusername = nova\npassword = %s\n'
            'project_name = service\nuser_domain_name = Default\nproject_domain_name = Default\n'
            '[placement]\nauth_url = http://10.0.2.2:15000/v3\nusername = placement\npassword = %s\n'
            'project_name = service\n' % (WRONG_DB, WRONG_KS, WRONG_KS))
    (tmp_path / 'etc/nova').mkdir(parents=True)
    (tmp_path / 'etc/nova/nova.conf').write_text(conf)
    calls = []
    monkeypatch.setattr(cred_probe, 'mysql_login', lambda *a, **k: calls.append(('db',) + a) or dict(db_answer))
    monkeypatch.setattr(cred_probe, 'keystone_token', lambda *a, **k: calls.append(('ks',) + a) or dict(ks_answer))
    ctx = nfs.Context(root=str(tmp_path), params={'probe_timeout': 4, 'probe_under_root': True})
    (tmp_path / 'etc/tgt').mkdir(parents=True)
    (tmp_path / 'etc/tgt/targets.conf').write_text('default-driver iscsi\n\ninclude /etc/tgt/conf.d/*.conf\n')
    ctx.layout = {'services': {'nova-api': {'config_files': ['/etc/nova/nova.conf']},
                               'tgt': {'config_files': ['/etc/tgt/targets.conf']}}}
    return nfs.gather_credentials(ctx), calls


DB_1045 = {'tcp': 'ok', 'login': 'access_denied', 'error_code': 1045,
           'error_text': "Access denied for user 'nova'@'127.0.0.1' (using password: YES)"}
KS_401 = {'status': 401, 'token': 'refused', 'detail': 'The request you have made requires authentication.'}


def test_wrong_passwords_are_named_never_shown(tmp_path, monkeypatch):
    facts, calls = _node(tmp_path, monkeypatch, DB_1045, KS_401)
    assert [c[0] for c in calls] == ['db', 'ks', 'ks'] and calls[0][-1] == 4
    res = registry.evaluate('check_service_credentials', {'credentials': facts})
    assert sorted((r['id'], r['status'], r['evidence']['section']) for r in res) == [
        ('credentials.db_login_refused', 'critical', 'database'),
        ('credentials.keystone_password_refused', 'critical', 'keystone_authtoken'),
        ('credentials.keystone_password_refused', 'critical', 'placement')]
    db = [r for r in res if r['evidence']['section'] == 'database'][0]
    assert db['evidence']['file'] == '/etc/nova/nova.conf' and db['evidence']['line'] == 3
    assert db['evidence']['url_masked'] == 'mysql+pymysql://nova:***@10.0.2.2:15050/nova'
    blob = json.dumps([facts, res])
    assert WRONG_DB not in blob and WRONG_KS not in blob
    assert all(r['fix'] is None for r in res)


@pytest.mark.parametrize('db,expected', [
    ({'tcp': 'ok', 'login': 'ok'}, ('credentials.db_login_refused', 'ok')),
    ({'tcp': 'ok', 'login': 'unknown_database', 'error_code': 1049, 'error_text': "Unknown database 'nova'"},
     ('credentials.db_schema_denied', 'critical')),
    ({'tcp': 'refused', 'login': 'not_tried', 'detail': 'refused'}, ('credentials.db_unreachable', 'critical')),
    ({'tcp': 'ok', 'login': 'unsupported_auth', 'detail': 'ed25519'}, ('credentials.db_login_refused', 'error')),
])
def test_database_outcomes(tmp_path, monkeypatch, db, expected):
    facts, _c = _node(tmp_path, monkeypatch, db, {'status': 201, 'token': 'ok'})
    res = registry.evaluate('check_service_credentials', {'credentials': facts})
    assert [(r['id'], r['status']) for r in res if r['evidence']['section'] == 'database'] == [expected]


def test_bad_input_and_malformed_config(tmp_path, monkeypatch):
    assert registry.evaluate('check_service_credentials', {})[0]['status'] == 'error'
    assert registry.evaluate('check_service_credentials', {'credentials': {'configs': []}})[0]['status'] == 'skipped'
    (tmp_path / 'etc/nova').mkdir(parents=True)
    (tmp_path / 'etc/nova/nova.conf').write_text('[database]\nconnection = mysql://nova@/nova\n[x]\nbroken line\n')
    ctx = nfs.Context(root=str(tmp_path))
    ctx.layout = {'services': {'nova-api': {'config_files': ['/etc/nova/nova.conf']}}}
    res = registry.evaluate('check_service_credentials', {'credentials': nfs.gather_credentials(ctx)})
    assert res[0]['status'] == 'error' and '/etc/nova/nova.conf line 4' in res[0]['summary']
    (tmp_path / 'etc/nova/nova.conf').write_text('[database]\nconnection = mysql://nova:pw@/nova\n')
    res = registry.evaluate('check_service_credentials', {'credentials': nfs.gather_credentials(ctx)})
    assert [(r['id'], r['status']) for r in res] == [('credentials.url_invalid', 'critical')]
    assert 'pw@' not in json.dumps(res)
