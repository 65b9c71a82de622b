# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_galera: the wsrep status of each Galera node, and the nodes compared with each other
(declaration + evaluate).

Pure function: the ``galera`` node facts (``SHOW GLOBAL VARIABLES`` / ``SHOW GLOBAL STATUS LIKE
'wsrep_%'`` through the layout) of this host in, plus ``peers`` (the same facts of the other hosts
of the play, which the role reads from hostvars) for what only a comparison shows: nodes in
different clusters (split brain) and cluster sizes that disagree.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_galera',
    'title': 'Galera (MariaDB) nodes that are not Primary, not Synced, not ready or connected, a cluster size '
             'other than expected, or nodes in different clusters (split brain)',
    'scope': 'host',
    'groups': ['controllers', 'galera'],
    'subsets': ['layout', 'galera'],
    'cross_host': True,
    'apis': [],
    'fix': None,
    # the comparison across nodes needs every node's facts: the role runs on each host
    'facts_only': False,
    'params': {
        'cluster_size': {'var': 'check_galera_cluster_size', 'default': None},
        'expected': {'var': 'check_galera_expected', 'default': False},
    },
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'galera.not_primary': {
            'severity': 'critical', 'identity': [],
            'title': 'wsrep_cluster_status is not Primary (non-Primary, Disconnected): the node lost quorum and '
                     'refuses queries'},
        'galera.not_synced': {
            'severity': 'critical', 'identity': [],
            'title': 'wsrep_local_state_comment is Joining, Joined, Initialized or another state than Synced: the '
                     'node does not serve consistent data'},
        'galera.desynced': {
            'severity': 'warning', 'identity': [],
            'title': 'wsrep_local_state_comment is Donor/Desynced: the node serves a state transfer, or someone '
                     'set wsrep_desync (a backup) and left it'},
        'galera.not_ready': {
            'severity': 'critical', 'identity': [],
            'title': 'wsrep_ready or wsrep_connected is OFF: the node accepts no queries or has no cluster '
                     'connection'},
        'galera.cluster_size': {
            'severity': 'warning', 'identity': [],
            'title': 'wsrep_cluster_size differs from the expected node count (or, with none given, from what the '
                     'other nodes report): a node left the cluster'},
        'galera.split_brain': {
            'severity': 'critical', 'identity': ['cluster_state_uuid'],
            'title': 'the nodes report different wsrep_cluster_state_uuid: they are in separate clusters whose data '
                     'diverges'},
        'galera.not_enabled': {
            'severity': 'warning', 'identity': [],
            'title': 'the MariaDB runs without wsrep (a single server) where the site expects a Galera node '
                     '(check_galera_expected)'},
        'galera.status_unavailable': {
            'severity': 'critical', 'identity': [],
            'title': 'the wsrep status cannot be read where a MariaDB is deployed (server down, access denied, no '
                     'client, timeout)'},
    },
    'references': [
        'https://mariadb.com/kb/en/galera-cluster-status-variables/ (wsrep_cluster_status, '
        'wsrep_local_state_comment, wsrep_ready, wsrep_connected, wsrep_cluster_size, wsrep_cluster_state_uuid)',
        'https://mariadb.com/kb/en/monitoring-mariadb-galera-cluster/',
        'https://galeracluster.com/library/documentation/monitoring-cluster.html (cluster integrity: same '
        'wsrep_cluster_state_uuid, Primary, size; node status: Synced, wsrep_ready, wsrep_connected)',
        'https://galeracluster.com/library/documentation/crash-recovery.html (bootstrapping, safe_to_bootstrap)',
        'https://access.redhat.com/documentation/en-us/red_hat_openstack_platform/16.2/html/high_availability_'
        'deployment_and_usage/ (galera-bundle on TripleO controllers)',
        'openstack/kolla-ansible ansible/roles/mariadb/defaults/main.yml, templates/healthcheck.cnf.j2 '
        '(the mariadb container and its monitor client config)',
        'openstack-archive/tripleo-common healthcheck/mariadb',
    ],
    'runbook': {
        'symptom': (
            "API services log `(pymysql.err.OperationalError) (1047, 'WSREP has not yet prepared node for "
            "application use')` or lose their database connections; `pcs status` shows galera-bundle "
            "replicas Unpromoted or stopped (TripleO); kolla's mariadb container is unhealthy; "
            "`SHOW GLOBAL STATUS LIKE 'wsrep_%'` on a node shows non-Primary, a state other than Synced, "
            "wsrep_ready OFF, or fewer nodes than deployed."),
        'cause': (
            "A node lost the others (network, a crash, a restart without the cluster) and with it quorum "
            "(non-Primary) or its membership (smaller cluster size); a node still joining or stuck in a "
            "state transfer; wsrep_desync left ON after a backup (Donor/Desynced); a node bootstrapped on "
            "its own (galera_new_cluster, pc.bootstrap, safe_to_bootstrap edited) forms a second cluster "
            "with its own state UUID: writes on either side never reach the other (split brain)."),
        'reads': (
            "One client call per node, bounded by check_galera_timeout: `SHOW GLOBAL VARIABLES` (wsrep_on, "
            "wsrep_provider, wsrep_cluster_address, wsrep_cluster_name, wsrep_node_name) and `SHOW GLOBAL "
            "STATUS LIKE 'wsrep\\_%'`, with the deployment's own credentials: in the layout's galera "
            "container when there is one (kolla `mariadb` with the monitor user's "
            "/etc/[mysql/]healthcheck.cnf, as kolla's healthcheck does; TripleO `galera-bundle-podman-N` or "
            "`mysql` with the container's root client config, as tripleo-common's healthcheck does), else "
            "on the host where mariadbd/mysqld runs or its unit is enabled (root through the unix socket, "
            "/root/.my.cnf when it exists). The layout entry `galera` may set client_defaults_files and "
            "client_args. No password is read or shown. Then the nodes of the play are compared: "
            "wsrep_cluster_state_uuid (which hosts are in which cluster; the hosts outside the largest "
            "cluster get the finding, all of them on a tie) and wsrep_cluster_size against "
            "check_galera_cluster_size (default: the number of hosts of the inventory group "
            "check_galera_group, `galera`; unset when there is no such group: the nodes must agree). A "
            "MariaDB without wsrep is reported ok (a single database), or as galera.not_enabled when "
            "check_galera_expected is true."),
        'fix': (
            "No automatic fix: which side of a split holds the good data, and whether a node may be "
            "restarted, is an operator's decision. Desynced: `SET GLOBAL wsrep_desync=OFF` once the "
            "backup is done. Not Primary on every node: find the node with the highest seqno "
            "(`mysqld --wsrep-recover`, grastate.dat), bootstrap it (galera_new_cluster; TripleO: "
            "`pcs resource cleanup galera-bundle` lets the agent pick it; kolla: `kolla-ansible "
            "mariadb_recovery`), start the others. Split brain: keep one cluster, stop the nodes of the "
            "other, move their datadir aside (or set them to join) and start them with the surviving "
            "cluster's gcomm:// address so they rejoin through a state transfer; reconcile writes made on "
            "the lost side by hand."),
        'verify': (
            "On every node `SHOW GLOBAL STATUS LIKE 'wsrep_%'` shows wsrep_cluster_status Primary, "
            "wsrep_local_state_comment Synced, wsrep_ready and wsrep_connected ON, the same "
            "wsrep_cluster_state_uuid and wsrep_cluster_size equal to the node count; re-run check_galera."),
    },
}

