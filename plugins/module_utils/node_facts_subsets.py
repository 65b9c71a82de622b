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
import ipaddress
import json
import os
import re
import time
import traceback

from ansible_collections.stackdoctor.openstack.plugins.module_utils import amqp_probe
from ansible_collections.stackdoctor.openstack.plugins.module_utils import fip_nat_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import cred_probe
from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures
from ansible_collections.stackdoctor.openstack.plugins.module_utils import rbd_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import mask_data
from ansible_collections.stackdoctor.openstack.plugins.module_utils.oslo_ini import (
    OsloIni, ParseError, cinder_backends)
from ansible_collections.stackdoctor.openstack.plugins.module_utils import tgt_conf as tgt_conf_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils.tgt_conf import (
    covering_include, host_path, map_path, read_tgt_config)

SUBSET_NAMES = ('layout', 'cinder', 'tgt', 'cinder_volume_log', 'nova_compute_log', 'nova_control_log',
                'qemu_img', 'target_address', 'cinder_glance', 'nested_virt', 'services', 'messaging', 'disk',
                'credentials', 'ceph', 'haproxy', 'debug', 'log_signatures',
                'rabbitmq_cluster', 'image_backends', 'containers', 'pacemaker', 'rbd_secrets', 'galera', 'fip_nat',
                'service_token')
DEFAULT_LOG_TAIL_BYTES = 4 * 1024 * 1024
# the one place the log limits' defaults live (node_facts' arguments and the facts role use them)
DEFAULT_LOG_MAX_MATCHES = 20
DEFAULT_COMMAND_TIMEOUT = 30
# seconds a network probe (TCP connect + AMQP login, database login) may take per endpoint
DEFAULT_PROBE_TIMEOUT = 5
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
        self.timings = {}   # seconds per subset of the last gather()

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


# ---------------------------------------------------------------------------
# qemu_img
# ---------------------------------------------------------------------------
# The services that run qemu-img, and the package that provides it per OS family
# (Debian/Ubuntu qemu-utils, RHEL qemu-img, SUSE qemu-tools).
QEMU_IMG_SERVICES = ('cinder-volume', 'nova-compute', 'glance-api')
QEMU_IMG_PACKAGES = {'Debian': 'qemu-utils', 'RedHat': 'qemu-img', 'Suse': 'qemu-tools'}


def _read_text(ctx, path):
    try:
        with open(ctx.fs(path)) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _read_ini(ctx, path):
    """``(OsloIni or None, error dict or None)`` for the node file ``path`` (missing: both None)."""
    real = ctx.fs(path)
    if not os.path.exists(real):
        return None, None
    conf = OsloIni()
    try:
        with open(real, 'rb') as handle:
            conf.read_string(handle.read().decode('utf-8', errors='replace'), path)
    except ParseError as exc:
        return None, exc.to_dict()
    except (IOError, OSError) as exc:
        return None, _error('cannot read: %s' % (exc.strerror or exc), path)
    return conf, None


def _qemu_img_role(ctx, name, svc):
    """What the service's config says: ``{config_file, required, why, error, <options>}``.

    cinder-volume converts non-raw images (cinder/image/image_utils.py); nova-compute only
    with the libvirt driver (nova/virt/images.py, used by nova/virt/libvirt); glance-api only
    with the ``image_conversion`` import plugin (glance/async_/flows/plugins/image_conversion.py).
    """
    config_file = (svc.get('config_files') or [None])[0]
    out = {'config_file': config_file, 'config_found': False, 'required': True, 'why': None,
           'error': None, 'configured': False}
    if not config_file:
        return out
    conf, err = _read_ini(ctx, config_file)
    if err:
        out['error'] = err
        return out
    if conf is None:
        return out
    out['config_found'] = True
    if name == 'cinder-volume':
        out['configured'] = bool(conf.get('DEFAULT', 'enabled_backends') or conf.get('DEFAULT', 'volume_driver'))
        out['why'] = 'cinder-volume runs qemu-img to create volumes from non-raw images'
    elif name == 'nova-compute':
        driver = conf.get('DEFAULT', 'compute_driver')
        out['compute_driver'] = driver
        out['configured'] = bool(driver)
        out['required'] = bool(driver) and 'libvirt' in driver
        out['why'] = ('the libvirt driver runs qemu-img for every image-backed disk'
                      if out['required'] else 'compute_driver %s does not use qemu-img' % driver)
    elif name == 'glance-api':
        plugins = conf.get('image_import_opts', 'image_import_plugins') or ''
        out['image_import_plugins'] = plugins
        out['configured'] = True
        out['required'] = 'image_conversion' in plugins
        out['why'] = ('the image_conversion import plugin runs qemu-img'
                      if out['required'] else 'image_conversion is not among image_import_plugins')
    return out


def _qemu_img_in_container(ctx, container):
    """``(path or None, error or None)`` of qemu-img inside ``container`` (bounded exec)."""
    layout = ctx.layout or {}
    if ctx.runner is None or layout.get('container_cli') in (None, '', 'none'):
        return None, 'no container engine to exec into %s' % container
    rc, out, err = ctx.runner(_container_argv(ctx, container, ['sh', '-c', 'command -v qemu-img']))
    if rc == 0 and out.strip():
        return out.strip().splitlines()[0], None
    if rc == 1 and not (err or '').strip():
        return None, None
    return None, ('%s exec %s failed (rc=%s%s): %s'
                  % (layout.get('container_cli'), container, rc,
                     ', timed out' if rc == 124 else '', (err or out or '').strip()[-300:]))


