# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deployment layouts: where each OpenStack service keeps its files and how to restart it.

Standard library only. :data:`TABLE` is ``docs/openstack-facts.md`` section 9 as data,
per flavour (``packaged``, ``kolla``, ``tripleo``, ``juju``) and logical service.
Every service entry has:

``config_files``
    configuration files, host paths, most important first;
``config_dir``
    the host directory holding them;
``log_files``
    host paths (globs allowed) of the service's logs; empty when it logs to journald only;
``restart``
    ``{method, units, containers, resource, fallback}``: ``method`` is ``systemd``,
    ``container``, ``pacemaker`` or ``juju_unit``; ``units`` and ``containers`` are
    candidate names in preference order (``tgt`` then ``tgtd``, ``cinder-volume`` then
    ``openstack-cinder-volume``); ``resource`` is the pacemaker resource; ``fallback`` an
    alternative restart used when the primary target does not exist on the host;
``present_by_default``
    false when the flavour does not deploy the service unless asked (tgt on TripleO and
    on Juju since Wallaby).

tgt entries also carry ``targets_conf``, ``conf_d`` (host paths) and ``path_map``
(``{path seen by tgtd: host path}``). Our documented assumption for kolla: the ``tgtd``
container reads ``/etc/tgt`` from the host's ``/etc/kolla/tgtd/`` and ``/var/lib/cinder``
from the docker volume ``cinder``.

:func:`detect` looks at a host (``root`` for tests), :func:`resolve` turns the table,
the detection and per-service overrides into the host's layout.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import subprocess

FLAVOURS = ('packaged', 'kolla', 'tripleo', 'juju')
CONTAINER_CLIS = ('docker', 'podman')
PG = '/var/lib/config-data/puppet-generated'
SYSTEMD_DIRS = ('/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system',
                '/usr/lib/systemd/system', '/usr/local/lib/systemd/system')
BIN_DIRS = ('/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin')

CONFIG_CHANGE = {
    'packaged': 'edit the file, then restart the service',
    'kolla': 'edit /etc/kolla/config overrides, then kolla-ansible reconfigure '
             '(direct edits of /etc/kolla/<service> are lost on the next deploy)',
    'tripleo': 'THT parameters + openstack overcloud deploy (direct edits of '
               'puppet-generated files are temporary)',
    'juju': 'juju config <application> key=value (files are rendered by the charm)',
}


def _svc(config_files, config_dir, log_files, method, units=None, containers=None,
         resource=None, fallback=None, **extra):
    entry = {
        'config_files': list(config_files),
        'config_dir': config_dir,
        'log_files': list(log_files),
        'restart': {'method': method, 'units': list(units or []),
                    'containers': list(containers or []), 'resource': resource,
                    'fallback': fallback},
        'present_by_default': True,
    }
    entry.update(extra)
    return entry


def _systemd(units):
    return {'method': 'systemd', 'units': list(units)}


_PACKAGED = {
    'cinder-volume': _svc(['/etc/cinder/cinder.conf'], '/etc/cinder',
                          ['/var/log/cinder/cinder-volume.log'], 'systemd',
                          ['cinder-volume', 'openstack-cinder-volume']),
    'tgt': _svc(['/etc/tgt/targets.conf'], '/etc/tgt', [], 'systemd', ['tgt', 'tgtd'],
                targets_conf='/etc/tgt/targets.conf', conf_d='/etc/tgt/conf.d', path_map={}),
    'nova-compute': _svc(['/etc/nova/nova.conf'], '/etc/nova',
                         ['/var/log/nova/nova-compute.log'], 'systemd',
                         ['nova-compute', 'openstack-nova-compute']),
    'nova-api': _svc(['/etc/nova/nova.conf'], '/etc/nova',
                     ['/var/log/nova/nova-api.log', '/var/log/nova/nova-api-wsgi.log'],
                     'systemd', ['nova-api', 'openstack-nova-api', 'apache2', 'httpd']),
    'nova-conductor': _svc(['/etc/nova/nova.conf'], '/etc/nova',
                           ['/var/log/nova/nova-conductor.log'], 'systemd',
                           ['nova-conductor', 'openstack-nova-conductor']),
    'nova-scheduler': _svc(['/etc/nova/nova.conf'], '/etc/nova',
                           ['/var/log/nova/nova-scheduler.log'], 'systemd',
                           ['nova-scheduler', 'openstack-nova-scheduler']),
    'placement-api': _svc(['/etc/placement/placement.conf'], '/etc/placement',
                          ['/var/log/placement/placement-api.log'], 'systemd',
                          ['placement-api', 'openstack-placement-api', 'apache2', 'httpd']),
    'libvirt': _svc(['/etc/libvirt/libvirtd.conf', '/etc/libvirt/qemu.conf'], '/etc/libvirt',
                    ['/var/log/libvirt/libvirtd.log'], 'systemd',
                    ['libvirtd', 'virtqemud', 'libvirt-bin']),
    'neutron-l3-agent': _svc(['/etc/neutron/neutron.conf', '/etc/neutron/l3_agent.ini'],
                             '/etc/neutron',
                             ['/var/log/neutron/neutron-l3-agent.log',
                              '/var/log/neutron/l3-agent.log'],
                             'systemd', ['neutron-l3-agent']),
    'glance-api': _svc(['/etc/glance/glance-api.conf'], '/etc/glance',
                       ['/var/log/glance/glance-api.log', '/var/log/glance/api.log'],
                       'systemd', ['glance-api', 'openstack-glance-api']),
    'rabbitmq': _svc(['/etc/rabbitmq/rabbitmq.conf', '/etc/rabbitmq/rabbitmq-env.conf'],
                     '/etc/rabbitmq', ['/var/log/rabbitmq/rabbit@*.log'], 'systemd',
                     ['rabbitmq-server']),
}