HEALTHY_STATE = 'Synced'
DESYNCED_STATE = 'Donor/Desynced'


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _summary(g):
    """What the comparison needs of one node's facts (None when it has no readable wsrep status)."""
    if not isinstance(g, dict) or not g.get('present') or g.get('error'):
        return None
    variables = g.get('variables') or {}
    status = g.get('status') or {}
    if str(variables.get('wsrep_on', '')).upper() != 'ON':
        return None
    return {'uuid': status.get('wsrep_cluster_state_uuid') or None,
            'size': _int(status.get('wsrep_cluster_size')),
            'cluster_status': status.get('wsrep_cluster_status')}


def _peer_summaries(host, own, peers):
    out = {}
    for name, g in sorted((peers or {}).items()):
        if isinstance(g, dict) and 'galera' in g and 'present' not in g:
            g = g.get('galera')
        s = _summary(g)
        if s is not None:
            out[str(name)] = s
    if own is not None:
        out[host] = own
    return out


def _split_brain(host, own, nodes, ev):
    clusters = {}
    for name, s in nodes.items():
        if s.get('uuid'):
            clusters.setdefault(s['uuid'], []).append(name)
    listing = dict((u, sorted(h)) for u, h in clusters.items())
    text = '; '.join('%s: %s' % (u, ', '.join(h)) for u, h in sorted(listing.items(), key=lambda i: (-len(i[1]), i[0])))
    if len(clusters) <= 1:
        return base.result(DECLARATION, 'galera.split_brain', 'ok',
                           'every Galera node checked (%s) is in cluster %s' % (', '.join(sorted(nodes)), own['uuid']),
                           dict(ev, cluster_state_uuid=own['uuid'], clusters=listing))
    largest = max(len(h) for h in clusters.values())
    tie = len([u for u, h in clusters.items() if len(h) == largest]) > 1
    mine = clusters.get(own['uuid']) or [host]
    others = dict((u, h) for u, h in listing.items() if u != own['uuid'])
    if len(mine) < largest or tie:
        return base.result(
            DECLARATION, 'galera.split_brain', base.FAULT,
            'split brain: this node is in cluster %s with %s, apart from %s' % (
                own['uuid'], ', '.join(sorted(mine)),
                '; '.join('cluster %s (%s)' % (u, ', '.join(h)) for u, h in sorted(others.items()))),
            dict(ev, cluster_state_uuid=own['uuid'], clusters=listing, detail=text))
    return base.result(DECLARATION, 'galera.split_brain', 'ok',
                       'this node is in the largest cluster %s (%s); the nodes of the other clusters (%s) are '
                       'reported on their hosts' % (own['uuid'], ', '.join(sorted(mine)), '; '.join(
                           '%s: %s' % (u, ', '.join(h)) for u, h in sorted(others.items()))),
                       dict(ev, cluster_state_uuid=own['uuid'], clusters=listing))


