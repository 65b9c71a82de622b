# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Node facts of floating IP NAT on network nodes (``fip_nat`` subset): gatherer and pure parsers.

Standard library only. What the neutron L3 agent (and the removed nova-network) write, read back
per network namespace: ``iptables-save -t nat`` and ``-t filter``, ``ip -j addr``, ``ip -j route``
and ``net.ipv4.ip_forward``, for the root namespace and every ``qrouter-``, ``snat-`` and ``fip-``
namespace (``neutron/agent/l3/namespaces.py:25``, ``dvr_snat_ns.py:20``, ``dvr_fip_ns.py:36``).
One shell per namespace (``ip netns exec <ns> sh -c ...``), each bounded by ``command_timeout``.
Where ``ovn-nbctl`` answers (on the host or in kolla's ``ovn_nb_db`` container), the NB ``NAT``
rows and the logical routers that hold them. nova.conf ``[DEFAULT] public_interface`` when the
root namespace has nova-network chains (``nova/network/linux_net.py`` before nova 21.0.0).

The ``parse_*`` functions are pure and unit-tested on recorded outputs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import socket

DEFAULT_COMMAND_TIMEOUT = 30
NS_PREFIXES = ('qrouter-', 'snat-', 'fip-')
MAX_NAMESPACES = 500
SECTIONS = ('nat', 'filter', 'addr', 'route', 'ip_forward')
# what one namespace's shell prints: a marker line before each section (the marker cannot be
# the first word of an iptables-save or ip -j line)
_MARK = '@@stackdoctor@@ '
# iptables-nft-save only says "# Warning: iptables-legacy tables present" when the agent (its container
# image) wrote the rules with iptables-legacy: read those with iptables-legacy-save then.
_SAVE = ('t=$(iptables-save -t %(t)s 2>&1); case "$t" in *"iptables-legacy tables present"*) '
         'iptables-legacy-save -t %(t)s 2>&1;; *) printf "%%s\\n" "$t";; esac')
_NS_SCRIPT = ('echo "%(m)snat"; %(nat)s; echo "%(m)sfilter"; %(filter)s; '
              'echo "%(m)saddr"; ip -j addr show 2>&1; echo "%(m)sroute"; ip -j route show 2>&1; '
              'echo "%(m)sip_forward"; cat /proc/sys/net/ipv4/ip_forward 2>&1'
              % {'m': _MARK, 'nat': _SAVE % {'t': 'nat'}, 'filter': _SAVE % {'t': 'filter'}})

# -A neutron-l3-agent-PREROUTING -d 172.24.4.40/32 -j DNAT --to-destination 10.0.0.172
_ADDR_OPT = re.compile(r'(?:^|\s)(!\s+)?(-[sdio]|--source|--destination|--in-interface|--out-interface)\s+(\S+)')
_TARGET = re.compile(r'(?:^|\s)-j\s+(\S+)')
_TO = re.compile(r'--to-(?:destination|source)\s+(\S+)')


def _strip_len(addr):
    """``172.24.4.40/32`` -> ``172.24.4.40``; other prefixes are kept."""
    if addr and addr.endswith('/32'):
        return addr[:-3]
    return addr


def parse_rule(chain, spec):
    """One ``-A`` line's spec -> ``{chain, target, src, dst, in, out, to, neg, text}``."""
    rule = {'chain': chain, 'target': None, 'src': None, 'dst': None, 'in': None, 'out': None, 'to': None,
            'neg': [], 'text': '-A %s %s' % (chain, spec)}
    keys = {'-s': 'src', '--source': 'src', '-d': 'dst', '--destination': 'dst', '-i': 'in',
            '--in-interface': 'in', '-o': 'out', '--out-interface': 'out'}
    for m in _ADDR_OPT.finditer(spec):
        key = keys[m.group(2)]
        value = m.group(3)
        rule[key] = _strip_len(value) if key in ('src', 'dst') else value
        if m.group(1):
            rule['neg'].append(key)
    m = _TARGET.search(spec)
    rule['target'] = m.group(1) if m else None
    m = _TO.search(spec)
    if m:
        # --to-source 172.24.4.40 or 172.24.4.40:1024-65535
        rule['to'] = m.group(1).split(':')[0] if m.group(1).count(':') == 1 else m.group(1)
    return rule


def parse_iptables_save(text):
    """``iptables-save`` output -> ``{tables: {name: {chains: {chain: policy or '-'}, rules: [rule]}}, error}``.

    Counters (``[0:0]``, ``-c``) are ignored. Lines that are not iptables-save's are an error
    (the first one, with its number), the rest is still parsed."""
    tables = {}
    table = None
    error = None
    for no, raw in enumerate((text or '').splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if line.startswith('*'):
            table = tables.setdefault(line[1:].strip(), {'chains': {}, 'rules': []})
        elif line == 'COMMIT':
            table = None
        elif line.startswith(':') and table is not None:
            parts = line[1:].split()
            if parts:
                table['chains'][parts[0]] = parts[1] if len(parts) > 1 else '-'
        elif line.startswith('[') and table is not None and ' -A ' in line:
            # iptables-save -c: "[pkts:bytes] -A chain ..."
            rest = line.split(' -A ', 1)[1].split(None, 1)
            table['rules'].append(parse_rule(rest[0], rest[1] if len(rest) > 1 else ''))
        elif line.startswith('-A ') and table is not None:
            rest = line[3:].split(None, 1)
            table['rules'].append(parse_rule(rest[0], rest[1] if len(rest) > 1 else ''))
        elif error is None:
            error = {'line': no, 'message': 'not iptables-save output: %s' % line[:200]}
    return {'tables': tables, 'error': error}


def parse_ip_addr(text):
    """``ip -j addr show`` -> ``[{ifname, state, link_kind, addresses: [{family, local, prefixlen}]}]``."""
    items = json.loads(text) if (text or '').strip() else []
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        addrs = []
        for a in item.get('addr_info') or []:
            if isinstance(a, dict) and a.get('local'):
                addrs.append({'family': a.get('family'), 'local': a.get('local'), 'prefixlen': a.get('prefixlen')})
        out.append({'ifname': item.get('ifname'), 'state': item.get('operstate'),
                    'flags': item.get('flags') or [], 'addresses': addrs})
    return out


def parse_ip_route(text):
    """``ip -j route show`` -> ``[{dst, gateway, dev, prefsrc}]``."""
    items = json.loads(text) if (text or '').strip() else []
    return [{'dst': r.get('dst'), 'gateway': r.get('gateway'), 'dev': r.get('dev'), 'prefsrc': r.get('prefsrc')}
            for r in (items if isinstance(items, list) else []) if isinstance(r, dict)]


def split_sections(text):
    """What ``_NS_SCRIPT`` printed -> ``{section: text}``."""
    out = {}
    current = None
    lines = []
    for line in (text or '').splitlines():
        if line.startswith(_MARK):
            if current is not None:
                out[current] = '\n'.join(lines)
            current = line[len(_MARK):].strip()
            lines = []
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = '\n'.join(lines)
    return out


def namespace_facts(name, text, rc=0, err=''):
    """One namespace's shell output -> its facts (never raises)."""
    ns = {'name': name, 'kind': kind_of(name), 'rc': rc, 'errors': [], 'nat': None, 'filter': None,
          'addresses': [], 'routes': [], 'ip_forward': None}
    sections = split_sections(text)
    if rc != 0 and not sections:
        ns['errors'].append('rc=%s: %s' % (rc, (err or text or '').strip()[-300:]))
        return ns
    for table in ('nat', 'filter'):
        raw = sections.get(table)
        if raw is None:
            ns['errors'].append('iptables-save -t %s printed nothing' % table)
            continue
        if not raw.strip():
            # nothing loaded in that table: iptables-save prints nothing (nft backend)
            ns[table] = {'chains': {}, 'rules': []}
            continue
        parsed = parse_iptables_save(raw)
        if parsed['error'] and not parsed['tables']:
            ns['errors'].append('iptables-save -t %s: %s' % (table, parsed['error']['message']))
            continue
        ns[table] = parsed['tables'].get(table) or {'chains': {}, 'rules': []}
    for section, parser, key in (('addr', parse_ip_addr, 'addresses'), ('route', parse_ip_route, 'routes')):
        try:
            ns[key] = parser(sections.get(section) or '')
        except ValueError as exc:
            ns['errors'].append('ip -j %s: unparsable output: %s (%s)' % (section, exc, (sections.get(section) or '')[:200]))
    fwd = (sections.get('ip_forward') or '').strip()
    ns['ip_forward'] = int(fwd) if fwd in ('0', '1') else None
    if ns['ip_forward'] is None:
        ns['errors'].append('net.ipv4.ip_forward unreadable: %s' % fwd[:200])
    return ns


def kind_of(name):
    if name is None:
        return 'root'
    for prefix in NS_PREFIXES:
        if name.startswith(prefix):
            return prefix[:-1]
    return 'other'


def parse_netns_list(text):
    """``ip netns list`` (``name`` or ``name (id: 3)`` per line) -> names."""
    names = []
    for line in (text or '').splitlines():
        parts = line.split()
        if parts:
            names.append(parts[0])
    return names


def parse_ovn_json(text):
    """``ovn-nbctl --format=json list <table>`` -> ``[{column: value}]`` (uuids as strings,
    sets as lists, maps as dicts)."""
    doc = json.loads(text)
    heads = doc.get('headings') or []

    def conv(v):
        if isinstance(v, list) and len(v) == 2 and v[0] in ('uuid', 'named-uuid'):
            return v[1]
        if isinstance(v, list) and len(v) == 2 and v[0] == 'set':
            return [conv(x) for x in v[1]]
        if isinstance(v, list) and len(v) == 2 and v[0] == 'map':
            return dict((conv(k), conv(x)) for k, x in v[1])
        return v
    return [dict(zip(heads, [conv(v) for v in row])) for row in doc.get('data') or []]


def ovn_nat_rows(routers, nats):
    """Logical routers and NAT rows -> ``[{router, router_id, type, external_ip, logical_ip, fip_id, uuid}]``."""
    by_uuid = dict((n.get('_uuid'), n) for n in nats)
    out = []
    for r in routers:
        name = r.get('name') or ''
        nat_ids = r.get('nat') if isinstance(r.get('nat'), list) else ([r['nat']] if r.get('nat') else [])
        for uuid in nat_ids:
            n = by_uuid.get(uuid) or {}
            ext = n.get('external_ids') if isinstance(n.get('external_ids'), dict) else {}
            out.append({'router': name, 'router_id': name[len('neutron-'):] if name.startswith('neutron-') else None,
                        'uuid': uuid, 'type': n.get('type'), 'external_ip': n.get('external_ip'),
                        'logical_ip': n.get('logical_ip'), 'fip_id': ext.get('neutron:fip_id')})
    return out


def _nova_public_interface(ctx, path='/etc/nova/nova.conf'):
    """nova.conf [DEFAULT] public_interface (nova/conf/network.py:540, default eth0)."""
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.oslo_ini import OsloIni, ParseError
    out = {'file': path, 'value': None, 'line': None, 'default': 'eth0', 'error': None, 'present': False}
    if not os.path.exists(ctx.fs(path)):
        return out
    out['present'] = True
    try:
        conf = OsloIni()
        with open(ctx.fs(path), 'rb') as handle:
            conf.read_string(handle.read().decode('utf-8', errors='replace'), path)
        entry = conf.entry('DEFAULT', 'public_interface')
        if entry is not None:
            out['value'] = entry.value.strip()
            out['line'] = getattr(entry, 'line', None)
    except ParseError as exc:
        out['error'] = exc.to_dict()
    except (IOError, OSError) as exc:
        out['error'] = {'file': path, 'line': None, 'message': 'cannot read: %s' % (exc.strerror or exc)}
    return out


def _ovn(ctx, seconds):
    """NB NAT rows through ``ovn-nbctl`` on the host, else in the kolla ``ovn_nb_db`` container."""
    out = {'present': False, 'where': None, 'nat': [], 'error': None}
    layout = ctx.layout or {}
    cli = layout.get('container_cli')
    candidates = [[]]
    if layout.get('flavour') == 'kolla' and cli not in (None, '', 'none'):
        # kolla-ansible's NB database container (ansible/roles/ovn-db); only when it runs here
        from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
        running, _err = ha_facts._running_containers(ctx)  # pylint: disable=protected-access
        if running and 'ovn_nb_db' in running:
            candidates.append([cli, 'exec', 'ovn_nb_db'])
    for prefix in candidates:
        base = ['timeout', str(seconds)] + prefix + ['ovn-nbctl', '--timeout=%d' % seconds, '--format=json']
        rc, lr, err = ctx.runner(base + ['--columns=_uuid,name,nat', 'list', 'Logical_Router'])
        if not prefix and rc in (126, 127):
            continue
        if rc != 0 and re.search(r'database connection failed|No such file or directory', err or ''):
            # an OVN client without a local NB database (the DB runs elsewhere): nothing to read here
            out['note'] = 'ovn-nbctl found no NB database here: %s' % (err or '').strip()[-200:]
            continue
        out['present'] = True
        out['where'] = 'host' if not prefix else 'container ovn_nb_db'
        if rc != 0:
            out['error'] = 'ovn-nbctl list Logical_Router failed (rc=%s): %s' % (rc, (err or lr or '').strip()[-300:])
            return out
        rc, nat, err = ctx.runner(base + ['--columns=_uuid,type,external_ip,logical_ip,external_ids', 'list', 'NAT'])
        if rc != 0:
            out['error'] = 'ovn-nbctl list NAT failed (rc=%s): %s' % (rc, (err or nat or '').strip()[-300:])
            return out
        try:
            out['nat'] = ovn_nat_rows(parse_ovn_json(lr), parse_ovn_json(nat))
        except (ValueError, AttributeError, TypeError) as exc:
            out['error'] = 'ovn-nbctl: unparsable JSON: %s' % exc
        return out
    return out


def gather_fip_nat(ctx):
    """The ``fip_nat`` subset: ``{namespaces: [ns facts, root first], netns_error, ovn, public_interface, truncated}``."""
    seconds = int(ctx.params.get('command_timeout') or DEFAULT_COMMAND_TIMEOUT)
    out = {'namespaces': [], 'netns_error': None, 'ovn': None, 'public_interface': None, 'truncated': False,
           'error': None, 'hostname': socket.gethostname()}
    if ctx.runner is None:
        out['error'] = {'file': None, 'line': None, 'message': 'no command runner (root is not /): fip_nat not gathered'}
        return out
    rc, text, err = ctx.runner(['timeout', str(seconds), 'sh', '-c', _NS_SCRIPT])
    out['namespaces'].append(namespace_facts(None, text, rc, err))
    rc, listed, err = ctx.runner(['timeout', str(seconds), 'ip', 'netns', 'list'])
    names = []
    if rc != 0:
        out['netns_error'] = 'ip netns list failed (rc=%s): %s' % (rc, (err or '').strip()[-300:])
    else:
        names = [n for n in parse_netns_list(listed) if n.startswith(NS_PREFIXES)]
    if len(names) > MAX_NAMESPACES:
        out['truncated'] = True
        names = sorted(names)[:MAX_NAMESPACES]
    for name in sorted(names):
        rc, text, err = ctx.runner(['timeout', str(seconds), 'ip', 'netns', 'exec', name, 'sh', '-c', _NS_SCRIPT])
        out['namespaces'].append(namespace_facts(name, text, rc, err))
    root = out['namespaces'][0]
    if any(c.startswith('nova-network-') for c in ((root.get('nat') or {}).get('chains') or {})):
        out['public_interface'] = _nova_public_interface(ctx)
    out['ovn'] = _ovn(ctx, seconds)
    return out
