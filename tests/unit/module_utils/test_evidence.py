"""module_utils/evidence.py: masking of config files, logs since a time, a bundle on a node root."""
import json
import os
import tarfile
import time

from ansible_collections.stackdoctor.openstack.plugins.module_utils import evidence
from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod

NOVA_CONF = """[DEFAULT]
debug = true
transport_url = rabbit://nova:Rabb1tPw0rd@10.0.2.2:5672,nova:Rabb1tPw0rd@10.0.2.3:5672/
my_ip = 10.0.0.5
[database]
connection = mysql+pymysql://nova:Db%20Pass w@10.0.2.2/nova
[keystone_authtoken]
auth_url = http://10.0.2.2:5000
password = with spaces and = signs
memcache_secret_key = MemcacheSecret42
[placement]
password = "Qu0tedPw"
"""


def test_config_masking_whole_values_and_urls_and_collects_the_values():
    secrets = set()
    out = evidence.mask_config_text(NOVA_CONF, secrets)
    for pw in ('Rabb1tPw0rd', 'Db%20Pass', 'with spaces', 'MemcacheSecret42', 'Qu0tedPw'):
        assert pw not in out, pw
    assert 'password = ********\n' in out
    assert 'password = "********"' in out
    assert 'transport_url = rabbit://nova:********@10.0.2.2:5672,nova:********@10.0.2.3:5672/' in out
    assert 'my_ip = 10.0.0.5' in out and 'auth_url = http://10.0.2.2:5000' in out and 'debug = true' in out
    assert {'Rabb1tPw0rd', 'with spaces and = signs', 'MemcacheSecret42', 'Qu0tedPw'} <= secrets
    # the same text keeps its lines (a diff against the real file lines up)
    assert len(out.splitlines()) == len(NOVA_CONF.splitlines())


def test_boolean_settings_under_secret_looking_keys_are_not_scrubbed_everywhere():
    secrets = set()
    evidence.mask_config_text('[service_user]\nsend_service_user_token = true\npassword = RealPw99\n', secrets)
    assert secrets == {'RealPw99'}


def test_continuation_lines_of_a_secret_are_masked():
    secrets = set()
    out = evidence.mask_config_text('[a]\npassword = first\n  second-part\nother = x\n', secrets)
    assert 'second-part' not in out and 'first' not in out and 'other = x' in out


def test_scrub_replaces_known_values_anywhere():
    text = 'AMQP login PLAIN \\0nova\\0Rabb1tPw0rd sent; keystone said MemcacheSecret42'
    assert evidence.scrub(text, {'Rabb1tPw0rd', 'MemcacheSecret42'}) == \
        'AMQP login PLAIN \\0nova\\0******** sent; keystone said ********'


def test_parse_since():
    now = 1_800_000_000.0
    assert evidence.parse_since('2h', now) == now - 7200
    assert evidence.parse_since('30m', now) == now - 1800
    assert evidence.parse_since('1700000000', now) == 1700000000.0
    assert evidence.parse_since('2026-12-01 18:00', now) == time.mktime(time.strptime('2026-12-01 18:00', '%Y-%m-%d %H:%M'))
    try:
        evidence.parse_since('yesterday')
    except ValueError as exc:
        assert 'yesterday' in str(exc)
    else:
        raise AssertionError('no error')


def test_lines_since_keeps_tracebacks_with_their_line():
    t0 = time.mktime(time.strptime('2026-12-01 10:00:00', '%Y-%m-%d %H:%M:%S'))
    log = ('2026-12-01 09:00:00.001 1 INFO old line\n'
           '2026-12-01 10:00:01.002 1 ERROR new line\n'
           'Traceback (most recent call last):\n'
           '2026-12-01 11:00:00.000 1 INFO later\n')
    kept, stamped = evidence.lines_since(log, t0)
    assert stamped and kept.startswith('2026-12-01 10:00:01') and 'Traceback' in kept and 'old line' not in kept
    assert evidence.lines_since(log, t0 + 86400) == ('', True)
    assert evidence.lines_since('no stamps here\n', t0) == ('no stamps here\n', False)


