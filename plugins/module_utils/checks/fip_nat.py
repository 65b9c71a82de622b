# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_fip_nat: floating IPs whose NAT is missing, stale or cannot forward on network nodes
(declaration + evaluate).

Facts: the ``fip_nat`` node facts subset (iptables-save nat/filter, addresses, routes and
ip_forward of the root namespace and of every qrouter-/snat-/fip- namespace; OVN NB NAT rows;
nova.conf public_interface where nova-network chains exist). The floating IPs that should exist
come from the role: the Networking API (``stackdoctor.openstack.floating_ips_info``: active
floating IPs with fixed IP, router and the L3 agents hosting it) or ``check_fip_nat_expected``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

L3 = 'neutron-l3-agent-'
DECLARATION = {
    'name': 'check_fip_nat',
    'title': 'floating IPs whose NAT rules are missing or stale on the L3 node, or that the node cannot forward',
    'scope': 'host',
    'groups': ['network'],
    'subsets': ['layout', 'fip_nat'],
    'apis': ['network GET /v2.0/floatingips', 'network GET /v2.0/routers',
             'network GET /v2.0/routers/{id}/l3-agents'],
    'fix': 'fix_fip_nat',
    'facts_only': False,   # the role reads the expected floating IPs (API or variable)
    'params': {
        'expected': {'var': 'check_fip_nat_expected', 'default': None},
        'forwarding_required': {'var': 'check_fip_nat_forwarding_required', 'default': 'auto'},
    },
    'profiles': ['post-deploy', 'periodic'],
    'findings': {
        'neutron.fip_dnat_missing': {
            'severity': 'critical', 'identity': ['floating_ip'],
            'title': 'a floating IP has no DNAT rule (PREROUTING, and OUTPUT for legacy/HA routers) in its router '
                     'namespace on the node hosting the router'},
        'neutron.fip_snat_missing': {
            'severity': 'critical', 'identity': ['floating_ip'],
            'title': 'a floating IP has no float-snat SNAT rule in its router namespace'},
        'neutron.fip_not_on_gateway': {
            'severity': 'critical', 'identity': ['floating_ip'],
            'title': 'the floating IP address is not configured on the router\'s qg- gateway device'},
        'neutron.fip_dnat_stale': {
            'severity': 'warning', 'identity': ['namespace', 'floating_ip'],
            'title': 'a DNAT rule for a floating IP that no longer exists (or now maps elsewhere) is still loaded'},
        'neutron.fip_ip_forward_off': {
            'severity': 'critical', 'identity': ['namespace'],
            'title': 'net.ipv4.ip_forward is 0 where floating IP traffic is routed'},
        'neutron.fip_forward_drop': {
            'severity': 'critical', 'fixable': False, 'identity': ['namespace'],
            'title': 'the FORWARD chain drops by policy and no rule accepts the routed traffic'},
        'neutron.fip_snat_wrong_interface': {
            'severity': 'warning', 'identity': ['namespace', 'rule'],
            'title': 'gateway SNAT leaves through an interface that is not the namespace\'s default route '
                     '(nova-network public_interface)'},
        'neutron.fip_ovn_nat_missing': {
            'severity': 'critical', 'fixable': False, 'identity': ['floating_ip'],
            'title': 'OVN: no dnat_and_snat NAT row for a floating IP on its logical router'},
        'neutron.fip_ovn_nat_stale': {
            'severity': 'warning', 'fixable': False, 'identity': ['uuid'],
            'title': 'OVN: a NAT row names a floating IP that no longer exists'},
        'neutron.fip_nat_unreadable': {
            'severity': 'error', 'fixable': False, 'identity': ['namespace'],
            'title': 'the NAT state of a namespace (or the expected floating IPs) could not be read'},
    },
    'references': [
        'https://docs.openstack.org/neutron/latest/admin/deploy-ovs-selfservice.html',
        'https://docs.openstack.org/neutron/latest/admin/config-dvr-ha-snat.html',
        'https://docs.openstack.org/api-ref/network/v2/#floating-ips-floatingips',
        'https://docs.openstack.org/api-ref/network/v2/#list-l3-agents-hosting-a-router',
        'neutron/agent/l3/router_info.py:264-275 (floating_forward_rules), 311-327, 894-914 (gateway SNAT)',
        'neutron/agent/l3/dvr_local_router.py:117-142 (DVR DNAT with -i rfp-)',
        'neutron/agent/linux/iptables_manager.py:50-56,108,382-399 (chain names neutron-l3-agent-*)',
        'neutron/agent/l3/namespaces.py:25 (qrouter-), Namespace.create (sysctl net.ipv4.ip_forward=1)',
        'neutron/common/ovn/utils.py:242, ovn_client.py:951-1029 (OVN NAT rows)',
        'nova/network/linux_net.py@f5f73b4c4e^ l.642-644, 743-760 (nova-network float rules, public_interface)',
        'https://docs.kernel.org/networking/ip-sysctl.html (ip_forward)',
    ],
    'runbook': {
        'symptom': (
            "A server's floating IP does not answer (ping or TCP to the floating IP times out) while the server "
            "reaches its fixed network; or the server's outgoing traffic leaves with the router's gateway "
            "address instead of its floating IP; or traffic for a floating IP that was deleted or moved still "
            "lands on the old fixed IP. openstack floating ip show says ACTIVE and names the router."),
        'cause': (
            "The L3 agent writes, in qrouter-<router> (legacy and HA routers): neutron-l3-agent-PREROUTING and "
            "-OUTPUT '-d <FIP>/32 -j DNAT --to-destination <fixed>', neutron-l3-agent-float-snat '-s <fixed>/32 "
            "-j SNAT --to-source <FIP>', and puts <FIP>/32 on the qg- device (DVR: PREROUTING with -i rfp-, and "
            "the fip-<net> namespace routes the address). Rules go missing or stay behind when iptables is "
            "flushed or restored by another tool (iptables-restore of a saved set, a firewall service), when "
            "the agent lost a router update, or after a manual edit. The namespace also needs "
            "net.ipv4.ip_forward=1 (the agent sets it when it creates the namespace), and where the node's own "
            "namespace routes the external network (devstack-style br-ex gateway, nova-network) the host needs "
            "it too; a FORWARD policy DROP (Docker, firewalld) without accept rules drops the routed packets. "
            "Legacy nova-network added '-o <public_interface>' (default eth0) to its SNAT rules: on a host whose "
            "default route leaves elsewhere, the SNAT never matches."),
        'reads': (
            "On each network node, in one node_facts run: iptables-save -t nat and -t filter, ip -j addr, "
            "ip -j route and /proc/sys/net/ipv4/ip_forward in the root namespace and in every qrouter-, snat- "
            "and fip- namespace (ip netns exec, each bounded by command_timeout); ovn-nbctl list "
            "Logical_Router/NAT where OVN's NB database answers; nova.conf [DEFAULT] public_interface where "
            "nova-network chains exist. From the Networking API (floating_ips_info, bounded by "
            "check_fip_nat_api_timeout): floating IPs with a fixed IP and a router, and the L3 agents hosting "
            "each router (with ha_state); or check_fip_nat_expected when no cloud is configured."),
        'fix': (
            "fix_fip_nat never edits the agent's iptables chains. Missing or stale rules, an address missing "
            "from qg- and ip_forward off inside a router namespace: the L3 agent is restarted through the "
            "layout (restart_service; systemd unit, kolla container or TripleO unit), which makes it resync "
            "every router it hosts; opt-in with fix_fip_nat_restart_l3_agent. Root-namespace ip_forward: "
            "ansible.posix.sysctl net.ipv4.ip_forward=1, persisted in fix_fip_nat_sysctl_file under "
            "/etc/sysctl.d. nova-network public_interface: set from the default route's device (opt-in, "
            "fix_fip_nat_set_public_interface). A FORWARD policy DROP and OVN NAT rows are reported only: "
            "see the firewall that set it, and neutron-ovn-db-sync-util --ovn-neutron_sync_mode log|repair."),
        'verify': (
            "ip netns exec qrouter-<router> iptables-save -t nat | grep <FIP> shows the DNAT and SNAT lines; "
            "ip netns exec qrouter-<router> ip -4 addr show | grep <FIP>; sysctl net.ipv4.ip_forward; then "
            "ping or ssh to the floating IP from outside."),
    },
}
CHECK = DECLARATION['name']


