# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Node facts of the HA control plane (ceph, haproxy): gatherers and their pure parsers.

Standard library only. The ``gather_*`` functions take the ``Context`` of
``node_facts_subsets`` and never raise; the ``parse_*`` functions turn a command's real
output into the reduced dict the checks read (unit-tested on recorded outputs).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import fnmatch
import glob
import json
import os
import re
import socket
import time

from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures
from ansible_collections.stackdoctor.openstack.plugins.module_utils import masking

DEFAULT_COMMAND_TIMEOUT = 30


def _seconds(ctx):
    return int(ctx.params.get('command_timeout') or DEFAULT_COMMAND_TIMEOUT)


def _tail(text, n=300):
    return (text or '').strip()[-n:]


def _running_containers(ctx):
    """Names of the running containers (``<cli> ps --format json``), or (None, error)."""
    cli = (ctx.layout or {}).get('container_cli')
    if ctx.runner is None or cli in (None, '', 'none'):
        return None, None
    rc, out, err = ctx.runner(['timeout', str(_seconds(ctx)), cli, 'ps', '--format', 'json'])
    if rc != 0:
        return None, '%s ps failed (rc=%s): %s' % (cli, rc, _tail(err or out))
    try:
        listed = layout_mod.parse_container_ps(out)
    except ValueError as exc:
        return None, '%s ps: unparsable output: %s' % (cli, exc)
    return sorted(n for n, v in listed.items() if v.get('running')), None


# ---------------------------------------------------------------------------
# ceph
# ---------------------------------------------------------------------------
# Where a ceph client runs, per layout flavour, tried in this order after the host's own client
# (a `ceph` binary, the cluster's conf and a keyring). Override per site through the layout:
# stackdoctor_layout_overrides: {ceph: {containers: [...], client_id: ..., cluster: ...}}.
#  - ceph-ansible's containerized monitors: ceph-mon-<hostname> (TripleO Train/Wallaby with
#    ceph-ansible; `podman exec ceph-mon-$(hostname -s) ceph -s`);
#  - cephadm: ceph-<fsid>-mon-<host> (Pacific and later; ceph-<fsid>-mon.<host> before);
#  - kolla-ansible runs no monitor (external ceph); its client containers carry ceph.conf and
#    the service's keyring (ceph_cinder_user cinder, ceph_glance_user glance, ceph_nova_user nova).
CEPH_CONTAINERS = {
    'packaged': [('ceph-mon-*', 'admin'), ('ceph-*-mon-*', 'admin'), ('ceph-*-mon.*', 'admin')],
    'juju': [],
    'tripleo': [('ceph-mon-*', 'admin'), ('ceph-*-mon-*', 'admin'), ('ceph-*-mon.*', 'admin')],
    'kolla': [('cinder_volume', 'cinder'), ('glance_api', 'glance'), ('nova_compute', 'nova')],
}
CEPH_CONF_DIR = '/etc/ceph'
# the `keyring` option's default search list (ceph docs, rados/configuration/auth-config-ref)
CEPH_KEYRINGS = ('{cluster}.client.{id}.keyring', '{cluster}.keyring', 'keyring', 'keyring.bin')
_NO_CLIENT = 'stackdoctor: no ceph client'


def ceph_settings(ctx):
    """Client id, cluster name and container candidates (layout overrides win)."""
    svc = ctx.service('ceph')
    flavour = (ctx.layout or {}).get('flavour') or 'packaged'
    cluster = svc.get('cluster') or 'ceph'
    client_id = svc.get('client_id') or 'admin'
    if svc.get('containers') is not None:
        containers = [(c, svc.get('client_id') or 'admin') for c in svc.get('containers') or []]
    else:
        containers = list(CEPH_CONTAINERS.get(flavour) or [])
    return cluster, client_id, containers


def ceph_argv(cluster, client_id, seconds):
    """``ceph -s -f json`` bounded by the client's own connect timeout."""
    return ['ceph', '--cluster', cluster, '--id', client_id, '--connect-timeout', str(seconds),
            '-s', '-f', 'json']


def parse_ceph_status(text):
    """The real ``ceph -s -f json`` output -> the reduced dict check_ceph_health reads.

    Luminous and later: ``health.status`` and ``health.checks{CODE: {severity,
    summary{message, count}, muted}}``; before: ``health.overall_status`` and
    ``health.summary[{severity, summary}]``. ``osdmap`` is flat since Octopus
    (``osdmap.num_osds``), nested before (``osdmap.osdmap.num_osds``). ``monmap`` holds
    ``num_mons`` since Octopus, the ``mons`` list before. Raises ValueError on non-JSON.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get('health'), dict):
        raise ValueError('no "health" object in the output')
    health = data['health']
    checks = []
    for code, chk in sorted((health.get('checks') or {}).items()):
        chk = chk if isinstance(chk, dict) else {}
        summary = chk.get('summary') or {}
        checks.append({'code': code, 'severity': chk.get('severity'),
                       'message': summary.get('message') if isinstance(summary, dict) else str(summary),
                       'count': summary.get('count') if isinstance(summary, dict) else None,
                       'muted': bool(chk.get('muted'))})
    if not checks and isinstance(health.get('summary'), list):  # pre-Luminous
        for item in health['summary']:
            checks.append({'code': None, 'severity': item.get('severity'), 'message': item.get('summary'),
                           'count': None, 'muted': False})
    osdmap = data.get('osdmap') or {}
    if isinstance(osdmap.get('osdmap'), dict):
        osdmap = osdmap['osdmap']
    monmap = data.get('monmap') or {}
    mon_names = [m.get('name') for m in monmap.get('mons') or [] if isinstance(m, dict)]
    num_mons = monmap.get('num_mons')
    if num_mons is None and mon_names:
        num_mons = len(mon_names)
    quorum = data.get('quorum_names')
    return {
        'fsid': data.get('fsid'),
        'status': health.get('status') or health.get('overall_status'),
        'checks': checks,
        'quorum_names': list(quorum) if isinstance(quorum, list) else None,
        'num_mons': num_mons,
        'mon_names': mon_names or None,
        'num_osds': osdmap.get('num_osds'),
        'num_up_osds': osdmap.get('num_up_osds'),
        'num_in_osds': osdmap.get('num_in_osds'),
        'pgs_by_state': [{'state': p.get('state_name'), 'count': p.get('count')}
                         for p in (data.get('pgmap') or {}).get('pgs_by_state') or [] if isinstance(p, dict)],
    }


def _host_client(ctx, cluster, client_id):
    """(binary, conf, keyring) of the host's own client; what is missing is None."""
    binary = layout_mod.find_binary('ceph', ctx.root)
    conf = '%s/%s.conf' % (CEPH_CONF_DIR, cluster)
    conf = conf if os.path.isfile(ctx.fs(conf)) else None
    keyring = None
    for name in CEPH_KEYRINGS:
        path = '%s/%s' % (CEPH_CONF_DIR, name.format(cluster=cluster, id=client_id))
        if os.path.isfile(ctx.fs(path)):
            keyring = path
            break
    return binary, conf, keyring


