"""check_services_running: the services subset (systemctl show / <cli> inspect output as the
engines print it, through a fake runner) and evaluate() on its facts."""
import json
import os

from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry, services_running

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'services')


def _read(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def _layout(services, cli='podman'):
    return {'flavour': 'packaged', 'container_cli': cli, 'services': services}


def _unit(unit, present=True):
    return {'present': present, 'restart': {'method': 'systemd', 'unit': unit}, 'source': 'x'}


def _container(name, present=True):
    return {'present': present, 'restart': {'method': 'container', 'container': name}, 'source': 'x'}


class Runner:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        for key, answer in self.answers.items():
            if key in argv:
                return answer
        return 127, '', 'not found'


def _gather(services, answers, root='/', cli='podman'):
    ctx = nfs.Context(root=root, params={'command_timeout': 7}, runner=Runner(answers))
    ctx.layout = _layout(services, cli)
    return nfs.gather_services(ctx), ctx.runner


def test_parse_systemctl_show_recorded():
    shown = nfs.parse_systemctl_show(_read('systemctl_show.txt'))
    assert shown['tgt']['ActiveState'] == 'inactive' and shown['tgt']['UnitFileState'] == 'disabled'
    assert shown['dbus']['ActiveState'] == 'active'


def test_units_read_in_one_bounded_call():
    facts, runner = _gather({'tgt': _unit('tgt'), 'iscsid': _unit('iscsid', present=False)},
                            {'show': (0, _read('systemctl_show.txt'), '')})
    assert len(runner.calls) == 1 and runner.calls[0][:2] == ['timeout', '7']
    assert 'tgt.service' in runner.calls[0] and 'iscsid.service' not in runner.calls[0]
    tgt = facts['services']['tgt']
    assert tgt['running'] is False and tgt['state'] == 'inactive' and tgt['unit_file_state'] == 'disabled'
    assert 'iscsid' not in facts['services']


RECORDED = {'cinder-volume': _container('sdrec-cinder_volume'), 'tgt': _container('sdrec-tgtd'),
            'iscsid': _container('sdrec-crashy')}


def test_containers_read_in_one_inspect():
    # recorded: podman 4.3 inspect of a container stopped with `podman stop` (143), one running
    # (restart policy unless-stopped, as kolla's) and one that exited 1 on its own
    facts, runner = _gather(RECORDED, {'inspect': (0, _read('podman_inspect.json'), '')})
    assert runner.calls[0][:4] == ['timeout', '7', 'podman', 'inspect']
    cv, tgt = facts['services']['cinder-volume'], facts['services']['tgt']
    assert cv['running'] is False and cv['exit_code'] == 143 and cv['state'] == 'exited'
    assert tgt['running'] is True and tgt['restart_policy'] == 'unless-stopped'
    assert facts['services']['iscsid']['exit_code'] == 1


def test_pidfile_services(tmp_path):
    run = tmp_path / 'run'
    run.mkdir()
    (run / 'gone.pid').write_text('999999999\n')
    (run / 'me.pid').write_text('%d\n' % os.getpid())
    (run / 'junk.pid').write_text('not a pid\n')
    services = {n: {'present': False, 'pidfile': str(run / ('%s.pid' % n)), 'restart': {'method': 'pidfile'}}
                for n in ('gone', 'me', 'junk', 'absent')}
    facts, runner = _gather(services, {})
    s = facts['services']
    assert runner.calls == []
    assert s['me']['running'] is True and s['me']['pid'] == os.getpid()
    assert s['gone']['running'] is False and 'stale pid file' in s['gone']['state']
    assert s['absent']['running'] is False and s['absent']['state'] == 'no pid file'
    assert s['junk']['error']['file'].endswith('junk.pid')


def test_systemctl_missing_is_an_error_not_a_traceback():
    facts, _runner = _gather({'tgt': _unit('tgt')}, {})
    assert facts['services']['tgt']['state'] == 'unknown' and facts['errors']
    res = services_running.evaluate({'services': facts})
    assert [r['status'] for r in res] == ['error'] and 'systemctl show failed' in res[0]['summary']


def _facts(**services):
    return {'layout': {'flavour': 'kolla'}, 'services': {'systemd': True, 'errors': [], 'services': services}}


def _ev(facts, **params):
    return registry.evaluate('check_services_running', facts, params)


def by_id(results):
    return sorted((r['id'], r['status'], r['evidence'].get('service')) for r in results)


def test_container_stopped_with_143_is_a_stop_not_a_crash():
    res = _ev(_facts(**{'cinder-volume': {'method': 'container', 'target': 'cinder_volume', 'running': False,
                                          'state': 'exited', 'exit_code': 143}}))
    assert by_id(res) == [('services.stopped', 'critical', 'cinder-volume')]
    assert '128 + SIGTERM' in res[0]['summary'] and 'deliberate stop' in res[0]['summary']
    assert res[0]['fix'] == 'fix_services_running'


def test_container_exit_1_or_oom_is_a_crash():
    res = _ev(_facts(a={'method': 'container', 'target': 'a', 'running': False, 'state': 'exited', 'exit_code': 1},
                     b={'method': 'container', 'target': 'b', 'running': False, 'state': 'exited', 'exit_code': 137,
                        'oom_killed': True}))
    assert by_id(res) == [('services.crashed', 'critical', 'a'), ('services.crashed', 'critical', 'b')]
    assert 'OOM killed' in res[1]['summary']


def test_unit_failed_and_inactive_and_disabled():
    res = _ev(_facts(
        nova_compute={'method': 'systemd', 'target': 'nova-compute', 'running': False, 'state': 'failed',
                      'sub_state': 'failed', 'result': 'exit-code', 'exit_code': 'exited', 'exit_status': '1'},
        tgt={'method': 'systemd', 'target': 'tgt', 'running': False, 'state': 'inactive', 'sub_state': 'dead',
             'unit_file_state': 'disabled'},
        iscsid={'method': 'systemd', 'target': 'iscsid', 'running': True, 'state': 'active',
                'unit_file_state': 'disabled'},
        ok={'method': 'systemd', 'target': 'ok', 'running': True, 'state': 'active', 'unit_file_state': 'enabled'}))
    assert by_id(res) == [('services.crashed', 'critical', 'nova_compute'), ('services.not_enabled', 'warning', 'iscsid'),
                          ('services.stopped', 'critical', 'tgt'), ('services.stopped', 'ok', 'ok')]


def test_pidfile_stopped_ignored_required_unhealthy():
    res = _ev(_facts(rabbitmq={'method': 'pidfile', 'target': '/run/r.pid', 'running': False, 'state': 'no pid file'},
                     mariadb={'method': 'pidfile', 'target': '/run/m.pid', 'running': False, 'state': 'no pid file'},
                     nova_api={'method': 'container', 'target': 'nova_api', 'running': True, 'health': 'unhealthy'}),
              ignore=['mariadb'], required=['nova-compute', 'rabbitmq'])
    assert by_id(res) == [('services.not_deployed', 'critical', 'nova-compute'),
                          ('services.process_gone', 'critical', 'rabbitmq'), ('services.stopped', 'skipped', 'mariadb'),
                          ('services.unhealthy', 'warning', 'nova_api')]
    assert [r['fix'] for r in res if r['id'] in ('services.unhealthy', 'services.process_gone')] == [None, None]


def test_nothing_deployed_and_malformed_input():
    assert [r['status'] for r in _ev(_facts())] == ['skipped']
    assert [r['status'] for r in _ev({})] == ['error']
    res = _ev({'services': {'error': {'file': None, 'message': 'TypeError: boom'}}})
    assert [r['status'] for r in res] == ['error'] and 'boom' in res[0]['summary']
    res = _ev({'services': {'services': {'x': {'method': 'pidfile', 'error': {'file': '/run/x.pid', 'message': 'bad'}}}}})
    assert res[0]['status'] == 'error' and '/run/x.pid' in res[0]['summary']


def test_recorded_inspect_through_evaluate():
    facts, _runner = _gather(RECORDED, {'inspect': (0, _read('podman_inspect.json'), '')})
    res = _ev({'layout': {'flavour': 'kolla'}, 'services': facts})
    assert by_id(res) == [('services.crashed', 'critical', 'iscsid'), ('services.stopped', 'critical', 'cinder-volume'),
                          ('services.stopped', 'ok', 'tgt')]
    json.dumps(res)


def test_socket_activated_unit_inactive_between_uses_is_ok():
    # recorded on a Debian 12 compute (libvirt 9.0.0): libvirtd and virtlogd are socket-activated
    # and exit when idle (libvirtd --timeout 120); their sockets listen. A stopped socket is a fault.
    show = _read('systemctl_show_socket_activated.txt')
    sockets = _read('systemctl_show_sockets.txt')
    answers = {'libvirtd.service': (0, show, ''), 'virtlogd.socket': (0, sockets, '')}
    facts, runner = _gather({'libvirt': _unit('libvirtd'), 'virtlogd': _unit('virtlogd')}, answers)
    assert len(runner.calls) == 2 and runner.calls[1][:2] == ['timeout', '7']
    inactive = [n for n, e in facts['services'].items() if e['state'] == 'inactive']
    assert inactive, 'the recording should hold an idle unit'
    for name in inactive:
        assert all(st.startswith('active/') for st in facts['services'][name]['triggered_by'].values())
    results = services_running.evaluate({'services': facts, 'layout': {'flavour': 'packaged'}})
    assert [r['status'] for r in results] == ['ok', 'ok'], results
    assert any('socket-activated' in r['summary'] for r in results)
    # the same unit with its sockets stopped: stopped, a fault
    dead = sockets.replace('ActiveState=active', 'ActiveState=inactive').replace('SubState=listening', 'SubState=dead') \
        .replace('SubState=running', 'SubState=dead')
    facts, _r = _gather({'libvirt': _unit('libvirtd'), 'virtlogd': _unit('virtlogd')},
                        {'libvirtd.service': (0, show, ''), 'virtlogd.socket': (0, dead, '')})
    results = services_running.evaluate({'services': facts, 'layout': {'flavour': 'packaged'}})
    assert {r['id'] for r in results if r['status'] not in ('ok', 'skipped')} == {'services.stopped'}
