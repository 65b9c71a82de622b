# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Glance images, their properties and their users, through the APIs (module glance_images).

Transport-based like ``placement.py`` (``Api``: request budget, deadline, per-call timeout,
transport errors as status 0), so the audit runs in unit tests on recorded answers.

* ``audit(api, params)``: every image (``GET /v2/images``, paginated by marker), glance's stores
  (``GET /v2/info/stores/detail``, admin, multi-store sites; ``GET /v2/info/stores`` otherwise),
  and how many servers (``GET /servers/detail?all_tenants=1``, compute) and volumes
  (``GET /volumes/detail?all_tenants=1``, ``volume_image_metadata.image_id``) use each image.
  The three listings run ``concurrency`` at a time.
* ``set_properties(api, image_id, props)``: one JSON-patch ``PATCH /v2/images/{id}`` (op ``add``
  sets or replaces), glance's documented way to set image properties.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.stackdoctor.openstack.plugins.module_utils import placement as pl

PAGE = 200
# keys of a glance v2 image that are not user properties (glance/api/v2/images.py, the image schema)
CORE_KEYS = frozenset((
    'id', 'name', 'status', 'visibility', 'protected', 'checksum', 'os_hash_algo', 'os_hash_value',
    'owner', 'size', 'virtual_size', 'min_ram', 'min_disk', 'created_at', 'updated_at', 'disk_format',
    'container_format', 'tags', 'self', 'file', 'schema', 'direct_url', 'locations', 'os_hidden',
    'stores', 'member_status', 'os_glance_failed_import', 'os_glance_importing_to_stores'))
# the property fix_images writes on a raw copy, naming the image it was converted from
CONVERTED_FROM = 'stackdoctor_converted_from'
PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'


class Aborted(Exception):
    def __init__(self, reason, message):
        super(Aborted, self).__init__(message)
        self.reason = reason
        self.message = message


def _fail(service, status, path, body):
    what = 'did not answer' if status == 0 else 'answered HTTP %s' % status
    detail = ''
    if isinstance(body, dict) and body.get('error'):
        detail = ' (%s)' % str(body['error'])[:300]
    return Aborted('%s_unavailable' % service, '%s %s for %s%s' % (service, what, path.split('?')[0], detail))


def _get(api, service, path, kind, mv=None):
    try:
        status, body = api.call(service, 'GET', path, mv, kind=kind)
    except pl.Abort as exc:
        raise Aborted(exc.reason, exc.message)
    if status != 200 or not isinstance(body, dict):
        raise _fail(service, status, path, body)
    return body


def image_view(raw):
    """What the check needs of one glance image: core fields and its user properties."""
    props = dict((k, v) for k, v in raw.items() if k not in CORE_KEYS)
    return {
        'id': raw.get('id'), 'name': raw.get('name'), 'status': raw.get('status'),
        'disk_format': raw.get('disk_format'), 'container_format': raw.get('container_format'),
        'size': raw.get('size'), 'virtual_size': raw.get('virtual_size'),
        'visibility': raw.get('visibility'), 'owner': raw.get('owner'), 'protected': raw.get('protected'),
        'os_hidden': raw.get('os_hidden'), 'checksum': raw.get('checksum'),
        'os_hash_algo': raw.get('os_hash_algo'), 'os_hash_value': raw.get('os_hash_value'),
        'stores': [s for s in str(raw.get('stores') or '').split(',') if s],
        'properties': props,
    }


def list_images(api, max_images):
    """Every image, ``PAGE`` per call, following glance's ``next`` link (marker paging)."""
    images, marker = [], None
    while True:
        path = '/images?limit=%d&sort_key=created_at&sort_dir=asc' % PAGE
        if marker:
            path += '&marker=%s' % marker
        body = _get(api, 'image', path, 'image GET /images')
        page = body.get('images') or []
        images += [image_view(i) for i in page if isinstance(i, dict)]
        if max_images and len(images) > max_images:
            raise Aborted('too_many_images', 'more than max_images=%d images; raise it or the request budget'
                          % max_images)
        if not body.get('next') or not page:
            return images
        marker = page[-1].get('id')


