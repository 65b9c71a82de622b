# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_target_address: cinder's iSCSI target address is not an address of the volume host.

Pure function: the ``cinder`` facts (each backend's effective ``target_ip_address`` and
``target_secondary_ip_addresses`` with where they were set) and the ``target_address`` facts
(the addresses of the host's network namespace) in, one result per backend out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_target_address',
    'title': "cinder backends whose target_ip_address is not an address of the volume host",
    'scope': 'host',
    'groups': ['storage'],
    'subsets': ['layout', 'cinder', 'target_address'],
    'apis': [],
    'fix': 'fix_target_address',
    'params': {'storage_network': {'var': 'check_target_address_storage_network', 'default': ''}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'cinder.target_address_foreign': {
            'severity': 'critical', 'identity': ['backend', 'option'],
            'title': 'target_ip_address (or a secondary address) is not an address of this host: '
                     'initiators are sent to a portal nobody serves and attaches fail'},
        'cinder.iscsi_ip_address_ignored': {
            'severity': 'warning', 'fixable': False, 'identity': ['section'],
            'title': 'iscsi_ip_address is set but ignored since Stein (cinder 14.0.0): target_ip_address applies'},
    },
    'references': [
        'https://docs.openstack.org/cinder/latest/configuration/block-storage/samples/cinder.conf.html '
        '(target_ip_address, target_secondary_ip_addresses, my_ip)',
        'https://docs.openstack.org/cinder/latest/install/cinder-storage-install-ubuntu.html (my_ip = '
        'MANAGEMENT_INTERFACE_IP_ADDRESS)',
        'cinder/volume/driver.py (volume_opts: target_ip_address default $my_ip)',
        'cinder/volume/targets/iscsi.py (ISCSITarget: portals from target_ip_address + secondaries)',
        'https://docs.openstack.org/releasenotes/cinder/stein.html (deprecated iscsi_* options removed)',
    ],
    'runbook': {
        'symptom': (
            "Volumes create and os-initialize_connection returns, but attaching fails on the compute: "
            "os-brick/iscsiadm cannot log in to the portal (\"iscsiadm: cannot make connection to "
            "<ip>\", \"Login to [iface: default, target: iqn..., portal: <ip>,3260] failed\"), nova "
            "reports the attach failed. The portal in the connection info is not the volume host."),
        'cause': (
            "cinder hands initiators the portal <target_ip_address>:<target_port> (plus "
            "target_secondary_ip_addresses). target_ip_address defaults to $my_ip; a value copied "
            "from another node, an old address after renumbering, or a VIP that moved makes every "
            "new attachment point elsewhere. Before Stein the option was iscsi_ip_address, ignored "
            "since (cinder 14)."),
        'reads': (
            "cinder.conf through the host's layout: each enabled backend's target_ip_address and "
            "target_secondary_ip_addresses (backend section, then [backend_defaults], then the "
            "default $my_ip resolved from [DEFAULT] my_ip), and the host's addresses from "
            "/proc/net/fib_trie and /proc/net/if_inet6 (the namespace cinder-volume runs in: kolla "
            "and TripleO run it with host networking)."),
        'fix': (
            "fix_target_address sets target_ip_address in each affected backend section to "
            "fix_target_address_ip, or to this host's address on the storage network "
            "(check_target_address_storage_network, CIDR), removes foreign secondary addresses, and "
            "restarts cinder-volume through the layout. Already attached volumes keep their old "
            "connection info until re-attached. On kolla/TripleO the next deploy rewrites the file: "
            "set it in the deployment too (kolla: cinder.conf override in /etc/kolla/config)."),
        'verify': (
            "ip -o addr shows the address; after the restart, os-initialize_connection (or `cinder "
            "show` of an attached volume's connection info) names portal <address>:3260; "
            "tgtadm --lld iscsi --op show --mode target lists the target."),
    },
}
CHECK = DECLARATION['name']


def _ip(value):
    try:
        return ipaddress.ip_address(str(value).strip().strip('[]'))
    except ValueError:
        return None


def _local(value, addresses):
    """True/False when ``value`` is an IP (is it one of ``addresses``), None for a name."""
    ip = _ip(value)
    if ip is None:
        return None
    if ip.is_unspecified:
        return True
    return any(_ip(a) == ip for a in addresses)


def storage_network_address(addresses, network):
    """The first of ``addresses`` inside CIDR ``network`` (None when none or no network)."""
    if not network:
        return None
    try:
        net = ipaddress.ip_network(str(network), strict=False)
    except ValueError:
        return None
    for a in addresses:
        ip = _ip(a)
        if ip is not None and ip.version == net.version and ip in net:
            return str(ip)
    return None


