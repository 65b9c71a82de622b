# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_haproxy: haproxy backends DOWN and servers DOWN or in MAINT, from the stats socket (declaration + evaluate).

Pure function: the ``haproxy`` node facts (``show stat`` read from haproxy's stats socket on the
node, parsed by header name) in, one result per backend and one per server that is not serving.
No fix: a server in MAINT was put there by someone (``enable server`` puts it back), a DOWN one
needs its service repaired.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_haproxy',
    'title': "haproxy backends that are DOWN and servers that are DOWN or in MAINT, read from haproxy's stats "
             "socket (`show stat`)",
    'scope': 'host',
    'groups': ['controllers', 'loadbalancers'],
    'subsets': ['layout', 'haproxy'],
    'apis': [],
    'fix': None,
    'params': {'ignore': {'var': 'check_haproxy_ignore', 'default': []}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'haproxy.backend_down': {
            'severity': 'critical', 'identity': ['backend'],
            'title': 'a backend has no server up: every request to the API behind it fails (503)'},
        'haproxy.server_down': {
            'severity': 'warning', 'identity': ['backend', 'server'],
            'title': "a server of a backend fails haproxy's health check (DOWN): the service on that node is "
                     "down or unreachable"},
        'haproxy.server_maint': {
            'severity': 'warning', 'identity': ['backend', 'server'],
            'title': 'a server is in maintenance (MAINT: `disable server` or set by an operator) and gets no '
                     'traffic'},
        'haproxy.stats_unavailable': {
            'severity': 'critical', 'identity': [],
            'title': "haproxy's stats socket is on the host but does not answer `show stat` (haproxy died and "
                     "left it, hung, or the socket belongs to an old process)"},
    },
    'references': [
        'https://docs.haproxy.org/2.6/management.html#9.1 (show stat CSV: pxname, svname, status, check_status)',
        'https://docs.haproxy.org/2.6/management.html#9.3 (disable server / enable server on the stats socket)',
        'https://docs.haproxy.org/2.6/configuration.html#3.1-stats%20socket',
        'openstack/kolla-ansible ansible/roles/loadbalancer/templates/haproxy/haproxy_main.cfg.j2 (stats socket)',
        'openstack/puppet-tripleo manifests/haproxy.pp (stats socket /var/lib/haproxy/stats)',
    ],
    'runbook': {
        'symptom': (
            "API calls through the virtual IP fail with 503 Service Unavailable (every server of the backend "
            "down), or succeed only sometimes / are slower (one server down), and the haproxy log shows "
            "\"Server <backend>/<server> is DOWN\" or \"backend <name> has no server available!\"."),
        'cause': (
            "The API service on a controller is stopped, hung or listens on another address or port than "
            "haproxy's server line; or an operator put a server in maintenance (`disable server`, "
            "`set server ... state maint`) for an intervention and did not put it back."),
        'reads': (
            "haproxy's `show stat` CSV from its stats socket on the node, with a unix socket connection "
            "bounded by stackdoctor_probe_timeout: the socket named by the `stats socket` lines of the config "
            "(packaged /etc/haproxy/haproxy.cfg, Debian default /run/haproxy/admin.sock; kolla "
            "/etc/kolla/haproxy/haproxy.cfg with /var/lib/kolla/haproxy/haproxy.sock in the haproxy_socket "
            "volume; TripleO /var/lib/haproxy/stats), or `stats_socket` of the layout entry `haproxy`. "
            "Columns are read by the CSV header's names: status (UP, DOWN, MAINT, MAINT(via), DRAIN, NOLB, "
            "no check), check_status, check_desc, last_chk, lastchg. Backends listed in check_haproxy_ignore "
            "are skipped."),
        'fix': (
            "No automatic fix. server_maint: if the intervention is over, `echo 'enable server "
            "<backend>/<server>' | socat stdio <socket>` (admin level socket) or the deployment tool's "
            "equivalent. server_down / backend_down: repair the service on the named server (check_services_"
            "running on that node; `curl` its address:port from the haproxy node); haproxy puts it back by "
            "itself when its health check passes."),
        'verify': (
            "`echo 'show stat' | socat stdio <socket> | cut -d, -f1,2,18` shows the servers UP and the "
            "backends UP; re-run check_haproxy."),
    },
}


