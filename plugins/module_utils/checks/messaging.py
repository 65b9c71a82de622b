# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_messaging: services whose message broker this node cannot reach or log in to (declaration + evaluate).

Pure function: the ``messaging`` node facts (every service's transport_url, read through the
layout, each broker endpoint probed from the node with a TCP connect and an AMQP 0-9-1 login
bounded in time, and oslo.messaging's AMQP lines in the services' logs) in, one result per
transport_url out. No fix: the remedy is on the broker or the network, or in the config.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

# Layout services that talk RPC over oslo.messaging (their transport_url must be set); the
# others (placement-api, keystone, libvirt, tgt, rabbitmq itself) have none to check.
RPC_SERVICES = ('nova-api', 'nova-compute', 'nova-conductor', 'nova-scheduler', 'cinder-volume',
                'cinder-scheduler', 'cinder-api', 'neutron-l3-agent', 'neutron-server',
                'neutron-dhcp-agent', 'neutron-metadata-agent', 'neutron-openvswitch-agent')
FAILURE_SIGNATURES = ('11a', '11c', '11d')

DECLARATION = {
    'name': 'check_messaging',
    'title': "services whose transport_url names a message broker this node cannot reach or log in to",
    'scope': 'host',
    'groups': ['controllers', 'computes', 'storage', 'network'],
    'subsets': ['layout', 'messaging'],
    'apis': [],
    'fix': None,
    'params': {'log_limit': {'var': 'check_messaging_log_lines', 'default': 5}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'messaging.broker_unreachable': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': "no broker host of the service's transport_url accepts a TCP connection from this node "
                     "(broker down, firewall, wrong address or port)"},
        'messaging.broker_host_unreachable': {
            'severity': 'warning', 'identity': ['file', 'section'],
            'title': 'some broker hosts of the transport_url are unreachable from this node (the others answer)'},
        'messaging.login_refused': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': 'the broker refuses the login or the virtual host of the transport_url (403 ACCESS_REFUSED, '
                     '530 NOT_ALLOWED)'},
        'messaging.not_a_broker': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': 'something answers on the transport_url address but does not complete an AMQP 0-9-1 login '
                     'in time (wrong port, TLS mismatch, broker hung)'},
        'messaging.transport_url_missing': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': 'an RPC service has no [DEFAULT] transport_url: oslo.messaging falls back to its default '
                     '(rabbit:// on localhost)'},
        'messaging.transport_url_invalid': {
            'severity': 'critical', 'identity': ['file', 'section'],
            'title': 'the transport_url cannot be parsed (no host, bad port)'},
    },
    'references': [
        'https://docs.openstack.org/oslo.messaging/latest/reference/transport.html (TransportURL)',
        'https://docs.openstack.org/oslo.messaging/latest/configuration/opts.html (transport_url, '
        '[oslo_messaging_rabbit] ssl)',
        'oslo_messaging/_drivers/impl_rabbit.py (Connection.ensure: "AMQP server on %(hostname)s:%(port)s is '
        'unreachable")',
        'https://www.rabbitmq.com/amqp-0-9-1-reference.html (connection.start/tune/open/close)',
        'https://www.rabbitmq.com/docs/auth-notification (authentication_failure_close)',
        'https://docs.openstack.org/nova/latest/admin/troubleshooting/index.html',
    ],
    'runbook': {
        'symptom': (
            "Instances stay in BUILD or scheduling, `openstack compute service list` shows services down, "
            "API calls time out with MessagingTimeout, and the services log \"AMQP server on <host>:<port> is "
            "unreachable: ... Trying again in N seconds\" or \"closed the connection. Check login credentials\"."),
        'cause': (
            "The broker is stopped or unreachable from this node (firewall, routing), the transport_url names "
            "a wrong host, port, user, password or virtual host (a hand edit, a config run with stale values), "
            "or transport_url is missing and oslo.messaging tries its default broker on localhost."),
        'reads': (
            "Every config file of the layout's services on the node (packaged /etc/<svc>/, kolla "
            "/etc/kolla/<svc>/, TripleO puppet-generated), its [DEFAULT] transport_url (and "
            "[oslo_messaging_notifications] transport_url when set) with [oslo_messaging_rabbit] ssl and "
            "ssl_ca_file; from the node itself, per broker host: a TCP connect, then an AMQP 0-9-1 login "
            "with the configured user and the virtual host opened, each bounded by check_messaging_timeout "
            "(stackdoctor_probe_timeout); and oslo.messaging's AMQP lines in the tail of each service's log "
            "(as evidence). Passwords are never shown (rabbit://user:***@host)."),
        'fix': (
            "No automatic fix. Broker down: start it (fix_services_running on the broker host, opted in for "
            "rabbitmq). Unreachable: test from the node with `nc -zv <host> <port>`, look at firewalls and "
            "routes. Login refused: compare the user, password and vhost with `rabbitmqctl list_users` / "
            "`list_permissions -p <vhost>` on the broker, then correct the config through the deployment "
            "tool and restart the service."),
        'verify': (
            "Re-run check_messaging; the service logs \"Reconnected to AMQP server on ...\"; "
            "`openstack compute service list` shows the services up."),
    },
}


def _ok(p):
    return p.get('tcp') == 'ok' and p.get('amqp') in ('ok', 'not_applicable')


