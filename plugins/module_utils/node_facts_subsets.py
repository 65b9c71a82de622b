# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fact subsets gathered by ``stackdoctor.openstack.node_facts`` on the managed node.

Standard library only (Python 3.9+). One function ``gather_<subset>(ctx)`` per subset;
each returns a dict and never raises: problems go into the dict as
``error: {file, line, message}``. :func:`gather` runs the requested subsets, ``layout``
always first since the others read their paths from it.

``ctx`` is a :class:`Context`: ``root`` (where the node's ``/`` is; ``/`` except in
tests), ``params`` (the module arguments), ``runner`` (``argv -> (rc, out, err)`` or
``None``), ``layout`` and ``facts`` (subsets gathered so far).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import inspect
import json
import os
import traceback

from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures
from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import mask_data
from ansible_collections.stackdoctor.openstack.plugins.module_utils.oslo_ini import (
    OsloIni, ParseError, cinder_backends)
from ansible_collections.stackdoctor.openstack.plugins.module_utils import tgt_conf as tgt_conf_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils.tgt_conf import (
    covering_include, host_path, map_path, read_tgt_config)

SUBSET_NAMES = ('layout', 'cinder', 'tgt', 'cinder_volume_log', 'nova_compute_log')
DEFAULT_LOG_TAIL_BYTES = 4 * 1024 * 1024
# the one place the log limits' defaults live (node_facts' arguments and the facts role use them)
DEFAULT_LOG_MAX_MATCHES = 20
DEFAULT_COMMAND_TIMEOUT = 30
CINDER_MAX_PROBLEMS = 50


class Context:
    """What a subset function may use (see the module docstring)."""

    def __init__(self, root='/', params=None, runner=None, detected=None):
        self.root = root or '/'
        self.params = params or {}
        self.runner = runner
        self.detected = detected
        self.layout = None
        self.facts = {}

    def fs(self, path):
        """Where node path ``path`` is on this machine (``root`` prefix)."""
        return host_path(self.root, path)

    def service(self, name):
        """The layout entry of logical service ``name`` (``{}`` when unknown)."""
        return ((self.layout or {}).get('services') or {}).get(name) or {}


def _error(message, file=None, line=None):
    return {'file': file, 'line': line, 'message': message}


def _unexpected(exc, file=None):
    """An error dict for an unexpected exception (last frame only, no locals)."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = ''
    if tb:
        frame = tb[-1]
        where = ' (%s:%s in %s)' % (os.path.basename(frame.filename), frame.lineno, frame.name)
    return _error('%s: %s%s' % (type(exc).__name__, exc, where), file)


# ---------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------
def gather_layout(ctx):
    """Detect the flavour and resolve the per-service layout (see ``layout.resolve``)."""
    detected = ctx.detected or layout_mod.detect(ctx.root, runner=ctx.runner)
    return layout_mod.resolve(ctx.params.get('layout_flavour') or 'auto',
                              ctx.params.get('layout_overrides') or {}, detected, ctx.root)


# ---------------------------------------------------------------------------
# cinder
# ---------------------------------------------------------------------------
def gather_cinder(ctx):
    """cinder.conf of the cinder-volume service, resolved per backend.

    ``{config_file, found, error, problems, enabled_backends, legacy, backends,
    deprecated_options, state_path, state_path_source}``; only the options listed in
    ``oslo_ini.CINDER_VOLUME_DEFAULTS`` leave the node. ``error`` is the first line
    oslo.config would refuse; ``problems`` lists every problem the parser saw (syntax,
    duplicate sections, duplicate options), each with file and line (at most
    ``CINDER_MAX_PROBLEMS``).
    """
    svc = ctx.service('cinder-volume')
    config_file = (svc.get('config_files') or ['/etc/cinder/cinder.conf'])[0]
    out = {'config_file': config_file, 'found': False, 'error': None, 'problems': [],
           'enabled_backends': [],
           'legacy': None, 'backends': {}, 'deprecated_options': [], 'state_path': None,
           'state_path_source': None}
    real = ctx.fs(config_file)
    if not os.path.exists(real):
        return out
    out['found'] = True
    conf = OsloIni()
    try:
        with open(real, 'rb') as handle:
            text = handle.read().decode('utf-8', errors='replace')
        conf.read_string(text, config_file)
    except ParseError as exc:
        out['error'] = exc.to_dict()
        out['problems'] = exc.problems[:CINDER_MAX_PROBLEMS]
        return mask_data(out)
    except (IOError, OSError) as exc:
        out['error'] = _error('cannot read: %s' % (exc.strerror or exc), config_file)
        return out
    out['problems'] = conf.problems[:CINDER_MAX_PROBLEMS]
    resolved = cinder_backends(conf)
    out.update(resolved)
    return mask_data(out)


# ---------------------------------------------------------------------------
# tgt
# ---------------------------------------------------------------------------
def _proc_has(ctx, comm):
    proc = ctx.fs('/proc')
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(os.path.join(proc, pid, 'comm')) as handle:
                if handle.read().strip() == comm:
                    return int(pid)
        except (IOError, OSError):
            continue
    return None


def _tgt_view(path, path_map):
    """``path`` (host) as tgt-admin sees it, through the layout's ``path_map``."""
    inverse = dict((v, k) for k, v in (path_map or {}).items())
    return map_path(path, inverse)