def _split(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(',') if v.strip()]


def evaluate(facts, params=None):
    """One result per enabled LVM backend of cinder-volume on this host."""
    facts = facts or {}
    params = params or {}
    cinder = facts.get('cinder')
    addr_facts = facts.get('target_address') or {}
    rid = 'cinder.target_address_foreign'
    if not isinstance(cinder, dict):
        return [base.result(DECLARATION, rid, 'error',
                            'cinder facts were not gathered on this host (node_facts subset "cinder" missing)')]
    conf = cinder.get('config_file')
    if cinder.get('error'):
        err = cinder['error']
        return [base.result(DECLARATION, rid, 'error',
                            'cannot evaluate: %s line %s: %s' % (
                                err.get('file') or conf, err.get('line', '?'), err.get('message', 'unreadable')),
                            {'file': err.get('file') or conf, 'line': err.get('line'), 'message': err.get('message')})]
    if not cinder.get('found'):
        return [base.result(DECLARATION, rid, 'skipped', 'no cinder.conf at %s: not a cinder-volume host' % conf,
                            {'file': conf})]
    addresses = list(addr_facts.get('addresses') or [])
    results = []
    for dep in cinder.get('deprecated_options') or []:
        if dep.get('name') == 'iscsi_ip_address':
            results.append(base.result(
                DECLARATION, 'cinder.iscsi_ip_address_ignored', base.FAULT,
                'iscsi_ip_address = %s in [%s] is ignored since Stein (cinder 14): target_ip_address applies'
                % (dep.get('value'), dep.get('section')),
                {'file': conf, 'line': dep.get('line'), 'section': dep.get('section'),
                 'option': 'iscsi_ip_address', 'value': dep.get('value'), 'replacement': 'target_ip_address'}))
    if not addresses:
        err = addr_facts.get('error') or {}
        results.append(base.result(DECLARATION, rid, 'error',
                                   'the addresses of this host are unknown: %s'
                                   % (err.get('message') or 'node_facts subset "target_address" missing'),
                                   {'file': err.get('file')}))
        return results
    suggested = storage_network_address(addresses, params.get('storage_network'))
    backends = cinder.get('backends') or {}
    for name in sorted(backends):
        be = backends[name] or {}
        sources = be.get('sources') or {}
        ev = {'file': conf, 'backend': name, 'section': be.get('section'), 'host_addresses': addresses}
        if suggested:
            ev['storage_network'] = params.get('storage_network')
            ev['storage_network_address'] = suggested
        if not be.get('is_lvm'):
            results.append(base.result(DECLARATION, rid, 'skipped',
                                       'backend %s is not LVM (%s): its driver chooses the portal'
                                       % (name, be.get('volume_driver')), dict(ev, option='target_ip_address')))
            continue
        found = False
        checked = []
        for option, values in (('target_ip_address', _split(be.get('target_ip_address'))),
                               ('target_secondary_ip_addresses', _split(be.get('target_secondary_ip_addresses')))):
            src = sources.get(option) or {}
            for value in values:
                oev = dict(ev, option=option, value=value, source=src.get('source'), line=src.get('line'),
                           set_in=src.get('section'), option_values=values)
                if value.startswith('$'):
                    # $my_ip unset in [DEFAULT]: cinder uses my_ip's default, the host's own address
                    checked.append('%s = %s (my_ip not set: the address cinder guesses for this host)'
                                   % (option, value))
                    continue
                local = _local(value, addresses)
                if local is None:
                    checked.append('%s = %s (a name: not resolved here)' % (option, value))
                    continue
                if local:
                    checked.append('%s = %s' % (option, value))
                    continue
                found = True
                where = ('[%s] line %s' % (src.get('section'), src.get('line')) if src.get('line')
                         else 'from my_ip' if src.get('source') == 'default' else '?')
                results.append(base.result(
                    DECLARATION, rid, base.FAULT,
                    'backend %s: %s = %s (%s of %s) is not an address of this host (%s): initiators are '
                    'sent to a portal this host does not serve' % (
                        name, option, value, where, conf, ', '.join(addresses[:6])), oev))
        if not found:
            results.append(base.result(
                DECLARATION, rid, 'ok',
                'backend %s: %s' % (name, '; '.join(checked) or 'no target address set'),
                dict(ev, option='target_ip_address', value=be.get('target_ip_address'))))
    if not backends:
        results.append(base.result(DECLARATION, rid, 'skipped', '%s enables no volume backend' % conf,
                                   {'file': conf}))
    return results