def _cluster_size(host, own, nodes, expected, ev):
    size = own.get('size')
    if expected:
        if size != expected:
            return base.result(DECLARATION, 'galera.cluster_size', base.FAULT,
                               'wsrep_cluster_size is %s, expected %s (check_galera_cluster_size)' % (size, expected),
                               dict(ev, cluster_size=size, expected=expected))
        return base.result(DECLARATION, 'galera.cluster_size', 'ok', 'wsrep_cluster_size %s as expected' % size,
                           dict(ev, cluster_size=size, expected=expected))
    sizes = dict((n, s.get('size')) for n, s in nodes.items())
    seen = [s for s in sizes.values() if s is not None]
    most = max(seen) if seen else size
    listing = ', '.join('%s=%s' % (n, s) for n, s in sorted(sizes.items()))
    if size is not None and most is not None and size < most:
        return base.result(DECLARATION, 'galera.cluster_size', base.FAULT,
                           'wsrep_cluster_size is %s here, %s on other nodes (%s); no expected size is set '
                           '(check_galera_cluster_size)' % (size, most, listing),
                           dict(ev, cluster_size=size, expected=None, sizes=sizes))
    return base.result(DECLARATION, 'galera.cluster_size', 'ok',
                       'wsrep_cluster_size %s (nodes checked: %s; no expected size set)' % (size, listing),
                       dict(ev, cluster_size=size, expected=None, sizes=sizes))