# Appended to tgt_conf.py's own source and run with ``python3 -c`` inside a container:
# walks tgt's include tree there and prints the same dict as read_tgt_config (paths, target
# names, include lines; never file content).
_CONTAINER_READER = """
import json as _json, sys as _sys
_sys.stdout.write(_json.dumps(read_tgt_config(_sys.argv[1], root=(_sys.argv[2] if len(_sys.argv) > 2 else '/'))))
"""


def _tgt_conf_source():
    try:
        return inspect.getsource(tgt_conf_mod)
    except (IOError, OSError, TypeError):
        loader = getattr(tgt_conf_mod, '__loader__', None)
        return loader.get_source(tgt_conf_mod.__name__) if loader is not None else None


def _container_argv(ctx, container, argv):
    """``<cli> exec <container> argv`` bounded by ``timeout`` (``command_timeout`` seconds)."""
    layout = ctx.layout or {}
    cli = layout.get('container_cli')
    seconds = int(ctx.params.get('command_timeout') or DEFAULT_COMMAND_TIMEOUT)
    return ['timeout', str(seconds), cli, 'exec', container] + list(argv)


def read_tgt_in_container(ctx, container, config_file):
    """tgt's include tree as ``container`` sees it (``<cli> exec <container> python3 -c``).

    Returns read_tgt_config's dict; an engine failure becomes one ``unreadable`` error.
    """
    layout = ctx.layout or {}
    empty = {'config_file': config_file, 'found': False, 'includes': [], 'files_read': [],
             'files_read_count': 0, 'targets': [], 'default_driver': None, 'errors': []}
    where = '%s (in container %s)' % (config_file, container)
    if ctx.runner is None or layout.get('container_cli') in (None, '', 'none'):
        empty['errors'].append({'kind': 'unreadable', 'file': where, 'line': None,
                                'path': config_file,
                                'message': 'cannot read %s: no container engine to exec into'
                                           % where})
        return empty
    source = _tgt_conf_source()
    if not source:
        empty['errors'].append({'kind': 'unreadable', 'file': where, 'line': None,
                                'path': config_file,
                                'message': 'internal: tgt_conf source not available'})
        return empty
    argv = _container_argv(ctx, container,
                           ['python3', '-c', source + _CONTAINER_READER, config_file])
    rc, out, err = ctx.runner(argv)
    if rc == 0:
        try:
            return json.loads(out)
        except ValueError as exc:
            err = 'unparsable output: %s' % exc
    empty['errors'].append({'kind': 'unreadable', 'file': where, 'line': None,
                            'path': config_file,
                            'message': 'cannot read %s: %s exec failed (rc=%s): %s'
                                       % (where, layout.get('container_cli'), rc,
                                          (err or '').strip()[-300:])})
    return empty


