# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Report delivery (playbooks/tasks/report_deliver.yml, docs/report-delivery.md), no lab: the
real diagnose / health_gate playbooks on local hosts (the test-only check role check_fake, as in
tests/integration/test_report_playbooks.py) deliver the report files to a directory on an
inventory host (a local connection) and to an HTTP server this test starts on 127.0.0.1.
Every connection goes to 127.0.0.0/8."""
import base64
import datetime
import http.server
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / 'playbooks'
SECRET = 'sd-delivery-secret-8e41c7'
PASSWORD = 'sd-delivery-password-52aa'
FILES = ('report.json', 'report.html', 'report.md', 'junit.xml')

INVENTORY = {
    'all': {
        'vars': {'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'children': {
            'storage': {'hosts': {'node-a': {
                'ansible_connection': 'local',
                'check_fake_results': [
                    {'id': 'fake.thing', 'status': 'critical', 'summary': 'the fake thing is broken',
                     'evidence': {'file': '/etc/fake.conf'}, 'fix': 'fix_fake', 'reference': 'test'}]}}},
            # delivery targets only (not in stackdoctor_hosts)
            'archive': {'hosts': {
                'report-store': {'ansible_connection': 'local'},
                'dead-store': {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.254', 'ansible_port': 1,
                               'ansible_user': 'nobody', 'ansible_ssh_common_args': '-o ConnectTimeout=5'},
            }},
        },
    },
}
EXTRA = {
    'stackdoctor_hosts': 'storage',
    'stackdoctor_check_registry': {
        'check_fake': {'role': 'check_fake', 'fix': 'fix_fake', 'fix_role': 'fix_fake',
                       'subsets': [], 'scope': 'host', 'profiles': ['periodic']},
    },
    'stackdoctor_gather_facts': False,
}


class _Store(http.server.BaseHTTPRequestHandler):
    """Accepts PUT and POST, keeps each body by path with the request's method and headers."""
    received = {}

    def _store(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self.received[self.path] = {'method': self.command, 'body': body, 'headers': dict(self.headers)}
        self.send_response(201)
        self.send_header('Content-Length', '0')
        self.end_headers()

    do_PUT = _store
    do_POST = _store

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope='module')
def server():
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Store)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % httpd.server_address[1], _Store.received
    httpd.shutdown()
    httpd.server_close()


def _closed_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _ansible_playbook():
    local = pathlib.Path(sys.executable).parent / 'ansible-playbook'
    return str(local) if local.exists() else shutil.which('ansible-playbook')


@pytest.fixture
def env(tmp_path):
    if not _ansible_playbook():
        pytest.skip('ansible-playbook not on PATH (export PATH=$(make -s venv-path)/bin:$PATH)')
    (tmp_path / 'hosts.yml').write_text(yaml.safe_dump(INVENTORY))
    (tmp_path / 'extra.yml').write_text(yaml.safe_dump(EXTRA))
    e = dict(os.environ)
    e.update({
        'ANSIBLE_CONFIG': str(ROOT / 'ansible.cfg'),
        'ANSIBLE_ROLES_PATH': '%s:%s' % (ROOT / 'roles', ROOT / 'tests' / 'roles'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / '.ansible-tmp'),
        'ANSIBLE_SHOW_CUSTOM_STATS': '1',
        # one line per message (the yaml result format folds long lines)
        'ANSIBLE_CALLBACK_RESULT_FORMAT': 'json',
    })
    return tmp_path, e


def run(env, playbook, extra, *args, json_out=False):
    tmp_path, e = env
    e = dict(e)
    if json_out:
        e['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.posix.json'
    vars_file = tmp_path / ('vars-%d.yml' % time.monotonic_ns())
    vars_file.write_text(yaml.safe_dump(extra))
    cmd = [_ansible_playbook(), '-i', str(tmp_path / 'hosts.yml'), str(PLAYBOOKS / playbook),
           '-e', '@' + str(tmp_path / 'extra.yml'), '-e', '@' + str(vars_file)] + list(args)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=str(tmp_path), env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300)
    return proc.returncode, proc.stdout, time.monotonic() - t0


def _json(out):
    return json.loads(out[out.index('{'):])


def _parse_time(text):
    return datetime.datetime.strptime(text.replace('Z', '+0000'), '%Y-%m-%dT%H:%M:%S.%f%z')


def _task_seconds(data, name):
    """Duration of the named task (ansible.posix.json callback: ISO start/end per host)."""
    for play in data['plays']:
        for task in play['tasks']:
            if task['task']['name'] == name:
                d = task['task']['duration']
                return (_parse_time(d['end']) - _parse_time(d['start'])).total_seconds()
    raise AssertionError('no task %r' % name)


