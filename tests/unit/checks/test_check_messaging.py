"""check_messaging: transport URLs, the AMQP 0-9-1 login on recorded RabbitMQ exchanges, the
messaging subset on a node root, and evaluate() on its facts."""
import base64
import json
import os
import socket

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import amqp_probe, log_signatures
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures')
SECRET = 'Wr0ng-S3cret-pw'
with open(os.path.join(FIX, 'amqp', 'rabbitmq-3.10.8.json')) as _f:
    RECORDED = json.load(_f)


class Replay:
    """A socket whose peer sends the recorded server bytes; records what the client sent."""

    def __init__(self, data, chunk=37):
        self.data, self.chunk, self.sent = data, chunk, b''

    def settimeout(self, t):
        pass

    def sendall(self, d):
        self.sent += d

    def recv(self, n):
        if not self.data:
            return b''
        out, self.data = self.data[:min(n, self.chunk)], self.data[min(n, self.chunk):]
        return out

    def close(self):
        pass


def _replay(name):
    sock = Replay(base64.b64decode(RECORDED[name]['server_bytes_b64']))
    return sock, (lambda addr, t: sock)


@pytest.mark.parametrize('name,user,password,vhost', [
    ('ok', 'guest', 'guest', '/'), ('refused', 'guest', SECRET, '/'), ('vhost_refused', 'guest', 'guest', 'nova')])
def test_amqp_login_on_recorded_rabbitmq(name, user, password, vhost):
    sock, connect = _replay(name)
    res = amqp_probe.amqp_login('127.0.0.1', 15072, user, password, vhost, timeout=2, connect=connect)
    expected = RECORDED[name]['result']
    assert (res['tcp'], res['amqp'], res['reply_code']) == (expected['tcp'], expected['amqp'], expected['reply_code'])
    assert res['server']['product'] == 'RabbitMQ' and res['server']['version'] == '3.10.8'
    assert sock.sent.startswith(amqp_probe.PROTOCOL_HEADER)
    assert SECRET not in json.dumps(res)


def test_amqp_login_failures_are_results_not_exceptions():
    def refused(addr, t):
        raise ConnectionRefusedError(111, 'Connection refused')

    def timeout(addr, t):
        raise socket.timeout('timed out')
    assert amqp_probe.amqp_login('h', 1, 'u', 'p', connect=refused)['tcp'] == 'refused'
    assert amqp_probe.amqp_login('h', 1, 'u', 'p', connect=timeout)['tcp'] == 'timeout'
    http = Replay(b'HTTP/1.1 400 Bad Request\r\n\r\n')
    res = amqp_probe.amqp_login('h', 1, 'u', 'p', connect=lambda a, t: http)
    assert res['tcp'] == 'ok' and res['amqp'] == 'protocol_error'
    silent = Replay(b'')
    assert amqp_probe.amqp_login('h', 1, 'u', 'p', connect=lambda a, t: silent)['amqp'] == 'closed'


def test_parse_transport_url_forms():
    p = amqp_probe.parse_transport_url('rabbit://openstack:p%40ss@ctl1:5672,openstack:p%40ss@[fd00::2],ctl3//')
    assert [h['host'] for h in p['hosts']] == ['ctl1', 'fd00::2', 'ctl3']
    assert [h['port'] for h in p['hosts']] == [5672, 5672, 5672]
    assert p['hosts'][0]['password'] == 'p@ss' and p['virtual_host'] == '/'
    assert amqp_probe.mask_url(p) == 'rabbit://openstack:***@ctl1:5672,openstack:***@[fd00::2]:5672,ctl3:5672//'
    assert amqp_probe.parse_transport_url('rabbit://u:p@h:1/nova?ssl=1')['query'] == {'ssl': '1'}
    for bad in ('ctl1:5672', 'rabbit://u:p@h:notaport/', 'rabbit:///'):
        with pytest.raises(amqp_probe.URLError) as exc:
            amqp_probe.parse_transport_url(bad)
        assert 'p@' not in str(exc.value)


def test_log_signatures_on_a_recorded_rabbit_restart():
    res = log_signatures.scan(os.path.join(FIX, 'logs', 'nova-scheduler-rabbit-restart.log'),
                              log_signatures.MESSAGING_SIGNATURES)
    assert res['counts'].get('11a', 0) >= 10 and res['counts'].get('11b') == 1
    assert res['matches'][-1]['signature'] == '11b'


def _put(root, path, text):
    real = root / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(text)


def _gather(tmp_path, conf, monkeypatch, answer):
    _put(tmp_path, '/etc/nova/nova.conf', conf)
    calls = []

    def fake_login(host, port, user, password, vhost, timeout, use_ssl=False, ssl_ca_file=None):
        calls.append((host, port, user, password, vhost, timeout, use_ssl))
        return dict(answer, host=host, port=port, virtual_host=vhost, username=user)
    monkeypatch.setattr(amqp_probe, 'amqp_login', fake_login)
    ctx = nfs.Context(root=str(tmp_path), params={'probe_timeout': 2.5, 'probe_under_root': True})
    ctx.layout = {'services': {'nova-compute': {'config_files': ['/etc/nova/nova.conf'], 'config_present': True,
                                                'log_files': ['/var/log/nova/nova-compute.log']},
                               'placement-api': {'config_files': ['/etc/placement/placement.conf']}}}
    return nfs.gather_messaging(ctx), calls