def _kolla(svc, files, project, log_name, container, **extra):
    cdir = '/etc/kolla/%s' % svc
    return _svc(['%s/%s' % (cdir, f) for f in files], cdir,
                ['/var/log/kolla/%s/%s' % (project, log_name)], 'container',
                containers=[container], **extra)


_KOLLA = {
    'cinder-volume': _kolla('cinder-volume', ['cinder.conf'], 'cinder', 'cinder-volume.log',
                            'cinder_volume'),
    'tgt': _svc(['/etc/kolla/tgtd/targets.conf'], '/etc/kolla/tgtd',
                ['/var/log/kolla/tgtd/tgtd.log'], 'container', containers=['tgtd'],
                targets_conf='/etc/kolla/tgtd/targets.conf', conf_d='/etc/kolla/tgtd/conf.d',
                path_map={'/etc/tgt': '/etc/kolla/tgtd',
                          '/var/lib/cinder': '/var/lib/docker/volumes/cinder/_data'}),
    'nova-compute': _kolla('nova-compute', ['nova.conf'], 'nova', 'nova-compute.log',
                           'nova_compute'),
    'nova-api': _kolla('nova-api', ['nova.conf'], 'nova', 'nova-api.log', 'nova_api'),
    'nova-conductor': _kolla('nova-conductor', ['nova.conf'], 'nova', 'nova-conductor.log',
                             'nova_conductor'),
    'nova-scheduler': _kolla('nova-scheduler', ['nova.conf'], 'nova', 'nova-scheduler.log',
                             'nova_scheduler'),
    'placement-api': _kolla('placement-api', ['placement.conf'], 'placement',
                            'placement-api.log', 'placement_api'),
    'libvirt': _kolla('nova-libvirt', ['libvirtd.conf', 'qemu.conf'], 'libvirt',
                      'libvirtd.log', 'nova_libvirt'),
    'neutron-l3-agent': _kolla('neutron-l3-agent', ['neutron.conf', 'l3_agent.ini'],
                               'neutron', 'neutron-l3-agent.log', 'neutron_l3_agent'),
    'glance-api': _kolla('glance-api', ['glance-api.conf'], 'glance', 'glance-api.log',
                         'glance_api'),
    'rabbitmq': _kolla('rabbitmq', ['rabbitmq.conf'], 'rabbitmq', 'rabbit@*.log', 'rabbitmq'),
}


def _tripleo(volume, files, log_files, unit, container, method='systemd', resource=None,
             fallback=None, containers=None, units=None, **extra):
    base = '%s/%s' % (PG, volume)
    return _svc(['%s%s' % (base, f) for f in files], '%s%s' % (base, os.path.dirname(files[0])),
                log_files, method,
                units if units is not None else ([unit] if unit else []),
                containers if containers is not None else ([container] if container else []),
                resource, fallback, **extra)