def test_delivers_to_a_host_directory_and_an_http_endpoint_byte_identical(env, server):
    tmp_path = env[0]
    url, received = server
    durable = tmp_path / 'durable'
    rc, out, dummy = run(env, 'diagnose.yml', {
        'stackdoctor_report_dir': str(tmp_path / 'r1'),
        'stackdoctor_report_deliver_host': 'report-store',
        'stackdoctor_report_deliver_dir': str(durable),
        'stackdoctor_report_deliver_url': url + '/reports/cloud-a/',
        'stackdoctor_report_deliver_url_headers': {'X-Auth-Token': SECRET},
        'stackdoctor_report_deliver_url_username': 'stackdoctor',
        'stackdoctor_report_deliver_url_password': PASSWORD,
        'stackdoctor_report_deliver_url_force_basic_auth': True,
        'stackdoctor_report_deliver_timeout': 10,
    }, '-v', json_out=True)
    assert rc == 0, out
    assert SECRET not in out and PASSWORD not in out
    data = _json(out)
    stats = data['global_custom_stats']
    report = json.loads((tmp_path / 'r1' / 'report.json').read_text())
    run_id = report['run_id']
    assert stats['stackdoctor_verdict'] == 'no go'  # the verdict is what it was
    assert stats['stackdoctor_report_delivery_failed'] is False and stats['stackdoctor_report_delivery_errors'] == []

    # the directory on the named host: one subdirectory per run, the files byte-identical
    run_dir = durable / run_id
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (run_dir / name).read_bytes() == (tmp_path / 'r1' / name).read_bytes(), name
        assert oct((run_dir / name).stat().st_mode & 0o777) == oct(0o640)
    assert oct(run_dir.stat().st_mode & 0o777) == oct(0o750)

    # the endpoint: one PUT per file under <url>/<run id>/, the headers and the basic auth sent
    for name in FILES:
        got = received['/reports/cloud-a/%s/%s' % (run_id, name)]
        assert got['method'] == 'PUT'
        assert got['body'] == (tmp_path / 'r1' / name).read_bytes(), name
        assert got['headers']['X-Auth-Token'] == SECRET
        assert got['headers']['Authorization'] == 'Basic ' + base64.b64encode(
            ('stackdoctor:' + PASSWORD).encode()).decode()
    assert received['/reports/cloud-a/%s/report.json' % run_id]['headers']['Content-Type'] == 'application/json'

    assert sorted(stats['stackdoctor_report_delivered']) == sorted(
        ['report-store:%s/%s' % (run_dir, n) for n in FILES]
        + ['%s/reports/cloud-a/%s/%s' % (url, run_id, n) for n in FILES])


def test_post_without_history_uses_a_run_subdirectory_and_the_default_is_no_delivery(env, server):
    tmp_path = env[0]
    url, received = server
    rc, out, dummy = run(env, 'diagnose.yml', {
        'stackdoctor_report_dir': str(tmp_path / 'r2'), 'stackdoctor_report_history_keep': 0,
        'stackdoctor_report_deliver_url': url + '/post', 'stackdoctor_report_deliver_url_method': 'post',
    }, json_out=True)
    assert rc == 0, out
    stats = _json(out)['global_custom_stats']
    posted = sorted(p for p in received if p.startswith('/post/'))
    assert len(posted) == len(FILES) and all(received[p]['method'] == 'POST' for p in posted)
    subdir = posted[0].split('/')[2]
    assert subdir.endswith('-diagnose') and len(subdir) == len('20261202T124832Z-diagnose'), subdir
    assert received['/post/%s/report.md' % subdir]['body'] == (tmp_path / 'r2' / 'report.md').read_bytes()
    assert stats['stackdoctor_report_delivery_failed'] is False

    # nothing set: nothing delivered, no delivery keys in the stats
    rc, out, dummy = run(env, 'diagnose.yml', {'stackdoctor_report_dir': str(tmp_path / 'r3')}, json_out=True)
    assert rc == 0, out
    stats = _json(out)['global_custom_stats']
    assert stats['stackdoctor_verdict'] == 'no go'
    assert not [k for k in stats if k.startswith('stackdoctor_report_deliver')]