def _r(fid, status, summary, ev, params):
    return base.result(DECLARATION, fid, status, summary, ev, params)


def _ns_label(ns):
    return ns.get('name') or 'root namespace'


def _rules(ns, table, chain=None):
    rules = ((ns.get(table) or {}).get('rules') or [])
    return [r for r in rules if chain is None or r.get('chain') == chain]


def _addresses(ns):
    out = {}
    for link in ns.get('addresses') or []:
        for a in link.get('addresses') or []:
            out[a.get('local')] = link.get('ifname')
    return out


def _default_dev(ns):
    for route in ns.get('routes') or []:
        if route.get('dst') == 'default':
            return route.get('dev'), route.get('gateway')
    return None, None


def _accept_reachable(ns, chain='FORWARD', seen=None):
    """Whether a rule reachable from ``chain`` of the filter table accepts."""
    seen = seen if seen is not None else set()
    if chain in seen:
        return False
    seen.add(chain)
    for rule in _rules(ns, 'filter', chain):
        target = rule.get('target')
        if target == 'ACCEPT':
            return True
        if target and target in ((ns.get('filter') or {}).get('chains') or {}) and _accept_reachable(ns, target, seen):
            return True
    return False


def normalize_expected(expected):
    """``check_fip_nat_expected`` or the API module's ``floating_ips`` -> list of dicts, or None."""
    if expected is None or expected == '':
        return None
    if isinstance(expected, dict):
        expected = expected.get('floating_ips')
    if not isinstance(expected, list):
        raise ValueError('expected floating IPs must be a list, got %s' % type(expected).__name__)
    out = []
    for item in expected:
        if not isinstance(item, dict) or not item.get('floating_ip'):
            raise ValueError('each expected floating IP needs floating_ip (got %r)' % (item,))
        out.append({'id': item.get('id'), 'floating_ip': item['floating_ip'], 'fixed_ip': item.get('fixed_ip'),
                    'router_id': item.get('router_id'), 'hosts': list(item.get('hosts') or []),
                    'ha_state': dict(item.get('ha_state') or {}), 'distributed': bool(item.get('distributed')),
                    'status': item.get('status')})
    return out