def _root(tmp_path):
    files = {
        '/etc/nova/nova.conf': NOVA_CONF,
        '/etc/cinder/cinder.conf': '[DEFAULT]\ntransport_url = rabbit://cinder:CinderRabbitPw@h/\n'
                                   '[lvm-1]\nchap_password = ChapPw123\n',
        '/var/log/nova/nova-compute.log': ('2020-01-01 00:00:00.000 1 INFO ancient\n'
                                           + time.strftime('%Y-%m-%d %H:%M:%S') + '.000 1 DEBUG oslo.messaging '
                                           'connecting with Rabb1tPw0rd as password\n'),
        '/var/log/cinder/cinder-volume.log': 'x' * 5000 + '\n' + time.strftime('%Y-%m-%d %H:%M:%S') + ' tail line\n',
    }
    for path, text in files.items():
        real = tmp_path / path.lstrip('/')
        real.parent.mkdir(parents=True, exist_ok=True)
        real.write_text(text)
    lay = layout_mod.resolve('packaged', {}, {'flavour': 'packaged', 'units': [], 'container_cli': 'podman'}, str(tmp_path))
    for name in ('nova-compute', 'cinder-volume'):
        lay['services'][name]['present'] = True
    return lay


def test_bundle_on_a_node_root(tmp_path):
    root = tmp_path / 'root'
    lay = _root(root)
    calls = []

    def run(argv, timeout=None):
        calls.append(argv)
        if argv[1:3] == ['ps', '-a']:
            return 0, 'cinder_volume\n', ''
        if argv[1] == 'inspect':
            env = ['KOLLA_SERVICE_NAME=cinder-volume', 'DB_PASSWORD=EnvDbPw99']
            return 0, json.dumps([{'Name': 'cinder_volume', 'Config': {'Env': env},
                                   'Args': ['--password', 'ArgPw77']}]), ''
        if argv[0] == 'journalctl':
            return 0, '', ''
        return 127, '', 'not here'

    work = tmp_path / 'work'
    index = evidence.collect('vol-1', str(work), lay,
                             {'since': '1h', 'log_tail_bytes': 1000, 'facts': {'debug': {'x': 1}, 'token': 'FactTok'},
                              'results': [{'id': 'a.b', 'evidence': {'password': 'ResPw'}}]},
                             run=run, root=str(root))
    paths = sorted(i['path'] for i in index['files'])
    assert 'configs/etc/nova/nova.conf' in paths and 'configs/etc/cinder/cinder.conf' in paths
    assert 'logs/var/log/nova/nova-compute.log' in paths and 'containers/cinder_volume.inspect.json' in paths
    assert 'facts.json' in paths and 'results.json' in paths
    nova_log = (work / 'logs/var/log/nova/nova-compute.log').read_text()
    assert 'ancient' not in nova_log and 'DEBUG oslo.messaging' in nova_log
    cinder_log = [i for i in index['files'] if i['path'] == 'logs/var/log/cinder/cinder-volume.log'][0]
    assert 'collect_log_tail_bytes' in cinder_log['truncated']
    assert [s for s in index['skipped'] if s['kind'] == 'pcs_status'], 'pcs is not installed under the root'
    blob = ''.join(p.read_text() for p in work.rglob('*') if p.is_file())
    for secret in ('Rabb1tPw0rd', 'CinderRabbitPw', 'ChapPw123', 'EnvDbPw99', 'ArgPw77', 'FactTok', 'ResPw',
                   'MemcacheSecret42', 'with spaces'):
        assert secret not in blob, secret
    assert index['scrubbed_files'] >= 1            # the log line naming the rabbit password without its key
    assert 'INDEX.txt' in os.listdir(work) and 'vol-1' in (work / 'INDEX.txt').read_text()
    sha, size = evidence.pack(str(work), str(tmp_path / 'b.tar.gz'), 'evidence-vol-1')
    with tarfile.open(tmp_path / 'b.tar.gz') as tar:
        assert 'evidence-vol-1/index.json' in tar.getnames()
    assert len(sha) == 64 and size > 0


def test_bundle_size_bound_and_failing_commands_are_in_the_index(tmp_path):
    root = tmp_path / 'root'
    lay = _root(root)

    def run(argv, timeout=None):
        return 124, '', 'timed out after 30s: %s' % ' '.join(argv)

    index = evidence.collect('vol-1', str(tmp_path / 'w'), lay, {'since': '1h', 'max_bytes': 300}, run=run, root=str(root))
    assert index['bytes'] <= 300
    assert [i for i in index['files'] + index['skipped'] if 'collect_max_bytes' in (i.get('truncated') or '')]
    assert [e for e in index['errors'] if e['what'] == 'container_inspect' and 'timed out' in e['message']]


def test_strace_missing_is_an_error_in_the_index(tmp_path):
    root = tmp_path / 'root'
    lay = _root(root)
    index = evidence.collect('vol-1', str(tmp_path / 'w'), lay,
                             {'since': '1h', 'containers': False, 'strace': {'service': 'cinder-volume', 'seconds': 1}},
                             run=lambda argv, timeout=None: (127, '', 'no'), root=str(root))
    [err] = [e for e in index['errors'] if e['what'] == 'strace']
    assert 'strace is not installed' in err['message'] and err['service'] == 'cinder-volume'
