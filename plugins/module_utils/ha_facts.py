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

import fnmatch
import json
import os

from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod

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