CONF = ('[DEFAULT]\nhost = compute-1\ntransport_url = rabbit://nova:%s@10.0.2.2:15072,nova:%s@10.0.2.3:15072/\n'
        '[oslo_messaging_notifications]\ndriver = messagingv2\n' % (SECRET, SECRET))


def test_messaging_subset_reads_and_probes_each_host_once(tmp_path, monkeypatch):
    facts, calls = _gather(tmp_path, CONF, monkeypatch, {'tcp': 'ok', 'amqp': 'ok', 'server': {}})
    assert [c[:2] for c in calls] == [('10.0.2.2', 15072), ('10.0.2.3', 15072)]
    assert calls[0][5] == 2.5 and calls[0][4] == '/'
    t = facts['configs'][0]['transports'][0]
    assert t['line'] == 3 and t['url_masked'] == 'rabbit://nova:***@10.0.2.2:15072,nova:***@10.0.2.3:15072/'
    assert SECRET not in json.dumps(facts)
    res = registry.evaluate('check_messaging', {'messaging': facts})
    assert [(r['id'], r['status']) for r in res] == [('messaging.broker_unreachable', 'ok')]


def _facts_with(probes, conf=CONF, **extra):
    t = {'section': 'DEFAULT', 'file': '/etc/nova/nova.conf', 'line': 3, 'set': True, 'driver': 'rabbit',
         'url_masked': 'rabbit://nova:***@10.0.2.2:15072/', 'virtual_host': '/', 'hosts': [{'username': 'nova'}],
         'probes': probes}
    t.update(extra)
    return {'messaging': {'configs': [{'file': '/etc/nova/nova.conf', 'services': ['nova-compute'], 'error': None,
                                       'transports': [t], 'legacy_options': []}],
                          'logs': {'nova-compute': {'file': '/var/log/nova/nova-compute.log', 'matches': [
                              {'signature': '11a', 'line_no': 7, 'text': 'AMQP server on 10.0.2.2:15072 is unreachable'}]}}}}


P_OK = {'host': 'a', 'port': 1, 'tcp': 'ok', 'amqp': 'ok'}
P_DOWN = {'host': 'b', 'port': 1, 'tcp': 'refused', 'amqp': 'not_tried'}
P_403 = {'host': 'a', 'port': 1, 'tcp': 'ok', 'amqp': 'refused', 'reply_code': 403, 'reply_text': 'ACCESS_REFUSED'}
P_HUNG = {'host': 'a', 'port': 1, 'tcp': 'ok', 'amqp': 'timeout'}


@pytest.mark.parametrize('probes,expected', [
    ([P_DOWN], ('messaging.broker_unreachable', 'critical')),
    ([P_OK, P_DOWN], ('messaging.broker_host_unreachable', 'warning')),
    ([P_403], ('messaging.login_refused', 'critical')),
    ([P_HUNG], ('messaging.not_a_broker', 'critical')),
])
def test_evaluate_probe_outcomes(probes, expected):
    res = registry.evaluate('check_messaging', _facts_with(probes))
    assert [(r['id'], r['status']) for r in res] == [expected]
    assert res[0]['evidence']['file'] == '/etc/nova/nova.conf' and res[0]['evidence']['line'] == 3
    assert res[0]['evidence']['log_lines'][0]['signature'] == '11a'
    assert res[0]['fix'] is None


def test_missing_invalid_and_unreadable_configs():
    f = _facts_with([], set=False, line=None)
    f['messaging']['configs'][0]['legacy_options'] = [{'option': 'rabbit_host', 'section': 'DEFAULT', 'line': 2}]
    res = registry.evaluate('check_messaging', f)
    assert [(r['id'], r['status']) for r in res] == [('messaging.transport_url_missing', 'critical')]
    assert 'rabbit_* options' in res[0]['summary']
    f = _facts_with([], error={'file': '/etc/nova/nova.conf', 'line': 3, 'message': 'no broker host'})
    res = registry.evaluate('check_messaging', f)
    assert [(r['id'], r['status']) for r in res] == [('messaging.transport_url_invalid', 'critical')]
    f = _facts_with([])
    f['messaging']['configs'][0]['error'] = {'file': '/etc/nova/nova.conf', 'line': 9, 'message': 'bad line'}
    res = registry.evaluate('check_messaging', f)
    assert res[0]['status'] == 'error' and '/etc/nova/nova.conf line 9' in res[0]['summary']
    assert registry.evaluate('check_messaging', {})[0]['status'] == 'error'
    only_placement = {'messaging': {'configs': [{'file': '/etc/placement/placement.conf',
                                                 'services': ['placement-api'], 'transports': []}], 'logs': {}}}
    assert [r['status'] for r in registry.evaluate('check_messaging', only_placement)] == ['skipped']


def test_malformed_config_on_disk_names_file_and_line(tmp_path, monkeypatch):
    facts, calls = _gather(tmp_path, '[DEFAULT]\nthis is not an option\n', monkeypatch, {})
    assert calls == []
    res = registry.evaluate('check_messaging', {'messaging': facts})
    assert res[0]['status'] == 'error' and '/etc/nova/nova.conf line 2' in res[0]['summary']