_TRIPLEO = {
    'cinder-volume': _tripleo(
        'cinder', ['/etc/cinder/cinder.conf'], ['/var/log/containers/cinder/cinder-volume.log'],
        None, 'openstack-cinder-volume-podman-0', method='pacemaker',
        resource='openstack-cinder-volume', units=[],
        fallback={'method': 'systemd', 'units': ['tripleo_cinder_volume'],
                  'containers': ['cinder_volume']}),
    'tgt': _svc(['/etc/tgt/targets.conf'], '/etc/tgt', [], 'systemd', ['tgtd', 'tgt'],
                targets_conf='/etc/tgt/targets.conf', conf_d='/etc/tgt/conf.d', path_map={},
                present_by_default=False),
    'nova-compute': _tripleo('nova_libvirt', ['/etc/nova/nova.conf'],
                             ['/var/log/containers/nova/nova-compute.log'],
                             'tripleo_nova_compute', 'nova_compute'),
    'nova-api': _tripleo('nova', ['/etc/nova/nova.conf'],
                         ['/var/log/containers/nova/nova-api.log'], 'tripleo_nova_api',
                         'nova_api'),
    'nova-conductor': _tripleo('nova', ['/etc/nova/nova.conf'],
                               ['/var/log/containers/nova/nova-conductor.log'],
                               'tripleo_nova_conductor', 'nova_conductor'),
    'nova-scheduler': _tripleo('nova', ['/etc/nova/nova.conf'],
                               ['/var/log/containers/nova/nova-scheduler.log'],
                               'tripleo_nova_scheduler', 'nova_scheduler'),
    'placement-api': _tripleo('placement', ['/etc/placement/placement.conf'],
                              ['/var/log/containers/placement/placement.log'],
                              'tripleo_placement_api', 'placement_api'),
    'libvirt': _tripleo('nova_libvirt', ['/etc/libvirt/libvirtd.conf', '/etc/libvirt/qemu.conf'],
                        ['/var/log/containers/libvirt/libvirtd.log',
                         '/var/log/containers/libvirt/virtqemud.log'],
                        None, None, units=['tripleo_nova_libvirt', 'tripleo_nova_virtqemud'],
                        containers=['nova_libvirt', 'nova_virtqemud']),
    'neutron-l3-agent': _tripleo('neutron', ['/etc/neutron/neutron.conf',
                                             '/etc/neutron/l3_agent.ini'],
                                 ['/var/log/containers/neutron/l3-agent.log'],
                                 'tripleo_neutron_l3_agent', 'neutron_l3_agent'),
    'glance-api': _tripleo('glance_api', ['/etc/glance/glance-api.conf'],
                           ['/var/log/containers/glance/api.log'], 'tripleo_glance_api',
                           'glance_api'),
    'rabbitmq': _tripleo('rabbitmq', ['/etc/rabbitmq/rabbitmq.config'],
                         ['/var/log/containers/rabbitmq/rabbit@*.log'], None,
                         'rabbitmq-bundle-podman-0', method='pacemaker',
                         resource='rabbitmq-bundle', units=[],
                         fallback={'method': 'systemd', 'units': ['tripleo_rabbitmq'],
                                   'containers': ['rabbitmq']}),
}


def _juju_from_packaged():
    out = {}
    for name, entry in _PACKAGED.items():
        e = copy.deepcopy(entry)
        e['restart']['method'] = 'juju_unit'
        e['restart']['units'] = [u for u in e['restart']['units']
                                 if not u.startswith('openstack-') and u not in ('httpd',)]
        out[name] = e
    out['tgt']['present_by_default'] = False  # charm-cinder-lvm installs no tgt since Wallaby
    out['libvirt']['restart']['units'] = ['libvirtd', 'libvirt-bin']
    return out


TABLE = {
    'packaged': _PACKAGED,
    'kolla': _KOLLA,
    'tripleo': _TRIPLEO,
    'juju': _juju_from_packaged(),
}
"""flavour -> logical service -> entry (see the module docstring)."""

SERVICES = sorted(_PACKAGED)


def _fs(root, path):
    if not root or root == '/':
        return path
    return os.path.join(root, path.lstrip('/'))


def _default_runner(argv, timeout=30):
    """Run ``argv`` and return ``(rc, stdout, stderr)`` (rc 127 when not found)."""
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return 127, '', str(exc)
    return (proc.returncode, proc.stdout.decode('utf-8', 'replace'),
            proc.stderr.decode('utf-8', 'replace'))


def find_binary(name, root='/', extra_dirs=BIN_DIRS):
    """Node path of executable ``name`` on ``$PATH`` or in the usual bin dirs, else ``None``."""
    dirs = []
    for d in (os.environ.get('PATH', '').split(os.pathsep) if root in (None, '', '/') else []):
        if d and d not in dirs:
            dirs.append(d)
    for d in extra_dirs:
        if d not in dirs:
            dirs.append(d)
    for d in dirs:
        candidate = os.path.join(d, name)
        real = _fs(root, candidate)
        if os.path.isfile(real) and os.access(real, os.X_OK):
            return candidate
    return None


