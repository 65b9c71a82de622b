# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_nova_service_versions: stale services rows that pin nova's minimum service version
and with it the compute RPC cap (declaration + evaluate).

The rows come from ``stackdoctor.openstack.nova_service_versions`` (read-only SQL on every
cell's ``services`` table, run with nova's own Python on a controller, through the layout);
``evaluate`` judges them: which rows set the minimum of their binary below the newest, whether
they are stale (down longer than a threshold), the RPC cap they imply, and the nova log lines
that show it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils import nova_services as ns
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_nova_service_versions',
    'title': 'stale nova services rows that pin the minimum service version (and the compute RPC cap)',
    'scope': 'cloud',
    'groups': ['controllers'],
    'subsets': ['nova_control_log'],
    'apis': ['read-only SQL: nova_api.cell_mappings, then each cell database\'s services table '
             '(nova.conf of a controller, nova\'s Python, through the layout)'],
    'fix': 'fix_nova_service_versions',
    'params': {
        'down_after': {'var': 'check_nova_service_versions_down_after', 'default': 3600},
        'log_limit': {'var': 'check_nova_service_versions_log_lines', 'default': 5},
    },
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'nova.stale_service_pins_minimum': {
            'severity': 'critical', 'identity': ['uuid'],
            'title': 'a services row down longer than the threshold (not deleted, not forced down) sets the '
                     'minimum version of its binary below the newest: nova caps RPC to it or refuses to start'},
        'nova.live_service_pins_minimum': {
            'severity': 'warning', 'fixable': False, 'identity': ['uuid'],
            'title': 'a service that is up (or down only briefly) runs an older version than the rest and sets '
                     'the minimum: an upgrade in progress, or a host left behind'},
        'nova.service_row_down': {
            'severity': 'warning', 'fixable': False, 'identity': ['uuid'],
            'title': 'a service (not disabled, not forced down) is down longer than the threshold'},
        'nova.upgrade_levels_compute_pinned': {
            'severity': 'warning', 'fixable': False, 'identity': ['value'],
            'title': '[upgrade_levels] compute pins the compute RPC version below what every compute speaks'},
        'nova.services_unreadable': {
            'severity': 'error', 'fixable': False, 'identity': ['cell'],
            'title': 'nova.conf, nova_api.cell_mappings or a cell\'s services table could not be read: nothing '
                     'was judged there'},
    },
    'references': [
        'nova/objects/service.py (SERVICE_VERSION_HISTORY, SERVICE_VERSION_ALIASES, get_minimum_version_all_cells)',
        'nova/compute/rpcapi.py (_determine_version_cap, VERSION_ALIASES)',
        'nova/utils.py (raise_if_old_compute: TooOldComputeService)',
        'https://docs.openstack.org/nova/latest/admin/upgrades.html',
        'https://docs.openstack.org/api-ref/compute/#delete-compute-service',
        'https://docs.openstack.org/nova/latest/configuration/config.html#upgrade_levels.compute',
        'https://docs.openstack.org/nova/latest/cli/nova-status.html',
    ],
    'runbook': {
        'symptom': (
            "After an upgrade nova-api or nova-conductor refuse to start with TooOldComputeService "
            "(\"Current Nova version does not support computes older than ... but the minimum compute "
            "service level in your system is N\"), nova-status upgrade check fails \"Older than N-1 "
            "computes\", or instance actions fail with RPCVersionCapError (\"Requested message version, "
            "6.0 is incompatible. It needs to be equal in major version and less than or equal in minor "
            "version as the specified version cap 5.13\"); with [upgrade_levels] compute = auto, nova "
            "logs \"Automatically selected compute RPC version 5.x from minimum service version N\"."),
        'cause': (
            "nova computes the minimum version of each binary over every cell's services rows that are "
            "neither deleted nor forced down: disabled rows and long-dead rows count. A compute that was "
            "removed without openstack compute service delete leaves its row, with its old version, and "
            "that row drags the minimum (and with [upgrade_levels] compute = auto the compute RPC cap) "
            "down for the whole deployment."),
        'reads': (
            "nova.conf of a controller (through the layout: on the host for packaged deployments, inside "
            "the nova_api container for kolla and TripleO) for [api_database] connection, then "
            "nova_api.cell_mappings and, read-only, each cell database's services table, with nova's own "
            "Python; credentials never leave that process. The version-to-RPC table is nova's "
            "SERVICE_VERSION_HISTORY (the installed one when it can be imported). The nova-api, "
            "-conductor and -scheduler logs of the controllers are scanned for the lines above."),
        'fix': (
            "fix_nova_service_versions deletes exactly the stale rows the check reported, through the "
            "compute API at microversion 2.53 (DELETE /os-services/{uuid}) after confirming each is still "
            "there and down, at most fix_nova_service_versions_max_deletes per run; 409 (instances or "
            "migrations remain on the host) is reported, never forced. Opt-in "
            "fix_nova_service_versions_mode=force_down forces them down instead (they then no longer "
            "count). The cap is cached per process (nova/compute/rpcapi.py LAST_VERSION): the fix then "
            "SIGHUPs nova-conductor and nova-compute and restarts nova-api and nova-scheduler on every host "
            "of fix_nova_service_versions_reload_hosts whose layout has them (restart_service, delegated: "
            "systemd units, kolla/TripleO containers, or a site's own commands for a service known by its "
            "pid file) and lists each. When nova-api does not answer - it refuses to start with "
            "TooOldComputeService while the row pins the minimum - the fix removes nothing and says so. "
            "Either start nova-api with [workarounds] disable_compute_service_check_for_ffu = true, run "
            "the fix, remove the workaround and restart it; or opt in to the database path "
            "(fix_nova_service_versions_db_when_api_down=true): where and as the check reads the cell "
            "database, after confirming the row again (same uuid, id, host, binary, version, still down, "
            "no instance or migration on the host), it does what nova's own delete does to the database "
            "(nova/db/main/api.py service_destroy): services.deleted = id and deleted_at = now, and for a "
            "nova-compute the same on its compute_nodes rows with mapped = 0; no placement provider or "
            "host mapping is touched. Undo: stackdoctor.openstack.nova_service_soft_delete with "
            "state=restored and the same rows (then nova-manage cell_v2 discover_hosts maps the compute "
            "nodes again). nova-api is then restarted as above."),
        'verify': (
            "openstack --os-compute-api-version 2.53 compute service list no longer lists the host; "
            "nova-status upgrade check reports \"Older than N-1 computes: Success\"; the next "
            "\"Automatically selected compute RPC version\" line names the newest version."),
    },
}
CHECK = DECLARATION['name']
UNREADABLE = 'nova.services_unreadable'
# services rows that never heartbeat (nova-api's WSGI apps); the compute API hides them too
# (nova/api/openstack/compute/services.py _get_services)
NO_HEARTBEAT = ('nova-osapi_compute', 'nova-metadata')