def evaluate(facts, params=None):
    """Results for one host from its ``galera`` facts and the ``peers`` the role passes."""
    facts = facts or {}
    params = params or {}
    host = str(params.get('host') or 'this host')
    g = facts.get('galera')
    if not isinstance(g, dict):
        return [base.result(DECLARATION, 'galera.status_unavailable', 'error',
                            'galera facts were not gathered on this host (node_facts subset "galera" missing)')]
    if not g.get('present'):
        return [base.result(DECLARATION, 'galera.status_unavailable', 'skipped',
                            'no MariaDB on this host (%s)' % ('; '.join(g.get('looked_at') or []) or 'nothing found'),
                            {'looked_at': g.get('looked_at')})]
    ev = {'where': g.get('where'), 'container': g.get('container'), 'login': g.get('login'),
          'command': g.get('command')}
    ev = dict((k, v) for k, v in ev.items() if v is not None)
    if g.get('error') or not isinstance(g.get('status'), dict):
        err = g.get('error') or {}
        kind = err.get('kind') or 'failed'
        what = {'server_down': 'the server does not answer (down, or not on the socket tried)',
                'access_denied': 'access denied with the credentials tried',
                'no_client': 'no mysql client', 'timeout': 'no answer in time'}.get(kind, 'the query failed')
        return [base.result(DECLARATION, 'galera.status_unavailable', base.FAULT,
                            'no wsrep status on %s: %s; tried %s with %s' % (
                                host, what, g.get('command') or 'mysql', g.get('login') or 'no credentials'),
                            dict(ev, kind=kind, rc=g.get('rc'), message=err.get('message')))]
    variables = g.get('variables') or {}
    status = g.get('status') or {}
    ev.update(wsrep_cluster_name=variables.get('wsrep_cluster_name'), wsrep_node_name=variables.get('wsrep_node_name'))
    if str(variables.get('wsrep_on', '')).upper() != 'ON':
        ev.update(wsrep_on=variables.get('wsrep_on'), wsrep_provider=variables.get('wsrep_provider'))
        if params.get('expected') in (True, 'true', 'True', 'yes', '1', 1):
            return [base.result(DECLARATION, 'galera.not_enabled', base.FAULT,
                                'wsrep_on is %s (provider %s): a single server, not a Galera node, where one is '
                                'expected' % (variables.get('wsrep_on'), variables.get('wsrep_provider')), ev)]
        if g.get('no_wsrep'):
            return [base.result(DECLARATION, 'galera.not_enabled', 'ok',
                                'no wsrep variable at all: a MySQL or MariaDB without Galera support (nothing to '
                                'compare)', ev)]
        return [base.result(DECLARATION, 'galera.not_enabled', 'ok',
                            'wsrep_on is %s: a single MariaDB without Galera (nothing to compare)'
                            % variables.get('wsrep_on'), ev)]
    ev.update((k[len('wsrep_'):], status.get(k)) for k in (
        'wsrep_cluster_status', 'wsrep_local_state_comment', 'wsrep_ready', 'wsrep_connected', 'wsrep_cluster_size',
        'wsrep_cluster_state_uuid', 'wsrep_evs_state', 'wsrep_flow_control_paused', 'wsrep_incoming_addresses')
        if k in status)
    results = []
    cluster_status = status.get('wsrep_cluster_status')
    if cluster_status != 'Primary':
        results.append(base.result(DECLARATION, 'galera.not_primary', base.FAULT,
                                   'wsrep_cluster_status is %s, not Primary: this node has no quorum and refuses '
                                   'queries' % cluster_status, dict(ev)))
    else:
        results.append(base.result(DECLARATION, 'galera.not_primary', 'ok', 'wsrep_cluster_status Primary', dict(ev)))
    state = status.get('wsrep_local_state_comment')
    if state == HEALTHY_STATE:
        results.append(base.result(DECLARATION, 'galera.not_synced', 'ok', 'wsrep_local_state_comment Synced', dict(ev)))
    elif state == DESYNCED_STATE:
        results.append(base.result(DECLARATION, 'galera.desynced', base.FAULT,
                                   'wsrep_local_state_comment is Donor/Desynced (wsrep_desync_count %s): a state '
                                   'transfer, or wsrep_desync left ON' % status.get('wsrep_desync_count'), dict(ev)))
    else:
        results.append(base.result(DECLARATION, 'galera.not_synced', base.FAULT,
                                   'wsrep_local_state_comment is %s, not Synced' % state, dict(ev)))
    off = [k for k in ('wsrep_ready', 'wsrep_connected') if str(status.get(k, '')).upper() != 'ON']
    if off:
        results.append(base.result(DECLARATION, 'galera.not_ready', base.FAULT,
                                   '%s OFF' % ' and '.join(off), dict(ev)))
    else:
        results.append(base.result(DECLARATION, 'galera.not_ready', 'ok', 'wsrep_ready and wsrep_connected ON',
                                   dict(ev)))
    own = _summary(g)
    nodes = _peer_summaries(host, own, params.get('peers'))
    expected = _int(params.get('cluster_size'))
    results.append(_cluster_size(host, own, nodes, expected if expected and expected > 0 else None, dict(ev)))
    if own.get('uuid'):
        results.append(_split_brain(host, own, nodes, dict(ev)))
    return results
