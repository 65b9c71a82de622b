# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_images: images that boot slowly or wrongly on a Ceph-backed cloud (declaration + evaluate).

The role reads glance (module ``glance_images``, state audit: every image with its properties and
how many servers and volumes use it, and glance's stores), the nodes' configs (node_facts
subsets ``image_backends``: glance-api.conf's stores, nova.conf's ``[libvirt] images_type``;
``cinder``: cinder's backends) and the site's declaration ``check_images_backends``, and the
osinfo database (``osinfo-query``) when it is installed; ``evaluate`` judges each active image.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils import osinfo_ids
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

RBD_DRIVER = 'cinder.volume.drivers.rbd.RBDDriver'
CONVERTED_FROM = 'stackdoctor_converted_from'

DECLARATION = {
    'name': 'check_images',
    'title': 'glance images that boot slowly or wrongly on a Ceph-backed cloud (non-raw images on RBD, '
             'missing virtio-scsi, os_type, os_distro, multiqueue properties)',
    'scope': 'cloud',
    'groups': ['controllers', 'computes', 'storage'],
    'subsets': ['cinder', 'image_backends'],
    'cross_host': True,
    'apis': [
        'image GET /v2/images (marker paging), /v2/info/stores/detail (else /v2/info/stores)',
        'compute GET /servers/detail?all_tenants=1 (image use)',
        'block-storage GET /volumes/detail?all_tenants=1 (volume_image_metadata.image_id)',
    ],
    'fix': 'fix_images',
    'params': {
        'virtio_scsi': {'var': 'check_images_virtio_scsi', 'default': 'auto'},
        'os_type': {'var': 'check_images_os_type', 'default': True},
        'os_distro': {'var': 'check_images_os_distro', 'default': True},
        'os_distro_glance_names': {'var': 'check_images_os_distro_glance_names', 'default': True},
        'multiqueue': {'var': 'check_images_multiqueue', 'default': False},
        'max_results': {'var': 'check_images_max_results', 'default': 200},
    },
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'glance.image_not_raw': {
            'severity': 'warning', 'identity': ['image_id'],
            'title': 'a non-raw (qcow2, vmdk, ...) image while glance and the root disks (nova images_type or '
                     'cinder) are on RBD: every boot downloads and converts it instead of a copy-on-write clone'},
        'glance.image_raw_copy_pending': {
            'severity': 'warning', 'fixable': False, 'identity': ['image_id'],
            'title': 'a non-raw image whose raw copy exists (made by fix_images): switch users to the copy '
                     'and retire the original'},
        'glance.image_scsi_properties': {
            'severity': 'warning', 'identity': ['image_id'],
            'title': 'hw_scsi_model=virtio-scsi / hw_disk_bus=scsi missing or conflicting (no discard/TRIM '
                     'on RBD-backed disks, or disks not on the virtio-scsi controller)'},
        'glance.image_os_type_missing': {
            'severity': 'warning', 'identity': ['image_id'],
            'title': 'os_type missing or not linux/windows (nova formats ephemeral and swap disks by it)'},
        'glance.image_os_distro_unknown': {
            'severity': 'warning', 'identity': ['image_id'],
            'title': 'os_distro is not a known osinfo short id (nor a value glance documents)'},
        'glance.image_multiqueue_missing': {
            'severity': 'warning', 'identity': ['image_id'],
            'title': 'hw_vif_multiqueue_enabled is not true where the site wants multiqueue virtio-net'},
        'glance.images_unreadable': {
            'severity': 'error', 'fixable': False,
            'title': 'glance could not be read (API down, budget, credentials): no image was judged'},
    },
    'references': [
        'https://docs.ceph.com/en/latest/rbd/rbd-openstack/ (raw images; hw_scsi_model=virtio-scsi, '
        'hw_disk_bus=scsi for discard)',
        'https://docs.openstack.org/glance/latest/admin/useful-image-properties.html',
        'https://docs.openstack.org/glance/latest/admin/interoperable-image-import.html '
        '(image_conversion plugin, output_format raw)',
        'https://docs.openstack.org/nova/latest/configuration/config.html#libvirt.images_type',
        'https://docs.openstack.org/glance/latest/configuration/configuring.html#configuring-multiple-stores',
        'https://docs.openstack.org/api-ref/image/v2/ (GET /v2/images, PATCH /v2/images/{id}, '
        'GET /v2/info/stores/detail)',
        'https://libosinfo.org/ (osinfo-query os: short ids)',
        'nova/virt/libvirt/imagebackend.py (Rbd.clone: "Image is not raw format" -> full download)',
    ],
    'runbook': {
        'symptom': (
            "On a Ceph-backed cloud, boots from some images take minutes and fill the compute's disk or "
            "network, while others start in seconds; nova-compute logs the image download and "
            "`qemu-img convert` for each boot, and each server's disk is a full copy in the pool instead "
            "of a clone (`rbd children` of the image's snapshot shows none). Guests see no discard "
            "(`fstrim` fails) and the pool never shrinks; Windows guests get wrongly formatted ephemeral "
            "disks; virtio-net runs on one queue."),
        'cause': (
            "nova (images_type=rbd) and cinder clone an image copy-on-write only when it is raw and in "
            "the same Ceph cluster (nova/virt/libvirt/imagebackend.py Rbd.clone, cinder's RBD driver "
            "_is_cloneable); a qcow2 image is downloaded and converted for every boot. Without "
            "hw_scsi_model=virtio-scsi and hw_disk_bus=scsi the disks sit on virtio-blk or another "
            "controller without discard (Ceph's OpenStack guide). os_type drives nova's ephemeral and "
            "swap formatting; os_distro is the osinfo short id tools and drivers look up; "
            "hw_vif_multiqueue_enabled gives virtio-net one queue per vCPU."),
        'reads': (
            "glance from check_images_api_host with module glance_images (state audit): every image "
            "(paged, at most check_images_max_images, check_images_request_budget calls, "
            "check_images_concurrency listings at a time, each bounded by check_images_api_timeout), "
            "glance's stores (GET /v2/info/stores/detail), servers and volumes per image. The backends: "
            "check_images_backends when the site declares them, else glance's stores API, else "
            "glance-api.conf ([DEFAULT] enabled_backends/[glance_store] default_backend, or "
            "[glance_store] stores/default_store) on the controllers; nova.conf [libvirt] images_type on "
            "the computes; cinder.conf backends with the RBD driver on the storage hosts (node_facts "
            "subsets image_backends and cinder). os_distro is checked against `osinfo-query -f short-id os` "
            "when libosinfo-bin is installed on check_images_osinfo_host, else against the shipped list "
            "(osinfo-db 0.20221130); the evidence says which. Only active images are judged; non-raw "
            "findings are ordered by servers + volumes using the image."),
        'fix': (
            "fix_images, opt-in per property: fix_images_properties names the properties to set and their "
            "values (e.g. {hw_scsi_model: virtio-scsi, hw_disk_bus: scsi, os_type: linux}), "
            "fix_images_os_distro maps image names or ids to an os_distro; only the images the check "
            "named are changed (PATCH /v2/images/{id}, never a removal); --diff shows each image's "
            "properties before and after. Conversion is opt-in (fix_images_convert: true, narrowed by "
            "fix_images_convert_images): download, `qemu-img convert -O raw`, upload as <name>"
            "<fix_images_convert_suffix> with the same properties plus stackdoctor_converted_from, "
            "size and sha512 verified; refused when fix_images_work_dir lacks room; the original is never "
            "deleted. To switch: point flavors/automation at the copy, rebuild or re-create servers and "
            "volumes from it, then hide (os_hidden=true) or deactivate the original and delete it once "
            "no server or volume uses it (the check counts them). New uploads: glance's image import with "
            "the image_conversion plugin ([image_conversion] output_format = raw) converts on import."),
        'verify': (
            "openstack image show <id> -c disk_format -c properties; boot a server from the raw image and "
            "check `rbd -p <vms pool> info <uuid>_disk` shows a parent (a clone); re-run check_images."),
    },
}

SCSI_WANT = {'hw_scsi_model': 'virtio-scsi', 'hw_disk_bus': 'scsi'}


def _truthy(v):
    return str(v).strip().lower() in ('true', '1', 'yes', 'on')


def _in(nodes, group):
    """The node facts of the hosts in ``group`` (every host when none says its groups)."""
    return dict((h, nf) for h, nf in nodes.items()
                if nf.get('groups') is None or group in (nf.get('groups') or []))


def backends(facts):
    """``{glance, root, sources, rbd}``: what stores images and root disks, and who said so.
    glance-api.conf is read on the controllers, nova.conf on the computes, cinder.conf on the
    storage hosts (by their inventory groups, when the facts say them)."""
    declared = facts.get('declared') or {}
    nodes = dict((h, nf) for h, nf in (facts.get('nodes') or {}).items() if isinstance(nf, dict))
    audit = facts.get('audit') or {}
    out = {'glance': None, 'nova': None, 'cinder': None, 'sources': {}}
    if declared.get('glance'):
        out['glance'] = str(declared['glance'])
        out['sources']['glance'] = 'declared (check_images_backends.glance)'
    else:
        stores = (audit.get('stores') or {}).get('stores')
        if stores:
            default = [s for s in stores if s.get('default')] or stores[:1]
            out['glance'] = default[0].get('type') or None
            if out['glance']:
                out['sources']['glance'] = '%s: default store %s' % (
                    (audit.get('stores') or {}).get('source'), default[0].get('id'))
        if not out['glance']:
            for host, nf in sorted(_in(nodes, 'controllers').items()):
                g = (nf.get('image_backends') or {}).get('glance') or {}
                if not g.get('found'):
                    continue
                typ = None
                if g.get('enabled_backends'):
                    name = g.get('default_backend') or sorted(g['enabled_backends'])[0]
                    typ = g['enabled_backends'].get(name)
                else:
                    typ = g.get('default_store') or (g.get('stores') or ['file'])[0]
                if typ:
                    out['glance'] = typ
                    where = (':%s' % g['line']) if g.get('line') else ''
                    out['sources']['glance'] = '%s:%s%s' % (host, g.get('config_file'), where)
                    break
    if declared.get('nova'):
        out['nova'] = str(declared['nova'])
        out['sources']['nova'] = 'declared (check_images_backends.nova)'
    else:
        types = {}
        for host, nf in sorted(_in(nodes, 'computes').items()):
            n = (nf.get('image_backends') or {}).get('nova') or {}
            if n.get('found') and n.get('images_type'):
                types.setdefault(n['images_type'], []).append(host)
        if types:
            out['nova'] = 'rbd' if 'rbd' in types else sorted(types)[0]
            out['sources']['nova'] = '; '.join('[libvirt] images_type=%s on %s' % (t, ', '.join(h))
                                               for t, h in sorted(types.items()))
    if declared.get('cinder'):
        out['cinder'] = str(declared['cinder'])
        out['sources']['cinder'] = 'declared (check_images_backends.cinder)'
    else:
        rbd_hosts = []
        seen = False
        for host, nf in sorted(_in(nodes, 'storage').items()):
            c = nf.get('cinder') or {}
            if not c.get('found'):
                continue
            seen = True
            if any((b or {}).get('volume_driver') == RBD_DRIVER for b in (c.get('backends') or {}).values()):
                rbd_hosts.append(host)
        if seen:
            out['cinder'] = 'rbd' if rbd_hosts else 'other'
            out['sources']['cinder'] = ('RBDDriver backend on %s' % ', '.join(rbd_hosts)) if rbd_hosts \
                else 'cinder.conf without an RBD backend'
    out['root_rbd'] = out['nova'] == 'rbd' or out['cinder'] == 'rbd'
    out['rbd'] = out['glance'] == 'rbd' and out['root_rbd']
    return out


def _ev(img, **extra):
    ev = {'image_id': img.get('id'), 'image': img.get('name'), 'disk_format': img.get('disk_format'),
          'size': img.get('size'), 'visibility': img.get('visibility'),
          'servers': img.get('servers'), 'volumes': img.get('volumes')}
    ev.update(extra)
    return ev


def _uses(img):
    return (img.get('servers') or 0) + (img.get('volumes') or 0)


def _uses_text(img):
    if img.get('servers') is None and img.get('volumes') is None:
        return 'use not counted'
    return '%s server(s), %s volume(s)' % (
        '?' if img.get('servers') is None else img['servers'], '?' if img.get('volumes') is None else img['volumes'])


def evaluate(facts, params=None):
    """``facts``: ``{audit, error, nodes: {host: node facts}, declared, osinfo: {ids, source}}``."""
    facts = facts or {}
    params = params or {}
    D = DECLARATION
    audit = facts.get('audit')
    if facts.get('error') or not isinstance(audit, dict):
        msg = facts.get('error') or 'no audit to evaluate (bad input: %r)' % type(audit).__name__
        return [base.result(D, 'glance.images_unreadable', 'error', 'glance could not be read: %s' % msg,
                            {'message': msg})]
    if audit.get('aborted'):
        return [base.result(D, 'glance.images_unreadable', 'error',
                            'image audit stopped (%s): %s; no image was judged' % (audit['aborted'], audit.get('abort_message')),
                            {'reason': audit['aborted'], 'message': audit.get('abort_message')})]
    images = [i for i in audit.get('images') or [] if isinstance(i, dict)]
    active = [i for i in images if i.get('status') == 'active']
    be = backends(facts)
    copies = {}
    for i in images:
        src = (i.get('properties') or {}).get(CONVERTED_FROM)
        if src and i.get('status') == 'active':
            copies.setdefault(src, i)
    results = []
    max_results = int(params.get('max_results') or 0)

    # 1. non-raw images on RBD, most used first
    be_ev = {'glance_store': be['glance'], 'nova_images_type': be['nova'], 'cinder': be['cinder'],
             'backend_sources': be['sources']}
    if be['glance'] is None or (be['nova'] is None and be['cinder'] is None):
        results.append(base.result(
            D, 'glance.image_not_raw', 'skipped',
            'backends unknown (glance store: %s, nova images_type: %s, cinder: %s): declare check_images_backends '
            'or gather the nodes' % (be['glance'], be['nova'], be['cinder']), be_ev))
    elif not be['rbd']:
        results.append(base.result(
            D, 'glance.image_not_raw', 'ok',
            'image format is not judged: glance store %s, nova images_type %s, cinder %s (not RBD for both images '
            'and root disks)' % (be['glance'], be['nova'], be['cinder']), be_ev))
    else:
        not_raw = sorted([i for i in active if (i.get('disk_format') or '') != 'raw'],
                         key=lambda i: (-_uses(i), i.get('name') or '', i.get('id') or ''))
        for img in not_raw:
            copy = copies.get(img.get('id'))
            if copy:
                results.append(base.result(
                    D, 'glance.image_raw_copy_pending', base.FAULT,
                    'image %s (%s, %s) has a raw copy %s (%s): switch its users to the copy, then retire it (%s)'
                    % (img.get('name'), img.get('id'), img.get('disk_format'), copy.get('name'), copy.get('id'),
                       _uses_text(img)),
                    _ev(img, raw_copy_id=copy.get('id'), raw_copy=copy.get('name'), **be_ev)))
            else:
                results.append(base.result(
                    D, 'glance.image_not_raw', base.FAULT,
                    'image %s (%s) is %s on RBD (glance %s, root disks %s): each boot downloads and converts it '
                    'instead of cloning; %s' % (img.get('name'), img.get('id'), img.get('disk_format'), be['glance'],
                                                'rbd' if be['nova'] == 'rbd' else 'cinder rbd', _uses_text(img)),
                    _ev(img, **be_ev)))
        if not not_raw:
            results.append(base.result(D, 'glance.image_not_raw', 'ok',
                                       '%d active image(s), all raw, on RBD' % len(active), be_ev))

    # 2. properties
    want_scsi = params.get('virtio_scsi', 'auto')
    want_scsi = be['rbd'] if str(want_scsi).lower() == 'auto' else _truthy(want_scsi)
    osinfo = facts.get('osinfo') or {}
    known = set(osinfo.get('ids') or []) or set(osinfo_ids.IDS)
    source = osinfo.get('source') if osinfo.get('ids') else osinfo_ids.SOURCE
    glance_names = _truthy(params.get('os_distro_glance_names', True))
    counts = {'glance.image_scsi_properties': 0, 'glance.image_os_type_missing': 0,
              'glance.image_os_distro_unknown': 0, 'glance.image_multiqueue_missing': 0}
    enabled = {'glance.image_scsi_properties': want_scsi,
               'glance.image_os_type_missing': _truthy(params.get('os_type', True)),
               'glance.image_os_distro_unknown': _truthy(params.get('os_distro', True)),
               'glance.image_multiqueue_missing': _truthy(params.get('multiqueue', False))}
    for img in sorted(active, key=lambda i: (-_uses(i), i.get('name') or '', i.get('id') or '')):
        props = img.get('properties') or {}
        name = '%s (%s)' % (img.get('name'), img.get('id'))
        if enabled['glance.image_scsi_properties']:
            have = dict((k, props.get(k)) for k in SCSI_WANT)
            missing = sorted(k for k, v in have.items() if v is None)
            conflicting = dict((k, v) for k, v in have.items() if v is not None and v != SCSI_WANT[k])
            if missing or conflicting:
                what = []
                if missing:
                    what.append('missing %s' % ', '.join(missing))
                if conflicting:
                    what.append('conflicting %s' % ', '.join('%s=%s' % kv for kv in sorted(conflicting.items())))
                counts['glance.image_scsi_properties'] += 1
                results.append(base.result(
                    D, 'glance.image_scsi_properties', base.FAULT,
                    'image %s: %s (wants hw_scsi_model=virtio-scsi, hw_disk_bus=scsi)' % (name, '; '.join(what)),
                    _ev(img, have=have, missing=missing, conflicting=conflicting, wants=dict(SCSI_WANT))))
        if enabled['glance.image_os_type_missing']:
            os_type = props.get('os_type')
            if os_type not in ('linux', 'windows'):
                counts['glance.image_os_type_missing'] += 1
                results.append(base.result(
                    D, 'glance.image_os_type_missing', base.FAULT,
                    'image %s: os_type %s' % (name, 'missing' if os_type is None else '%r is not linux or windows' % os_type),
                    _ev(img, have={'os_type': os_type}, wants={'os_type': None})))
        if enabled['glance.image_os_distro_unknown']:
            distro = props.get('os_distro')
            if distro is not None and distro not in known and not (glance_names and distro in osinfo_ids.GLANCE_NAMES):
                counts['glance.image_os_distro_unknown'] += 1
                results.append(base.result(
                    D, 'glance.image_os_distro_unknown', base.FAULT,
                    'image %s: os_distro %r is not a known osinfo short id (%s)' % (name, distro, source),
                    _ev(img, have={'os_distro': distro}, wants={'os_distro': None}, osinfo_source=source)))
        if enabled['glance.image_multiqueue_missing']:
            mq = props.get('hw_vif_multiqueue_enabled')
            if not _truthy(mq):
                counts['glance.image_multiqueue_missing'] += 1
                results.append(base.result(
                    D, 'glance.image_multiqueue_missing', base.FAULT,
                    'image %s: hw_vif_multiqueue_enabled %s' % (name, 'missing' if mq is None else '= %s' % mq),
                    _ev(img, have={'hw_vif_multiqueue_enabled': mq}, wants={'hw_vif_multiqueue_enabled': 'true'})))
    for fid, n in counts.items():
        if not enabled[fid]:
            results.append(base.result(D, fid, 'skipped', 'not judged (site variable %s)' % {
                'glance.image_scsi_properties': 'check_images_virtio_scsi (auto: only when images and root disks are RBD)',
                'glance.image_os_type_missing': 'check_images_os_type',
                'glance.image_os_distro_unknown': 'check_images_os_distro',
                'glance.image_multiqueue_missing': 'check_images_multiqueue'}[fid]))
        elif n == 0:
            ev = {'images': len(active)}
            if fid == 'glance.image_os_distro_unknown':
                ev['osinfo_source'] = source
            results.append(base.result(D, fid, 'ok', '%d active image(s) judged, none with this finding%s' % (
                len(active), (' (os_distro against %s)' % source) if fid == 'glance.image_os_distro_unknown' else ''), ev))
    usage_errors = (audit.get('usage') or {}).get('errors') or []
    if usage_errors:
        results.append(base.result(D, 'glance.images_unreadable', 'error',
                                   'images judged, but their use was not counted: %s' % '; '.join(usage_errors)[:250],
                                   {'message': usage_errors}))
    if max_results and len(results) > max_results:
        dropped = len(results) - max_results
        results = results[:max_results]
        results.append(base.result(D, 'glance.images_unreadable', 'skipped',
                                   '%d more result(s) not listed (check_images_max_results=%d)' % (dropped, max_results)))
    return results
