"""check_rabbitmq_cluster: `rabbitmqctl cluster_status --formatter json` recorded from Debian 12's
rabbitmq-server 3.10.8 (and two outputs derived from it: a partition, running_nodes as one string;
see tests/unit/fixtures/rabbitmq/README.md), where the command runs, and evaluate()."""
import os

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import rabbitmq_cluster, registry

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'rabbitmq')


def _read(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def _facts(name):
    return {'rabbitmq_cluster': {'present': True, 'where': 'host', 'container': None, 'rc': 0, 'error': None,
                                 'command': 'rabbitmqctl cluster_status --formatter json --timeout 30',
                                 'status': ha_facts.parse_rabbitmq_cluster_status(_read(name))}}


def _ids(results):
    return [(r['id'], r['status']) for r in results]


def test_recorded_healthy_node():
    results = registry.evaluate('check_rabbitmq_cluster', _facts('cluster_ok.json'))
    assert _ids(results) == [('rabbitmq.partitioned', 'ok'), ('rabbitmq.node_not_running', 'ok'),
                             ('rabbitmq.alarm', 'ok')]
    assert results[1]['summary'] == 'all 1 cluster nodes run (sdha@localhost)'


def test_recorded_memory_and_disk_alarms():
    results = registry.evaluate('check_rabbitmq_cluster', _facts('cluster_alarms.json'))
    alarms = [r for r in results if r['id'] == 'rabbitmq.alarm']
    assert [(r['evidence']['resource'], r['status']) for r in alarms] == [('disk', 'critical'), ('memory', 'critical')]
    assert alarms[1]['summary'] == 'memory alarm on sdha@localhost: publishers are blocked until it clears'


def test_partition_and_node_down():
    results = registry.evaluate('check_rabbitmq_cluster', _facts('derived_partitioned.json'))
    assert _ids(results) == [('rabbitmq.partitioned', 'critical'), ('rabbitmq.partitioned', 'critical'),
                             ('rabbitmq.node_not_running', 'critical'), ('rabbitmq.alarm', 'ok')]
    assert results[0]['summary'] == 'network partition: rabbit@ctl-0 cannot communicate with rabbit@ctl-2'
    assert results[2]['evidence']['node'] == 'rabbit@ctl-2'


def test_running_nodes_as_a_string():
    st = ha_facts.parse_rabbitmq_cluster_status(_read('derived_running_nodes_string.json'))
    assert st['running_nodes'] == ['rabbit@ctl-0', 'rabbit@ctl-1'] and st['running_nodes_raw_type'] == 'str'
    results = registry.evaluate('check_rabbitmq_cluster', _facts('derived_running_nodes_string.json'))
    down = [r for r in results if r['id'] == 'rabbitmq.node_not_running']
    assert [(r['evidence']['node'], r['status']) for r in down] == [('rabbit@ctl-2', 'critical')]
    assert '14697' in down[0]['evidence']['note']


def test_unparsable_and_absent():
    with pytest.raises(ValueError):
        ha_facts.parse_rabbitmq_cluster_status(_read('cluster_alarms.txt').replace('{', ''))
    with pytest.raises(ValueError):
        ha_facts.parse_rabbitmq_cluster_status('[{nodes,[{disc,[rabbit@a]}]},{running_nodes,[rabbit@a]}]')
    assert _ids(rabbitmq_cluster.evaluate({'rabbitmq_cluster': {'present': False}})) == [
        ('rabbitmq.status_unavailable', 'skipped')]
    assert _ids(rabbitmq_cluster.evaluate({})) == [('rabbitmq.status_unavailable', 'error')]


class Runner:
    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        return self.answer


def _ctx(root, runner, rabbit, flavour='packaged', cli='podman'):
    ctx = nfs.Context(root=str(root), params={'command_timeout': 9}, runner=runner)
    ctx.layout = {'flavour': flavour, 'container_cli': cli, 'services': {'rabbitmq': rabbit}}
    return ctx


def test_gather_host_with_layout_env_and_args(tmp_path):
    runner = Runner((0, _read('cluster_ok.json'), ''))
    rabbit = {'pidfile': '/lab/run/rabbitmq.pid', 'restart': {'method': 'pidfile'},
              'ctl_path': '/usr/lib/rabbitmq/bin/rabbitmqctl', 'ctl_env': {'HOME': '/lab/home', 'ERL_EPMD_PORT': '15069'},
              'ctl_args': ['-n', 'rabbit@localhost']}
    out = ha_facts.gather_rabbitmq_cluster(_ctx(tmp_path, runner, rabbit))
    assert runner.calls == [['timeout', '14', 'env', 'ERL_EPMD_PORT=15069', 'HOME=/lab/home',
                             '/usr/lib/rabbitmq/bin/rabbitmqctl', '-n', 'rabbit@localhost', 'cluster_status',
                             '--formatter', 'json', '--timeout', '9']]
    assert out['present'] and out['status']['running_nodes'] == ['sdha@localhost']


def test_gather_in_the_container_and_failures(tmp_path):
    rabbit = {'present': True, 'restart': {'method': 'pacemaker', 'container': 'rabbitmq-bundle-podman-1',
                                           'container_exists': True}}
    runner = Runner((64, '', _read('app_stopped.stderr')))
    out = ha_facts.gather_rabbitmq_cluster(_ctx(tmp_path, runner, rabbit, flavour='tripleo'))
    assert runner.calls[0][:5] == ['timeout', '14', 'podman', 'exec', 'rabbitmq-bundle-podman-1']
    assert "requires the 'rabbit' app to be running" in out['error']['message']
    res = registry.evaluate('check_rabbitmq_cluster', {'rabbitmq_cluster': out})
    assert _ids(res) == [('rabbitmq.status_unavailable', 'critical')]
    # a host with the package but no broker deployed (no unit, no pid file): skipped, nothing run
    runner = Runner((0, '', ''))
    out = ha_facts.gather_rabbitmq_cluster(_ctx(tmp_path, runner, {'present': False, 'restart': {}}))
    assert not out['present'] and runner.calls == []