def _forwarding_required(fn, setting):
    if isinstance(setting, bool):
        return setting, 'check_fip_nat_forwarding_required is %s' % setting
    if str(setting).lower() in ('true', 'yes', '1'):
        return True, 'check_fip_nat_forwarding_required is true'
    if str(setting).lower() in ('false', 'no', '0'):
        return False, 'check_fip_nat_forwarding_required is false'
    root = fn['namespaces'][0] if fn.get('namespaces') else {}
    if any(c.startswith('nova-network-') for c in ((root.get('nat') or {}).get('chains') or {})):
        return True, 'nova-network chains in the root namespace'
    root_addrs = _addresses(root)
    for ns in fn.get('namespaces') or []:
        if ns.get('kind') in ('qrouter', 'snat'):
            dev, gw = _default_dev(ns)
            if gw and gw in root_addrs:
                return True, '%s routes through %s, an address of the root namespace (%s)' % (
                    ns.get('name'), gw, root_addrs[gw])
    return False, 'no router namespace routes through the root namespace'


def evaluate(facts, params=None):
    """``facts``: the host's node facts (``fip_nat``); ``params``: ``expected`` (list or None),
    ``names`` (how neutron may name this host), ``forwarding_required`` (auto|true|false),
    ``expected_error`` (why the API could not be read)."""
    params = params or {}
    fn = (facts or {}).get('fip_nat')
    if not isinstance(fn, dict) or not isinstance(fn.get('namespaces'), list):
        return [_r('neutron.fip_nat_unreadable', 'error', 'fip_nat facts missing or malformed',
                   {'namespace': None}, params)]
    if fn.get('error'):
        err = fn['error'] if isinstance(fn['error'], dict) else {'message': str(fn['error'])}
        return [_r('neutron.fip_nat_unreadable', 'error', str(err.get('message')), dict(err, namespace=None), params)]
    out = []
    try:
        expected = normalize_expected(params.get('expected'))
    except ValueError as exc:
        expected = None
        out.append(_r('neutron.fip_nat_unreadable', 'error', 'check_fip_nat_expected: %s' % exc,
                      {'namespace': None}, params))
    if params.get('expected_error'):
        out.append(_r('neutron.fip_nat_unreadable', 'error',
                      'the Networking API could not be read: %s (floating IPs not compared)' % params['expected_error'],
                      {'namespace': None, 'message': params['expected_error']}, params))
    names = set(n for n in (params.get('names') or []) if n)
    if fn.get('hostname'):
        names.add(fn['hostname'])
        names.add(fn['hostname'].split('.')[0])
    namespaces = dict((ns.get('name'), ns) for ns in fn['namespaces'])
    if fn.get('netns_error'):
        out.append(_r('neutron.fip_nat_unreadable', 'error', fn['netns_error'], {'namespace': None}, params))
    unreadable = set()
    for ns in fn['namespaces']:
        if ns.get('errors'):
            unreadable.add(ns.get('name'))
            out.append(_r('neutron.fip_nat_unreadable', 'error', '%s: %s' % (_ns_label(ns), '; '.join(ns['errors'])),
                          {'namespace': ns.get('name'), 'errors': ns['errors']}, params))
    out += _forwarding(fn, params)
    out += _snat_interfaces(fn, params)
    if expected is not None:
        out += _expected(fn, expected, names, namespaces, unreadable, params)
        out += _stale(fn, expected, unreadable, params)
        out += _ovn(fn, expected, params)
    elif not params.get('expected_error'):
        out.append(_r('neutron.fip_dnat_missing', 'skipped',
                      'no expected floating IPs (no cloud configured and check_fip_nat_expected unset): only '
                      'forwarding and SNAT interfaces were checked', {'floating_ip': None}, params))
    return out


