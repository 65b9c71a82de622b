# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Nova's services tables: the read-only reader, the version table, the analysis.

Public sources of every constant below:

* ``COMPUTE_RPC_BY_SERVICE_VERSION``: ``nova/objects/service.py`` ``SERVICE_VERSION_HISTORY``
  (each entry's ``compute_rpc``), nova 34.0.0 (service version 74). Index = service version.
* ``SERVICE_VERSION_ALIASES`` / ``OLDEST_SUPPORTED_SERVICE_VERSION``: same file.
* ``COMPUTE_RPC_ALIASES``: ``nova/compute/rpcapi.py`` ``ComputeAPI.VERSION_ALIASES`` (the release
  names ``[upgrade_levels] compute`` accepts).
* The minimum nova computes its RPC cap from: ``nova/db/main/api.py``
  ``service_get_minimum_version`` (``deleted = 0 AND forced_down = false``, disabled and down
  rows included), per cell, the lowest non-zero over all cells
  (``get_minimum_version_all_cells``).
* Up or down: ``nova/servicegroup/drivers/db.py`` ``is_up`` (``last_seen_up`` or
  ``created_at`` within ``[DEFAULT] service_down_time``, default 60 s).
* Cell database URLs may be templates: ``nova/objects/cell_mapping.py`` ``_format_url``.

The reader (:data:`WORKER`) is a standalone script (standard library plus PyMySQL, which every
nova installation has) run with nova's own Python: on the host for packaged deployments, inside
the nova_api / nova_conductor container for kolla and TripleO. It reads nova.conf itself, so no
database credential ever passes through Ansible, and it prints database locations without
user or password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import subprocess

COMPUTE_RPC_BY_SERVICE_VERSION = (
    '4.0', '4.4', '4.5', '4.6', '4.6', '4.7', '4.8', '4.9', '4.10', '4.11',      # 0-9
    '4.11', '4.12', '4.12', '4.13', '4.13', '4.13', '4.13', '4.13', '4.14', '4.15',  # 10-19
    '4.16', '4.17', '4.17', '4.18', '4.18', '4.18', '4.19', '4.20', '4.21', '4.22',  # 20-29
    '5.0', '5.0', '5.0', '5.0', '5.0', '5.0', '5.0', '5.1', '5.1', '5.2',        # 30-39
    '5.3', '5.4', '5.5', '5.6', '5.7', '5.8', '5.9', '5.10', '5.10', '5.10',     # 40-49
    '5.11', '5.11', '5.11', '5.12', '5.13', '5.13', '6.0', '6.0', '6.0', '6.0',  # 50-59
    '6.0', '6.0', '6.0', '6.0', '6.1', '6.1', '6.2', '6.3', '6.4', '6.4',        # 60-69
    '6.4', '6.5', '6.5', '6.5', '6.5',                                           # 70-74
)
SERVICE_VERSION_ALIASES = {
    'Victoria': 52, 'Wallaby': 54, 'Xena': 57, 'Yoga': 61, 'Zed': 64, 'Antelope': 66,
    'Bobcat': 66, 'Caracal': 66, 'Dalmatian': 67, 'Epoxy': 68, 'Flamingo': 70,
    'Gazpacho': 72, 'Hibiscus': 74,
}
OLDEST_SUPPORTED_SERVICE_VERSION = 'Gazpacho'
COMPUTE_RPC_ALIASES = {
    'icehouse': '3.23', 'juno': '3.35', 'kilo': '4.0', 'liberty': '4.5', 'mitaka': '4.11',
    'newton': '4.13', 'ocata': '4.13', 'pike': '4.17', 'queens': '5.0', 'rocky': '5.0',
    'stein': '5.1', 'train': '5.3', 'ussuri': '5.11', 'victoria': '5.12', 'wallaby': '6.0',
    'xena': '6.0', 'yoga': '6.0', 'zed': '6.1', 'antelope': '6.2', 'bobcat': '6.2',
    'caracal': '6.3', 'dalmatian': '6.3', 'epoxy': '6.4', 'flamingo': '6.4', 'gazpacho': '6.5',
    'hibiscus': '6.5',
}
SERVICE_COLUMNS = ('id', 'uuid', 'host', 'binary', 'topic', 'version', 'disabled',
                   'disabled_reason', 'forced_down', 'last_seen_up', 'created_at', 'updated_at')

# Helpers shared by the reader and the soft-delete worker (standard library plus PyMySQL, run
# with nova's Python): never print a URL with its user or password.
_WORKER_COMMON = r'''
import configparser, datetime, json, sys
from urllib.parse import urlsplit, unquote


def out(doc):
    sys.stdout.write(json.dumps(doc, default=str))
    sys.stdout.flush()


def where(url):
    try:
        u = urlsplit(url)
    except Exception:
        return '(unparsable URL)'
    if u.scheme.startswith('sqlite'):
        return '%s:%s' % (u.scheme, u.path)
    host = u.hostname or ''
    if u.port:
        host = '%s:%s' % (host, u.port)
    return '%s://%s%s' % (u.scheme, host, u.path)


def format_url(url, default):
    if '{' not in url:
        return url
    d = urlsplit(default)
    subs = {'username': d.username, 'password': d.password, 'hostname': d.hostname,
            'port': d.port, 'scheme': d.scheme, 'query': d.query, 'fragment': d.fragment,
            'path': d.path.lstrip('/')}
    return url.format(**subs)


def connect(url, p, readonly=True):
    u = urlsplit(url)
    scheme = u.scheme.split('+')[0]
    if scheme == 'sqlite':
        import sqlite3
        path = url.split(':///', 1)[1] if ':///' in url else u.path
        path = path.split('?')[0]
        con = sqlite3.connect('file:%s?mode=%s' % (path, 'ro' if readonly else 'rw'), uri=True,
                              timeout=p['read_timeout'])
        return con, 'sqlite'
    if scheme != 'mysql':
        raise ValueError('unsupported database scheme %s' % scheme)
    import pymysql
    q = dict(kv.split('=', 1) for kv in u.query.split('&') if '=' in kv)
    kw = dict(host=u.hostname or 'localhost', user=unquote(u.username or ''),
              password=unquote(u.password or ''), database=u.path.lstrip('/'),
              connect_timeout=p['connect_timeout'], read_timeout=p['read_timeout'],
              write_timeout=p['read_timeout'], charset=q.get('charset', 'utf8'))
    if u.port:
        kw['port'] = u.port
    if q.get('unix_socket'):
        kw['unix_socket'] = q['unix_socket']
    con = pymysql.connect(**kw)
    cur = con.cursor()
    if readonly:
        cur.execute('SET SESSION TRANSACTION READ ONLY')
        cur.execute('START TRANSACTION READ ONLY')
    return con, 'mysql'


def query(con, kind, sql):
    cur = con.cursor()
    if kind == 'mysql':
        sql = sql.replace('"', '`')
    cur.execute(sql)
    return cur.fetchall()


def ts(v):
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        return v.strftime('%Y-%m-%dT%H:%M:%S')
    return str(v).replace(' ', 'T').split('.')[0]


'''

# The reader. Input (JSON on stdin): config_files, connect_timeout, read_timeout, max_rows,
# installed_table. Output (JSON on stdout): see the module's RETURN. Never prints a URL with
# its user or password; errors name the file (and section) or the cell, not the URL.
WORKER = _WORKER_COMMON + r'''
COLS = %(cols)r


def main():
    p = json.loads(sys.stdin.read() or '{}')
    doc = {'config_files': p['config_files'], 'cells': [], 'error': None,
           'upgrade_levels_compute': None, 'service_down_time': 60, 'table': None}
    cp = configparser.RawConfigParser(strict=False, interpolation=None)
    read = []
    for f in p['config_files']:
        try:
            with open(f) as h:
                cp.read_file(h, source=f)
            read.append(f)
        except (IOError, OSError) as e:
            doc['error'] = {'file': f, 'message': 'cannot read: %%s' %% (e.strerror or e)}
            return out(doc)
        except configparser.Error as e:
            line = getattr(e, 'lineno', None)
            doc['error'] = {'file': f, 'line': line, 'message': 'not an ini file: %%s' %% type(e).__name__}
            return out(doc)

    def opt(section, key, default=None):
        try:
            v = cp.get(section, key)
        except (configparser.Error, KeyError):
            return default
        v = (v or '').strip()
        return v or default

    doc['upgrade_levels_compute'] = opt('upgrade_levels', 'compute')
    try:
        doc['service_down_time'] = int(opt('DEFAULT', 'service_down_time', '60'))
    except ValueError:
        doc['service_down_time'] = 60
    api_url = opt('api_database', 'connection')
    cell_default = opt('database', 'connection') or ''
    if not api_url:
        doc['error'] = {'file': ', '.join(read), 'section': 'api_database',
                        'message': '[api_database] connection is not set (not a controller nova.conf?)'}
        return out(doc)
    if p.get('installed_table'):
        try:
            from nova.objects import service as s
            doc['table'] = {'source': 'installed nova (nova/objects/service.py)',
                            'service_version': s.SERVICE_VERSION,
                            'compute_rpc': [h.get('compute_rpc') for h in s.SERVICE_VERSION_HISTORY],
                            'oldest_supported': s.SERVICE_VERSION_ALIASES.get(s.OLDEST_SUPPORTED_SERVICE_VERSION),
                            'oldest_supported_name': s.OLDEST_SUPPORTED_SERVICE_VERSION}
        except Exception:
            doc['table'] = None
    try:
        con, kind = connect(api_url, p)
        rows = query(con, kind, 'SELECT uuid, name, database_connection FROM cell_mappings ORDER BY id')
        con.close()
    except Exception as e:
        doc['error'] = {'file': ', '.join(read), 'section': 'api_database',
                        'database': where(api_url),
                        'message': 'cannot read nova_api.cell_mappings: %%s' %% type(e).__name__,
                        'detail': str(e).replace(api_url, where(api_url))[:300]}
        return out(doc)
    for uuid, name, dbc in rows:
        cell = {'uuid': uuid, 'name': name, 'database': None, 'services': [], 'error': None,
                'now': None, 'truncated': False}
        doc['cells'].append(cell)
        if uuid == '00000000-0000-0000-0000-000000000000':
            cell['cell0'] = True
        try:
            url = format_url(dbc or '', cell_default)
        except Exception as e:
            cell['error'] = 'cannot format the cell database URL template: %%s' %% type(e).__name__
            continue
        cell['database'] = where(url)
        try:
            con, kind = connect(url, p)
            if kind == 'mysql':
                now = query(con, kind, 'SELECT UTC_TIMESTAMP()')[0][0]
            else:
                now = query(con, kind, "SELECT datetime('now')")[0][0]
            cell['now'] = ts(now)
            sql = ('SELECT %%s FROM services WHERE deleted = 0 ORDER BY id LIMIT %%d'
                   %% (', '.join('"%%s"' %% c for c in COLS), int(p['max_rows']) + 1))
            res = query(con, kind, sql)
            con.close()
        except Exception as e:
            msg = str(e)
            for secret in (url, urlsplit(url).password or '\0'):
                msg = msg.replace(secret, '***')
            cell['error'] = 'cannot read the services table: %%s: %%s' %% (type(e).__name__, msg[:200])
            continue
        if len(res) > int(p['max_rows']):
            res = res[:int(p['max_rows'])]
            cell['truncated'] = True
        for r in res:
            row = dict(zip(COLS, r))
            for k in ('last_seen_up', 'created_at', 'updated_at'):
                row[k] = ts(row[k])
            for k in ('disabled', 'forced_down'):
                row[k] = bool(row[k])
            cell['services'].append(row)
    out(doc)


try:
    main()
except Exception as e:
    out({'error': {'message': 'reader failed: %%s' %% type(e).__name__}, 'cells': []})
''' % {'cols': SERVICE_COLUMNS}


# The opt-in database path of fix_nova_service_versions, for when nova-api itself refuses to start
# (TooOldComputeService) so the compute API cannot delete the row. Input (JSON on stdin):
# config_files, connect_timeout, read_timeout, services [{uuid, id, host, binary, version, cell}],
# max_deletes, check_mode, undo. What it writes is nova's own soft delete
# (nova/db/main/api.py service_destroy): on the services row of that uuid, deleted = id and
# deleted_at = now; for a nova-compute also on its compute_nodes rows (service_id or host):
# deleted = id, deleted_at = now, mapped = 0. Nothing else (no placement provider, no host mapping:
# the compute API's delete also removes those). Each row is confirmed first in a read-only way: same
# id, host, binary and version as the check saw, still live, not forced down, still down, and (a
# nova-compute) no instance on the host and no migration in progress (the API's 409 cases).
# undo: the row of that uuid soft-deleted last gets deleted = 0, deleted_at = NULL again, and the
# compute_nodes rows soft-deleted at the same instant too (mapped stays 0: nova-manage cell_v2
# discover_hosts maps them again).
SOFT_DELETE_WORKER = _WORKER_COMMON + r"""
MIGRATION_DONE = ('confirmed', 'reverted', 'error', 'failed', 'completed', 'cancelled', 'done')


def run(con, kind, sql, args=()):
    cur = con.cursor()
    if kind == 'mysql':
        sql = sql.replace('"', '`').replace('?', '%s')
    cur.execute(sql, tuple(args))
    return cur


def when(v):
    if isinstance(v, datetime.datetime):
        return v
    try:
        return datetime.datetime.strptime(str(v).replace('T', ' ')[:19], '%Y-%m-%d %H:%M:%S')
    except ValueError:
        return None


def confirm(con, kind, want, down_time, forupdate):
    # (row, now, compute node ids, None) or (None, None, None, (reason, detail))
    lock = ' FOR UPDATE' if forupdate and kind == 'mysql' else ''
    row = run(con, kind, 'SELECT id, host, "binary", version, forced_down, last_seen_up, created_at FROM services '
              'WHERE uuid = ? AND deleted = 0' + lock, (want['uuid'],)).fetchone()
    if row is None:
        return None, None, None, ('gone', 'no live services row with this uuid')
    sid, host, binary, version, forced_down, seen, created = row
    if (want.get('id') is not None and int(want['id']) != int(sid)) or host != want.get('host') \
            or binary != want.get('binary'):
        return None, None, None, ('changed', 'this uuid is now row %s, %s %s' % (sid, binary, host))
    if want.get('version') is not None and int(version or 0) != int(want['version']):
        return None, None, None, ('changed', 'version is now %s' % version)
    if forced_down:
        return None, None, None, ('gone', 'forced down since the check (no longer in the minimum)')
    now = run(con, kind, 'SELECT UTC_TIMESTAMP()' if kind == 'mysql' else "SELECT datetime('now')").fetchone()[0]
    now, beat = when(now), when(seen or created)
    if now is None or beat is None or (now - beat).total_seconds() <= down_time:
        return None, None, None, ('up_now', 'the service heartbeats again (last_seen_up %s)' % seen)
    if binary == 'nova-compute':
        n = run(con, kind, 'SELECT COUNT(*) FROM instances WHERE host = ? AND deleted = 0', (host,)).fetchone()[0]
        if n:
            return None, None, None, ('conflict', '%d instance(s) on host %s' % (n, host))
        marks = ', '.join('?' for _ in MIGRATION_DONE)
        n = run(con, kind, 'SELECT COUNT(*) FROM migrations WHERE deleted = 0 AND (source_compute = ? OR dest_compute = ?)'
                ' AND status NOT IN (%s)' % marks, (host, host) + MIGRATION_DONE).fetchone()[0]
        if n:
            return None, None, None, ('conflict', '%d migration(s) in progress on host %s' % (n, host))
        nodes = [r[0] for r in run(con, kind, 'SELECT id FROM compute_nodes WHERE deleted = 0 AND (service_id = ? OR host = ?)'
                                   ' ORDER BY id', (sid, host)).fetchall()]
    else:
        nodes = []
    return row, now, nodes, None


def main():
    p = json.loads(sys.stdin.read() or '{}')
    doc = {'removed': [], 'skipped': [], 'error': None}
    cp = configparser.RawConfigParser(strict=False, interpolation=None)
    for f in p['config_files']:
        try:
            with open(f) as h:
                cp.read_file(h, source=f)
        except (IOError, OSError) as e:
            doc['error'] = {'file': f, 'message': 'cannot read: %s' % (e.strerror or e)}
            return out(doc)
        except configparser.Error as e:
            doc['error'] = {'file': f, 'message': 'not an ini file: %s' % type(e).__name__}
            return out(doc)

    def opt(section, key, default=None):
        try:
            return (cp.get(section, key) or '').strip() or default
        except (configparser.Error, KeyError):
            return default

    try:
        down_time = int(opt('DEFAULT', 'service_down_time', '60'))
    except ValueError:
        down_time = 60
    api_url, cell_default = opt('api_database', 'connection'), opt('database', 'connection') or ''
    if not api_url:
        doc['error'] = {'file': ', '.join(p['config_files']), 'section': 'api_database',
                        'message': '[api_database] connection is not set (not a controller nova.conf?)'}
        return out(doc)
    try:
        con, kind = connect(api_url, p)
        cells = query(con, kind, 'SELECT uuid, name, database_connection FROM cell_mappings ORDER BY id')
        con.close()
    except Exception as e:
        doc['error'] = {'section': 'api_database', 'database': where(api_url),
                        'message': 'cannot read nova_api.cell_mappings: %s' % type(e).__name__}
        return out(doc)
    by_name = dict((name, format_url(dbc or '', cell_default)) for uuid, name, dbc in cells)
    by_uuid = dict((uuid, format_url(dbc or '', cell_default)) for uuid, name, dbc in cells)
    done = 0
    for want in p['services']:
        item = dict((k, want.get(k)) for k in ('uuid', 'id', 'host', 'binary', 'version', 'cell'))
        url = by_uuid.get(want.get('cell_uuid')) or by_name.get(want.get('cell'))
        if not url:
            doc['skipped'].append(dict(item, reason='gone', detail='no cell mapping %s' % want.get('cell')))
            continue
        if not p.get('undo') and done >= int(p['max_deletes']):
            doc['skipped'].append(dict(item, reason='cap', detail='max_deletes %d reached' % int(p['max_deletes'])))
            continue
        item['database'] = where(url)
        con = None
        try:
            con, kind = connect(url, p, readonly=bool(p.get('check_mode')))
            if p.get('undo'):
                row = run(con, kind, 'SELECT id, host, "binary", deleted_at FROM services WHERE uuid = ? AND deleted != 0 '
                          'ORDER BY deleted_at DESC LIMIT 1', (want['uuid'],)).fetchone()
                if row is None:
                    doc['skipped'].append(dict(item, reason='gone', detail='no soft-deleted row with this uuid'))
                    continue
                sid, host, binary, at = row
                live = run(con, kind, 'SELECT COUNT(*) FROM services WHERE host = ? AND "binary" = ? AND deleted = 0',
                           (host, binary)).fetchone()[0]
                if live:
                    doc['skipped'].append(dict(item, reason='conflict', detail='a live %s row exists for %s' % (binary, host)))
                    continue
                nodes = [r[0] for r in run(con, kind, 'SELECT id FROM compute_nodes WHERE deleted != 0 AND deleted_at = ? '
                                           'AND (service_id = ? OR host = ?)', (at, sid, host)).fetchall()]
                if not p.get('check_mode'):
                    run(con, kind, 'UPDATE services SET deleted = 0, deleted_at = NULL WHERE id = ?', (sid,))
                    for nid in nodes:
                        run(con, kind, 'UPDATE compute_nodes SET deleted = 0, deleted_at = NULL WHERE id = ?', (nid,))
                    con.commit()
                doc['removed'].append(dict(item, action='would be restored' if p.get('check_mode') else 'restored',
                                           service_id=sid, compute_nodes=nodes))
                continue
            row, now, nodes, why = confirm(con, kind, want, down_time, not p.get('check_mode'))
            if why:
                doc['skipped'].append(dict(item, reason=why[0], detail=why[1]))
                continue
            done += 1
            sid = row[0]
            if p.get('check_mode'):
                doc['removed'].append(dict(item, action='would be soft-deleted in the cell database', service_id=sid,
                                           compute_nodes=nodes))
                continue
            at = now.strftime('%Y-%m-%d %H:%M:%S')
            cur = run(con, kind, 'UPDATE services SET deleted = id, deleted_at = ? WHERE id = ? AND deleted = 0', (at, sid))
            if cur.rowcount != 1:
                con.rollback()
                done -= 1
                doc['skipped'].append(dict(item, reason='gone', detail='removed meanwhile'))
                continue
            for nid in nodes:
                run(con, kind, 'UPDATE compute_nodes SET deleted = id, deleted_at = ?, mapped = 0 WHERE id = ? AND deleted = 0',
                    (at, nid))
            con.commit()
            doc['removed'].append(dict(item, action='soft-deleted in the cell database', service_id=sid,
                                       deleted_at=at.replace(' ', 'T'), compute_nodes=nodes))
        except Exception as e:
            msg = str(e)
            for secret in (url, urlsplit(url).password or '\0'):
                msg = msg.replace(secret, '***')
            try:
                con and con.rollback()
            except Exception:
                pass
            doc['skipped'].append(dict(item, reason='failed', detail='%s: %s' % (type(e).__name__, msg[:200])))
        finally:
            try:
                con and con.close()
            except Exception:
                pass
    out(doc)


try:
    main()
except Exception as e:
    out({'error': {'message': 'soft-delete worker failed: %s' % type(e).__name__}, 'removed': [], 'skipped': []})
"""


def soft_delete(config_files, services, python='python3', exec_prefix=None, connect_timeout=10,
                read_timeout=30, command_timeout=120, max_deletes=5, check_mode=False, undo=False,
                runner=None):
    """Run :data:`SOFT_DELETE_WORKER` like :func:`read_services`; returns ``{removed, skipped, error}``."""
    argv = list(exec_prefix or []) + [python, '-c', SOFT_DELETE_WORKER]
    payload = json.dumps({'config_files': list(config_files), 'connect_timeout': int(connect_timeout),
                          'read_timeout': int(read_timeout), 'services': list(services or []),
                          'max_deletes': int(max_deletes), 'check_mode': bool(check_mode), 'undo': bool(undo)})
    rc, stdout, stderr, err = _run_worker(argv, payload, command_timeout, exec_prefix, python, runner)
    if err:
        return {'removed': [], 'skipped': [], 'error': err}
    try:
        doc = json.loads(stdout)
    except ValueError:
        last = [ln for ln in (stderr or '').splitlines() if ln.strip()][-1:] or ['no output']
        where = ' '.join(list(exec_prefix or []) + [python])
        msg = 'the worker (%s) failed (rc %s): %s' % (where, rc, last[0][:300])
        return {'removed': [], 'skipped': [], 'error': {'message': msg}}
    doc.setdefault('removed', [])
    doc.setdefault('skipped', [])
    return doc


def _run_worker(argv, payload, command_timeout, exec_prefix, python, runner):
    """(rc, stdout, stderr, error dict or None) of one bounded worker run."""
    where = ' '.join(list(exec_prefix or []) + [python])
    try:
        if runner:
            rc, stdout, stderr = runner(argv, payload, command_timeout)
        else:
            proc = subprocess.run(argv, input=payload.encode(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=command_timeout)
            rc, stdout, stderr = proc.returncode, proc.stdout.decode('utf-8', 'replace'), proc.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired:
        return None, None, None, {'message': 'the worker (%s) did not finish within %ss (command_timeout)'
                                  % (where, command_timeout)}
    except (IOError, OSError) as exc:
        return None, None, None, {'message': 'cannot run %s: %s' % (where, exc.strerror or exc)}
    return rc, stdout, stderr, None


def read_services(config_files, python='python3', exec_prefix=None, connect_timeout=10,
                  read_timeout=30, command_timeout=120, max_rows=10000, installed_table=True,
                  runner=None):
    """Run :data:`WORKER` (``exec_prefix + [python, '-c', WORKER]``) and return its document.

    ``exec_prefix`` runs it elsewhere, e.g. ``['podman', 'exec', '-i', 'nova_api']``. Never
    raises: a failure to run it is ``{'error': {...}, 'cells': []}``.
    """
    argv = list(exec_prefix or []) + [python, '-c', WORKER]
    payload = json.dumps({'config_files': list(config_files), 'connect_timeout': int(connect_timeout),
                          'read_timeout': int(read_timeout), 'max_rows': int(max_rows),
                          'installed_table': bool(installed_table)})
    where = ' '.join(list(exec_prefix or []) + [python])
    rc, stdout, stderr, err = _run_worker(argv, payload, command_timeout, exec_prefix, python, runner)
    if err:
        return {'cells': [], 'error': dict(err, message=err['message'].replace('the worker', 'the reader'))}
    try:
        doc = json.loads(stdout)
    except ValueError:
        last = [ln for ln in (stderr or '').splitlines() if ln.strip()][-1:] or ['no output']
        return {'cells': [], 'error': {'message': 'the reader (%s) failed (rc %s): %s' % (where, rc, last[0][:300])}}
    doc.setdefault('cells', [])
    return doc


def _vkey(v):
    try:
        return tuple(int(x) for x in str(v).split('.'))
    except ValueError:
        return None


def compute_rpc(version, table=None):
    """The compute RPC version a minimum service ``version`` implies (None when unknown)."""
    history = (table or {}).get('compute_rpc') or COMPUTE_RPC_BY_SERVICE_VERSION
    try:
        version = int(version)
    except (TypeError, ValueError):
        return None
    if 0 <= version < len(history):
        return history[version]
    return None


def upgrade_levels_cap(value):
    """``[upgrade_levels] compute`` -> (kind, cap): ('auto', None), ('pinned', 'X.Y'), (None, None)."""
    if not value:
        return None, None
    v = str(value).strip().lower()
    if v == 'auto':
        return 'auto', None
    if v in COMPUTE_RPC_ALIASES:
        return 'pinned', COMPUTE_RPC_ALIASES[v]
    if _vkey(v):
        return 'pinned', v
    return 'unknown', None


def _parse_ts(value):
    import datetime
    if not value:
        return None
    try:
        return datetime.datetime.strptime(str(value)[:19], '%Y-%m-%dT%H:%M:%S')
    except ValueError:
        return None


def analyse(doc):
    """Rows of every cell with ``down_seconds`` and the minimum they set, per binary.

    Returns ``{rows: [...], minimum: {binary: version}, newest: {binary: version},
    table: {...}}``; a row is in the minimum unless forced down (deleted rows were never read).
    """
    table = doc.get('table') or {
        'source': 'nova/objects/service.py SERVICE_VERSION_HISTORY (nova 34.0.0)',
        'service_version': len(COMPUTE_RPC_BY_SERVICE_VERSION) - 1,
        'compute_rpc': list(COMPUTE_RPC_BY_SERVICE_VERSION),
        'oldest_supported': SERVICE_VERSION_ALIASES[OLDEST_SUPPORTED_SERVICE_VERSION],
        'oldest_supported_name': OLDEST_SUPPORTED_SERVICE_VERSION}
    down_time = doc.get('service_down_time') or 60
    rows = []
    for cell in doc.get('cells') or []:
        now = _parse_ts(cell.get('now'))
        for svc in cell.get('services') or []:
            row = dict(svc)
            row['cell'] = cell.get('name')
            row['cell_uuid'] = cell.get('uuid')
            beat = _parse_ts(svc.get('last_seen_up') or svc.get('created_at'))
            row['down_seconds'] = None
            if now and beat:
                elapsed = int((now - beat).total_seconds())
                row['down_seconds'] = elapsed if abs(elapsed) > down_time else 0
            row['up'] = bool(row['down_seconds'] == 0 and not svc.get('forced_down'))
            rows.append(row)
    minimum, newest = {}, {}
    for row in rows:
        try:
            v = int(row.get('version') or 0)
        except (TypeError, ValueError):
            continue
        b = row.get('binary')
        newest[b] = max(newest.get(b, v), v)
        if row.get('forced_down') or v == 0:
            continue
        minimum[b] = min(minimum.get(b, v), v)
    return {'rows': rows, 'minimum': minimum, 'newest': newest, 'table': table,
            'service_down_time': down_time}


# ---------------------------------------------------------------- removal through the API
MICROVERSION = '2.53'   # {service_id} is the service uuid from 2.53 on (nova api-ref)


def remove(transport, expected, max_deletes=5, mode='delete', check_mode=False):
    """Delete (or force down) exactly the services rows the check saw, confirmed through the API.

    ``transport(method, path, body=None) -> (status, json_or_text)`` at microversion 2.53.
    ``expected``: [{uuid, host, binary}]. Each is confirmed still listed by
    GET /os-services with the same host and binary and state ``down``; then DELETE
    /os-services/{uuid} (``mode=delete``) or PUT {forced_down: true} (``mode=force_down``).
    409 (instances or in-progress migrations on the host) is reported, never forced.
    Returns ``(removed, skipped, error)``.
    """
    removed, skipped = [], []
    status, body = transport('GET', '/os-services')
    if status != 200 or not isinstance(body, dict):
        return [], [], 'GET /os-services answered %s: %s' % (status, str(body)[:200])
    listed = dict((s.get('id'), s) for s in body.get('services') or [])
    done = 0
    for want in expected or []:
        uuid = want.get('uuid')
        item = {'uuid': uuid, 'host': want.get('host'), 'binary': want.get('binary'),
                'version': want.get('version'), 'cell': want.get('cell')}
        svc = listed.get(uuid)
        if svc is None:
            skipped.append(dict(item, reason='gone', detail='no longer listed by GET /os-services'))
            continue
        if svc.get('host') != want.get('host') or svc.get('binary') != want.get('binary'):
            skipped.append(dict(item, reason='changed', detail='the API lists %s %s under this uuid'
                                % (svc.get('binary'), svc.get('host'))))
            continue
        if svc.get('state') != 'down':
            skipped.append(dict(item, reason='up_now', detail='the service reports up again'))
            continue
        if mode == 'force_down' and svc.get('forced_down'):
            skipped.append(dict(item, reason='gone', detail='already forced down'))
            continue
        if done >= max_deletes:
            skipped.append(dict(item, reason='cap', detail='max_deletes %d reached' % max_deletes))
            continue
        done += 1
        action = 'forced down' if mode == 'force_down' else 'deleted'
        if check_mode:
            removed.append(dict(item, action='would be ' + action))
            continue
        if mode == 'force_down':
            st, resp = transport('PUT', '/os-services/%s' % uuid, {'forced_down': True})
            ok = st == 200
        else:
            st, resp = transport('DELETE', '/os-services/%s' % uuid)
            ok = st in (202, 204)
        if ok:
            removed.append(dict(item, action=action))
        elif st == 404:
            skipped.append(dict(item, reason='gone', detail='404 on delete'))
        elif st == 409:
            skipped.append(dict(item, reason='conflict', detail=_msg(resp)))
        else:
            skipped.append(dict(item, reason='failed', detail='%s: %s' % (st, _msg(resp))))
    return removed, skipped, None


def _msg(resp):
    if isinstance(resp, dict):
        for v in resp.values():
            if isinstance(v, dict) and v.get('message'):
                return str(v['message'])[:300]
    return str(resp)[:300]


def sdk_transport(conn):
    """(method, path, body) -> (status, json or text) through openstacksdk's compute proxy."""
    def call(method, path, body=None):
        kw = {'microversion': MICROVERSION, 'raise_exc': False}
        if body is not None:
            kw['json'] = body
        resp = conn.compute.request(path, method, **kw)
        try:
            data = resp.json()
        except ValueError:
            data = resp.text
        return resp.status_code, data
    return call
