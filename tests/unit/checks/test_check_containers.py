"""check_containers: `podman ps -a --format json`, `podman inspect` and `podman logs` recorded from Debian 12's
podman 4.3.1 (tests/unit/fixtures/containers/README.md), the selection of the layout's containers, and evaluate()."""
import json
import os

from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import containers, registry

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'containers')
# one second after the last container of the recording started
NOW = ha_facts._epoch('2026-12-01T18:41:45Z')


def _read(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


class Runner:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        for key, answer in self.answers:
            if key in argv:
                return answer
        return (125, '', 'unexpected %s' % argv)


def _recorded_runner(ps=None):
    return Runner([('ps', (0, ps if ps is not None else _read('podman-4.3.1-ps-a.json'), '')),
                   ('inspect', (0, _read('podman-4.3.1-inspect.json'), '')),
                   ('logs', (0, _read('podman-4.3.1-logs-crashed.stdout'), _read('podman-4.3.1-logs-crashed.stderr')))])


def _ctx(root, runner, flavour='kolla', services=None, overrides=None):
    ctx = nfs.Context(root=str(root), params={'command_timeout': 9, 'now': NOW}, runner=runner)
    services = dict(services or {})
    if overrides:
        services['containers'] = overrides
    ctx.layout = {'flavour': flavour, 'container_cli': 'podman', 'services': services}
    return ctx


def _by_name(results):
    return dict((r['evidence'].get('container'), (r['id'], r['status'])) for r in results)


def test_recorded_states_on_a_kolla_host(tmp_path):
    runner = _recorded_runner()
    facts = ha_facts.gather_containers(_ctx(tmp_path, runner))
    names = [c['name'] for c in facts['containers']]
    # kolla: the label kolla_version; the TripleO one-shot is not kolla's
    assert names == ['sdrec-crashed', 'sdrec-healthy', 'sdrec-restarting', 'sdrec-stopped', 'sdrec-unhealthy']
    assert facts['others'] == 1
    assert runner.calls[0] == ['timeout', '9', 'podman', 'ps', '-a', '--format', 'json']
    assert runner.calls[1][:4] == ['timeout', '9', 'podman', 'inspect']
    # logs only of the faulty ones (exited, restart loop, unhealthy), bounded
    logged = [c[-1] for c in runner.calls if 'logs' in c]
    assert logged == ['sdrec-crashed', 'sdrec-restarting', 'sdrec-stopped', 'sdrec-unhealthy']
    assert runner.calls[2][:6] == ['timeout', '9', 'podman', 'logs', '--tail', '20']
    results = registry.evaluate('check_containers', {'containers': facts})
    assert _by_name(results) == {
        'sdrec-crashed': ('containers.exited', 'critical'),
        'sdrec-healthy': ('containers.unhealthy', 'ok'),
        'sdrec-restarting': ('containers.restarting', 'critical'),
        'sdrec-stopped': ('containers.stopped', 'warning'),
        'sdrec-unhealthy': ('containers.unhealthy', 'critical'),
    }
    bad = dict((r['evidence']['container'], r) for r in results)
    unhealthy = bad['sdrec-unhealthy']
    assert unhealthy['summary'].startswith('container sdrec-unhealthy runs but is unhealthy (3 failing checks; last '
                                           'check exit 1: ')
    assert unhealthy['fix'] == 'fix_containers'
    assert len(unhealthy['evidence']['health_log']) == 3
    assert 'urllib' in unhealthy['evidence']['health_log'][-1]['output']
    assert unhealthy['evidence']['healthcheck'].startswith('CMD-SHELL python3 -c')
    assert unhealthy['evidence']['restart'] == {'method': 'container', 'service': None}
    crashed = bad['sdrec-crashed']
    assert crashed['summary'] == 'container sdrec-crashed exited: exit code 1'
    assert 'DBConnectionError' in crashed['evidence']['log_tail'][-1]
    assert bad['sdrec-stopped']['summary'].startswith('container sdrec-stopped is exited (exit code 137 '
                                                      '(128 + SIGKILL)): stopped on purpose?')
    loop = bad['sdrec-restarting']
    assert loop['evidence']['restart_count'] == 18 and loop['evidence']['up_seconds'] < 60


def test_tripleo_one_shot_and_no_secret_from_labels(tmp_path):
    facts = ha_facts.gather_containers(_ctx(tmp_path, _recorded_runner(), flavour='tripleo'))
    assert [c['name'] for c in facts['containers']] == ['sdrec-oneshot']
    one = facts['containers'][0]
    assert one['one_shot'] is True and one['labels'] == {'managed_by': 'tripleo_ansible',
                                                         'config_id': 'tripleo_step3'}
    # config_data holds the container's environment (DB_ROOT_PASSWORD=secret123): never kept
    assert 'secret123' not in json.dumps(facts)
    results = registry.evaluate('check_containers', {'containers': facts})
    assert _by_name(results) == {'sdrec-oneshot': ('containers.exited', 'ok')}


def test_tripleo_unit_and_bundle_restart_and_layout_services(tmp_path):
    unit_dir = tmp_path / 'etc/systemd/system'
    unit_dir.mkdir(parents=True)
    (unit_dir / 'tripleo_sdrec-stopped.service').write_text('[Service]\n')
    services = {'galera': {'restart': {'method': 'pacemaker', 'container': 'galera-bundle-podman-0',
                                       'container_exists': True, 'resource': 'galera-bundle'}},
                'cinder-volume': {'restart': {'method': 'container', 'container': 'sdrec-crashed',
                                              'container_exists': True}}}
    ctx = _ctx(tmp_path, _recorded_runner(), flavour='tripleo', services=services)
    assert ha_facts._container_restart(ctx, 'sdrec-stopped') == {
        'method': 'systemd', 'unit': 'tripleo_sdrec-stopped', 'service': None}
    assert ha_facts._container_restart(ctx, 'rabbitmq-bundle-podman-2') == {
        'method': 'pacemaker', 'resource': 'rabbitmq-bundle', 'service': None}
    assert ha_facts._container_restart(ctx, 'galera-bundle-podman-0') == {
        'method': 'pacemaker', 'resource': 'galera-bundle', 'service': 'galera'}
    facts = ha_facts.gather_containers(ctx)
    why = dict((c['name'], c['why']) for c in facts['containers'])
    assert why == {'sdrec-crashed': 'layout service cinder-volume', 'sdrec-oneshot': 'label managed_by=tripleo_ansible'}


def test_overrides_include_exclude_and_ignore(tmp_path):
    ctx = _ctx(tmp_path, _recorded_runner(), flavour='packaged',
               overrides={'include': ['sdrec-*'], 'exclude': ['sdrec-healthy'], 'log_lines': 5})
    facts = ha_facts.gather_containers(ctx)
    assert [c['name'] for c in facts['containers']] == ['sdrec-crashed', 'sdrec-oneshot', 'sdrec-restarting',
                                                        'sdrec-stopped', 'sdrec-unhealthy']
    assert ['--tail', '5'] == [c for c in ctx.runner.calls if 'logs' in c][0][4:6]
    results = registry.evaluate('check_containers', {'containers': facts},
                                {'ignore': ['sdrec-stop*'], 'restart_loop_count': 50})
    got = _by_name(results)
    assert got['sdrec-stopped'] == ('containers.stopped', 'skipped')
    # 18 restarts are below a site's threshold of 50: running
    assert got['sdrec-restarting'] == ('containers.unhealthy', 'ok')


def test_nothing_of_the_layout_engine_errors_and_missing_facts(tmp_path):
    # a packaged host: its layout runs nothing in a container, the engine is not asked (the lab's
    # packaged nodes have podman installed and it does not answer there)
    runner = Runner([('ps', (125, '', 'Cannot connect to Podman socket'))])
    facts = ha_facts.gather_containers(_ctx(tmp_path, runner, flavour='packaged'))
    assert runner.calls == [] and facts['containers'] == [] and not facts['present'] and not facts['error']
    res = registry.evaluate('check_containers', {'containers': facts})
    assert [(r['id'], r['status']) for r in res] == [('containers.status_unavailable', 'skipped')]
    assert 'runs no service in a container' in res[0]['summary']
    # ... unless the operator selects containers there: then the others are counted
    facts = ha_facts.gather_containers(_ctx(tmp_path, _recorded_runner(), flavour='packaged',
                                            overrides={'include': ['nothing-*']}))
    assert facts['containers'] == [] and facts['others'] == 6 and not facts['present']
    assert registry.evaluate('check_containers', {'containers': facts})[0]['status'] == 'skipped'
    # engine down, or hanging (timeout's rc 124)
    for answer in ((125, '', 'Cannot connect to Podman socket'), (124, '', '')):
        facts = ha_facts.gather_containers(_ctx(tmp_path, Runner([('ps', answer)])))
        res = registry.evaluate('check_containers', {'containers': facts})
        assert [(r['id'], r['status']) for r in res] == [('containers.status_unavailable', 'error')]
        assert 'podman ps -a failed (rc=%s)' % answer[0] in res[0]['summary']
    facts = ha_facts.gather_containers(_ctx(tmp_path, _recorded_runner(ps='not json')))
    assert 'unparsable' in facts['error']['message']
    # no engine on the host: nothing run
    ctx = _ctx(tmp_path, Runner([]))
    ctx.layout['container_cli'] = 'none'
    assert ha_facts.gather_containers(ctx)['present'] is False and ctx.runner.calls == []
    assert containers.evaluate({})[0]['status'] == 'error'


def test_epoch_and_docker_restarting():
    assert ha_facts._epoch('2026-12-01T18:41:44.000000001Z') == NOW - 1
    assert ha_facts._epoch('2026-12-01T19:41:44.5+01:00') == NOW - 1
    assert ha_facts._epoch('0001-01-01T00:00:00Z') is None and ha_facts._epoch(None) is None
    # docker: State.Restarting true, Status restarting (docs.docker.com container inspect)
    docker = [{'Name': '/nova_compute', 'State': {'Status': 'restarting', 'Running': True, 'Restarting': True,
                                                  'ExitCode': 1, 'StartedAt': '2026-12-01T18:41:40Z'},
               'RestartCount': 7, 'HostConfig': {'RestartPolicy': {'Name': 'unless-stopped'}},
               'Config': {'Labels': {'kolla_version': '18.1.0'}}}]
    c = ha_facts.parse_container_inspect(json.dumps(docker))['nova_compute']
    assert c['restarting'] and ha_facts.restart_loop(c)