def list_stores(api):
    """glance's stores: ``{stores: [{id, type, default}], source, error}``.

    ``/v2/info/stores/detail`` (admin, glance >= Wallaby) names each store's type; sites without
    ``enabled_backends`` (one store in ``[glance_store]``) answer 4xx there, and then the type is
    only in glance-api.conf (the node_facts subset image_backends)."""
    out = {'stores': None, 'source': None, 'error': None}
    for path in ('/info/stores/detail', '/info/stores'):
        try:
            status, body = api.call('image', 'GET', path, None, kind='image GET %s' % path)
        except pl.Abort as exc:
            out['error'] = exc.message
            return out
        if status == 200 and isinstance(body, dict):
            out['stores'] = [{'id': s.get('id'), 'type': s.get('type'), 'default': str(s.get('default')).lower() == 'true'}
                             for s in body.get('stores') or [] if isinstance(s, dict)]
            out['source'] = 'glance API GET %s' % path
            out['error'] = None
            return out
        out['error'] = 'glance GET %s answered %s%s' % (
            path, status or 'nothing', (': %s' % str(body)[:200]) if body else '')
    return out


def _paged(api, service, path, key, kind, mv=None):
    items, marker = [], None
    while True:
        p = path + ('&' if '?' in path else '?') + 'limit=%d' % 1000
        if marker:
            p += '&marker=%s' % marker
        body = _get(api, service, p, kind, mv)
        page = body.get(key) or []
        items += [x for x in page if isinstance(x, dict)]
        links = body.get('%s_links' % key) or []
        if not page or not any(isinstance(li, dict) and li.get('rel') == 'next' for li in links):
            return items
        marker = page[-1].get('id')


def count_servers(api):
    """image id -> number of servers booted from it (boot-from-volume servers have no image)."""
    counts = {}
    for s in _paged(api, 'compute', '/servers/detail?all_tenants=1', 'servers', 'compute GET /servers/detail'):
        image = s.get('image')
        iid = image.get('id') if isinstance(image, dict) else None
        if iid:
            counts[iid] = counts.get(iid, 0) + 1
    return counts


def count_volumes(api):
    """image id -> number of volumes created from it (``volume_image_metadata.image_id``)."""
    counts = {}
    for v in _paged(api, 'block-storage', '/volumes/detail?all_tenants=1', 'volumes',
                    'block-storage GET /volumes/detail'):
        iid = (v.get('volume_image_metadata') or {}).get('image_id')
        if iid:
            counts[iid] = counts.get(iid, 0) + 1
    return counts


def audit(api, params, services=None):
    """Images, stores and usage counts. ``services``: the catalog's service types (None = all
    assumed present); a missing compute or block-storage service leaves its counts ``None``."""
    concurrency = max(1, int(params.get('concurrency') or 1))
    max_images = params.get('max_images')
    out = {'images': [], 'stores': None, 'usage': {'servers': None, 'volumes': None, 'errors': []},
           'aborted': None, 'abort_message': None}
    jobs = {'images': lambda: list_images(api, max_images), 'stores': lambda: list_stores(api)}
    if params.get('count_usage', True):
        if services is None or 'compute' in services:
            jobs['servers'] = lambda: count_servers(api)
        if services is None or services & {'block-storage', 'volumev3', 'volume'}:
            jobs['volumes'] = lambda: count_volumes(api)
    with ThreadPoolExecutor(max_workers=min(concurrency, len(jobs))) as pool:
        futures = dict((k, pool.submit(fn)) for k, fn in jobs.items())
        done = {}
        for k, fut in futures.items():
            try:
                done[k] = fut.result()
            except Aborted as exc:
                if k in ('images',):
                    out['aborted'], out['abort_message'] = exc.reason, exc.message
                else:
                    out['usage']['errors'].append('%s not counted: %s' % (k, exc.message))
    if out['aborted']:
        return out
    out['stores'] = done.get('stores')
    servers, volumes = done.get('servers'), done.get('volumes')
    out['usage']['servers'] = servers is not None
    out['usage']['volumes'] = volumes is not None
    for img in done.get('images') or []:
        img['servers'] = servers.get(img['id'], 0) if servers is not None else None
        img['volumes'] = volumes.get(img['id'], 0) if volumes is not None else None
        out['images'].append(img)
    return out


def patch_ops(before, want):
    """JSON-patch ops that give ``before`` (properties) the values of ``want``; [] when equal."""
    ops = []
    for k in sorted(want):
        v = str(want[k])
        if before.get(k) != v:
            ops.append({'op': 'replace' if k in before else 'add', 'path': '/%s' % k, 'value': v})
    return ops


def set_properties(api, image_id, ops):
    """``PATCH /v2/images/{id}`` with ``ops``; the image's new properties, or raise Aborted."""
    try:
        status, body = api.call('image', 'PATCH', '/images/%s' % image_id, None, body=ops,
                                kind='image PATCH /images/{id}')
    except pl.Abort as exc:
        raise Aborted(exc.reason, exc.message)
    if status != 200 or not isinstance(body, dict):
        raise _fail('image', status, '/images/%s' % image_id, body)
    return image_view(body)['properties']