def _forwarding(fn, params):
    out = []
    required, why = _forwarding_required(fn, params.get('forwarding_required', 'auto'))
    for ns in fn['namespaces']:
        kind = ns.get('kind')
        if kind not in ('root', 'qrouter', 'snat', 'fip'):
            continue
        if kind == 'root' and not required:
            continue
        label = _ns_label(ns)
        ev = {'namespace': ns.get('name'), 'ip_forward': ns.get('ip_forward'), 'why': why if kind == 'root' else None,
              'repair': 'sysctl' if kind == 'root' else 'l3_agent'}
        if ns.get('ip_forward') == 0:
            because = (' (%s)' % why) if kind == 'root' else ' (the L3 agent sets 1 when it creates the namespace)'
            out.append(_r('neutron.fip_ip_forward_off', base.FAULT,
                          '%s: net.ipv4.ip_forward = 0%s' % (label, because), ev, params))
        elif ns.get('ip_forward') == 1:
            out.append(_r('neutron.fip_ip_forward_off', 'ok', '%s: net.ipv4.ip_forward = 1' % label, ev, params))
        flt = ns.get('filter')
        if flt is not None:
            policy = (flt.get('chains') or {}).get('FORWARD')
            if policy == 'DROP' and not _accept_reachable(ns):
                out.append(_r('neutron.fip_forward_drop', base.FAULT,
                              '%s: FORWARD policy DROP and no rule reachable from FORWARD accepts: routed floating IP '
                              'traffic is dropped' % label,
                              {'namespace': ns.get('name'), 'policy': policy,
                               'rules': [r.get('text') for r in _rules(ns, 'filter', 'FORWARD')][:20]}, params))
    return out


def _snat_interfaces(fn, params):
    out = []
    for ns in fn['namespaces']:
        kind = ns.get('kind')
        if kind == 'root':
            chains = ('nova-network-snat', 'nova-network-float-snat')
        elif kind in ('qrouter', 'snat'):
            chains = (L3 + 'snat',)
        else:
            continue
        dev, _gw = _default_dev(ns)
        links = set(link.get('ifname') for link in ns.get('addresses') or [])
        for rule in _rules(ns, 'nat'):
            if rule.get('chain') not in chains or rule.get('target') != 'SNAT' or not rule.get('out') \
                    or 'out' in rule.get('neg', []):
                continue
            if rule['out'] == dev:
                continue
            ev = {'namespace': ns.get('name'), 'rule': rule.get('text'), 'out': rule['out'], 'default_dev': dev,
                  'exists': rule['out'] in links, 'kind': 'nova-network' if kind == 'root' else 'l3_agent',
                  'public_interface': fn.get('public_interface') if kind == 'root' else None,
                  'repair': 'public_interface' if kind == 'root' else 'l3_agent'}
            if kind == 'root':
                pi = fn.get('public_interface') or {}
                where = ('%s:%s public_interface = %s' % (pi.get('file'), pi.get('line'), pi.get('value'))
                         if pi.get('value') else 'public_interface unset (default eth0)')
                summary = ('root namespace: nova-network SNAT "-o %s" but the default route leaves through %s (%s)'
                           % (rule['out'], dev or 'no default route', where))
            else:
                summary = ('%s: gateway SNAT "-o %s" but the namespace\'s default route leaves through %s'
                           % (ns.get('name'), rule['out'], dev or 'no default route'))
            out.append(_r('neutron.fip_snat_wrong_interface', base.FAULT, summary, ev, params))
    return out