def _probe_words(p):
    where = '%s:%s' % (p.get('host'), p.get('port'))
    if p.get('tcp') != 'ok':
        return '%s: TCP %s (%s)' % (where, p.get('tcp'), p.get('detail') or '')
    if p.get('amqp') in ('refused', 'vhost_refused'):
        return '%s: %s %s' % (where, p.get('reply_code'), p.get('reply_text'))
    if p.get('amqp') not in ('ok', 'not_applicable'):
        return '%s: AMQP %s (%s)' % (where, p.get('amqp'), p.get('detail') or '')
    server = p.get('server') or {}
    return '%s: login ok%s' % (where, (' (%s %s)' % (server.get('product'), server.get('version'))) if server else '')


def _log_evidence(logs, services, limit):
    out = []
    for name in services:
        log = (logs or {}).get(name) or {}
        for m in (log.get('matches') or [])[-limit:]:
            out.append({'service': name, 'file': log.get('file'), 'line': m.get('line_no'),
                        'signature': m.get('signature'), 'text': m.get('text')})
    return out


def _transport_result(item, t, logs, limit):
    services = item.get('services') or []
    ev = {'file': t.get('file') or item.get('file'), 'line': t.get('line'), 'section': t.get('section'),
          'services': services}
    for k in ('url_masked', 'driver', 'virtual_host', 'ssl'):
        if t.get(k) is not None:
            ev[k] = t[k]
    lines = _log_evidence(logs, services, limit)
    if lines:
        ev['log_lines'] = lines
    where = '%s [%s]' % (ev['file'], t.get('section'))
    if t.get('line'):
        where = '%s line %s ([%s])' % (ev['file'], t['line'], t.get('section'))
    if not t.get('set'):
        legacy = item.get('legacy_options') or []
        if legacy:
            ev['legacy_options'] = legacy
        return base.result(DECLARATION, 'messaging.transport_url_missing', base.FAULT,
                           '%s has no transport_url in [DEFAULT] (services %s): oslo.messaging falls back to its '
                           'default broker on localhost%s' % (ev['file'], ', '.join(services),
                                                              '; the rabbit_* options set there are not used'
                                                              if legacy else ''), ev)
    if t.get('error'):
        ev['message'] = (t['error'] or {}).get('message')
        return base.result(DECLARATION, 'messaging.transport_url_invalid', base.FAULT,
                           '%s: %s' % (where, ev['message']), ev)
    probes = t.get('probes') or []
    ev['probes'] = probes
    if not probes:
        return base.result(DECLARATION, 'messaging.broker_unreachable', 'skipped',
                           '%s: %s not probed (probes off)' % (where, t.get('url_masked')), ev)
    words = '; '.join(_probe_words(p) for p in probes)
    good = [p for p in probes if _ok(p)]
    if len(good) == len(probes):
        return base.result(DECLARATION, 'messaging.broker_unreachable', 'ok',
                           '%s: %s from this node: %s' % (where, t.get('url_masked'), words), ev)
    if good:
        return base.result(DECLARATION, 'messaging.broker_host_unreachable', base.FAULT,
                           '%s: %d of %d broker hosts fail from this node: %s'
                           % (where, len(probes) - len(good), len(probes), words), ev)
    if any(p.get('amqp') in ('refused', 'vhost_refused') for p in probes):
        fid = 'messaging.login_refused'
        what = 'the broker refuses user %s / virtual host %s' % (
            (t.get('hosts') or [{}])[0].get('username'), t.get('virtual_host'))
    elif any(p.get('tcp') == 'ok' for p in probes):
        fid = 'messaging.not_a_broker'
        what = 'no AMQP 0-9-1 login completes'
    else:
        fid = 'messaging.broker_unreachable'
        what = 'no broker host accepts a connection from this node'
    return base.result(DECLARATION, fid, base.FAULT, '%s: %s: %s (%s)' % (where, t.get('url_masked'), what, words), ev)


def evaluate(facts, params=None):
    """One result per transport_url of an RPC service's config file on the host.

    ``params``: ``log_limit`` (AMQP log lines attached per service), ``severity``.
    """
    facts = facts or {}
    params = params or {}
    limit = int(params.get('log_limit') or 5)
    m = facts.get('messaging')
    if not isinstance(m, dict):
        return [base.result(DECLARATION, 'messaging.broker_unreachable', 'error',
                            'messaging facts were not gathered on this host (node_facts subset "messaging" missing)')]
    if m.get('error') and not m.get('configs'):
        err = m['error'] if isinstance(m['error'], dict) else {'message': str(m['error'])}
        return [base.result(DECLARATION, 'messaging.broker_unreachable', 'error',
                            'cannot read the messaging configuration: %s' % err.get('message'),
                            {'file': err.get('file'), 'message': err.get('message')})]
    results = []
    for item in m.get('configs') or []:
        services = [s for s in item.get('services') or [] if s in RPC_SERVICES]
        if not services:
            continue
        item = dict(item, services=services)
        if item.get('error'):
            results.append(base.config_error(DECLARATION, 'messaging.transport_url_invalid', item,
                                             services=services))
            continue
        for t in item.get('transports') or []:
            results.append(_transport_result(item, t, m.get('logs'), limit))
    if not results:
        results.append(base.result(DECLARATION, 'messaging.broker_unreachable', 'skipped',
                                   'no config file of an RPC service (nova, cinder, neutron) on this host'))
    return results