def _run_ceph(ctx, out, argv, where):
    seconds = _seconds(ctx)
    rc, stdout, err = ctx.runner(['timeout', str(seconds + 5)] + argv)
    out['rc'] = rc
    if rc == 124:
        out['error'] = {'message': '%s timed out after %s s (no answer from the monitors)' % (where, seconds + 5)}
        return
    if rc != 0:
        out['error'] = {'message': '%s failed (rc=%s): %s' % (where, rc, _tail(err or stdout))}
        return
    try:
        out['status'] = parse_ceph_status(stdout)
    except ValueError as exc:
        out['error'] = {'message': '%s: unparsable output: %s' % (where, exc)}


def gather_ceph(ctx):
    """``ceph -s -f json`` where a ceph client and keyring are present (see CEPH_CONTAINERS).

    ``{present, where (host | container), container, client_id, cluster, conf, keyring,
    command, rc, status (parse_ceph_status), error, looked_at}``; keyrings are never read.
    """
    cluster, client_id, candidates = ceph_settings(ctx)
    seconds = _seconds(ctx)
    out = {'present': False, 'where': None, 'container': None, 'client_id': client_id, 'cluster': cluster,
           'conf': None, 'keyring': None, 'command': None, 'rc': None, 'status': None, 'error': None,
           'looked_at': []}
    binary, conf, keyring = _host_client(ctx, cluster, client_id)
    out['looked_at'].append('host: ceph binary %s, %s/%s.conf %s, keyring for client.%s %s' % (
        binary or 'absent', CEPH_CONF_DIR, cluster, 'present' if conf else 'absent', client_id,
        keyring or 'absent'))
    if binary and conf and keyring:
        argv = ceph_argv(cluster, client_id, seconds)
        out.update(present=True, where='host', conf=conf, keyring=keyring, command=' '.join(argv))
        if ctx.runner is None:
            out['error'] = {'message': 'no command runner: ceph not run'}
        else:
            _run_ceph(ctx, out, [binary] + argv[1:], 'ceph -s on the host')
        return out
    if not candidates:
        return out
    running, error = _running_containers(ctx)
    if running is None:
        out['looked_at'].append('containers: %s' % (error or 'no container engine'))
        return out
    cli = (ctx.layout or {}).get('container_cli')
    for pattern, cid in candidates:
        names = [n for n in running if fnmatch.fnmatchcase(n, pattern)]
        out['looked_at'].append('containers %s: %s' % (pattern, ', '.join(names) or 'none running'))
        for name in names:
            argv = ceph_argv(cluster, cid, seconds)
            conf = '%s/%s.conf' % (CEPH_CONF_DIR, cluster)
            keyrings = ' '.join('%s/%s' % (CEPH_CONF_DIR, k.format(cluster=cluster, id=cid)) for k in CEPH_KEYRINGS)
            # one exec: is there a client with its conf and a keyring in there, then ceph itself
            script = ('command -v ceph >/dev/null 2>&1 || { echo "%s: no ceph binary" >&2; exit 3; }; '
                      '[ -r %s ] || { echo "%s: no %s" >&2; exit 3; }; '
                      'for k in %s; do [ -r "$k" ] && exec "$@"; done; '
                      'echo "%s: no keyring for client.%s" >&2; exit 3'
                      % (_NO_CLIENT, conf, _NO_CLIENT, conf, keyrings, _NO_CLIENT, cid))
            sub = {'rc': None, 'status': None, 'error': None}
            _run_ceph(ctx, sub, [cli, 'exec', name, 'sh', '-c', script, 'sh'] + argv,
                      'ceph -s in container %s' % name)
            msg = (sub['error'] or {}).get('message') or ''
            if sub['rc'] == 3 and _NO_CLIENT in msg:
                out['looked_at'].append('container %s: %s' % (name, msg[msg.index(_NO_CLIENT) + len(_NO_CLIENT) + 2:]))
                continue
            out.update(sub, present=True, where='container', container=name, client_id=cid, conf=conf,
                       command='%s exec %s %s' % (cli, name, ' '.join(argv)))
            return out
    return out


# ---------------------------------------------------------------------------
# haproxy
# ---------------------------------------------------------------------------
# haproxy's config per layout flavour (the layout entry `haproxy` wins when it names one):
#  - Debian/Ubuntu haproxy package: /etc/haproxy/haproxy.cfg, whose default global section has
#    `stats socket /run/haproxy/admin.sock mode 660 level admin`;
#  - kolla-ansible: /etc/kolla/haproxy/haproxy.cfg (loadbalancer role), socket
#    /var/lib/kolla/haproxy/haproxy.sock in the named volume haproxy_socket
#    (ansible/roles/loadbalancer/templates/haproxy/haproxy_main.cfg.j2);
#  - TripleO: puppet-generated haproxy config, socket /var/lib/haproxy/stats bind-mounted from
#    the host (puppet-tripleo manifests/haproxy.pp; THT haproxy-pacemaker-puppet.yaml storage map).
HAPROXY_CONFIGS = {
    'packaged': ['/etc/haproxy/haproxy.cfg'],
    'juju': ['/etc/haproxy/haproxy.cfg'],
    'kolla': ['/etc/kolla/haproxy/haproxy.cfg'],
    'tripleo': [layout_mod.PG + '/haproxy/etc/haproxy/haproxy.cfg'],
}
HAPROXY_SOCKETS = {
    'packaged': ['/run/haproxy/admin.sock'],
    'juju': ['/run/haproxy/admin.sock', '/var/run/haproxy/admin.sock'],
    'kolla': ['/var/lib/kolla/haproxy/haproxy.sock'],
    'tripleo': ['/var/lib/haproxy/stats'],
}
# a container's socket directory, as the host sees it
KOLLA_HAPROXY_SOCKET_DIR = '/var/lib/kolla/haproxy'
HAPROXY_MAX_BYTES = 8 * 1024 * 1024


def haproxy_socket_paths(text):
    """``stats socket <path>`` lines of a haproxy config -> unix socket paths (in order)."""
    out = []
    for raw in (text or '').splitlines():
        line = raw.split('#', 1)[0].strip()
        words = line.split()
        if len(words) >= 3 and words[0] == 'stats' and words[1] == 'socket':
            path = words[2]
            if path.startswith('unix@'):
                path = path[len('unix@'):]
            if path.startswith('/') and path not in out:
                out.append(path)
    return out


def _host_socket_path(ctx, path):
    """Where a socket path of the config is on the host (kolla: in the haproxy_socket volume)."""
    layout = ctx.layout or {}
    if layout.get('flavour') == 'kolla' and path.startswith(KOLLA_HAPROXY_SOCKET_DIR + '/'):
        engine = layout.get('container_cli')
        base = layout_mod.ENGINE_VOLUMES.get(engine) or layout_mod.ENGINE_VOLUMES['docker']
        return '%s/haproxy_socket/_data/%s' % (base, path[len(KOLLA_HAPROXY_SOCKET_DIR) + 1:])
    return path