def gather_qemu_img(ctx):
    """Where cinder-volume, nova-compute and glance-api run on this host, and their qemu-img.

    ``{os_family, package, services: {name: {runs, runs_how, where (host | container),
    container, config_file, config_found, configured, required, why, qemu_img, error,
    layout_source, layout_assumption}}}``. A service runs here when the layout found its
    unit or container, or (packaged, juju) when its config says it is that service
    (cinder.conf with a backend, nova.conf with compute_driver, glance-api.conf). qemu-img
    is looked up on the host's PATH directories, or with ``<cli> exec <container> sh -c
    'command -v qemu-img'`` (bounded by ``command_timeout``) where the service runs in a
    container (kolla, TripleO).
    """
    family = layout_mod.os_family(ctx.root)
    out = {'os_family': family, 'package': QEMU_IMG_PACKAGES.get(family), 'services': {}}
    flavour = (ctx.layout or {}).get('flavour')
    for name in QEMU_IMG_SERVICES:
        svc = ctx.service(name)
        restart = svc.get('restart') or {}
        entry = _qemu_img_role(ctx, name, svc)
        entry.update({'runs': False, 'runs_how': None, 'where': 'host', 'container': None,
                      'qemu_img': None, 'layout_source': svc.get('source'),
                      'layout_assumption': bool(svc.get('assumption'))})
        if restart.get('container_exists'):
            entry.update(runs=True, where='container', container=restart.get('container'),
                         runs_how='container %s (%s)' % (restart.get('container'),
                                                         restart.get('container_state')))
        elif restart.get('unit_exists') and flavour in ('packaged', 'juju'):
            entry.update(runs=True, runs_how='unit %s' % restart.get('unit'))
        elif entry['configured'] and flavour in ('packaged', 'juju'):
            entry.update(runs=True, runs_how='config %s' % entry['config_file'])
        elif entry['error'] and flavour in ('packaged', 'juju'):
            entry.update(runs=None, runs_how='config %s unreadable' % entry['config_file'])
        if not entry['runs']:
            out['services'][name] = entry
            continue
        if entry['where'] == 'container':
            if not str(restart.get('container_state') or '').lower().startswith(('running', 'up')):
                entry['error'] = _error('container %s is not running (%s): cannot look inside'
                                        % (entry['container'], restart.get('container_state')))
            else:
                path, err = _qemu_img_in_container(ctx, entry['container'])
                entry['qemu_img'] = path
                if err:
                    entry['error'] = _error(err)
        else:
            entry['qemu_img'] = layout_mod.find_binary('qemu-img', ctx.root)
        out['services'][name] = entry
    return out


# ---------------------------------------------------------------------------
# target_address
# ---------------------------------------------------------------------------
def _fib_trie_local(text):
    """IPv4 addresses of this network namespace from /proc/net/fib_trie (``/32 host LOCAL``),
    each with the prefixes of the ``link``/``universe UNICAST`` routes that contain it."""
    addrs, nets, last = [], [], None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith('|--'):
            last = line[3:].strip()
            continue
        parts = line.split()
        if last and parts and parts[0].startswith('/'):
            plen = parts[0][1:]
            if 'LOCAL' in parts and plen == '32' and last not in addrs:
                addrs.append(last)
            elif plen.isdigit() and plen not in ('0', '32') and (
                    'LOCAL' in parts or ('UNICAST' in parts and 'link' in parts)):
                nets.append('%s/%s' % (last, plen))
    return addrs, sorted(set(nets))


