# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rabbitmq_cluster: RabbitMQ partitions, cluster nodes not running, resource alarms (declaration + evaluate).

Pure function: the ``rabbitmq_cluster`` node facts (``rabbitmqctl cluster_status --formatter json``
on the broker's host or in its container) in, one result per finding kind out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_rabbitmq_cluster',
    'title': 'RabbitMQ network partitions, cluster nodes that do not run, and memory/disk alarms that block '
             'publishers (rabbitmqctl cluster_status)',
    'scope': 'host',
    'groups': ['messaging', 'controllers'],
    'subsets': ['layout', 'rabbitmq_cluster'],
    'apis': [],
    'fix': None,
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'rabbitmq.partitioned': {
            'severity': 'critical', 'identity': ['node'],
            'title': 'a network partition: nodes of the cluster cannot see each other (split brain; messages '
                     'and queues diverge)'},
        'rabbitmq.node_not_running': {
            'severity': 'critical', 'identity': ['node'],
            'title': 'a disk or RAM node of the cluster is not among the running nodes'},
        'rabbitmq.alarm': {
            'severity': 'critical', 'identity': ['node', 'resource'],
            'title': 'a memory or disk alarm: the broker blocks every publishing connection (RPC calls hang)'},
        'rabbitmq.status_unavailable': {
            'severity': 'critical', 'identity': [],
            'title': '`rabbitmqctl cluster_status` fails where the broker is deployed (node down, app stopped, '
                     'cookie mismatch)'},
    },
    'references': [
        'https://www.rabbitmq.com/docs/partitions',
        'https://www.rabbitmq.com/docs/alarms (memory and disk alarms block publishers)',
        'https://www.rabbitmq.com/docs/clustering',
        'rabbitmq-server deps/rabbitmq_cli/lib/rabbitmq/cli/ctl/commands/cluster_status_command.ex (JSON keys)',
        'rabbitmq-server issue #14697 (running_nodes rendered as a string in 4.1.x JSON)',
    ],
    'runbook': {
        'symptom': (
            "RPC calls time out (MessagingTimeout), instances stay in BUILD, services log \"Connection "
            "blocked\" or reconnect in a loop; `rabbitmqctl cluster_status` lists network partitions, "
            "alarms, or fewer running nodes than disk nodes."),
        'cause': (
            "A network split between controllers (partition), a broker node stopped or crashed, or a "
            "resource alarm: memory above vm_memory_high_watermark or free disk below disk_free_limit, "
            "after which RabbitMQ blocks every publishing connection until it clears."),
        'reads': (
            "`rabbitmqctl cluster_status --formatter json --timeout N` (RabbitMQ 3.8+), bounded by "
            "check_rabbitmq_cluster_timeout: on the host when it has rabbitmqctl (packaged, juju), else in "
            "the layout's rabbitmq container (kolla `rabbitmq`, TripleO `rabbitmq-bundle-podman-N`). The "
            "layout entry `rabbitmq` may add `ctl_env` and `ctl_args` (node name, HOME with the Erlang "
            "cookie). Keys: partitions, disk_nodes, ram_nodes, running_nodes (a list, or one string in "
            "4.1.x: split on the known node names), alarms. Hosts without a broker are skipped."),
        'fix': (
            "No automatic fix. Partition: decide the winning side and restart the others' rabbit app "
            "(`rabbitmqctl stop_app; rabbitmqctl start_app`), or let cluster_partition_handling "
            "(pause_minority, autoheal) do it; TripleO: `pcs resource restart rabbitmq-bundle`. Node not "
            "running: start it and look at its log. Alarm: free disk or memory (queues that grow without "
            "consumers: `rabbitmqctl list_queues name messages consumers`), then the alarm clears by itself."),
        'verify': (
            "`rabbitmqctl cluster_status` shows no partition, every disk node running and no alarm; "
            "re-run check_rabbitmq_cluster."),
    },
}


def evaluate(facts, params=None):
    """Results for one host from its ``rabbitmq_cluster`` facts."""
    facts = facts or {}
    rc = facts.get('rabbitmq_cluster')
    if not isinstance(rc, dict):
        return [base.result(DECLARATION, 'rabbitmq.status_unavailable', 'error',
                            'rabbitmq facts were not gathered on this host (node_facts subset "rabbitmq_cluster" '
                            'missing)')]
    if not rc.get('present'):
        return [base.result(DECLARATION, 'rabbitmq.status_unavailable', 'skipped',
                            'no RabbitMQ broker on this host (no rabbitmqctl, no rabbitmq container)')]
    ev = {'where': rc.get('where'), 'container': rc.get('container'), 'command': rc.get('command')}
    st = rc.get('status')
    if rc.get('error') or not isinstance(st, dict):
        message = (rc.get('error') or {}).get('message') or 'no status'
        return [base.result(DECLARATION, 'rabbitmq.status_unavailable', base.FAULT,
                            'no cluster status: %s' % message, dict(ev, rc=rc.get('rc'), message=message))]
    ev.update(cluster_name=st.get('cluster_name'), running_nodes=st.get('running_nodes'),
              disk_nodes=st.get('disk_nodes'), ram_nodes=st.get('ram_nodes'))
    if st.get('running_nodes_raw_type') == 'str':
        ev['note'] = 'running_nodes came as one string (rabbitmq-server issue #14697): split on the known nodes'
    results = []
    parts = st.get('partitions') or {}
    for node in sorted(parts):
        results.append(base.result(DECLARATION, 'rabbitmq.partitioned', base.FAULT,
                                   'network partition: %s cannot communicate with %s'
                                   % (node, ', '.join(parts[node]) or '?'),
                                   dict(ev, node=node, unreachable=parts[node])))
    if not parts:
        results.append(base.result(DECLARATION, 'rabbitmq.partitioned', 'ok',
                                   'cluster %s: no network partition' % st.get('cluster_name'), dict(ev)))
    members = list(st.get('disk_nodes') or []) + list(st.get('ram_nodes') or [])
    running = set(st.get('running_nodes') or [])
    down = [n for n in members if n not in running]
    for node in down:
        results.append(base.result(DECLARATION, 'rabbitmq.node_not_running', base.FAULT,
                                   'cluster node %s is not running (running: %s)'
                                   % (node, ', '.join(sorted(running)) or 'none'), dict(ev, node=node)))
    if not down:
        results.append(base.result(DECLARATION, 'rabbitmq.node_not_running', 'ok',
                                   'all %d cluster nodes run (%s)' % (len(members), ', '.join(members)), dict(ev)))
    alarms = st.get('alarms') or []
    for alarm in alarms:
        results.append(base.result(DECLARATION, 'rabbitmq.alarm', base.FAULT,
                                   '%s alarm on %s: publishers are blocked until it clears'
                                   % (alarm.get('resource'), alarm.get('node')),
                                   dict(ev, node=alarm.get('node'), resource=alarm.get('resource'),
                                        type=alarm.get('type'))))
    if not alarms:
        results.append(base.result(DECLARATION, 'rabbitmq.alarm', 'ok', 'no memory or disk alarm', dict(ev)))
    return results