def all_candidate_units():
    """Every unit name any table entry may use (to keep unit facts small)."""
    names = set()
    for flavour in TABLE.values():
        for entry in flavour.values():
            names.update(entry['restart']['units'])
            fb = entry['restart'].get('fallback') or {}
            names.update(fb.get('units') or [])
    return names


def _kolla_service_dirs(root):
    base = _fs(root, '/etc/kolla')
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    return [n for n in names
            if os.path.isfile(os.path.join(base, n, 'config.json'))]


def _list_unit_files_from_dirs(root, wanted):
    found = {}
    for d in SYSTEMD_DIRS:
        real = _fs(root, d)
        try:
            names = os.listdir(real)
        except OSError:
            continue
        for n in names:
            if not n.endswith('.service'):
                continue
            unit = n[:-len('.service')]
            if wanted is None or unit in wanted:
                target = os.path.join(real, n)
                state = 'masked' if os.path.realpath(target) == '/dev/null' else 'present'
                found.setdefault(unit, state)
    return found


def _list_unit_files_systemctl(runner, wanted):
    rc, out, err = runner(['systemctl', 'list-unit-files', '--no-pager', '--plain',
                           '--no-legend', '--type=service'])
    if rc != 0:
        raise RuntimeError('systemctl list-unit-files failed (rc=%s): %s' % (rc, err.strip()))
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if not parts or not parts[0].endswith('.service'):
            continue
        unit = parts[0][:-len('.service')]
        if wanted is None or unit in wanted:
            found[unit] = parts[1] if len(parts) > 1 else 'unknown'
    return found


def parse_container_ps(text):
    """Parse ``docker ps -a --format json`` (one object per line) or ``podman ps -a
    --format json`` (one array) into ``{name: {state, running, image}}``."""
    text = (text or '').strip()
    if not text:
        return {}
    items = []
    if text.startswith('['):
        items = json.loads(text)
    else:
        for line in text.splitlines():
            line = line.strip()
            if line:
                items.append(json.loads(line))
    out = {}
    for item in items:
        names = item.get('Names') or item.get('Name') or []
        if isinstance(names, str):
            names = [n.strip().lstrip('/') for n in names.split(',')]
        state = item.get('State')
        if isinstance(state, dict):  # very old podman
            state = state.get('Status') or ''
        state = (state or item.get('Status') or '').lower()
        running = state.startswith('running') or state.startswith('up')
        for n in names:
            out[n] = {'state': state, 'running': running, 'image': item.get('Image')}
    return out


def detect(root='/', runner=None, wanted_units=None):
    """Inspect a host and return what :func:`resolve` needs.

    ``runner(argv) -> (rc, out, err)`` runs commands (default: subprocess); with a
    ``root`` other than ``/`` no command is run unless a runner is given, and unit
    files are read from the systemd directories under ``root``. Returns::

        {flavour, detected_by, container_cli, container_cli_path, unit_files:
         {unit: state}, units_source, containers: {name: {state, running, image}}|None,
         errors: [message, ...]}
    """
    errors = []
    real_root = root in (None, '', '/')
    if runner is None and real_root:
        runner = _default_runner
    kolla_dirs = _kolla_service_dirs(root)
    if kolla_dirs:
        flavour, by = 'kolla', '/etc/kolla service dirs: %s' % ', '.join(kolla_dirs[:5])
    elif os.path.isdir(_fs(root, PG)):
        flavour, by = 'tripleo', '%s exists' % PG
    elif os.path.isdir(_fs(root, '/var/lib/juju/agents')):
        flavour, by = 'juju', '/var/lib/juju/agents exists'
    else:
        flavour, by = 'packaged', 'no kolla, tripleo or juju marker'

    clis = dict((c, find_binary(c, root)) for c in CONTAINER_CLIS)
    order = ('podman', 'docker') if flavour == 'tripleo' else ('docker', 'podman')
    available = [c for c in order if clis[c]]
    cli = available[0] if available else None

    wanted = set(wanted_units) if wanted_units is not None else all_candidate_units()
    unit_files, units_source = {}, 'dirs'
    if runner is not None:
        try:
            unit_files = _list_unit_files_systemctl(runner, wanted)
            units_source = 'systemctl'
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(str(exc))
            unit_files = _list_unit_files_from_dirs(root, wanted)
    else:
        unit_files = _list_unit_files_from_dirs(root, wanted)

    # One ``ps -a`` per CLI, in preference order, until one answers (a docker binary
    # without a daemon must not hide podman's containers).
    containers = None
    if runner is not None:
        for candidate in available:
            rc, out, err = runner([clis[candidate], 'ps', '-a', '--format', 'json'])
            if rc != 0:
                errors.append('%s ps -a failed (rc=%s): %s'
                              % (candidate, rc, (err or '').strip()[:300]))
                continue
            try:
                containers = parse_container_ps(out)
            except ValueError as exc:
                errors.append('%s ps: unparsable output: %s' % (candidate, exc))
                continue
            cli = candidate
            break

    return {
        'flavour': flavour,
        'detected_by': by,
        'container_cli': cli or 'none',
        'container_cli_path': clis[cli] if cli else None,
        'unit_files': unit_files,
        'units_source': units_source,
        'containers': containers,
        'errors': errors,
    }


