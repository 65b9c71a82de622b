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
import traceback

from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures
from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import mask_data
from ansible_collections.stackdoctor.openstack.plugins.module_utils.oslo_ini import (
    OsloIni, ParseError, cinder_backends)
from ansible_collections.stackdoctor.openstack.plugins.module_utils import tgt_conf as tgt_conf_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils.tgt_conf import (
    covering_include, host_path, map_path, read_tgt_config)

SUBSET_NAMES = ('layout', 'cinder', 'tgt', 'cinder_volume_log', 'nova_compute_log', 'nova_control_log',
                'qemu_img', 'target_address', 'cinder_glance', 'nested_virt')
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


def gather_nested_virt(ctx):
    """KVM nested virtualisation on a compute: CPU flags, the kvm_intel / kvm_amd ``nested``
    parameter (Intel Y/N, AMD 1/0: linux arch/x86/kvm/vmx/vmx.c and svm/svm.c), their refcount,
    modprobe.d ``options kvm_intel|kvm-intel|kvm_amd|kvm-amd nested=`` lines with file and line,
    running qemu processes, and nova.conf ``[libvirt] cpu_mode`` / ``cpu_model_extra_flags``."""
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
    for comm_path in glob.glob(ctx.fs('/proc/[0-9]*/comm')):
        comm = (_read_text(ctx, comm_path[len(ctx.root.rstrip('/')):] if ctx.root != '/' else comm_path) or '').strip()
        if comm.startswith('qemu-kvm') or comm.startswith('qemu-system'):
            out['qemu_processes'].append({'pid': int(comm_path.split('/')[-2]), 'comm': comm})
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
}

# cinder before tgt so that tgt can report coverage of cinder's volumes_dir
ORDER = ('layout', 'cinder', 'tgt', 'cinder_volume_log', 'nova_compute_log', 'nova_control_log', 'qemu_img',
         'target_address', 'cinder_glance', 'nested_virt')


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