def _if_inet6(text):
    """IPv6 addresses (and their interface) from /proc/net/if_inet6."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 6 or len(parts[0]) != 32:
            continue
        words = [parts[0][i:i + 4] for i in range(0, 32, 4)]
        try:
            addr = str(ipaddress.ip_address(':'.join(words)))
        except ValueError:
            continue
        out.append({'address': addr, 'prefixlen': int(parts[2], 16), 'interface': parts[5]})
    return out


def gather_target_address(ctx):
    """The addresses of this host's network namespace (where cinder-volume and its target
    run; kolla and TripleO run them with host networking), read from /proc (no command).

    ``{addresses: [..], networks: {address: [cidr, ..]}, source, error}``: IPv4 from
    ``/proc/net/fib_trie`` (the kernel's LOCAL entries), IPv6 from ``/proc/net/if_inet6``.
    """
    out = {'addresses': [], 'networks': {}, 'source': '/proc/net/fib_trie, /proc/net/if_inet6',
           'error': None}
    v4 = _read_text(ctx, '/proc/net/fib_trie')
    if v4 is None:
        out['error'] = _error('cannot read /proc/net/fib_trie: no IPv4 addresses known',
                              '/proc/net/fib_trie')
        v4 = ''
    addrs, nets = _fib_trie_local(v4)
    for addr in addrs:
        ip = ipaddress.ip_address(addr)
        out['networks'][addr] = [n for n in nets if ip in ipaddress.ip_network(n, strict=False)]
    for item in _if_inet6(_read_text(ctx, '/proc/net/if_inet6') or ''):
        addrs.append(item['address'])
        net = ipaddress.ip_network('%s/%d' % (item['address'], item['prefixlen']), strict=False)
        out['networks'][item['address']] = [str(net)]
    out['addresses'] = addrs
    return out


# ---------------------------------------------------------------------------
# cinder_glance
# ---------------------------------------------------------------------------
CINDER_GLANCE_CATALOG_INFO_DEFAULT = 'image:glance:publicURL'


def gather_cinder_glance(ctx):
    """How cinder-volume finds glance (cinder/common/config.py, cinder/image/glance.py).

    ``{config_file, found, error, servers: [{value, url, line}], servers_line, catalog_info,
    catalog_info_source (DEFAULT | default), catalog_info_line, catalog_info_valid, service_type,
    service_name, interface, region_name, num_retries}``. ``glance_api_servers`` entries without
    ``//`` get ``http://`` as cinder does; unset (or empty) means cinder looks glance up in the
    request's catalog with ``glance_catalog_info``, filtered by ``[glance] region_name``.
    """
    svc = ctx.service('cinder-volume')
    config_file = (svc.get('config_files') or ['/etc/cinder/cinder.conf'])[0]
    out = {'config_file': config_file, 'found': False, 'error': None, 'servers': [], 'servers_line': None,
           'catalog_info': CINDER_GLANCE_CATALOG_INFO_DEFAULT, 'catalog_info_source': 'default',
           'catalog_info_line': None, 'catalog_info_valid': True, 'service_type': 'image',
           'service_name': 'glance', 'interface': 'public', 'region_name': None, 'num_retries': 3}
    conf, err = _read_ini(ctx, config_file)
    if err:
        out['found'] = True
        out['error'] = err
        return out
    if conf is None:
        return out
    out['found'] = True
    entry = conf.entry('DEFAULT', 'glance_api_servers')
    if entry is not None:
        out['servers_line'] = entry.line
        for value in [v.strip() for v in (entry.value or '').split(',') if v.strip()]:
            out['servers'].append({'value': value, 'line': entry.line,
                                   'url': value if '//' in value else 'http://' + value})
    info = conf.entry('DEFAULT', 'glance_catalog_info')
    if info is not None:
        out.update(catalog_info=info.value, catalog_info_source='DEFAULT', catalog_info_line=info.line)
    parts = (out['catalog_info'] or '').split(':')
    if len(parts) == 3 and all(parts):
        iface = parts[2][:-3] if parts[2].endswith('URL') else parts[2]
        out.update(service_type=parts[0], service_name=parts[1], interface=iface)
    else:
        out['catalog_info_valid'] = False
    out['region_name'] = conf.get('glance', 'region_name')
    try:
        out['num_retries'] = int(conf.get('DEFAULT', 'glance_num_retries') or 3)
    except ValueError:
        out['num_retries'] = None
    return out


def gather_nova_control_log(ctx):
    """nova-api, -conductor, -scheduler logs: rows 3a-3e (compute RPC cap, TooOldComputeService,
    ServiceTooOld, RPCVersionCapError). ``{logs: [<scan of one service's log, with service>]}``."""
    logs = []
    for service, default in (('nova-api', '/var/log/nova/nova-api.log'),
                             ('nova-conductor', '/var/log/nova/nova-conductor.log'),
                             ('nova-scheduler', '/var/log/nova/nova-scheduler.log')):
        scan = _scan_service_log(ctx, service, default, log_signatures.NOVA_CONTROL_SIGNATURES)
        scan['service'] = service
        logs.append(scan)
    return {'logs': logs}


# ---------------------------------------------------------------------------
# nested_virt
# ---------------------------------------------------------------------------
KVM_MODULES = ('kvm_intel', 'kvm_amd')
_MODPROBE_OPT_RE = re.compile(r'^\s*options\s+(kvm[-_](?:intel|amd))\s+(.*)$')


def _is_qemu(name):
    return name.startswith('qemu-kvm') or name.startswith('qemu-system')


def _qemu_guest(argv):
    """``(name, uuid)`` of the guest from a qemu command line: ``-name guest=NAME,...`` (libvirt)
    or ``-name NAME``, and ``-uuid UUID`` (qemu's own options; libvirt passes both)."""
    name = uuid = None
    for i, arg in enumerate(argv[:-1]):
        if arg == '-name' and name is None:
            first = argv[i + 1].split(',')[0]
            name = first[len('guest='):] if first.startswith('guest=') else first
        elif arg == '-uuid' and uuid is None:
            uuid = argv[i + 1]
    return name or None, uuid


def _qemu_processes(ctx):
    """Running qemu guests in ``/proc``: a process whose ``comm`` starts with qemu-kvm or
    qemu-system, or whose ``cmdline`` runs such a binary (``comm`` can differ: qemu's ``-name
    process=`` renames it; kolla's nova_libvirt runs with the host's pid namespace, so its guests
    are seen here); the guest's name and uuid from the command line when it can be read."""
    found = []
    for proc_dir in glob.glob(ctx.fs('/proc/[0-9]*')):
        rel = proc_dir[len(ctx.root.rstrip('/')):] if ctx.root != '/' else proc_dir
        comm = (_read_text(ctx, rel + '/comm') or '').strip()
        try:
            with open(ctx.fs(rel + '/cmdline'), 'rb') as handle:
                argv = [a.decode('utf-8', 'replace') for a in handle.read().split(b'\0') if a]
        except (IOError, OSError):
            argv = []
        exe = os.path.basename(argv[0]) if argv else ''
        if not (_is_qemu(comm) or _is_qemu(exe)):
            continue
        entry = {'pid': int(rel.rstrip('/').split('/')[-1]), 'comm': comm or exe}
        name, uuid = _qemu_guest(argv)
        if name:
            entry['guest'] = name
        if uuid:
            entry['uuid'] = uuid
        found.append(entry)
    return sorted(found, key=lambda e: e['pid'])


def gather_nested_virt(ctx):
    """KVM nested virtualisation on a compute: CPU flags, the kvm_intel / kvm_amd ``nested``
    parameter (Intel Y/N, AMD 1/0: linux arch/x86/kvm/vmx/vmx.c and svm/svm.c), their refcount,
    modprobe.d ``options kvm_intel|kvm-intel|kvm_amd|kvm-amd nested=`` lines with file and line,
    running qemu processes (by comm or command line, with the guest's name), and nova.conf ``[libvirt] cpu_mode`` / ``cpu_model_extra_flags``."""
    out = {'cpu_flags': [], 'modules': {}, 'modprobe': [], 'qemu_processes': [], 'nova': None, 'error': None}
    cpuinfo = _read_text(ctx, '/proc/cpuinfo') or ''
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith('flags'):
            flags.update(line.split(':', 1)[-1].split())
    out['cpu_flags'] = sorted(flags & {'vmx', 'svm', 'hypervisor'})
    for mod in KVM_MODULES:
        base_dir = '/sys/module/%s' % mod
        nested = _read_text(ctx, base_dir + '/parameters/nested')
        refcnt = _read_text(ctx, base_dir + '/refcnt')
        entry = {'loaded': os.path.isdir(ctx.fs(base_dir)), 'file': base_dir + '/parameters/nested',
                 'nested': nested.strip() if nested is not None else None, 'refcnt': None}
        entry['nested_enabled'] = (entry['nested'] in ('Y', 'y', '1')) if entry['nested'] is not None else None
        try:
            entry['refcnt'] = int(refcnt.strip()) if refcnt is not None else None
        except ValueError:
            entry['refcnt'] = None
        out['modules'][mod] = entry
    for path in sorted(glob.glob(ctx.fs('/etc/modprobe.d/*.conf'))):
        rel = path[len(ctx.root.rstrip('/')):] if ctx.root != '/' else path
        try:
            with open(path) as handle:
                lines = handle.read().splitlines()
        except (IOError, OSError) as exc:
            out['modprobe'].append({'file': rel, 'line': None, 'error': 'cannot read: %s' % (exc.strerror or exc)})
            continue
        for no, line in enumerate(lines, 1):
            m = _MODPROBE_OPT_RE.match(line)
            if not m:
                continue
            for kv in m.group(2).split():
                if kv.split('=', 1)[0] == 'nested':
                    value = kv.split('=', 1)[1] if '=' in kv else ''
                    out['modprobe'].append({'file': rel, 'line': no, 'module': m.group(1).replace('-', '_'),
                                            'value': value, 'enabled': value.lower() in ('1', 'y', 'yes', 'on', 'true'),
                                            'text': line.strip()})
    out['qemu_processes'] = _qemu_processes(ctx)
    svc = ctx.service('nova-compute')
    conf_file = (svc.get('config_files') or ['/etc/nova/nova.conf'])[0]
    if os.path.exists(ctx.fs(conf_file)):
        nova = {'file': conf_file, 'cpu_mode': None, 'cpu_mode_line': None, 'cpu_model_extra_flags': None,
                'virt_type': None}
        try:
            conf = OsloIni()
            with open(ctx.fs(conf_file), 'rb') as handle:
                conf.read_string(handle.read().decode('utf-8', errors='replace'), conf_file)
            for key in ('cpu_mode', 'cpu_model_extra_flags', 'virt_type'):
                entry = conf.entry('libvirt', key)
                nova[key] = entry.value if entry is not None else None
                if entry is not None and key == 'cpu_mode':
                    nova['cpu_mode_line'] = getattr(entry, 'line', None)
        except ParseError as exc:
            nova['error'] = exc.to_dict()
        except Exception as exc:  # pylint: disable=broad-except
            nova['error'] = _error('cannot read: %s' % exc, conf_file)
        out['nova'] = nova
    return out


# ---------------------------------------------------------------------------
# services
# ---------------------------------------------------------------------------
SYSTEMD_PROPERTIES = ('Id', 'LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'Result',
                      'ExecMainStatus', 'ExecMainCode', 'NRestarts', 'InactiveEnterTimestamp', 'TriggeredBy')


def _timeout_argv(ctx, argv):
    seconds = int(ctx.params.get('command_timeout') or DEFAULT_COMMAND_TIMEOUT)
    return ['timeout', str(seconds)] + list(argv)


def parse_systemctl_show(text):
    """``systemctl show -p ... u1 u2`` (blocks separated by a blank line) -> ``{Id: {prop: value}}``."""
    out = {}
    for block in (text or '').split('\n\n'):
        props = {}
        for line in block.splitlines():
            key, sep, value = line.partition('=')
            if sep:
                props[key.strip()] = value.strip()
        if props.get('Id'):
            out[props['Id'][:-len('.service')] if props['Id'].endswith('.service') else props['Id']] = props
    return out


def _container_inspect(ctx, cli, names):
    """``<cli> inspect`` of ``names`` -> ({name: state dict}, error or None)."""
    if not names:
        return {}, None
    rc, out, err = ctx.runner(_timeout_argv(ctx, [cli, 'inspect'] + list(names)))
    items = []
    try:
        items = json.loads(out) if (out or '').strip() else []
    except ValueError as exc:
        return {}, '%s inspect: unparsable output (rc=%s): %s' % (cli, rc, exc)
    found = {}
    for item in items if isinstance(items, list) else []:
        state = item.get('State') or {}
        health = state.get('Health') or state.get('Healthcheck') or {}
        policy = ((item.get('HostConfig') or {}).get('RestartPolicy') or {}).get('Name')
        name = (item.get('Name') or '').lstrip('/')
        found[name] = {'status': (state.get('Status') or '').lower(), 'running': bool(state.get('Running')),
                       'exit_code': state.get('ExitCode'), 'oom_killed': bool(state.get('OOMKilled')),
                       'error': state.get('Error') or None, 'finished_at': state.get('FinishedAt'),
                       'restarting': bool(state.get('Restarting')),
                       'health': (health.get('Status') or None) if isinstance(health, dict) else None,
                       'restart_policy': policy or None}
    error = None
    if rc != 0 and len(found) < len(names):
        error = '%s inspect failed (rc=%s): %s' % (cli, rc, (err or '').strip()[-300:])
    return found, error


def _pidfile_state(ctx, path):
    """A service the layout knows only by its pid file (overrides: ``pidfile``)."""
    out = {'pidfile': path, 'pid': None, 'running': False, 'comm': None, 'error': None}
    try:
        with open(ctx.fs(path)) as handle:
            text = handle.read().strip()
    except (IOError, OSError) as exc:
        out['state'] = 'no pid file' if getattr(exc, 'errno', None) == 2 else 'unreadable pid file'
        if out['state'] != 'no pid file':
            out['error'] = _error('cannot read: %s' % (exc.strerror or exc), path)
        return out
    if not text.split() or not text.split()[0].isdigit():
        out['state'] = 'unreadable pid file'
        out['error'] = _error('pid file holds no pid: %r' % text[:40], path, 1)
        return out
    pid = int(text.split()[0])
    out['pid'] = pid
    try:
        with open(ctx.fs('/proc/%d/comm' % pid)) as handle:
            out['comm'] = handle.read().strip()
        with open(ctx.fs('/proc/%d/stat' % pid)) as handle:
            zombie = handle.read().rsplit(')', 1)[-1].split()[:1] == ['Z']
        out['running'] = not zombie
        out['state'] = 'zombie' if zombie else 'running'
    except (IOError, OSError):
        out['state'] = 'stale pid file (no process %d)' % pid
    return out


def gather_services(ctx):
    """State of every service of the layout that is deployed on this host.

    ``{systemd: bool|None, container_cli, errors, services: {name: {method, target, present,
    running, state, sub_state, enabled, unit_file_state, result, exit_code, exit_status,
    oom_killed, health, restart_policy, restarts, since, pidfile, pid, error, source,
    assumption}}}``. A service is listed when its unit file or container exists on the host
    (the layout's ``present``) or when the layout names a ``pidfile`` for it (overrides:
    services run by a supervisor of their own). One ``systemctl show`` for every unit and one
    ``<cli> inspect`` for every container, each bounded by ``command_timeout``.
    """
    layout = ctx.layout or {}
    services = layout.get('services') or {}
    cli = layout.get('container_cli') or 'none'
    out = {'systemd': None, 'container_cli': cli, 'errors': [], 'services': {}}
    units, containers = {}, {}
    for name in sorted(services):
        svc = services[name] or {}
        restart = svc.get('restart') or {}
        method = restart.get('method')
        entry = {'method': method, 'present': bool(svc.get('present')), 'running': None,
                 'state': None, 'source': svc.get('source'),
                 'assumption': bool(svc.get('assumption'))}
        if svc.get('pidfile'):
            entry.update(method='pidfile', target=svc['pidfile'], present=True)
            entry.update(_pidfile_state(ctx, svc['pidfile']))
        elif not svc.get('present'):
            continue
        elif method in ('systemd', 'juju_unit'):
            entry['target'] = restart.get('unit')
            units[restart.get('unit')] = name
        elif method in ('container', 'pacemaker'):
            entry['target'] = restart.get('container')
            if method == 'pacemaker':
                entry['resource'] = restart.get('resource')
            containers[restart.get('container')] = name
        else:
            entry['state'] = 'unknown method %s' % method
        out['services'][name] = entry
    if units:
        if ctx.runner is None:
            out['errors'].append(_error('no command runner: unit states not read'))
        else:
            rc, stdout, err = ctx.runner(_timeout_argv(
                ctx, ['systemctl', 'show', '--no-pager', '-p', ','.join(SYSTEMD_PROPERTIES)]
                + ['%s.service' % u for u in sorted(units)]))
            shown = parse_systemctl_show(stdout) if rc == 0 else {}
            out['systemd'] = rc == 0
            if rc != 0:
                out['errors'].append(_error('systemctl show failed (rc=%s): %s'
                                            % (rc, (err or stdout or '').strip()[-300:])))
            for unit, name in units.items():
                props = shown.get(unit)
                entry = out['services'][name]
                if not props:
                    entry['state'] = 'unknown'
                    continue
                active = props.get('ActiveState')
                entry.update(state=active, sub_state=props.get('SubState'),
                             running=active in ('active', 'reloading'),
                             unit_file_state=props.get('UnitFileState') or None,
                             enabled=(props.get('UnitFileState') or '') not in ('disabled', 'masked'),
                             load_state=props.get('LoadState'), result=props.get('Result'),
                             exit_code=props.get('ExecMainCode'),
                             exit_status=props.get('ExecMainStatus'),
                             restarts=props.get('NRestarts'),
                             since=props.get('InactiveEnterTimestamp') or None)
                if active == 'inactive' and (props.get('TriggeredBy') or '').strip():
                    entry['triggered_by'] = {t: None for t in props['TriggeredBy'].split()}
            # a socket-activated unit (Debian/Ubuntu's libvirtd and virtlogd, libvirt's modular
            # daemons) is inactive between uses, by design (libvirtd --timeout; systemd.socket(5)):
            # read its sockets once, so that the check can tell "starts on demand" from "stopped"
            sockets = sorted({t for e in out['services'].values() for t in (e.get('triggered_by') or {})})
            if sockets:
                rc, stdout, err = ctx.runner(_timeout_argv(
                    ctx, ['systemctl', 'show', '--no-pager', '-p', 'Id,ActiveState,SubState'] + sockets))
                shown = parse_systemctl_show(stdout) if rc == 0 else {}
                for e in out['services'].values():
                    for t in e.get('triggered_by') or {}:
                        props = shown.get(t) or {}
                        e['triggered_by'][t] = ('%s/%s' % (props.get('ActiveState'), props.get('SubState'))
                                                if props else 'unknown')
    if containers:
        if ctx.runner is None or cli in (None, '', 'none'):
            out['errors'].append(_error('no container engine: container states not read'))
        else:
            found, error = _container_inspect(ctx, cli, sorted(containers))
            if error:
                out['errors'].append(_error(error))
            for container, name in containers.items():
                entry = out['services'][name]
                info = found.get(container)
                if info is None:
                    entry['state'] = 'unknown'
                    continue
                entry.update(state=info['status'], running=info['running'] and not info['restarting'],
                             exit_code=info['exit_code'], oom_killed=info['oom_killed'],
                             health=info['health'], restart_policy=info['restart_policy'],
                             since=info['finished_at'], restarting=info['restarting'],
                             engine_error=info['error'])
    return out


# ---------------------------------------------------------------------------
# debug
# ---------------------------------------------------------------------------
def gather_debug(ctx):
    """``[DEFAULT] debug`` of each OpenStack service's config file (oslo.log's option).

    ``{configs: [{file, services, value, line, enabled, log_config_append, logs: [{service, file, bytes}],
    error}]}``; ``enabled`` follows oslo.config's boolean words (true/1/yes/on), unset is off;
    ``log_config_append`` (``[DEFAULT]``, with its line) is set when a logging config file takes
    over and oslo.log ignores ``debug`` (oslo_log/log.py setup()).
    """
    out = {'configs': []}
    for path, names in _config_files_by_service(ctx):
        item = {'file': path, 'services': names, 'value': None, 'line': None, 'enabled': False, 'logs': [],
                'log_config_append': None, 'error': None}
        conf, err = _read_oslo(ctx, path)
        if err:
            item['error'] = err
        else:
            entry = conf.entry('DEFAULT', 'debug')
            if entry is not None:
                item.update(value=entry.value, line=entry.line,
                            enabled=str(entry.value).strip().lower() in TRUE_WORDS)
            append = conf.entry('DEFAULT', 'log_config_append')
            if append is not None and str(append.value or '').strip():
                item['log_config_append'] = {'value': append.value, 'line': append.line}
        for name in names:
            log = _first_log(ctx, ctx.service(name).get('log_files') or [])
            if log:
                try:
                    item['logs'].append({'service': name, 'file': log, 'bytes': os.path.getsize(ctx.fs(log))})
                except (IOError, OSError):
                    pass
        out['configs'].append(item)
    return out


# ---------------------------------------------------------------------------
# messaging
# ---------------------------------------------------------------------------
# Options of the rabbit_host era that transport_url replaced (oslo.messaging impl_rabbit.py
# deprecated them for transport_url); seen in [oslo_messaging_rabbit] or [DEFAULT].
LEGACY_RABBIT_OPTIONS = ('rabbit_host', 'rabbit_hosts', 'rabbit_port', 'rabbit_userid',
                         'rabbit_virtual_host')
TRUE_WORDS = ('1', 'true', 'yes', 'on')


# layout services whose config is not an oslo.config file (tgt's targets.conf, libvirt's, the
# broker's): their files are not read for transport_url or credentials
NOT_OSLO_SERVICES = ('tgt', 'iscsid', 'libvirt', 'rabbitmq', 'mariadb') + layout_mod.LIBVIRT_MODULAR


def _config_files_by_service(ctx):
    """``[(file, [services])]``: each OpenStack service's first config file present on the node."""
    files = {}
    for name, svc in sorted(((ctx.layout or {}).get('services') or {}).items()):
        if name in NOT_OSLO_SERVICES:
            continue
        for path in (svc or {}).get('config_files') or []:
            if not path.endswith('.conf'):
                continue
            if os.path.isfile(ctx.fs(path)):
                files.setdefault(path, []).append(name)
            break
    return sorted(files.items())


def _read_oslo(ctx, path):
    conf = OsloIni()
    try:
        with open(ctx.fs(path), 'rb') as handle:
            conf.read_string(handle.read().decode('utf-8', errors='replace'), path)
    except ParseError as exc:
        return None, exc.to_dict()
    except (IOError, OSError) as exc:
        return None, _error('cannot read: %s' % (exc.strerror or exc), path)
    return conf, None


def _transport(conf, path, section, ssl_default, ssl_ca_file, probes, timeout, probe):
    """One transport_url of a config file: where it is, what it names, and the probes' answers."""
    entry = conf.entry(section, 'transport_url')
    out = {'section': section, 'file': path, 'set': entry is not None,
           'line': entry.line if entry is not None else None}
    if entry is None:
        return out
    try:
        parsed = amqp_probe.parse_transport_url(entry.value)
    except amqp_probe.URLError as exc:
        out['error'] = _error('transport_url in [%s] cannot be used: %s' % (section, exc), path, entry.line)
        out['url_masked'] = mask_data({'transport_url': entry.value})['transport_url']
        return out
    use_ssl = ssl_default or str(parsed['query'].get('ssl', '')).lower() in TRUE_WORDS
    out.update(url_masked=amqp_probe.mask_url(parsed), driver=parsed['driver'],
               virtual_host=parsed['virtual_host'], ssl=use_ssl,
               hosts=[{'host': h['host'], 'port': h['port'], 'username': h['username']}
                      for h in parsed['hosts']], probes=[])
    if not probe:
        return out
    for h in parsed['hosts']:
        key = (parsed['driver'], h['host'], h['port'], h['username'], h['password'],
               parsed['virtual_host'], use_ssl)
        if key not in probes:
            if parsed['driver'].split('+')[0] in ('rabbit',):
                probes[key] = amqp_probe.amqp_login(h['host'], h['port'], h['username'], h['password'],
                                                    parsed['virtual_host'], timeout, use_ssl, ssl_ca_file)
            else:  # other drivers (kafka): reachability only
                probes[key] = amqp_probe.tcp_connect(h['host'], h['port'], timeout)
        out['probes'].append(dict(probes[key]))
    return out


def gather_messaging(ctx):
    """Every service's transport_url on the node, probed from the node, and the brokers' log lines.

    ``{probe_timeout, configs: [{file, services, error, transports: [{section, file, line, set,
    url_masked, driver, virtual_host, ssl, hosts, probes: [amqp_probe.amqp_login result]}],
    legacy_options: [{option, section, line}]}], logs: {service: {file, found, matches,
    counts}}}``. The ``[DEFAULT]`` transport_url and, when set, ``[oslo_messaging_notifications]``
    's; each distinct broker endpoint is probed once (TCP connect, AMQP login, virtual host
    opened), each probe bounded by ``probe_timeout``. Passwords never leave the node.
    """
    timeout = float(ctx.params.get('probe_timeout') or DEFAULT_PROBE_TIMEOUT)
    # a test root other than / is a copy of a node's files, not the node: no probe from here
    probe = bool(ctx.params.get('probe', True)) and (ctx.root in (None, '', '/') or ctx.params.get('probe_under_root'))
    out = {'probe_timeout': timeout, 'configs': [], 'logs': {}}
    probes = {}
    for path, names in _config_files_by_service(ctx):
        item = {'file': path, 'services': names, 'error': None, 'transports': [], 'legacy_options': []}
        conf, err = _read_oslo(ctx, path)
        if err:
            item['error'] = err
            out['configs'].append(item)
            continue
        ssl_default = str(conf.get('oslo_messaging_rabbit', 'ssl', '') or '').lower() in TRUE_WORDS
        ssl_ca_file = conf.get('oslo_messaging_rabbit', 'ssl_ca_file') or None
        for section in ('DEFAULT', 'oslo_messaging_notifications'):
            t = _transport(conf, path, section, ssl_default, ssl_ca_file, probes, timeout, probe)
            if section == 'DEFAULT' or t['set']:
                item['transports'].append(t)
        for section in ('oslo_messaging_rabbit', 'DEFAULT'):
            for option in LEGACY_RABBIT_OPTIONS:
                e = conf.entry(section, option)
                if e is not None:
                    item['legacy_options'].append({'option': option, 'section': section, 'line': e.line})
        out['configs'].append(item)
    for name, svc in sorted(((ctx.layout or {}).get('services') or {}).items()):
        if not (svc or {}).get('log_files') or not svc.get('config_present'):
            continue
        scanned = _scan_service_log(ctx, name, svc['log_files'][0], log_signatures.MESSAGING_SIGNATURES)
        if scanned.get('found'):
            out['logs'][name] = scanned
    return out


# ---------------------------------------------------------------------------
# disk
# ---------------------------------------------------------------------------
# Data directories outside the layout's config/log paths, by the service that fills them.
# nova: [DEFAULT] instances_path (default $state_path/instances, state_path /var/lib/nova) and
# the image cache under it ([image_cache] subdirectory_name, default _base) - nova/conf/compute.py,
# nova/conf/paths.py, nova/conf/imagecache.py; glance: [glance_store] filesystem_store_datadir
# (default /var/lib/glance/images, glance_store/_drivers/filesystem.py); the database and the
# broker keep their data in /var/lib/mysql and /var/lib/rabbitmq (distribution packages) unless
# the layout overrides name a ``datadir``.
DATA_DIRS = (('mariadb', 'database datadir', '/var/lib/mysql'),
             ('rabbitmq', 'rabbitmq data (mnesia)', '/var/lib/rabbitmq'))


def _statvfs(ctx, path):
    try:
        st = os.statvfs(ctx.fs(path))
        dev = os.stat(ctx.fs(path)).st_dev
    except (IOError, OSError) as exc:
        return {'error': _error('cannot stat: %s' % (exc.strerror or exc), path)}
    block = st.f_frsize or st.f_bsize
    out = {'device': dev, 'total_bytes': st.f_blocks * block, 'free_bytes': st.f_bavail * block,
           'total_inodes': st.f_files, 'free_inodes': st.f_favail}
    out['free_percent'] = round(100.0 * st.f_bavail / st.f_blocks, 2) if st.f_blocks else None
    out['free_inodes_percent'] = round(100.0 * st.f_favail / st.f_files, 2) if st.f_files else None
    return out


def gather_disk(ctx):
    """Free space and inodes where OpenStack services write, found through the layout.

    ``{paths: [{path, what, services, exists, source, device, total_bytes, free_bytes,
    free_percent, total_inodes, free_inodes, free_inodes_percent, error}]}``: instances_path and
    the image cache (nova-compute's config), the glance filesystem store, every service's log
    directory, the database and broker data dirs; one entry per path (paths on the same
    filesystem share ``device``). Paths that do not exist are listed with ``exists`` false.
    """
    services = (ctx.layout or {}).get('services') or {}
    wanted = []

    def want(path, what, service, source):
        for w in wanted:
            if w['path'] == path:
                if service not in w['services']:
                    w['services'].append(service)
                return
        wanted.append({'path': path, 'what': what, 'services': [service], 'source': source})

    nova = services.get('nova-compute') or {}
    if nova.get('config_present'):
        path = (nova.get('config_files') or ['/etc/nova/nova.conf'])[0]
        conf, err = _read_oslo(ctx, path)
        if err:
            wanted.append({'path': None, 'what': 'instances_path', 'services': ['nova-compute'],
                           'error': err, 'source': path})
        else:
            state = conf.get('DEFAULT', 'state_path') or '/var/lib/nova'
            inst = conf.entry('DEFAULT', 'instances_path')
            inst_path = (inst.value.replace('${state_path}', state).replace('$state_path', state) if inst is not None
                         else os.path.join(state, 'instances'))
            want(inst_path, 'instances_path', 'nova-compute',
                 '%s line %s' % (path, inst.line) if inst is not None else '%s (default $state_path/instances)' % path)
            base_name = conf.get('image_cache', 'subdirectory_name') or '_base'
            want(os.path.join(inst_path, base_name), 'image cache', 'nova-compute', path)
    glance = services.get('glance-api') or {}
    if glance.get('config_present'):
        path = (glance.get('config_files') or ['/etc/glance/glance-api.conf'])[0]
        conf, err = _read_oslo(ctx, path)
        store = (conf.get('glance_store', 'filesystem_store_datadir') if conf else None) or '/var/lib/glance/images'
        want(store, 'glance filesystem store', 'glance-api', path)
    for name in sorted(services):
        svc = services[name] or {}
        if not (svc.get('present') or svc.get('config_present') or svc.get('pidfile')):
            continue
        for log in svc.get('log_files') or []:
            want(os.path.dirname(log), 'log directory', name, 'layout log_files')
            break
        if svc.get('datadir'):
            want(svc['datadir'], 'data directory', name, 'layout overrides datadir')
    for name, what, path in DATA_DIRS:
        svc = services.get(name) or {}
        if not svc.get('datadir'):
            want(path, what, name, 'packaged default')
    out = {'paths': []}
    for w in wanted:
        item = dict(w, exists=False)
        if w.get('path') and os.path.isdir(ctx.fs(w['path'])):
            item['exists'] = True
            item.update(_statvfs(ctx, w['path']))
        out['paths'].append(item)
    return out


# ---------------------------------------------------------------------------
# credentials
# ---------------------------------------------------------------------------
# oslo.db's connection options (nova [database]/[api_database], placement [placement_database])
# and keystoneauth password sections (keystonemiddleware's [keystone_authtoken], the clients'
# [placement], [service_user], [neutron], [nova], [cinder], [glance]).
DB_SECTIONS = ('database', 'api_database', 'placement_database')
AUTH_SECTIONS = ('keystone_authtoken', 'placement', 'service_user', 'neutron', 'nova', 'cinder', 'glance')


def _opt(conf, section, *names):
    for name in names:
        value = conf.get(section, name)
        if value not in (None, ''):
            return value
    return None


def gather_credentials(ctx):
    """Each service's database URLs and keystone passwords on the node, tried from the node.

    ``{probe_timeout, configs: [{file, services, error, databases: [{section, line, url_masked,
    dialect, probe: mysql_login result | None, error}], keystone: [{section, line, auth_url,
    username, project, probe: keystone_token result | None, error}]}]}``: one MySQL/MariaDB
    login (user, password, database) per distinct URL and one token request per distinct
    (auth_url, user, project), each bounded by ``probe_timeout``. No password leaves the node.
    """
    timeout = float(ctx.params.get('probe_timeout') or DEFAULT_PROBE_TIMEOUT)
    probe = bool(ctx.params.get('probe', True)) and (ctx.root in (None, '', '/') or ctx.params.get('probe_under_root'))
    out = {'probe_timeout': timeout, 'configs': []}
    db_done, ks_done = {}, {}
    for path, names in _config_files_by_service(ctx):
        item = {'file': path, 'services': names, 'error': None, 'databases': [], 'keystone': []}
        conf, err = _read_oslo(ctx, path)
        if err:
            item['error'] = err
            out['configs'].append(item)
            continue
        for section in DB_SECTIONS:
            e = conf.entry(section, 'connection')
            if e is None or not e.value:
                continue
            d = {'section': section, 'line': e.line, 'probe': None, 'error': None}
            try:
                parsed = cred_probe.parse_db_url(e.value)
            except cred_probe.URLParseError as exc:
                d['error'] = _error('[%s] connection cannot be used: %s' % (section, exc), path, e.line)
                d['url_masked'] = mask_data({'connection': e.value})['connection']
                item['databases'].append(d)
                continue
            d.update(url_masked=cred_probe.mask_db_url(parsed), dialect=parsed['dialect'],
                     database=parsed['database'], username=parsed['username'])
            if probe and parsed['dialect'] in ('mysql', 'mariadb'):
                key = (parsed['host'], parsed['port'], parsed['username'], parsed['password'], parsed['database'])
                if key not in db_done:
                    db_done[key] = cred_probe.mysql_login(parsed['host'], parsed['port'], parsed['username'],
                                                          parsed['password'], parsed['database'], timeout)
                d['probe'] = dict(db_done[key])
            elif probe and parsed['host']:
                d['probe'] = amqp_probe.tcp_connect(parsed['host'], parsed['port'], timeout)
                d['probe']['login'] = 'not_tried'
            item['databases'].append(d)
        for section in AUTH_SECTIONS:
            pw = conf.entry(section, 'password')
            user = _opt(conf, section, 'username')
            if pw is None or not user:
                continue
            auth_url = _opt(conf, section, 'auth_url', 'www_authenticate_uri', 'auth_uri')
            k = {'section': section, 'line': pw.line, 'auth_url': auth_url, 'username': user,
                 'project': _opt(conf, section, 'project_name'), 'probe': None, 'error': None,
                 'user_domain': _opt(conf, section, 'user_domain_name', 'user_domain_id') or 'Default',
                 'project_domain': _opt(conf, section, 'project_domain_name', 'project_domain_id') or 'Default'}
            if not auth_url:
                k['error'] = _error('[%s] has a password but no auth_url' % section, path, pw.line)
            elif probe:
                key = (auth_url, user, pw.value, k['project'], k['user_domain'], k['project_domain'])
                if key not in ks_done:
                    ks_done[key] = cred_probe.keystone_token(
                        auth_url, user, pw.value, k['project'], k['user_domain'], k['project_domain'], timeout,
                        cafile=_opt(conf, section, 'cafile'),
                        insecure=str(_opt(conf, section, 'insecure') or '').lower() in TRUE_WORDS)
                k['probe'] = dict(ks_done[key])
            item['keystone'].append(k)
        out['configs'].append(item)
    return out


# ---------------------------------------------------------------------------
# image_backends (check_images): glance's stores and nova's images_type, from config
# ---------------------------------------------------------------------------
def _read_ini(ctx, config_file):
    """``(conf, error)``: an OsloIni of the node's ``config_file``; (None, None) when absent."""
    real = ctx.fs(config_file)
    if not os.path.exists(real):
        return None, None
    conf = OsloIni()
    try:
        with open(real, 'rb') as handle:
            conf.read_string(handle.read().decode('utf-8', errors='replace'), config_file)
    except ParseError as exc:
        return None, exc.to_dict()
    except (IOError, OSError) as exc:
        return None, _error('cannot read: %s' % (exc.strerror or exc), config_file)
    return conf, None


def gather_image_backends(ctx):
    """Where images and root disks live, from the services' configs (never a secret).

    ``{glance: {config_file, found, error, enabled_backends: {name: type}, default_backend,
    stores, default_store, line}, nova: {config_file, found, error, images_type, line}}``.
    glance: ``[DEFAULT] enabled_backends = name:type,...`` with ``[glance_store] default_backend``
    (multi-store), else ``[glance_store] stores`` / ``default_store`` (glance_store's legacy
    options; default store ``file``). nova: ``[libvirt] images_type`` (default ``default``: the
    ``use_cow_images`` qcow2 files of the instances path)."""
    out = {}
    gsvc = ctx.service('glance-api')
    gfile = (gsvc.get('config_files') or ['/etc/glance/glance-api.conf'])[0]
    g = {'config_file': gfile, 'found': False, 'error': None, 'enabled_backends': {},
         'default_backend': None, 'stores': [], 'default_store': None, 'line': None}
    conf, err = _read_ini(ctx, gfile)
    g['error'] = err
    if conf is not None:
        g['found'] = True
        entry = conf.entry('DEFAULT', 'enabled_backends')
        if entry is not None:
            g['line'] = entry.line
            for item in (entry.value or '').split(','):
                name, _sep, typ = item.strip().partition(':')
                if name.strip():
                    g['enabled_backends'][name.strip()] = typ.strip() or None
        g['default_backend'] = conf.get('glance_store', 'default_backend')
        g['stores'] = [s.strip() for s in (conf.get('glance_store', 'stores') or '').split(',') if s.strip()]
        g['default_store'] = conf.get('glance_store', 'default_store')
        if g['line'] is None:
            e2 = conf.entry('glance_store', 'default_store')
            g['line'] = e2.line if e2 is not None else None
    out['glance'] = g
    nsvc = ctx.service('nova-compute')
    nfile = (nsvc.get('config_files') or ['/etc/nova/nova.conf'])[0]
    n = {'config_file': nfile, 'found': False, 'error': None, 'images_type': None, 'line': None}
    conf, err = _read_ini(ctx, nfile)
    n['error'] = err
    if conf is not None:
        n['found'] = True
        entry = conf.entry('libvirt', 'images_type')
        n['images_type'] = entry.value.strip() if entry is not None else 'default'
        n['line'] = entry.line if entry is not None else None
    out['nova'] = n
    return out


def gather_rbd_secrets(ctx):
    """Ceph auth of nova, cinder and libvirt on the node (see ``rbd_facts``; digests, never keys)."""
    return rbd_facts.gather_rbd_secrets(ctx, _scan_service_log)


# ---------------------------------------------------------------------------
# service_token (check_service_token): nova's [service_user], never a secret
# ---------------------------------------------------------------------------
def gather_service_token(ctx):
    """Each nova service's ``[service_user]`` (nova/conf/service_token.py): ``{configs: [{file,
    services, error, send (the raw value or None), send_line, auth_type, has_username,
    has_password, has_auth_url}]}``. Only whether a password is set, never the password."""
    out = {'configs': []}
    for path, names in _config_files_by_service(ctx):
        if not any(n.startswith('nova-') for n in names):
            continue
        item = {'file': path, 'services': names, 'error': None}
        conf, err = _read_oslo(ctx, path)
        if err:
            item['error'] = err
            out['configs'].append(item)
            continue
        send = conf.entry('service_user', 'send_service_user_token')
        item.update(send=None if send is None else (send.value or '').strip(),
                    send_line=None if send is None else send.line,
                    section=conf.has_section('service_user'),
                    auth_type=_opt(conf, 'service_user', 'auth_type'),
                    has_username=bool(_opt(conf, 'service_user', 'username', 'user_id')),
                    has_password=bool(_opt(conf, 'service_user', 'password')),
                    has_auth_url=bool(_opt(conf, 'service_user', 'auth_url')))
        out['configs'].append(item)
    return out


GATHERERS = {
    'layout': gather_layout,
    'cinder': gather_cinder,
    'tgt': gather_tgt,
    'cinder_volume_log': gather_cinder_volume_log,
    'nova_compute_log': gather_nova_compute_log,
    'nova_control_log': gather_nova_control_log,
    'qemu_img': gather_qemu_img,
    'target_address': gather_target_address,
    'cinder_glance': gather_cinder_glance,
    'nested_virt': gather_nested_virt,
    'services': gather_services,
    'messaging': gather_messaging,
    'disk': gather_disk,
    'credentials': gather_credentials,
    'ceph': ha_facts.gather_ceph,
    'haproxy': ha_facts.gather_haproxy,
    'debug': gather_debug,
    'log_signatures': ha_facts.gather_log_signatures,
    'rabbitmq_cluster': ha_facts.gather_rabbitmq_cluster,
    'image_backends': gather_image_backends,
    'containers': ha_facts.gather_containers,
    'pacemaker': ha_facts.gather_pacemaker,
    'rbd_secrets': gather_rbd_secrets,
    'galera': ha_facts.gather_galera,
    'fip_nat': fip_nat_facts.gather_fip_nat,
    'service_token': gather_service_token,
}

# cinder before tgt so that tgt can report coverage of cinder's volumes_dir
ORDER = ('layout', 'cinder', 'tgt', 'cinder_volume_log', 'nova_compute_log', 'nova_control_log', 'qemu_img',
         'target_address', 'cinder_glance', 'nested_virt', 'services', 'messaging', 'disk',
         'credentials', 'ceph', 'haproxy', 'debug', 'log_signatures', 'rabbitmq_cluster', 'image_backends',
         'containers', 'pacemaker', 'rbd_secrets', 'galera', 'fip_nat', 'service_token')


def gather(subsets, ctx):
    """Run ``subsets`` (any order; ``layout`` always runs first) and return ``{subset: dict}``.

    A subset that raises yields ``{error: {file, line, message}}`` instead.
    """
    wanted = set(subsets or SUBSET_NAMES) | {'layout'}
    facts = ctx.facts
    timings = ctx.timings = {}
    for name in ORDER:
        if name not in wanted:
            continue
        started = time.monotonic()
        try:
            facts[name] = GATHERERS[name](ctx)
        except Exception as exc:  # pylint: disable=broad-except
            facts[name] = {'error': _unexpected(exc)}
        timings[name] = round(time.monotonic() - started, 3)
        if name == 'layout':
            ctx.layout = facts[name] if 'services' in facts[name] else {'services': {}}
    return facts