def gather_tgt(ctx):
    """tgt's include tree, binaries and daemon state.

    ``{config_file, conf_d, config_side (host | container), read_in (container or null),
    tgt_view: {config_file, conf_d} (as tgt-admin sees them, what an include line must
    name), found, includes, files_read, files_read_count, targets, default_driver, errors,
    installed, binaries: {tgtadm, tgt-admin}, running, running_how, present_by_default,
    coverage, layout_source, layout_assumption}``; ``coverage`` maps each cinder backend's
    ``volumes_dir`` (when the cinder subset ran) to the include that covers it, or null.

    Where the layout says tgt's config lives in containers (kolla: ``/etc/tgt`` of the
    ``cinder_volume`` image, where cinder runs ``tgt-admin --update``), the tree is read
    inside the first of those containers and every path is a path in that container;
    ``other_containers`` summarises the others (kolla: ``tgtd``).
    """
    svc = ctx.service('tgt')
    config_file = svc.get('targets_conf') or '/etc/tgt/targets.conf'
    side = svc.get('config_view') or 'host'
    out = {'config_file': config_file, 'conf_d': svc.get('conf_d') or '/etc/tgt/conf.d',
           'config_side': side, 'read_in': None,
           'found': False, 'includes': [], 'files_read': [], 'files_read_count': 0,
           'targets': [], 'default_driver': None, 'errors': [], 'error': None,
           'installed': False, 'binaries': {'tgtadm': None, 'tgt-admin': None},
           'running': False, 'running_how': None,
           'present_by_default': svc.get('present_by_default', True), 'coverage': {},
           'layout_source': svc.get('source'),
           'layout_assumption': bool(svc.get('assumption'))}
    path_map = svc.get('path_map') or {}
    if side == 'container':
        container = svc.get('config_container') or (svc.get('config_containers') or [None])[0]
        out['read_in'] = container
        conf = read_tgt_in_container(ctx, container, config_file)
        out['other_containers'] = {}
        for other in svc.get('config_containers') or []:
            if other == container or other not in _listed_containers(ctx):
                continue
            o = read_tgt_in_container(ctx, other, config_file)
            out['other_containers'][other] = {
                'found': o.get('found'), 'errors': o.get('errors') or [],
                'includes': [{'pattern': i.get('pattern'), 'file': i.get('file'),
                              'line': i.get('line')} for i in o.get('includes') or []]}
        out['note'] = ('tgt-admin runs inside the %s container (cinder runs `tgt-admin --update` '
                       'there): its /etc/tgt comes from the image, and the host holds no tgt '
                       'config (%s has only config.json). An edit inside the container lasts '
                       'until the container is recreated; the image carries the include.'
                       % (container, svc.get('config_dir') or '/etc/kolla/tgtd'))
    else:
        conf = read_tgt_config(config_file, root=ctx.root, path_map=path_map)
    for key in ('found', 'includes', 'files_read', 'files_read_count', 'targets',
                'default_driver', 'errors'):
        out[key] = conf.get(key)
    out['includes'] = tgt_conf_mod.label_sides(out['includes'], side, path_map, out['read_in'])
    out['tgt_view'] = {'config_file': _tgt_view(config_file, path_map),
                       'conf_d': _tgt_view(out['conf_d'], path_map)}
    restart = svc.get('restart') or {}
    container = restart.get('container')
    state = restart.get('container_state')
    if restart.get('method') == 'container':
        out['installed'] = bool(restart.get('container_exists'))
        out['binaries'] = {'tgtadm': None, 'tgt-admin': None}
        if state == 'unknown':
            out['installed'] = None
            out['running'] = None
            out['running_how'] = 'container:%s (state unknown)' % container
        elif restart.get('container_exists'):
            out['running'] = state.startswith('running') or state.startswith('up')
            out['running_how'] = 'container:%s' % container
    else:
        for name in ('tgtadm', 'tgt-admin'):
            out['binaries'][name] = layout_mod.find_binary(name, ctx.root)
        out['installed'] = all(out['binaries'].values())
        unit = restart.get('unit')
        if unit and restart.get('unit_exists') and ctx.runner is not None:
            _rc, stdout, _err = ctx.runner(['systemctl', 'is-active', unit])
            active = stdout.strip()
            if active == 'active':
                out['running'], out['running_how'] = True, 'systemd:%s' % unit
        if not out['running']:
            pid = _proc_has(ctx, 'tgtd')
            if pid:
                out['running'], out['running_how'] = True, 'process:tgtd pid %d' % pid
    backends = (ctx.facts.get('cinder') or {}).get('backends') or {}
    for backend in backends.values():
        vdir = backend.get('volumes_dir')
        if vdir and vdir not in out['coverage']:
            inc = covering_include(out['includes'], vdir)
            out['coverage'][vdir] = (None if inc is None else
                                     {'pattern': inc['pattern'], 'file': inc['file'],
                                      'line': inc['line']})
    return out