def _dnat_rules(ns):
    return [r for r in _rules(ns, 'nat') if r.get('target') == 'DNAT' and r.get('chain') in (L3 + 'PREROUTING', L3 + 'OUTPUT')]


def _expected(fn, expected, names, namespaces, unreadable, params):
    out = []
    fip_namespaces = [ns for ns in fn['namespaces'] if ns.get('kind') == 'fip']
    for item in expected:
        if not item.get('fixed_ip') or not item.get('router_id'):
            continue
        ns_name = 'qrouter-%s' % item['router_id']
        hosted_here = bool(names & set(item['hosts'])) if item['hosts'] else ns_name in namespaces
        if not hosted_here:
            continue
        fip, fixed = item['floating_ip'], item['fixed_ip']
        ha = item['ha_state'].get(next((n for n in names if n in item['ha_state']), None))
        ev = {'floating_ip': fip, 'fixed_ip': fixed, 'router_id': item['router_id'], 'namespace': ns_name,
              'fip_id': item.get('id'), 'ha_state': ha, 'distributed': item['distributed'], 'repair': 'l3_agent'}
        if ns_name in unreadable:
            continue
        ns = namespaces.get(ns_name)
        if ns is None:
            out.append(_r('neutron.fip_dnat_missing', base.FAULT,
                          '%s -> %s: router %s is hosted here but %s does not exist' % (fip, fixed, item['router_id'], ns_name),
                          dict(ev, missing=['namespace']), params))
            continue
        dnat = _dnat_rules(ns)
        pre = [r for r in dnat if r['chain'] == L3 + 'PREROUTING' and r.get('dst') == fip and r.get('to') == fixed]
        outp = [r for r in dnat if r['chain'] == L3 + 'OUTPUT' and r.get('dst') == fip and r.get('to') == fixed]
        snat = [r for r in _rules(ns, 'nat', L3 + 'float-snat')
                if r.get('target') == 'SNAT' and r.get('src') == fixed and r.get('to') == fip]
        missing = []
        if not pre:
            missing.append('PREROUTING DNAT')
        if not outp and not item['distributed']:
            missing.append('OUTPUT DNAT')
        if missing:
            out.append(_r('neutron.fip_dnat_missing', base.FAULT,
                          '%s: no %s for floating IP %s -> %s (expected "-A %sPREROUTING -d %s/32 -j DNAT '
                          '--to-destination %s")' % (ns_name, ' and no '.join(missing), fip, fixed, L3, fip, fixed),
                          dict(ev, missing=missing), params))
        else:
            out.append(_r('neutron.fip_dnat_missing', 'ok', '%s: DNAT %s -> %s' % (ns_name, fip, fixed),
                          dict(ev, missing=[]), params))
        if not snat:
            out.append(_r('neutron.fip_snat_missing', base.FAULT,
                          '%s: no "-A %sfloat-snat -s %s/32 -j SNAT --to-source %s"' % (ns_name, L3, fixed, fip),
                          ev, params))
        else:
            out.append(_r('neutron.fip_snat_missing', 'ok', '%s: float-snat %s -> %s' % (ns_name, fixed, fip), ev, params))
        addrs = _addresses(ns)
        qg_addrs = dict((a, d) for a, d in addrs.items() if (d or '').startswith('qg-'))
        if item['distributed']:
            routed = any(r.get('dst') in (fip, fip + '/32') for f in fip_namespaces for r in f.get('routes') or [])
            if fip_namespaces and not routed:
                out.append(_r('neutron.fip_not_on_gateway', base.FAULT,
                              'DVR: no fip- namespace routes %s (%s)' % (fip, ', '.join(f['name'] for f in fip_namespaces)),
                              ev, params))
            continue
        if ha == 'standby' or (ha is None and item['ha_state'] and not qg_addrs):
            # HA backup: keepalived's primary holds the qg- addresses (rules are everywhere)
            continue
        if qg_addrs.get(fip):
            out.append(_r('neutron.fip_not_on_gateway', 'ok', '%s: %s on %s' % (ns_name, fip, qg_addrs[fip]),
                          dict(ev, device=qg_addrs[fip]), params))
        else:
            out.append(_r('neutron.fip_not_on_gateway', base.FAULT,
                          '%s: %s/32 is not on a qg- device (qg- addresses: %s)'
                          % (ns_name, fip, ', '.join(sorted(qg_addrs)) or 'none'),
                          dict(ev, device=None, qg_addresses=sorted(qg_addrs)), params))
    return out


