# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``rbd_secrets`` node_facts subset: Ceph auth of nova, cinder and libvirt on one node.

Standard library only. Reads, through the layout, nova.conf ``[libvirt] rbd_user``,
``rbd_secret_uuid``, ``images_type``; every cinder RBD backend's ``rbd_user``,
``rbd_secret_uuid``, ``rbd_ceph_conf``, ``rbd_cluster_name`` (an unset ``rbd_secret_uuid`` is
the cluster FSID since cinder 22.0.0 Antelope, ``cinder/volume/drivers/rbd.py``
``_set_default_secret_uuid``: read from ceph.conf ``fsid``); the cephx keys of those users
from their keyrings; and libvirt's secrets (``virsh secret-list``, ``secret-get-value``) on
the host or inside the libvirt container the layout names (kolla ``nova_libvirt``, TripleO
``nova_virtsecretd``). **No key leaves the node**: keys and secret values are reduced to
``sha256(decoded bytes)[:16]`` (base64 strings differing only in padding bits are the same
key to libvirt, which normalises them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import glob
import hashlib
import os
import re

from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures
from ansible_collections.stackdoctor.openstack.plugins.module_utils.oslo_ini import OsloIni, ParseError

RBD_DRIVER_RE = re.compile(r'(^|\.)drivers\.rbd\.RBDDriver$')
UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
DIGEST_CHARS = 16
VIRSH_URI = 'qemu:///system'
RBD_LOG_SIGNATURES = ['2a', '2b', '2c']

# Where the services' /etc/ceph is on the host, per layout flavour (``{path the service sees:
# host path}``). kolla-ansible copies ceph.conf and the keyrings into the service's config dir
# and kolla_set_configs puts them in /etc/ceph of the container: nova-compute
# (ansible/roles/nova-cell/tasks/external_ceph.yml:54-102, templates/nova-compute.json.j2:23-30),
# cinder-volume (/etc/kolla/cinder-volume/ceph, templates/cinder-volume.json.j2:16-19).
# TripleO mounts CephConfigPath (/var/lib/tripleo-config/ceph) at /etc/ceph (assumption: not
# read in tripleo-heat-templates for this table). Packaged and juju: /etc/ceph itself.
CEPH_PATH_MAP = {
    'packaged': {'nova-compute': {}, 'cinder-volume': {}},
    'juju': {'nova-compute': {}, 'cinder-volume': {}},
    'kolla': {'nova-compute': {'/etc/ceph': '/etc/kolla/nova-compute'},
              'cinder-volume': {'/etc/ceph': '/etc/kolla/cinder-volume/ceph'}},
    'tripleo': {'nova-compute': {'/etc/ceph': '/var/lib/tripleo-config/ceph'},
                'cinder-volume': {'/etc/ceph': '/var/lib/tripleo-config/ceph'}},
}
CEPH_PATH_SOURCES = {
    'kolla': 'openstack/kolla-ansible ansible/roles/nova-cell/tasks/external_ceph.yml:54-102, '
             'templates/nova-compute.json.j2:23-30; ansible/roles/cinder/templates/cinder-volume.json.j2:16-19',
    'tripleo': 'assumption: TripleO CephConfigPath /var/lib/tripleo-config/ceph mounted at /etc/ceph',
    'packaged': 'ceph defaults (/etc/ceph/$cluster.conf, /etc/ceph/$cluster.$name.keyring)',
    'juju': 'ceph defaults (/etc/ceph/$cluster.conf, /etc/ceph/$cluster.$name.keyring)',
}
# Which layout service holds the secrets, in preference order: TripleO's modular virtsecretd
# (THT nova-modular-libvirt-container-puppet.yaml:594), else the libvirt entry (kolla
# nova_libvirt, TripleO nova_virtqemud/nova_libvirt, packaged libvirtd).
SECRET_SERVICES = ('virtsecretd', 'libvirt')


def _err(message, file=None, line=None):
    return {'file': file, 'line': line, 'message': message}


def digest(b64_value):
    """``sha256(decoded key)[:16]`` of a base64 cephx key, or None when it is not base64."""
    text = (b64_value or '').strip()
    if not text:
        return None
    try:
        raw = base64.b64decode(text.encode('ascii'), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    return hashlib.sha256(raw).hexdigest()[:DIGEST_CHARS]


def map_path(path, mapping):
    """``path`` as the service sees it -> host path, through ``{service dir: host dir}``."""
    for inside, host in sorted((mapping or {}).items(), key=lambda kv: -len(kv[0])):
        if path == inside or path.startswith(inside.rstrip('/') + '/'):
            return host.rstrip('/') + path[len(inside.rstrip('/')):]
    return path


def parse_ceph_ini(text):
    """``{section: {option: value}}`` of ceph.conf or a keyring (ceph's own leniency: leading
    whitespace, ``;``/``#`` comments, option names with spaces or underscores, lower-cased)."""
    out, section = {}, None
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line[0] in '#;':
            continue
        if line.startswith('[') and line.endswith(']'):
            section = line[1:-1].strip()
            out.setdefault(section, {})
            continue
        if section is None or '=' not in line:
            continue
        key, _sep, value = line.partition('=')
        key = re.sub(r'[\s_]+', '_', key.strip().lower())
        value = re.split(r'\s[#;]', value.strip(), maxsplit=1)[0].strip().strip('"')
        out[section][key] = value
    return out


def _read(ctx, path):
    """``(text, error)`` of a node file (``(None, None)`` when it does not exist)."""
    real = ctx.fs(path)
    if not os.path.exists(real):
        return None, None
    try:
        with open(real, 'rb') as handle:
            return handle.read().decode('utf-8', errors='replace'), None
    except (IOError, OSError) as exc:
        return None, _err('cannot read: %s' % (exc.strerror or exc), path)


def _oslo(ctx, path):
    text, err = _read(ctx, path)
    if text is None:
        return None, err
    conf = OsloIni()
    try:
        conf.read_string(text, path)
    except ParseError as exc:
        return None, exc.to_dict()
    return conf, None


def ceph_conf(ctx, path, mapping, cache):
    """``{file (service view), host_file, found, fsid, keyring, error}`` of a ceph.conf."""
    if path in cache:
        return cache[path]
    host = map_path(path, mapping)
    out = {'file': path, 'host_file': host, 'found': False, 'fsid': None, 'keyring': None,
           'error': None}
    text, err = _read(ctx, host)
    if err:
        out['error'] = err
    elif text is not None:
        out['found'] = True
        conf = parse_ceph_ini(text)
        out['fsid'] = (conf.get('global') or {}).get('fsid')
        if out['fsid'] and not UUID_RE.match(out['fsid']):
            out['error'] = _err('fsid %r is not a UUID' % out['fsid'], host)
            out['fsid'] = None
        out['sections'] = sorted(conf)
        out['_conf'] = conf
    cache[path] = out
    return out


def cephx_key(ctx, user, cluster, conf, mapping):
    """Where client.<user>'s key is and its digest: ``{user, keyring, host_file, found, digest,
    looked_at, error}``. Keyring search as ceph does it (``keyring`` in ``[client.<user>]``,
    ``[client]``, ``[global]``, else ``/etc/ceph/$cluster.$name.keyring``, ``$cluster.keyring``,
    ``keyring``)."""
    name = 'client.%s' % user
    cand = []
    parsed = (conf or {}).get('_conf') or {}
    for section in (name, 'client', 'global'):
        value = (parsed.get(section) or {}).get('keyring')
        if value:
            cand.extend(v.strip() for v in value.split(',') if v.strip())
            break
    cand += ['/etc/ceph/%s.%s.keyring' % (cluster, name), '/etc/ceph/%s.keyring' % cluster,
             '/etc/ceph/keyring']
    out = {'user': user, 'keyring': None, 'host_file': None, 'found': False, 'digest': None,
           'looked_at': [], 'error': None}
    for path in cand:
        path = path.replace('$cluster', cluster).replace('$name', name)
        host = map_path(path, mapping)
        out['looked_at'].append(host)
        text, err = _read(ctx, host)
        if err:
            out['error'] = err
            continue
        if text is None:
            continue
        section = parse_ceph_ini(text).get(name)
        if not section or not section.get('key'):
            continue
        out.update(keyring=path, host_file=host, found=True, error=None)
        out['digest'] = digest(section['key'])
        if out['digest'] is None:
            out['error'] = _err('the key of %s is not base64' % name, host)
        return out
    return out


def _virsh_argv(ctx, exec_prefix, args):
    seconds = str(int(ctx.params.get('command_timeout') or 30))
    return ['timeout', seconds] + list(exec_prefix) + ['virsh', '-c', VIRSH_URI] + list(args)


def parse_secret_list(text):
    """``virsh secret-list`` -> ``[{uuid, usage_type, usage}]`` (libvirt prints
    ``<uuid>  <usage type> <usage id>``; ``Unused`` for a secret without usage)."""
    out = []
    for line in (text or '').splitlines():
        parts = line.split(None, 1)
        if not parts or not UUID_RE.match(parts[0]):
            continue
        rest = parts[1].strip() if len(parts) > 1 else ''
        usage_type, _sep, usage = rest.partition(' ')
        out.append({'uuid': parts[0].lower(), 'usage_type': usage_type or None,
                    'usage': usage.strip() or None})
    return out


def libvirt_secrets(ctx):
    """``{present, where, container, exec, error, defined: {uuid: {usage_type, usage,
    has_value, digest, error}}}`` from the layout's libvirt (host virsh or ``<cli> exec``)."""
    layout = ctx.layout or {}
    cli = layout.get('container_cli')
    out = {'present': False, 'where': None, 'container': None, 'exec': [], 'error': None,
           'defined': {}, 'service': None}
    for name in SECRET_SERVICES:
        svc = ctx.service(name)
        restart = svc.get('restart') or {}
        if restart.get('container_exists') and cli not in (None, '', 'none'):
            out.update(present=True, where='container', container=restart.get('container'),
                       exec=[cli, 'exec', '-i', restart.get('container')], service=name)
            if not str(restart.get('container_state') or '').lower().startswith(('running', 'up')):
                out['error'] = _err('container %s is not running (%s): its secrets cannot be read'
                                    % (restart.get('container'), restart.get('container_state')))
                return out
            break
    else:
        flavour = layout.get('flavour')
        libvirt = ctx.service('libvirt').get('restart') or {}
        virsh = _find_binary(ctx, 'virsh')
        if flavour in ('packaged', 'juju') or virsh:
            if virsh or libvirt.get('unit_exists'):
                out.update(present=True, where='host', service='libvirt')
        if not out['present']:
            return out
        if not virsh:
            out['error'] = _err('libvirt runs here but virsh is not installed (libvirt-clients)')
            return out
    if ctx.runner is None:
        out['error'] = _err('no command runner: libvirt secrets not read')
        return out
    rc, stdout, stderr = ctx.runner(_virsh_argv(ctx, out['exec'], ['secret-list']))
    if rc != 0:
        out['error'] = _err('virsh secret-list failed (rc=%s%s): %s'
                            % (rc, ', timed out' if rc == 124 else '', (stderr or stdout or '').strip()[-300:]))
        return out
    for item in parse_secret_list(stdout):
        entry = {'usage_type': item['usage_type'], 'usage': item['usage'], 'has_value': False,
                 'digest': None, 'error': None}
        rc, value, stderr = ctx.runner(_virsh_argv(ctx, out['exec'], ['secret-get-value', item['uuid']]))
        if rc == 0:
            entry['digest'] = digest(value)
            entry['has_value'] = entry['digest'] is not None
            if entry['digest'] is None:
                entry['error'] = 'secret-get-value printed no base64 value'
        else:
            msg = (stderr or '').strip().splitlines()
            entry['error'] = (msg[-1] if msg else 'rc=%s' % rc)[-300:]
            entry['private'] = 'private' in entry['error'].lower()
        out['defined'][item['uuid']] = entry
    return out


def _find_binary(ctx, name):
    from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod
    return layout_mod.find_binary(name, ctx.root)


def _entry_line(conf, section, option):
    e = conf.entry(section, option)
    return (e.value.strip() if e is not None and e.value is not None else None), (e.line if e is not None else None)


def nova_side(ctx, mapping, cache):
    svc = ctx.service('nova-compute')
    path = (svc.get('config_files') or ['/etc/nova/nova.conf'])[0]
    out = {'config_file': path, 'found': False, 'error': None, 'compute_driver': None,
           'images_type': None, 'rbd_user': None, 'rbd_secret_uuid': None, 'lines': {},
           'ceph_conf': None, 'cephx': None}
    conf, err = _oslo(ctx, path)
    if err:
        out['error'] = err
        return out
    if conf is None:
        return out
    out['found'] = True
    out['compute_driver'] = conf.get('DEFAULT', 'compute_driver')
    for opt in ('images_type', 'rbd_user', 'rbd_secret_uuid', 'images_rbd_ceph_conf'):
        value, line = _entry_line(conf, 'libvirt', opt)
        out[opt] = value or None
        out['lines'][opt] = line
    out['images_type'] = out['images_type'] or 'default'
    if out['rbd_secret_uuid']:
        out['rbd_secret_uuid'] = out['rbd_secret_uuid'].lower()
    # nova's images_rbd_ceph_conf default is '' (librados' default search: /etc/ceph/ceph.conf)
    cpath = out.pop('images_rbd_ceph_conf') or '/etc/ceph/ceph.conf'
    cc = ceph_conf(ctx, cpath, mapping, cache)
    out['ceph_conf'] = dict((k, v) for k, v in cc.items() if k != '_conf')
    if out['rbd_user']:
        out['cephx'] = cephx_key(ctx, out['rbd_user'], 'ceph', cc, mapping)
    return out


def cinder_side(ctx, mapping, nova_mapping, cache):
    svc = ctx.service('cinder-volume')
    path = (svc.get('config_files') or ['/etc/cinder/cinder.conf'])[0]
    out = {'config_file': path, 'found': False, 'error': None, 'backends': {}}
    conf, err = _oslo(ctx, path)
    if err:
        out['error'] = err
        return out
    if conf is None:
        return out
    out['found'] = True
    enabled = [b.strip() for b in (conf.get('DEFAULT', 'enabled_backends') or '').split(',') if b.strip()]
    sections = enabled or ['DEFAULT']
    for name in sections:
        chain = [name] if name == 'DEFAULT' else [name, 'backend_defaults']

        def opt(option, chain=chain):
            for sect in chain:
                e = conf.entry(sect, option)
                if e is not None:
                    return (e.value or '').strip(), sect, e.line
            return None, None, None
        driver = opt('volume_driver')[0]
        if not driver or not RBD_DRIVER_RE.search(driver):
            continue
        b = {'section': name, 'file': path, 'volume_driver': driver}
        for option in ('rbd_user', 'rbd_secret_uuid', 'rbd_ceph_conf', 'rbd_cluster_name'):
            value, sect, line = opt(option)
            b[option] = value or None
            b['%s_at' % option] = None if sect is None else {'section': sect, 'line': line}
        cluster = b['rbd_cluster_name'] or 'ceph'
        cpath = b['rbd_ceph_conf'] or '/etc/ceph/%s.conf' % cluster
        cc = ceph_conf(ctx, cpath, mapping, cache)
        b['ceph_conf'] = dict((k, v) for k, v in cc.items() if k != '_conf')
        b['fsid'] = cc.get('fsid')
        if b['rbd_secret_uuid']:
            b['secret_uuid'] = b['rbd_secret_uuid'].lower()
            b['uuid_from'] = 'rbd_secret_uuid'
        elif b['fsid']:
            b['secret_uuid'] = b['fsid'].lower()
            b['uuid_from'] = 'fsid'
        else:
            b['secret_uuid'] = None
            b['uuid_from'] = None
        if b['rbd_user']:
            b['cephx'] = cephx_key(ctx, b['rbd_user'], cluster, cc, mapping)
        out['backends'][name] = b
    return out


def gather_rbd_secrets(ctx, scan_log):
    """The subset (see the module docstring): ``{flavour, ceph_paths, nova, cinder, cephx,
    libvirt, log}``. ``cephx`` maps every cephx user of nova or cinder to its key as seen from
    nova-compute's /etc/ceph (where libvirt's secret must match it), digests only."""
    flavour = (ctx.layout or {}).get('flavour') or 'packaged'
    maps = CEPH_PATH_MAP.get(flavour) or CEPH_PATH_MAP['packaged']
    cache = {}
    nova = nova_side(ctx, maps['nova-compute'], cache)
    ccache = {}
    cinder = cinder_side(ctx, maps['cinder-volume'], maps['nova-compute'], ccache)
    users = set()
    if nova.get('rbd_user'):
        users.add(nova['rbd_user'])
    for b in cinder['backends'].values():
        if b.get('rbd_user'):
            users.add(b['rbd_user'])
    nova_cc = ceph_conf(ctx, '/etc/ceph/ceph.conf', maps['nova-compute'], cache)
    keys = {}
    for user in sorted(users):
        keys[user] = cephx_key(ctx, user, 'ceph', nova_cc, maps['nova-compute'])
    # the users of cinder backends on other hosts are not known here: every client keyring in
    # nova-compute's /etc/ceph is read too (the check compares the one its UUID's user needs)
    etc = map_path('/etc/ceph', maps['nova-compute'])
    for real in sorted(glob.glob(os.path.join(ctx.fs(etc), '*.keyring'))):
        text, _err_ = _read(ctx, os.path.join(etc, os.path.basename(real)))
        for section, opts in sorted(parse_ceph_ini(text).items()):
            user = section[len('client.'):] if section.startswith('client.') else None
            if user and user not in keys and opts.get('key'):
                host = os.path.join(etc, os.path.basename(real))
                keys[user] = {'user': user, 'keyring': host, 'host_file': host, 'found': True,
                              'digest': digest(opts['key']), 'looked_at': [host], 'error': None}
    out = {'flavour': flavour, 'ceph_paths': {'map': maps, 'source': CEPH_PATH_SOURCES.get(flavour)},
           'nova': nova, 'cinder': cinder, 'cephx': keys, 'libvirt': libvirt_secrets(ctx),
           'log': None}
    if nova['found'] or out['libvirt']['present']:
        out['log'] = scan_log(ctx, 'nova-compute', '/var/log/nova/nova-compute.log',
                              [s for s in RBD_LOG_SIGNATURES if s in log_signatures.BY_ID])
    return out