def parse_show_stat(text):
    """haproxy ``show stat`` CSV -> [{pxname, svname, status, check_status, ...}] (by header name).

    The first line is ``# pxname,svname,qcur,...`` (management guide, 9.1 "CSV format"); fields
    are read by name, so older/newer column sets both work. Raises ValueError without a header.
    """
    lines = [l for l in (text or '').splitlines() if l.strip()]
    if not lines or not lines[0].startswith('# '):
        raise ValueError('no "# pxname,svname,..." header: %r' % (lines[0][:80] if lines else ''))
    header = lines[0][2:].split(',')
    rows = []
    keep = ('pxname', 'svname', 'status', 'check_status', 'check_code', 'check_desc', 'last_chk', 'lastchg',
            'chkfail', 'chkdown', 'downtime', 'act', 'bck', 'weight', 'addr', 'type', 'agent_status')
    for line in lines[1:]:
        values = line.split(',')
        row = dict((h, values[i] if i < len(values) else '') for i, h in enumerate(header) if h in keep)
        rows.append(row)
    return rows


def _show_stat(ctx, host_path):
    seconds = float(ctx.params.get('probe_timeout') or 5)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(seconds)
    try:
        sock.connect(ctx.fs(host_path))
        sock.sendall(b'show stat\n')
        chunks, size = [], 0
        while size < HAPROXY_MAX_BYTES:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
            size += len(data)
    finally:
        sock.close()
    return b''.join(chunks).decode('utf-8', 'replace'), size >= HAPROXY_MAX_BYTES


def gather_haproxy(ctx):
    """haproxy's ``show stat`` through its stats socket (unix socket, bounded by probe_timeout).

    ``{present, config, sockets: [{path, host_path, exists}], socket, rows: [{pxname, svname,
    status, check_status, check_desc, last_chk, lastchg, ...}], truncated, error}``.
    ``present`` is true when a stats socket file of the config (or the flavour's default) exists.
    """
    layout = ctx.layout or {}
    flavour = layout.get('flavour') or 'packaged'
    svc = ctx.service('haproxy')
    out = {'present': False, 'config': None, 'sockets': [], 'socket': None, 'rows': [], 'truncated': False,
           'error': None}
    own = list(svc.get('config_files') or [])
    configs = own + [c for c in HAPROXY_CONFIGS.get(flavour, []) if c not in own]
    paths = []
    if svc.get('stats_socket'):
        wanted = svc['stats_socket']
        paths = [wanted] if isinstance(wanted, str) else list(wanted)
    for conf in configs:
        if os.path.isfile(ctx.fs(conf)):
            out['config'] = conf
            try:
                with open(ctx.fs(conf)) as handle:
                    paths += [p for p in haproxy_socket_paths(handle.read()) if p not in paths]
            except (IOError, OSError) as exc:
                out['error'] = {'file': conf, 'line': None, 'message': 'cannot read: %s' % (exc.strerror or exc)}
            break
    paths += [p for p in HAPROXY_SOCKETS.get(flavour, []) if p not in paths]
    for path in paths:
        host = _host_socket_path(ctx, path)
        out['sockets'].append({'path': path, 'host_path': host, 'exists': os.path.exists(ctx.fs(host))})
    # a config without a socket file is haproxy installed but not running here (a package pulled
    # in, a standby): not this check's business (check_services_running reports stopped services)
    out['present'] = any(s['exists'] for s in out['sockets'])
    if not out['present']:
        return out
    errors = []
    for item in out['sockets']:
        if not item['exists']:
            continue
        try:
            text, truncated = _show_stat(ctx, item['host_path'])
            rows = parse_show_stat(text)
        except (IOError, OSError) as exc:
            errors.append('%s: %s' % (item['host_path'], getattr(exc, 'strerror', None) or exc))
            continue
        except ValueError as exc:
            errors.append('%s: unexpected answer to "show stat": %s' % (item['host_path'], exc))
            continue
        out.update(socket=item['host_path'], rows=rows, truncated=truncated, error=None)
        return out
    out['error'] = {'file': None, 'line': None, 'message': '; '.join(errors)}
    return out


# ---------------------------------------------------------------------------
# log_signatures: the signature table over every log of the layout's services
# ---------------------------------------------------------------------------
# which rows of log_signatures.SIGNATURES apply to which layout service's log ('any' rows: all)
SIGNATURE_SERVICES = {
    'cinder-volume': ('cinder-volume',),
    'nova-compute': ('nova-compute',),
    'nova-control': ('nova-api', 'nova-conductor', 'nova-scheduler'),
}
LOG_TIMES_KEPT = 20
LOG_MAX_MATCHES = 500
_TIME_RE = re.compile(r'^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)')


def signature_rows(service):
    """Signature ids that apply to a layout service's log."""
    rows = []
    for sig in log_signatures.SIGNATURES:
        wanted = SIGNATURE_SERVICES.get(sig['service'])
        if sig['service'] == 'any' or (wanted and service in wanted):
            rows.append(sig['id'])
    return rows


def _log_path(ctx, patterns):
    for pattern in patterns or []:
        real = ctx.fs(pattern)
        if any(c in pattern for c in '*?['):
            hits = sorted(glob.glob(real), key=os.path.getmtime, reverse=True)
            if hits:
                return hits[0][len(ctx.root.rstrip('/')):] if ctx.root not in ('', '/') else hits[0]
        elif os.path.isfile(real):
            return pattern
    return None


def summarize_matches(matches, ids):
    """scan()'s matches -> {id: {count_kept, last_time, last_line, last_text, times}} (times from the
    oslo.log prefix 'YYYY-MM-DD HH:MM:SS', the node's local time; None when a line has none)."""
    out = {}
    for m in matches:
        sig = out.setdefault(m['signature'], {'times': [], 'last_time': None, 'last_line': None, 'last_text': None,
                                              'untimed': 0})
        t = _TIME_RE.match(m.get('text') or '')
        when = '%s %s' % t.groups() if t else None
        if when:
            sig['times'].append(when)
        else:
            sig['untimed'] += 1
        sig.update(last_time=when or sig['last_time'], last_line=m.get('line_no'), last_text=m.get('text'))
    for sig in out.values():
        sig['times'] = sig['times'][-LOG_TIMES_KEPT:]
    return dict((k, v) for k, v in out.items() if k in ids)