def _listed_containers(ctx):
    """Names of the containers the layout detection listed (empty when unknown)."""
    found = set()
    for svc in ((ctx.layout or {}).get('services') or {}).values():
        restart = svc.get('restart') or {}
        if restart.get('container_exists'):
            found.add(restart.get('container'))
        if svc.get('config_container_exists'):
            found.add(svc.get('config_container'))
    return found


# ---------------------------------------------------------------------------
# cinder_volume_log
# ---------------------------------------------------------------------------
def _first_log(ctx, patterns):
    for pattern in patterns or []:
        real = ctx.fs(pattern)
        if any(c in pattern for c in '*?['):
            hits = sorted(glob.glob(real), key=lambda p: os.path.getmtime(p), reverse=True)
            if hits:
                return hits[0][len(ctx.root.rstrip('/')):] if ctx.root != '/' else hits[0]
        elif os.path.isfile(real):
            return pattern
    return None


def _scan_service_log(ctx, service, default_log, signatures):
    """Known signatures in the tail of a service's log (shared by the *_log subsets).

    ``{file, found, matches: [{signature, line_no, text, groups, diagnosis}], counts,
    truncated, size, lines_scanned, error}``; ``text`` and ``groups`` are masked.
    """
    svc = ctx.service(service)
    candidates = svc.get('log_files') or [default_log]
    path = _first_log(ctx, candidates)
    out = {'file': path or candidates[0], 'found': bool(path), 'matches': [], 'counts': {},
           'truncated': False, 'size': None, 'lines_scanned': 0, 'error': None}
    if not path:
        return out
    try:
        res = log_signatures.scan(ctx.fs(path), signatures,
                                  ctx.params.get('log_max_matches', DEFAULT_LOG_MAX_MATCHES),
                                  ctx.params.get('log_tail_bytes', DEFAULT_LOG_TAIL_BYTES))
    except (IOError, OSError) as exc:
        out['error'] = _error('cannot read: %s' % (exc.strerror or exc), path)
        return out
    out.update(res)
    return out


def gather_cinder_volume_log(ctx):
    """cinder-volume log: rows 1a-1h of the signature table (tgt export failures)."""
    return _scan_service_log(ctx, 'cinder-volume', '/var/log/cinder/cinder-volume.log',
                             log_signatures.CINDER_VOLUME_SIGNATURES)


def gather_nova_compute_log(ctx):
    """nova-compute log: rows 4a-4c (allocations the resource tracker cannot match)."""
    return _scan_service_log(ctx, 'nova-compute', '/var/log/nova/nova-compute.log',
                             log_signatures.NOVA_COMPUTE_SIGNATURES)


GATHERERS = {
    'layout': gather_layout,
    'cinder': gather_cinder,
    'tgt': gather_tgt,
    'cinder_volume_log': gather_cinder_volume_log,
    'nova_compute_log': gather_nova_compute_log,
}

# cinder before tgt so that tgt can report coverage of cinder's volumes_dir
ORDER = ('layout', 'cinder', 'tgt', 'cinder_volume_log', 'nova_compute_log')


def gather(subsets, ctx):
    """Run ``subsets`` (any order; ``layout`` always runs first) and return ``{subset: dict}``.

    A subset that raises yields ``{error: {file, line, message}}`` instead.
    """
    wanted = set(subsets or SUBSET_NAMES) | {'layout'}
    facts = ctx.facts
    for name in ORDER:
        if name not in wanted:
            continue
        try:
            facts[name] = GATHERERS[name](ctx)
        except Exception as exc:  # pylint: disable=broad-except
            facts[name] = {'error': _unexpected(exc)}
        if name == 'layout':
            ctx.layout = facts[name] if 'services' in facts[name] else {'services': {}}
    return facts