def test_failed_delivery_warns_names_the_destination_and_the_gate_still_judges(env):
    tmp_path = env[0]
    port = _closed_port()
    endpoint = 'http://127.0.0.1:%d/reports' % port
    rc, out, seconds = run(env, 'health_gate.yml', {
        'stackdoctor_report_dir': str(tmp_path / 'g1'),
        'stackdoctor_report_deliver_url': endpoint,
        'stackdoctor_report_deliver_url_headers': {'X-Auth-Token': SECRET},
        'stackdoctor_report_deliver_timeout': 5,
        'stackdoctor_report_deliver_host': 'dead-store',
        'stackdoctor_report_deliver_dir': '/srv/stackdoctor',
    })
    # the gate's verdict (NO GO on the critical fake finding) decides the job, as without delivery
    assert rc != 0 and 'health gate (all checks): NO GO' in out, out
    assert SECRET not in out
    assert 'Traceback' not in out
    run_id = json.loads((tmp_path / 'g1' / 'report.json').read_text())['run_id']
    tail = out[out.index('TASK [Report delivery failed (a warning; the verdict stands)]'):]
    assert ('WARNING: report delivery to %s/%s/ failed: PUT %s/%s/report.json:' % (endpoint, run_id, endpoint, run_id)
            in tail), tail
    assert 'Connection refused' in tail and '(timeout 5 s)' in tail
    assert 'WARNING: report delivery to dead-store:/srv/stackdoctor/%s/ failed: host unreachable' % run_id in tail
    # one attempt (report.json): the other files are not tried once the endpoint failed
    for name in FILES[1:]:
        after = out[out.index('TASK [Report delivery - send to the endpoint %s]' % name):].split('\n')[1:]
        assert after[0].startswith('skipping: [node-a]'), after[:3]
    assert '"stackdoctor_report_delivery_failed": true' in out and '"stackdoctor_report_delivered": []' in out
    assert seconds < 120


def test_progress_callback_shows_the_failed_delivery(env):
    tmp_path = env[0]
    endpoint = 'http://127.0.0.1:%d/r' % _closed_port()
    tmp_env = (tmp_path, dict(env[1], ANSIBLE_STDOUT_CALLBACK='stackdoctor.openstack.progress'))
    rc, out, dummy = run(tmp_env, 'diagnose.yml', {
        'stackdoctor_report_dir': str(tmp_path / 'c1'), 'stackdoctor_report_deliver_url': endpoint,
        'stackdoctor_report_deliver_url_headers': {'X-Auth-Token': SECRET}})
    assert rc == 0, out
    assert SECRET not in out
    lines = out.splitlines()
    warn = [ln for ln in lines if ln.startswith('WARNING: report delivery to %s/' % endpoint)]
    table = [ln for ln in lines if ln.startswith('NOT delivered: report delivery to %s/' % endpoint)]
    assert len(warn) == 1 and len(table) == 1 and 'Connection refused' in warn[0], out
    assert lines.index(table[0]) > lines.index(next(ln for ln in lines if ln.startswith('VERDICT: NO GO')))


def test_delivery_failure_fails_the_job_only_when_required(env):
    tmp_path = env[0]
    endpoint = 'http://127.0.0.1:%d' % _closed_port()
    rc, out, dummy = run(env, 'diagnose.yml', {
        'stackdoctor_report_dir': str(tmp_path / 'q1'), 'stackdoctor_report_deliver_url': endpoint,
        'stackdoctor_report_deliver_required': True})
    assert rc != 0, out
    assert 'report delivery failed and stackdoctor_report_deliver_required is true: report delivery to %s/' % endpoint in out
    assert 'The verdict (NO GO) is in set_stats' in out and '"stackdoctor_verdict": "no go"' in out


def test_endpoint_that_never_answers_is_bounded_by_the_timeout(env):
    tmp_path = env[0]
    # a listening socket that never accepts: the connection is made, the answer never comes
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(8)
    endpoint = 'http://127.0.0.1:%d' % silent.getsockname()[1]
    try:
        rc, out, dummy = run(env, 'diagnose.yml', {
            'stackdoctor_report_dir': str(tmp_path / 't1'), 'stackdoctor_report_deliver_url': endpoint,
            'stackdoctor_report_deliver_timeout': 2}, json_out=True)
    finally:
        silent.close()
    assert rc == 0, out
    data = _json(out)
    stats = data['global_custom_stats']
    assert stats['stackdoctor_report_delivery_failed'] is True
    [err] = stats['stackdoctor_report_delivery_errors']
    assert err.startswith('report delivery to %s/' % endpoint) and 'timed out' in err.lower(), err
    assert _task_seconds(data, 'Report delivery - send to the endpoint report.json') < 10


def test_bad_settings_are_a_clear_warning(env):
    tmp_path = env[0]
    rc, out, dummy = run(env, 'diagnose.yml', {
        'stackdoctor_report_dir': str(tmp_path / 'b1'),
        'stackdoctor_report_deliver_url': 'https://user:%s@127.0.0.1:9/x' % SECRET,
        'stackdoctor_report_deliver_url_method': 'GET',
        'stackdoctor_report_deliver_host': 'not-a-host', 'stackdoctor_report_deliver_dir': 'relative/dir'},
        json_out=True)
    assert rc == 0, out
    assert SECRET not in out
    errors = _json(out)['global_custom_stats']['stackdoctor_report_delivery_errors']
    assert any('must be http(s)://host[:port][/path], without credentials' in e for e in errors), errors
    assert any('not-a-host: not a host of the inventory' in e for e in errors), errors
    assert any('must be an absolute path on that host (got "relative/dir")' in e for e in errors), errors
    assert any('stackdoctor_report_deliver_url_method must be PUT or POST (got GET)' in e for e in errors), errors