def gather_log_signatures(ctx):
    """The signature table over the last ``log_tail_bytes`` of every log of the layout's services.

    ``{now (node local time), logs: [{service, file, size, truncated, lines_scanned, rows,
    signatures: {id: {count, times (last 20), last_time, last_line, last_text (masked),
    untimed}}, error}]}``; one log per file (services sharing a file are listed together).
    """
    out = {'now': datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S'), 'logs': []}
    tail = ctx.params.get('log_tail_bytes') or log_signatures.DEFAULT_TAIL_BYTES
    seen = {}
    for name, svc in sorted(((ctx.layout or {}).get('services') or {}).items()):
        rows = signature_rows(name)
        path = _log_path(ctx, (svc or {}).get('log_files') or [])
        if not rows or not path:
            continue
        if path in seen:
            seen[path]['services'].append(name)
            seen[path]['rows'] = sorted(set(seen[path]['rows']) | set(rows))
            continue
        seen[path] = {'services': [name], 'rows': rows}
    for path, item in sorted(seen.items()):
        entry = {'services': item['services'], 'file': path, 'rows': item['rows'], 'size': None,
                 'truncated': False, 'lines_scanned': 0, 'signatures': {}, 'error': None}
        try:
            res = log_signatures.scan(ctx.fs(path), item['rows'], LOG_MAX_MATCHES, tail)
        except (IOError, OSError) as exc:
            entry['error'] = {'file': path, 'line': None, 'message': 'cannot read: %s' % (exc.strerror or exc)}
            out['logs'].append(entry)
            continue
        entry.update(size=res['size'], truncated=res['truncated'], lines_scanned=res['lines_scanned'])
        sigs = summarize_matches(res['matches'], item['rows'])
        for sig_id, count in res['counts'].items():
            if count:
                sigs.setdefault(sig_id, {'times': [], 'last_time': None, 'last_line': None, 'last_text': None,
                                         'untimed': 0})['count'] = count
        entry['signatures'] = sigs
        out['logs'].append(entry)
    return out


# ---------------------------------------------------------------------------
# rabbitmq cluster status
# ---------------------------------------------------------------------------
def _as_nodes(value, known):
    """running_nodes as a list; rabbitmq-server issue #14697 (4.1.x) renders it as one string of the
    concatenated names: split it on the names the cluster knows."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        found = [n for n in known if n in value]
        return found or ([value] if value else [])
    return []


def parse_rabbitmq_cluster_status(text):
    """``rabbitmqctl cluster_status --formatter json`` (RabbitMQ 3.8+) -> {cluster_name, disk_nodes,
    ram_nodes, running_nodes, running_nodes_raw_type, partitions, alarms, versions}. Raises ValueError on
    anything else (RabbitMQ < 3.8 prints an Erlang term)."""
    data = json.loads(text)
    if not isinstance(data, dict) or 'running_nodes' not in data:
        raise ValueError('no running_nodes in the output')
    disk = [str(n) for n in data.get('disk_nodes') or []]
    ram = [str(n) for n in data.get('ram_nodes') or []]
    partitions = data.get('partitions') or {}
    if isinstance(partitions, list):       # [] when none, in some releases
        partitions = dict((str(p[0]), p[1]) for p in partitions if isinstance(p, (list, tuple)) and len(p) == 2)
    alarms = []
    for a in data.get('alarms') or []:
        if isinstance(a, dict):
            alarms.append({'node': a.get('node'), 'resource': a.get('resource'), 'type': a.get('type')})
        else:
            alarms.append({'node': None, 'resource': str(a), 'type': None})
    versions = dict((n, (v or {}).get('rabbitmq_version')) for n, v in (data.get('versions') or {}).items()
                    if isinstance(v, dict))
    return {'cluster_name': data.get('cluster_name'), 'disk_nodes': disk, 'ram_nodes': ram,
            'running_nodes': _as_nodes(data.get('running_nodes'), disk + ram),
            'running_nodes_raw_type': type(data.get('running_nodes')).__name__,
            'partitions': dict((str(k), list(v or [])) for k, v in partitions.items()),
            'alarms': alarms, 'versions': versions}


def gather_rabbitmq_cluster(ctx):
    """``rabbitmqctl cluster_status --formatter json`` where the broker is: the host's rabbitmqctl
    (packaged, juju) or inside the layout's rabbitmq container (kolla ``rabbitmq``, TripleO
    ``rabbitmq-bundle-podman-N``). The layout entry ``rabbitmq`` may add ``ctl_env`` (dict),
    ``ctl_args`` (list, e.g. ``[-n, rabbit@host]``) and ``ctl_path``. Bounded by command_timeout.

    ``{present, where, container, command, rc, status, error}``.
    """
    svc = ctx.service('rabbitmq')
    restart = svc.get('restart') or {}
    seconds = _seconds(ctx)
    env = ['%s=%s' % (k, v) for k, v in sorted((svc.get('ctl_env') or {}).items())]
    args = [str(a) for a in svc.get('ctl_args') or []]
    ctl = ['rabbitmqctl'] + args + ['cluster_status', '--formatter', 'json', '--timeout', str(seconds)]
    out = {'present': False, 'where': None, 'container': None, 'command': None, 'rc': None, 'status': None,
           'error': None}
    cli = (ctx.layout or {}).get('container_cli')
    if restart.get('method') in ('container', 'pacemaker') and restart.get('container_exists'):
        container = restart.get('container')
        argv = [cli, 'exec'] + [x for e in env for x in ('-e', e)] + [container] + ctl
        out.update(where='container', container=container)
    else:
        # the broker runs here (a unit, a container or a pid file the layout knows), and a CLI is there
        if not (svc.get('present') or svc.get('pidfile')):
            return out
        binary = svc.get('ctl_path') or layout_mod.find_binary('rabbitmqctl', ctx.root,
                                                               layout_mod.BIN_DIRS + ('/usr/lib/rabbitmq/bin',))
        if not binary:
            return out
        argv = (['env'] + env if env else []) + [binary] + ctl[1:]
        out['where'] = 'host'
    out.update(present=True, command=' '.join(ctl))
    if ctx.runner is None:
        out['error'] = {'message': 'no command runner: rabbitmqctl not run'}
        return out
    rc, stdout, err = ctx.runner(['timeout', str(seconds + 5)] + argv)
    out['rc'] = rc
    where = 'rabbitmqctl cluster_status%s' % ((' in container %s' % out['container']) if out['container'] else '')
    if rc == 124:
        out['error'] = {'message': '%s timed out after %s s' % (where, seconds + 5)}
    elif rc != 0:
        out['error'] = {'message': '%s failed (rc=%s): %s' % (where, rc, _tail(err or stdout))}
    else:
        try:
            out['status'] = parse_rabbitmq_cluster_status(stdout)
        except ValueError as exc:
            out['error'] = {'message': '%s: unparsable output (RabbitMQ < 3.8 prints an Erlang term): %s'
                                       % (where, exc)}
    return out


# ---------------------------------------------------------------------------
# containers: every container of the layout, its state, healthcheck and log tail
# ---------------------------------------------------------------------------
# Which containers belong to the deployment (besides the layout's own service containers):
#  - kolla: every kolla image carries the label kolla_version (openstack/kolla
#    docker/base/Dockerfile.j2: LABEL kolla_version=...);
#  - TripleO: tripleo_container_manage labels its containers managed_by=tripleo_ansible
#    (paunch before Ussuri: managed_by=paunch) with config_id=tripleo_step<N>
#    (openstack/tripleo-ansible roles/tripleo_container_manage); pacemaker's podman resource
#    agent names a bundle's replicas <bundle>-podman-<n> (ClusterLabs/resource-agents heartbeat/podman).
# stackdoctor_layout_overrides: {containers: {include: [globs], exclude: [globs], labels: [key or key=value]}}.
CONTAINER_LABELS = {
    'kolla': ['kolla_version'],
    'tripleo': ['managed_by=tripleo_ansible', 'managed_by=paunch'],
    'packaged': [],
    'juju': [],
}
CONTAINER_NAMES = {'tripleo': ['*-bundle-podman-*']}
CONTAINERS_MAX = 400
CONTAINER_LOGS_MAX = 10
CONTAINER_LOG_LINES = 20
HEALTH_LOG_KEPT = 3
TEXT_KEPT = 400


def _ends(text, n=TEXT_KEPT):
    """Its first and last n/2 characters (podman keeps the first 500 bytes of a check's output, docker 4096)."""
    text = (text or '').strip()
    return text if len(text) <= n else '%s ... %s' % (text[:n // 2], text[-(n // 2):])


def _label_match(labels, wanted):
    for item in wanted or []:
        key, sep, value = str(item).partition('=')
        if key in labels and (not sep or str(labels.get(key)) == value):
            return item
    return None


def _one_shot(labels):
    """TripleO one-shot containers (detach false in the config_data label: db syncs, bootstraps)."""
    raw = labels.get('config_data')
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data.get('detach') is False if isinstance(data, dict) else None


def parse_container_inspect(text):
    """``<cli> inspect`` of containers (docker and podman: a JSON array) -> {name: reduced dict}.

    Keeps only state, health, restart policy and the labels that tell whose the container is;
    never the environment or the other labels (TripleO's config_data holds env values)."""
    items = json.loads(text) if (text or '').strip() else []
    if not isinstance(items, list):
        raise ValueError('not a JSON array')
    out = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        state = item.get('State') or {}
        # podman < 4.? names it Healthcheck; docker and newer podman Health
        health = state.get('Health') or state.get('Healthcheck') or {}
        config = item.get('Config') or {}
        labels = config.get('Labels') or {}
        hc_cfg = config.get('Healthcheck') or {}
        log = []
        for entry in (health.get('Log') or [])[-HEALTH_LOG_KEPT:] if isinstance(health, dict) else []:
            log.append({'start': entry.get('Start'), 'exit_code': entry.get('ExitCode'),
                        'output': masking.mask_string(_ends(entry.get('Output')))})
        name = (item.get('Name') or '').lstrip('/')
        status = (state.get('Status') or '').lower()
        out[name] = {
            'name': name,
            'image': item.get('ImageName') or config.get('Image'),
            'status': status,
            'running': bool(state.get('Running')),
            'restarting': bool(state.get('Restarting')) or status == 'restarting',
            'exit_code': state.get('ExitCode'),
            'oom_killed': bool(state.get('OOMKilled')),
            'error': masking.mask_string(state.get('Error')) if state.get('Error') else None,
            'started_at': state.get('StartedAt'),
            'finished_at': state.get('FinishedAt'),
            'restart_count': item.get('RestartCount'),
            'restart_policy': ((item.get('HostConfig') or {}).get('RestartPolicy') or {}).get('Name') or None,
            'health': (health.get('Status') or None) if isinstance(health, dict) else None,
            'failing_streak': health.get('FailingStreak') if isinstance(health, dict) else None,
            'health_log': log,
            'healthcheck': ' '.join(str(t) for t in (hc_cfg.get('Test') or [])) or None,
            'labels': dict((k, labels[k]) for k in ('kolla_version', 'managed_by', 'config_id', 'container_name')
                           if k in labels),
            'one_shot': _one_shot(labels),
            'all_labels': labels,
        }
    return out


def _container_restart(ctx, name):
    """How the layout restarts a container: TripleO's systemd unit tripleo_<name>
    (tripleo_container_manage), a pacemaker bundle, or the engine itself."""
    layout = ctx.layout or {}
    for svc_name, svc in sorted((layout.get('services') or {}).items()):
        restart = (svc or {}).get('restart') or {}
        if restart.get('container') == name and restart.get('container_exists'):
            if restart.get('method') == 'pacemaker':
                return {'method': 'pacemaker', 'resource': restart.get('resource'), 'service': svc_name}
            if restart.get('method') in ('systemd',) and restart.get('unit_exists'):
                return {'method': 'systemd', 'unit': restart.get('unit'), 'service': svc_name}
            return {'method': 'container', 'service': svc_name}
    if fnmatch.fnmatchcase(name, '*-bundle-podman-*'):
        return {'method': 'pacemaker', 'resource': name.rsplit('-podman-', 1)[0], 'service': None}
    unit = 'tripleo_%s' % name
    for d in layout_mod.SYSTEMD_DIRS:
        if os.path.exists(ctx.fs('%s/%s.service' % (d, unit))):
            return {'method': 'systemd', 'unit': unit, 'service': None}
    return {'method': 'container', 'service': None}


def _epoch(stamp):
    """RFC 3339 (nanoseconds, Z or +hh:mm: docker and podman inspect) -> seconds since the epoch, or None."""
    m = re.match(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?', stamp or '')
    if not m or m.group(1).startswith('0001'):
        return None
    when = datetime.datetime.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S')
    offset = 0
    tz = m.group(2)
    if tz and tz != 'Z':
        sign = -1 if tz[0] == '-' else 1
        digits = tz[1:].replace(':', '')
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return (when - datetime.datetime(1970, 1, 1)).total_seconds() - offset


# podman shows a restart loop as running with a growing RestartCount (State.Restarting stays false,
# recorded with podman 4.3.1): that many restarts by the policy and up for less than that many seconds
RESTART_LOOP_COUNT = 3
RESTART_LOOP_SECONDS = 300


def restart_loop(c, count=RESTART_LOOP_COUNT, seconds=RESTART_LOOP_SECONDS):
    return bool(c.get('restarting') or (
        (c.get('restart_count') or 0) >= count and c.get('up_seconds') is not None and c['up_seconds'] < seconds))


def _faulty(c):
    return bool(restart_loop(c) or c['health'] == 'unhealthy'
                or (not c['running'] and c['exit_code'] not in (None, 0)) or c['oom_killed'])


def gather_containers(ctx):
    """State of every container of the layout: ``<cli> ps -a`` then one ``<cli> inspect``; for the
    faulty ones (exited with an error, restarting, unhealthy) the last CONTAINER_LOG_LINES (layout entry
    ``containers: {log_lines: N}``)
    of ``<cli> logs`` (at most CONTAINER_LOGS_MAX containers). Each command bounded by command_timeout.

    ``{cli, present, selection: {labels, include, exclude}, containers: [{name, why, image, status,
    running, restarting, exit_code, oom_killed, health, failing_streak, health_log, restart_policy,
    restart_count, one_shot, restart: {method, unit|resource, service}, log_tail}], others, error}``.
    """
    layout = ctx.layout or {}
    flavour = layout.get('flavour') or 'packaged'
    cli = layout.get('container_cli')
    svc = ctx.service('containers')
    labels = list(CONTAINER_LABELS.get(flavour) or []) + list(svc.get('labels') or [])
    include = list(CONTAINER_NAMES.get(flavour) or []) + list(svc.get('include') or [])
    exclude = list(svc.get('exclude') or [])
    seconds = _seconds(ctx)
    out = {'cli': cli, 'present': False, 'selection': {'labels': labels, 'include': include, 'exclude': exclude},
           'containers': [], 'others': 0, 'error': None}
    if ctx.runner is None or cli in (None, '', 'none'):
        return out
    in_containers = [n for n, s in (layout.get('services') or {}).items() if (s.get('restart') or {}).get('container')]
    if not (labels or include or in_containers):
        # a packaged or charm host whose layout runs nothing in a container: an engine that is
        # installed there (and may not even answer) is not asked (layout override containers:
        # {labels, include} selects containers on such a host)
        out['selection']['none'] = 'the %s layout runs no service in a container' % flavour
        return out
    rc, stdout, err = ctx.runner(['timeout', str(seconds), cli, 'ps', '-a', '--format', 'json'])
    if rc != 0:
        out['error'] = {'message': '%s ps -a failed (rc=%s): %s' % (cli, rc, _tail(err or stdout))}
        out['present'] = True
        return out
    try:
        names = sorted(layout_mod.parse_container_ps(stdout))
    except ValueError as exc:
        out.update(present=True, error={'message': '%s ps -a: unparsable output: %s' % (cli, exc)})
        return out
    if not names:
        return out
    rc, stdout, err = ctx.runner(['timeout', str(seconds), cli, 'inspect'] + names[:CONTAINERS_MAX])
    try:
        found = parse_container_inspect(stdout)
    except ValueError as exc:
        out.update(present=True, error={'message': '%s inspect: unparsable output (rc=%s): %s' % (cli, rc, exc)})
        return out
    if rc != 0 and not found:
        out.update(present=True, error={'message': '%s inspect failed (rc=%s): %s' % (cli, rc, _tail(err))})
        return out
    layout_containers = dict(
        ((s.get('restart') or {}).get('container'), n) for n, s in (layout.get('services') or {}).items()
        if (s.get('restart') or {}).get('container_exists'))
    now = ctx.params.get('now') or time.time()
    for name in sorted(found):
        c = found[name]
        all_labels = c.pop('all_labels')
        started = _epoch(c.get('started_at'))
        c['up_seconds'] = int(now - started) if (started and c['running']) else None
        why = None
        if name in layout_containers:
            why = 'layout service %s' % layout_containers[name]
        elif _label_match(all_labels, labels):
            why = 'label %s' % _label_match(all_labels, labels)
        else:
            for pattern in include:
                if fnmatch.fnmatchcase(name, pattern):
                    why = 'name %s' % pattern
                    break
        if why and any(fnmatch.fnmatchcase(name, p) for p in exclude):
            why = None
        if not why:
            out['others'] += 1
            continue
        c.update(why=why, restart=_container_restart(ctx, name), log_tail=None)
        out['containers'].append(c)
    out['present'] = bool(out['containers'])
    lines = int(svc.get('log_lines') or CONTAINER_LOG_LINES)
    for c in [c for c in out['containers'] if _faulty(c)][:CONTAINER_LOGS_MAX]:
        rc, stdout, err = ctx.runner(['timeout', str(seconds), cli, 'logs', '--tail', str(lines), c['name']])
        # the engine writes the container's stderr to its own stderr: keep both, in that order
        text = '\n'.join(t for t in ((stdout or '').strip(), (err or '').strip()) if t)
        c['log_tail'] = [masking.mask_string(l[-TEXT_KEPT:]) for l in text.splitlines()[-lines:]]
        if rc not in (0, None) and not text:
            c['log_tail'] = ['(%s logs failed, rc=%s)' % (cli, rc)]
    return out


# ---------------------------------------------------------------------------
# pacemaker: crm_mon's XML status
# ---------------------------------------------------------------------------
# pacemaker >= 2.0.3: `crm_mon --one-shot --inactive --output-as=xml` (<pacemaker-result>); 1.1:
# `crm_mon --one-shot --inactive --as-xml` (<crm_mon version=...>), same summary/nodes/resources/failures.
# TripleO runs pacemaker on the controller itself (pcs, crm_mon on the host).
PACEMAKER_CONFIGS = ('/etc/corosync/corosync.conf', '/var/lib/pacemaker/cib/cib.xml')
# operation names that contain '_' (an op_key is <resource>_<task>_<interval>)
_OP_KEY_RE = re.compile(r'^(.+?)_(migrate_to|migrate_from|reload-agent|meta-data|validate-all|[a-z-]+)_(\d+)$')


def _bool(value):
    return str(value).lower() == 'true'


def op_key_resource(op_key):
    """``dummy_monitor_5000`` -> (``dummy``, ``monitor``, ``5000``)."""
    m = _OP_KEY_RE.match(op_key or '')
    return (m.group(1), m.group(2), m.group(3)) if m else (op_key, None, None)


def _resources(elem, parent, kind, out):
    for child in list(elem):
        tag = child.tag
        if tag == 'resource':
            a = child.attrib
            out.append({'id': a.get('id'), 'parent': parent, 'parent_kind': kind, 'agent': a.get('resource_agent'),
                        'role': a.get('role'), 'target_role': a.get('target_role'),
                        'active': _bool(a.get('active')), 'managed': _bool(a.get('managed', 'true')),
                        'failed': _bool(a.get('failed')), 'blocked': _bool(a.get('blocked')),
                        'orphaned': _bool(a.get('orphaned')),
                        'nodes': [n.get('name') for n in child.findall('node')]})
        elif tag in ('clone', 'group', 'bundle'):
            a = child.attrib
            out.append({'id': a.get('id'), 'parent': parent, 'parent_kind': kind, 'container': tag,
                        'managed': _bool(a.get('managed', 'true')), 'disabled': _bool(a.get('disabled')),
                        'failed': _bool(a.get('failed')), 'image': a.get('image')})
            _resources(child, a.get('id'), tag, out)
        elif tag == 'replica':
            _resources(child, parent, kind, out)


def parse_crm_mon_xml(text):
    """crm_mon's XML -> {dc, dc_present, quorum, nodes, resources, failures, stonith_enabled,
    maintenance_mode, error}. Raises ValueError on anything that is not its XML."""
    import xml.etree.ElementTree as ET  # pylint: disable=import-outside-toplevel
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError('not XML: %s' % exc)
    if root.tag not in ('pacemaker-result', 'crm_mon'):
        raise ValueError('unexpected root element <%s>' % root.tag)
    status = root.find('status')
    if status is not None and status.get('code') not in (None, '0'):
        errors = [e.text for e in status.iter('error') if e.text]
        detail = ': ' + '; '.join(errors) if errors else ''
        return {'error': 'crm_mon: %s (code %s)%s' % (status.get('message'), status.get('code'), detail)}
    summary = root.find('summary')
    if summary is None:
        raise ValueError('no <summary> in the output')
    dc = summary.find('current_dc')
    opts = summary.find('cluster_options')
    out = {'dc': dc.get('name') if dc is not None else None,
           'dc_present': dc is not None and _bool(dc.get('present')),
           'quorum': _bool(dc.get('with_quorum')) if dc is not None and dc.get('with_quorum') is not None else None,
           'stonith_enabled': _bool(opts.get('stonith-enabled')) if opts is not None else None,
           'maintenance_mode': _bool(opts.get('maintenance-mode')) if opts is not None else None,
           'nodes': [], 'resources': [], 'failures': [], 'error': None}
    for node in root.findall('nodes/node'):
        a = node.attrib
        out['nodes'].append({'name': a.get('name'), 'online': _bool(a.get('online')), 'standby': _bool(a.get('standby')),
                             'maintenance': _bool(a.get('maintenance')), 'unclean': _bool(a.get('unclean')),
                             'pending': _bool(a.get('pending')), 'shutdown': _bool(a.get('shutdown')),
                             'type': a.get('type')})
    resources = root.find('resources')
    if resources is not None:
        _resources(resources, None, None, out['resources'])
    for f in root.findall('failures/failure'):
        a = f.attrib
        rsc, task, interval = op_key_resource(a.get('op_key'))
        out['failures'].append({'op_key': a.get('op_key'), 'resource': rsc, 'task': a.get('task') or task,
                                'interval': a.get('interval') or interval, 'node': a.get('node'),
                                'exitstatus': a.get('exitstatus'), 'exitreason': a.get('exitreason') or None,
                                'exitcode': a.get('exitcode'), 'status': a.get('status'),
                                'last_rc_change': a.get('last-rc-change') or a.get('last-rc-change-time')})
    return out


def gather_pacemaker(ctx):
    """crm_mon's XML status where a pacemaker cluster is configured (crm_mon and a corosync.conf or
    a CIB on the host), bounded by command_timeout. ``{present, command, rc, status, error, pcs}``."""
    seconds = _seconds(ctx)
    out = {'present': False, 'command': None, 'rc': None, 'status': None, 'error': None, 'pcs': None,
           'config': None}
    binary = layout_mod.find_binary('crm_mon', ctx.root)
    config = [p for p in PACEMAKER_CONFIGS if os.path.exists(ctx.fs(p))]
    if not binary or not config:
        return out
    out.update(present=True, config=config[0], pcs=layout_mod.find_binary('pcs', ctx.root))
    if ctx.runner is None:
        out['error'] = {'message': 'no command runner: crm_mon not run'}
        return out
    argv = [binary, '--one-shot', '--inactive', '--output-as=xml']
    rc, stdout, err = ctx.runner(['timeout', str(seconds)] + argv)
    if rc == 64 or (rc != 0 and 'output-as' in (err or '')):   # pacemaker 1.1: --as-xml
        argv = [binary, '--one-shot', '--inactive', '--as-xml']
        rc, stdout, err = ctx.runner(['timeout', str(seconds)] + argv)
    out.update(rc=rc, command=' '.join(['crm_mon'] + argv[1:]))
    if rc == 124:
        out['error'] = {'message': 'crm_mon timed out after %s s' % seconds}
        return out
    try:
        status = parse_crm_mon_xml(stdout)
    except ValueError as exc:
        out['error'] = {'message': 'crm_mon failed (rc=%s): %s' % (rc, _tail(err or stdout) or exc)}
        return out
    if status.get('error'):
        out['error'] = {'message': status['error']}
        return out
    out['status'] = status
    return out


# ---------------------------------------------------------------------------
# galera: wsrep variables and status of the node's MariaDB
# ---------------------------------------------------------------------------
# One client call, two statements (MariaDB "Galera Cluster Status Variables" and "Galera Cluster
# System Variables"): the system variables tell whether wsrep is on at all (a MariaDB without
# Galera still answers SHOW STATUS LIKE 'wsrep_%': size 0, Disconnected, OFF), the status
# variables how the node stands in its cluster. SHOW STATUS needs no privilege.
GALERA_VARIABLES = ('wsrep_on', 'wsrep_provider', 'wsrep_cluster_address', 'wsrep_cluster_name', 'wsrep_node_name')
GALERA_QUERY = ("SHOW GLOBAL VARIABLES WHERE Variable_name IN (%s); SHOW GLOBAL STATUS LIKE 'wsrep\\_%%'"
                % ', '.join("'%s'" % v for v in GALERA_VARIABLES))
# what the check reads and the evidence shows; the other ~60 counters stay on the node
GALERA_STATUS_KEPT = ('wsrep_cluster_status', 'wsrep_local_state_comment', 'wsrep_local_state', 'wsrep_connected',
                      'wsrep_ready', 'wsrep_cluster_size', 'wsrep_cluster_state_uuid', 'wsrep_local_state_uuid',
                      'wsrep_evs_state', 'wsrep_flow_control_paused', 'wsrep_desync_count', 'wsrep_provider_name',
                      'wsrep_provider_version', 'wsrep_incoming_addresses', 'wsrep_cluster_conf_id',
                      'wsrep_local_index', 'wsrep_gcomm_uuid', 'wsrep_cluster_weight')
GALERA_SERVERS = ('mariadbd', 'mysqld')
GALERA_CLIENTS = ('mariadb', 'mysql')
GALERA_UNITS = ('mariadb', 'mysql', 'mysqld')

# root's client config on a packaged host (puppet-mysql and RDO write the root password there;
# Debian and Ubuntu's root logs in through the unix socket without one)
GALERA_HOST_DEFAULTS_FILES = ('/root/.my.cnf',)
_NO_MYSQL = 'stackdoctor: no mysql client'


def parse_wsrep(text):
    """``mysql -B -N -e GALERA_QUERY`` (tab-separated name, value rows of both statements) ->
    ``{variables: {wsrep_on, ...}, status: {wsrep_cluster_status, ...}}`` (names lower-cased; only
    GALERA_STATUS_KEPT of the status). An empty answer is a server without any wsrep variable (MySQL,
    a MariaDB built without Galera support): ``{variables: {}, status: {}, no_wsrep: True}``. Raises
    ValueError on output that has rows but no wsrep row."""
    if not (text or '').strip():
        return {'variables': {}, 'status': {}, 'no_wsrep': True}
    variables, status = {}, {}
    for line in (text or '').splitlines():
        name, sep, value = line.partition('\t')
        name = name.strip().lower()
        if not sep or not name.startswith('wsrep_'):
            continue
        if name in GALERA_VARIABLES:
            variables[name] = value.strip()
        elif name in GALERA_STATUS_KEPT:
            status[name] = value.strip()
    if not variables and not status:
        raise ValueError('no wsrep_* row in the output: %r' % _tail(text, 120))
    if variables.get('wsrep_cluster_address'):
        variables['wsrep_cluster_address'] = masking.mask_string(variables['wsrep_cluster_address'])
    return {'variables': variables, 'status': status}


def classify_mysql_error(rc, text):
    """What a failed client call means, from its exit code and the client's ERROR line."""
    text = text or ''
    if rc == 124:
        return 'timeout'
    if rc == 127 or _NO_MYSQL in text:
        return 'no_client'
    if re.search(r'ERROR (1045|1698|1044)\b', text):
        return 'access_denied'
    if re.search(r"ERROR (2002|2003|2013|2006)\b|Can't connect", text):
        return 'server_down'
    return 'failed'


def _procs_running(ctx, names):
    """Which of ``names`` run on the host (``/proc/<pid>/comm``)."""
    found = set()
    for path in glob.glob(ctx.fs('/proc/[0-9]*/comm')):
        try:
            with open(path) as handle:
                comm = handle.read().strip()
        except (IOError, OSError):
            continue
        if comm in names:
            found.add(comm)
    return sorted(found)


def _units_enabled(ctx, units, seconds):
    if ctx.runner is None:
        return []
    rc, out, _err = ctx.runner(['timeout', str(seconds), 'systemctl', 'is-enabled']
                               + ['%s.service' % u for u in units])
    states = [l.strip() for l in (out or '').splitlines()]
    # "alias" is what systemctl says for an alias name (Debian's mysql.service and mysqld.service link
    # to mariadb.service) whether the unit is enabled or not: the real unit's own state decides
    return [u for u, s in zip(units, states) if s in ('enabled', 'enabled-runtime')]


def _run_mysql(ctx, out, argv, where, seconds):
    rc, stdout, err = ctx.runner(['timeout', str(seconds + 5)] + argv)
    out['rc'] = rc
    if rc != 0:
        text = (err or '') + (stdout or '')
        kind = classify_mysql_error(rc, text)
        detail = ('timed out after %s s' % (seconds + 5)) if kind == 'timeout' else _tail(text)
        out['error'] = {'kind': kind, 'message': '%s: %s (rc=%s)' % (where, detail, rc)}
        return
    try:
        out.update(parse_wsrep(stdout))
    except ValueError as exc:
        out['error'] = {'kind': 'failed', 'message': '%s: unexpected output: %s' % (where, exc)}


def gather_galera(ctx):
    """``SHOW GLOBAL VARIABLES`` (wsrep_on, provider, cluster address and name, node name) and
    ``SHOW GLOBAL STATUS LIKE 'wsrep_%'`` of the node's MariaDB, with the deployment's own
    credentials, bounded by command_timeout (``--connect-timeout`` and ``timeout``):

    - in the layout's ``galera`` container when it exists (kolla ``mariadb``: the monitor user's
      ``/etc/[mysql/]healthcheck.cnf``, as kolla's healthcheck; TripleO ``galera-bundle-podman-N``
      or ``mysql``: the container's root client config, as tripleo-common's healthcheck);
    - else on the host where a MariaDB/MySQL server runs or its unit is enabled: root through the
      unix socket (Debian, Ubuntu), ``/root/.my.cnf`` when it exists (puppet-mysql, RDO).
    The layout entry ``galera`` may set ``client_defaults_files`` (tried in order; on the host the
    first readable one is passed as ``--defaults-extra-file``, in a container as ``--defaults-file``)
    and ``client_args`` (e.g. ``[--socket, /run/mysqld/mysqld.sock]``). Passwords are never read.

    ``{present, where (host | container), container, client, login, command, rc, variables,
    status, error: {kind (no_client, server_down, access_denied, timeout, failed), message},
    looked_at}``.
    """
    svc = ctx.service('galera')
    restart = svc.get('restart') or {}
    seconds = _seconds(ctx)
    args = [str(a) for a in svc.get('client_args') or []]
    query = ['--connect-timeout=%s' % seconds, '-B', '-N'] + args + ['-e', GALERA_QUERY]
    out = {'present': False, 'where': None, 'container': None, 'client': None, 'login': None,
           'command': None, 'rc': None, 'variables': None, 'status': None, 'error': None, 'looked_at': []}
    cli = (ctx.layout or {}).get('container_cli')
    container = restart.get('container') if restart.get('container_exists') else None
    if container and cli not in (None, '', 'none'):
        files = list(svc.get('client_defaults_files') or [])
        out.update(present=True, where='container', container=container)
        # one exec: the client, then the first readable defaults file of the layout, else the
        # container's own client config (root's ~/.my.cnf)
        script = ('c=$(command -v mariadb || command -v mysql) || { echo "%s in the container" >&2; exit 127; }; '
                  'for f in %s; do [ -r "$f" ] && exec "$c" --defaults-file="$f" "$@"; done; exec "$c" "$@"'
                  % (_NO_MYSQL, ' '.join(files) or '""'))
        out['login'] = ('first readable of %s, else the container\'s root client config' % ', '.join(files)
                        if files else 'the container\'s root client config (~/.my.cnf)')
        out['client'] = 'mariadb|mysql'
        out['command'] = '%s exec %s mysql %s -e "%s"' % (cli, container, ' '.join(query[:-2]), GALERA_QUERY)
        if ctx.runner is None:
            out['error'] = {'kind': 'failed', 'message': 'no command runner: mysql not run'}
            return out
        _run_mysql(ctx, out, [cli, 'exec', container, 'sh', '-c', script, 'sh'] + query,
                   'mysql in container %s' % container, seconds)
        return out
    if restart.get('containers'):
        out['looked_at'].append('container %s: %s' % (
            ', '.join(restart.get('containers')), 'not on this host' if cli not in (None, '', 'none')
            else 'no container engine'))
        if (ctx.layout or {}).get('flavour') in ('kolla', 'tripleo'):
            # the layout runs the database in a container: a host without it has no database
            return out
    running = _procs_running(ctx, GALERA_SERVERS)
    enabled = [] if running else _units_enabled(ctx, GALERA_UNITS, seconds)
    out['looked_at'].append('host: server process %s, enabled unit %s' % (
        ', '.join(running) or 'none', ', '.join(enabled) or 'none'))
    if not running and not enabled:
        return out
    out.update(present=True, where='host')
    client = None
    for name in GALERA_CLIENTS:
        client = layout_mod.find_binary(name, ctx.root)
        if client:
            break
    if not client:
        out['error'] = {'kind': 'no_client', 'message': 'no mysql client on the host (looked for %s in %s)'
                        % (' and '.join(GALERA_CLIENTS), ', '.join(layout_mod.BIN_DIRS))}
        return out
    files = list(svc.get('client_defaults_files') or GALERA_HOST_DEFAULTS_FILES)
    extra = [f for f in files if os.access(ctx.fs(f), os.R_OK)][:1]
    out['client'] = client
    out['login'] = extra[0] if extra else 'root through the unix socket (no %s)' % ', '.join(files)
    argv = [client] + ['--defaults-extra-file=%s' % f for f in extra] + query
    out['command'] = '%s %s -e "%s"' % (client, ' '.join(argv[1:-2]), GALERA_QUERY)
    if ctx.runner is None:
        out['error'] = {'kind': 'failed', 'message': 'no command runner: mysql not run'}
        return out
    _run_mysql(ctx, out, argv, '%s on the host' % os.path.basename(client), seconds)
    return out