def _dur(seconds):
    if seconds is None:
        return 'unknown'
    seconds = int(seconds)
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60)):
        if seconds >= size:
            return '%d%s' % (seconds // size, unit)
    return '%ds' % seconds


def _log_lines(facts, limit):
    """Flatten ``logs`` ({host: nova_control_log subset}) and ``log_lines`` into a list."""
    items = list(facts.get('log_lines') or [])
    for host, subset in sorted((facts.get('logs') or {}).items()):
        for log in (subset or {}).get('logs') or [] if isinstance(subset, dict) else []:
            for m in log.get('matches') or []:
                items.append(dict(m, host=host, file=log.get('file')))
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append(dict((k, item.get(k)) for k in ('host', 'file', 'line_no', 'signature', 'text')
                            if item.get(k) is not None))
    return out[:max(int(limit or 0), 0)]


def evaluate(facts, params=None):
    """Results from the reader's document.

    ``facts``: ``nova_services`` (the module's return, None when the task failed), ``error``
    (the task's failure message), ``logs`` (``{host: nova_control_log subset}`` of the
    controllers), ``db_host``. ``params``: ``down_after`` (seconds), ``log_limit``.
    """
    facts = facts or {}
    params = params or {}
    try:
        down_after = int(params.get('down_after', 3600))
    except (TypeError, ValueError):
        down_after = 3600
    doc = facts.get('nova_services')
    logs = _log_lines(facts, params.get('log_limit', 5))
    if not isinstance(doc, dict) or facts.get('error'):
        msg = str(facts.get('error') or 'the reader returned nothing')
        return [base.result(DECLARATION, UNREADABLE, 'error',
                            'nova services tables not read: %s' % msg.splitlines()[0][:200] if msg.strip() else msg,
                            {'cell': None, 'message': msg[:1000], 'host': facts.get('db_host')})]
    out = []
    if doc.get('error'):
        err = doc['error'] if isinstance(doc['error'], dict) else {'message': str(doc['error'])}
        where = err.get('file') or err.get('database') or facts.get('db_host') or '?'
        ev = dict((k, v) for k, v in err.items() if k in ('file', 'line', 'section', 'database', 'message', 'detail'))
        ev.update({'cell': None, 'host': facts.get('db_host')})
        return [base.result(DECLARATION, UNREADABLE, 'error',
                            'nova services tables not read (%s on %s): %s'
                            % (where, facts.get('db_host') or 'the db host', err.get('message')), ev)]
    for cell in doc.get('cells') or []:
        if cell.get('error'):
            out.append(base.result(DECLARATION, UNREADABLE, 'error',
                                   'cell %s (%s): %s' % (cell.get('name'), cell.get('database'), cell['error']),
                                   {'cell': cell.get('name'), 'database': cell.get('database'),
                                    'message': cell['error'], 'host': facts.get('db_host')}))
        elif cell.get('truncated'):
            out.append(base.result(DECLARATION, UNREADABLE, 'error',
                                   'cell %s: more services rows than max_rows; nothing judged there' % cell.get('name'),
                                   {'cell': cell.get('name'), 'database': cell.get('database'),
                                    'message': 'truncated', 'host': facts.get('db_host')}))
    bad_cells = set(c.get('name') for c in doc.get('cells') or [] if c.get('error') or c.get('truncated'))
    a = ns.analyse(doc)
    table = a['table']
    rows = [r for r in a['rows'] if r['cell'] not in bad_cells]
    minimum, newest = a['minimum'], a['newest']
    compute_min = minimum.get('nova-compute')
    cap = ns.compute_rpc(compute_min, table) if compute_min else None
    newest_cap = ns.compute_rpc(newest.get('nova-compute'), table) if newest.get('nova-compute') else None
    oldest = table.get('oldest_supported')
    common = {'table': table.get('source'), 'service_version_of_code': table.get('service_version'),
              'oldest_supported': oldest, 'minimum': minimum, 'newest': newest,
              'compute_rpc_cap': cap, 'compute_rpc_newest': newest_cap,
              'upgrade_levels_compute': doc.get('upgrade_levels_compute'), 'db_host': facts.get('db_host')}
    if logs:
        common['log_lines'] = logs
    pinned = []
    for r in rows:
        b = r.get('binary')
        try:
            v = int(r.get('version') or 0)
        except (TypeError, ValueError):
            v = 0
        row_ev = {'uuid': r.get('uuid'), 'id': r.get('id'), 'cell': r.get('cell'), 'host': r.get('host'),
                  'binary': b, 'version': v, 'last_seen_up': r.get('last_seen_up'),
                  'down_for': _dur(r.get('down_seconds')), 'down_seconds': r.get('down_seconds'),
                  'disabled': r.get('disabled'), 'disabled_reason': r.get('disabled_reason'),
                  'forced_down': r.get('forced_down')}
        pins = (not r.get('forced_down') and v and minimum.get(b) == v and v < newest.get(b, v))
        stale = r.get('down_seconds') is not None and r['down_seconds'] > down_after and b not in NO_HEARTBEAT
        if pins:
            pinned.append(r)
            ev = dict(common, **row_ev)
            others = [x for x in rows if x is not r and x.get('binary') == b and not x.get('forced_down')
                      and int(x.get('version') or 0)
                      and (b in NO_HEARTBEAT or not (x.get('down_seconds') or 0) > down_after)]
            without = min([int(x['version']) for x in others] or [newest.get(b)])
            # the first 200 characters are the summary (the rest goes to evidence.detail): the
            # row, what it breaks, then the RPC cap
            text = '%s %s %s v%d (%s, down %s%s) pins the minimum %s version (newest v%d)' % (
                'stale row' if stale else 'service', r.get('host'), b, v, r.get('cell'),
                _dur(r.get('down_seconds')), ', disabled' if r.get('disabled') else '', b, newest.get(b))
            if b == 'nova-compute':
                ev['implied_compute_rpc'] = ns.compute_rpc(v, table)
                ev['compute_rpc_without_stale'] = ns.compute_rpc(without, table)
                if oldest and v < oldest:
                    text += ': below the oldest supported v%d (%s): TooOldComputeService in nova-api, nova-status' % (
                        oldest, table.get('oldest_supported_name'))
                text += '; compute RPC capped at %s instead of %s' % (ev['implied_compute_rpc'], ev['compute_rpc_without_stale'])
            ev['minimum_without_it'] = without
            if stale:
                out.append(base.result(DECLARATION, 'nova.stale_service_pins_minimum', base.FAULT,
                                       text + '; delete it (microversion 2.53, its uuid)', ev))
            else:
                out.append(base.result(DECLARATION, 'nova.live_service_pins_minimum', base.FAULT,
                                       text + '; it is up: upgrade %s on %s' % (b, r.get('host')), ev))
        elif ((r.get('down_seconds') or 0) > down_after and not r.get('forced_down') and not r.get('disabled')
              and b not in NO_HEARTBEAT):
            out.append(base.result(DECLARATION, 'nova.service_row_down', base.FAULT,
                                   '%s on %s (cell %s) is down for %s (last seen %s), not disabled'
                                   % (b, r.get('host'), r.get('cell'), _dur(r['down_seconds']), r.get('last_seen_up') or 'never'),
                                   dict(common, **row_ev)))
    kind, level_cap = ns.upgrade_levels_cap(doc.get('upgrade_levels_compute'))
    if kind == 'pinned' and cap and ns._vkey(level_cap) and ns._vkey(level_cap) < ns._vkey(cap):
        out.append(base.result(DECLARATION, 'nova.upgrade_levels_compute_pinned', base.FAULT,
                               '[upgrade_levels] compute = %s caps compute RPC at %s although every compute speaks %s'
                               ' (set it to auto or remove it)' % (doc.get('upgrade_levels_compute'), level_cap, cap),
                               dict(common, value=doc.get('upgrade_levels_compute'), cap=level_cap,
                                    file=', '.join(doc.get('config_files') or []))))
    if not [r for r in out if r['status'] != 'ok' and r['id'] != UNREADABLE] and not bad_cells:
        n_cells = len(doc.get('cells') or [])
        out.append(base.result(DECLARATION, 'nova.stale_service_pins_minimum', 'ok',
                               '%d services rows in %d cell(s); minimum nova-compute v%s%s; no stale or old row pins it'
                               % (len(rows), n_cells, compute_min if compute_min is not None else '-',
                                  (' (compute RPC %s)' % cap) if cap else ''),
                               dict(common, uuid=None)))
    return out