def _stale(fn, expected, unreadable, params):
    out = []
    by_router = {}
    for item in expected:
        if item.get('router_id') and item.get('fixed_ip'):
            by_router.setdefault(item['router_id'], {})[item['floating_ip']] = item['fixed_ip']
    for ns in fn['namespaces']:
        if ns.get('kind') != 'qrouter' or ns.get('name') in unreadable:
            continue
        router = ns['name'][len('qrouter-'):]
        wanted = by_router.get(router, {})
        seen = set()
        for rule in _dnat_rules(ns):
            fip = rule.get('dst')
            if (fip, rule.get('to')) in seen:
                continue
            if wanted.get(fip) == rule.get('to'):
                continue
            seen.add((fip, rule.get('to')))
            now = ('now maps to %s' % wanted[fip]) if fip in wanted else 'does not exist on this router in the API'
            out.append(_r('neutron.fip_dnat_stale', base.FAULT,
                          '%s: DNAT %s -> %s is loaded but floating IP %s %s'
                          % (ns['name'], fip, rule.get('to'), fip, now),
                          {'namespace': ns['name'], 'floating_ip': fip, 'to': rule.get('to'), 'router_id': router,
                           'rule': rule.get('text'), 'repair': 'l3_agent'}, params))
    return out


def _ovn(fn, expected, params):
    ovn = fn.get('ovn') or {}
    if not ovn.get('present'):
        return []
    if ovn.get('error'):
        return [_r('neutron.fip_nat_unreadable', 'error', 'OVN NB (%s): %s' % (ovn.get('where'), ovn['error']),
                   {'namespace': None, 'where': ovn.get('where')}, params)]
    out = []
    rows = [r for r in ovn.get('nat') or [] if r.get('type') == 'dnat_and_snat']
    for item in expected:
        if not item.get('fixed_ip') or not item.get('router_id'):
            continue
        ev = {'floating_ip': item['floating_ip'], 'fixed_ip': item['fixed_ip'], 'router_id': item['router_id'],
              'router': 'neutron-%s' % item['router_id']}
        hit = [r for r in rows if r.get('router_id') == item['router_id'] and r.get('external_ip') == item['floating_ip']
               and r.get('logical_ip') == item['fixed_ip']]
        out.append(_r('neutron.fip_ovn_nat_missing', 'ok' if hit else base.FAULT,
                      ('neutron-%s: dnat_and_snat %s -> %s' if hit else
                       'neutron-%s: no dnat_and_snat NAT row %s -> %s (ovn-nbctl lr-nat-list neutron-<router>)')
                      % (item['router_id'], item['floating_ip'], item['fixed_ip']), ev, params))
    ids = set(i.get('id') for i in expected if i.get('id'))
    for r in rows:
        if r.get('fip_id') and ids and r['fip_id'] not in ids:
            out.append(_r('neutron.fip_ovn_nat_stale', base.FAULT,
                          '%s: NAT row %s (%s -> %s) names floating IP %s, which the API does not list'
                          % (r.get('router'), r.get('uuid'), r.get('external_ip'), r.get('logical_ip'), r['fip_id']),
                          dict(r), params))
    return out