def deep_merge(base, override):
    """Return ``base`` updated recursively by ``override`` (dicts merged, the rest replaced)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _pick(candidates, existing):
    for c in candidates or []:
        if c in existing:
            return c
    return None


def _resolve_restart(restart, detected):
    """Pick the unit/container to act on; returns ``(restart dict, target exists)``.

    ``unit`` is the first candidate with a unit file on the host, else the first
    candidate (``unit_exists`` false: e.g. tgt not installed yet). ``container`` works
    the same way from ``<cli> ps -a``; when the container list is unavailable the first
    candidate is used with ``container_state: unknown``.
    """
    units_known = detected.get('unit_files') or {}
    containers = detected.get('containers')
    method = restart.get('method')
    units = list(restart.get('units') or [])
    cands = list(restart.get('containers') or [])
    unit = _pick(units, units_known)
    unit_exists = unit is not None
    if unit is None and units:
        unit = units[0]
    container, container_state, container_exists = None, None, False
    if containers is not None:
        container = _pick(cands, containers)
        if container:
            container_state = containers[container]['state']
            container_exists = True
        elif cands:
            container = cands[0]
    elif cands:
        container, container_state = cands[0], 'unknown'
    out = {'method': method, 'unit': unit, 'unit_exists': unit_exists, 'units': units,
           'container': container, 'container_exists': container_exists,
           'containers': cands, 'container_state': container_state,
           'resource': restart.get('resource'), 'via_fallback': False}
    if method in ('container', 'pacemaker'):
        found = container_exists
    else:
        found = unit_exists
    fallback = restart.get('fallback')
    if not found and fallback:
        fb = dict(fallback, fallback=None, resource=None)
        alt, alt_found = _resolve_restart(fb, detected)
        if alt_found:
            alt['via_fallback'] = True
            return alt, True
    return out, found


def resolve(flavour='auto', overrides=None, detected=None, root='/'):
    """The per-host layout.

    ``flavour`` ``auto`` takes ``detected['flavour']``; ``overrides`` is
    ``{service: {...}}`` deep-merged into the table entries (a new service name adds
    one). Returns ``{flavour, detected_by, container_cli, config_change, services:
    {name: {config_files, config_dir, log_files, present_by_default, ..., restart:
    {method, unit, unit_exists, units, container, container_exists, containers,
    container_state, resource, via_fallback}, present, config_present}}, errors}``.
    """
    detected = detected or detect(root)
    chosen = detected.get('flavour', 'packaged') if flavour in (None, '', 'auto') else flavour
    if chosen not in TABLE:
        raise ValueError('unknown layout flavour %r (expected one of %s)'
                         % (chosen, ', '.join(FLAVOURS)))
    overrides = overrides or {}
    services = {}
    for name in sorted(set(TABLE[chosen]) | set(overrides)):
        entry = deep_merge(TABLE[chosen].get(name) or _svc([], None, [], 'systemd'),
                           overrides.get(name) or {})
        restart, found = _resolve_restart(entry.get('restart') or {}, detected)
        entry['restart'] = restart
        entry['present'] = bool(found)
        entry['config_present'] = any(os.path.exists(_fs(root, f))
                                      for f in entry.get('config_files') or [])
        services[name] = entry
    by = detected.get('detected_by') if flavour in (None, '', 'auto') else 'layout_flavour=%s' % flavour
    return {
        'flavour': chosen,
        'detected_by': by,
        'detected_flavour': detected.get('flavour'),
        'container_cli': detected.get('container_cli', 'none'),
        'config_change': CONFIG_CHANGE[chosen],
        'units_source': detected.get('units_source'),
        'services': services,
        'errors': list(detected.get('errors') or []),
    }