def evaluate(facts, params=None):
    """One result per backend (ok or backend_down) and one per server DOWN or in MAINT.

    ``params``: ``ignore`` (backend names not to report), ``severity``.
    """
    facts = facts or {}
    params = params or {}
    ignore = set(params.get('ignore') or [])
    hp = facts.get('haproxy')
    if not isinstance(hp, dict):
        return [base.result(DECLARATION, 'haproxy.stats_unavailable', 'error',
                            'haproxy facts were not gathered on this host (node_facts subset "haproxy" missing)')]
    if not hp.get('present'):
        return [base.result(DECLARATION, 'haproxy.stats_unavailable', 'skipped',
                            'no haproxy stats socket on this host%s' % (
                                (' (%s is there: haproxy does not run here)' % hp['config']) if hp.get('config') else ''),
                            {'config': hp.get('config'),
                             'sockets': [s.get('host_path') for s in hp.get('sockets') or []]})]
    ev = {'config': hp.get('config'), 'socket': hp.get('socket')}
    if hp.get('error') and not hp.get('rows'):
        message = (hp['error'] or {}).get('message')
        return [base.result(DECLARATION, 'haproxy.stats_unavailable', base.FAULT,
                            "haproxy's stats socket gives no answer: %s" % message,
                            dict(ev, message=message, sockets=[s.get('host_path') for s in hp.get('sockets') or []]))]
    results = []
    servers = {}
    backends = []
    for row in hp.get('rows') or []:
        px, sv = row.get('pxname'), row.get('svname')
        if sv == 'FRONTEND':
            continue
        if sv == 'BACKEND':
            backends.append(row)
        else:
            servers.setdefault(px, []).append(row)
    for row in backends:
        px = row.get('pxname')
        if px in ignore:
            results.append(base.result(DECLARATION, 'haproxy.backend_down', 'skipped',
                                       'backend %s is ignored (check_haproxy_ignore)' % px, dict(ev, backend=px)))
            continue
        mine = servers.get(px) or []
        status = row.get('status') or ''
        up = [s.get('svname') for s in mine if (s.get('status') or '').startswith('UP')
              or s.get('status') in ('no check', 'OPEN')]
        bev = dict(ev, backend=px, status=status, servers=dict((s.get('svname'), s.get('status')) for s in mine),
                   lastchg=row.get('lastchg'))
        if status.startswith('DOWN'):
            results.append(base.result(DECLARATION, 'haproxy.backend_down', base.FAULT,
                                       'backend %s is DOWN: none of its %d servers is up (%s)'
                                       % (px, len(mine), ', '.join('%s %s' % (s.get('svname'), s.get('status'))
                                                                   for s in mine) or 'no server'), bev))
        else:
            results.append(base.result(DECLARATION, 'haproxy.backend_down', 'ok',
                                       'backend %s is %s (%d of %d servers up)' % (px, status, len(up), len(mine)),
                                       bev))
        for s in mine:
            sstatus = s.get('status') or ''
            sev = dict(ev, backend=px, server=s.get('svname'), address=s.get('addr') or None, status=sstatus,
                       check_status=s.get('check_status') or None, check_desc=s.get('check_desc') or None,
                       last_chk=s.get('last_chk') or None, lastchg=s.get('lastchg') or None,
                       chkdown=s.get('chkdown') or None)
            where = '%s/%s%s' % (px, s.get('svname'), (' (%s)' % s['addr']) if s.get('addr') else '')
            if sstatus.startswith('MAINT'):
                results.append(base.result(DECLARATION, 'haproxy.server_maint', base.FAULT,
                                           'server %s is in maintenance (%s) for %s s: it gets no traffic'
                                           % (where, sstatus, s.get('lastchg') or '?'), sev))
            elif sstatus.startswith('DOWN'):
                why = s.get('last_chk') or s.get('check_desc') or s.get('check_status') or ''
                results.append(base.result(DECLARATION, 'haproxy.server_down', base.FAULT,
                                           'server %s is %s%s' % (where, sstatus,
                                                                  (': health check %s %s' % (
                                                                      s.get('check_status') or '', why)).rstrip()
                                                                  if why else ''), sev))
    if not results:
        results.append(base.result(DECLARATION, 'haproxy.backend_down', 'ok',
                                   'haproxy answers on %s and has no backend' % hp.get('socket'), dict(ev)))
    return results
