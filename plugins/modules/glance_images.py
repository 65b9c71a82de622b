#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: glance_images
short_description: Audit glance images (formats, properties, users), set their properties, convert them to raw
version_added: 0.1.0
description:
  - C(state=audit) reads every image (C(GET /v2/images), marker paging), glance's stores
    (C(GET /v2/info/stores/detail), else C(/v2/info/stores)) and how many servers
    (C(GET /servers/detail?all_tenants=1)) and volumes (C(GET /volumes/detail?all_tenants=1),
    C(volume_image_metadata.image_id)) use each image. The listings run O(concurrency) at a time,
    every call bounded by O(api_timeout), all of them by O(request_budget). Changes nothing.
  - C(state=properties) sets the properties of O(images) (C(PATCH /v2/images/{id}), JSON patch
    C(add)/C(replace); never removes one). Check mode reports what would change; diff mode shows
    each image's properties before and after.
  - C(state=converted) makes a raw copy of each image of O(images) that is not raw - download
    (C(GET /v2/images/{id}/file)) into O(work_dir), C(qemu-img convert -O raw), upload as a new
    image named with O(name_suffix) with the same visibility, min_disk, min_ram and properties
    plus C(stackdoctor_converted_from=<id>), then compare the new image's size and
    C(os_hash_value) with the local file. The original is never deleted or changed. An image that
    already has a raw copy (an active image whose C(stackdoctor_converted_from) names it) is left
    alone. Refuses (per image) when O(work_dir) has less free space than the download plus the raw
    file need. A copy that fails its verification is deactivated (never deleted) and reported.
  - M(openstack.cloud.image) and M(openstack.cloud.image_info) of openstack.cloud 2.5.0 (bundled
    with ansible 12) fail with openstacksdk 4.x ("module 'openstack' has no attribute 'version'");
    this module builds on the collection's C(StackdoctorOpenStackModule), which imports it.
author:
  - stackdoctor developers (@stackdoctor)
options:
  state:
    description: C(audit), C(properties) or C(converted).
    type: str
    default: audit
    choices: [audit, properties, converted]
  images:
    description:
      - C(state=properties) - entries C({id, properties}) (properties to set, values as strings).
      - C(state=converted) - image ids to convert.
    type: list
    elements: raw
    default: []
  concurrency:
    description: Listings (audit) or image updates (properties) run at a time.
    type: int
    default: 3
  request_budget:
    description: Most API calls of the run; beyond it the run stops with C(aborted=request_budget).
    type: int
    default: 500
  max_images:
    description: Most images the audit reads (a bigger cloud aborts with C(too_many_images)).
    type: int
    default: 5000
  count_usage:
    description: Count the servers and volumes using each image.
    type: bool
    default: true
  work_dir:
    description: Directory for downloads and conversions (state converted); created 0700 if missing.
    type: path
    default: /var/tmp/stackdoctor-images
  name_suffix:
    description: Appended to the original's name to name the raw copy.
    type: str
    default: -raw
  command_timeout:
    description: Seconds C(qemu-img) may take per image.
    type: int
    default: 1800
  space_margin_mb:
    description: Free space kept in O(work_dir) beyond what the conversion needs.
    type: int
    default: 512
  api_timeout:
    description: Seconds each API call may take (transfers of image data use it per read).
    type: int
    default: 30
extends_documentation_fragment:
  - openstack.cloud.openstack
attributes:
  check_mode:
    description: Reports what would change, changes nothing.
    support: full
  diff_mode:
    description: C(state=properties) shows each image's properties before and after.
    support: full
'''

EXAMPLES = r'''
- name: Audit every image
  stackdoctor.openstack.glance_images:
    cloud: mycloud
  register: audit

- name: Give two images virtio-scsi
  stackdoctor.openstack.glance_images:
    cloud: mycloud
    state: properties
    images:
      - {id: 5d6f..., properties: {hw_scsi_model: virtio-scsi, hw_disk_bus: scsi}}

- name: Make a raw copy of a qcow2 image (the original stays)
  stackdoctor.openstack.glance_images:
    cloud: mycloud
    state: converted
    images: [5d6f...]
'''

RETURN = r'''
images:
  description: audit - every image (id, name, status, disk_format, size, virtual_size, visibility, owner,
    stores, properties, servers, volumes); properties - per requested image (id, before, after, changed, error);
    converted - per requested image (id, name, copy_id, copy_name, changed, skipped, error, size, sha512).
  returned: always
  type: list
  elements: dict
stores:
  description: audit - glance's stores (stores - id, type, default; source; error).
  returned: state audit
  type: dict
usage:
  description: audit - whether servers and volumes were counted, and why not.
  returned: state audit
  type: dict
aborted:
  description: audit - why the audit stopped (None when it did not).
  returned: always
  type: str
abort_message:
  description: audit - what stopped it.
  returned: always
  type: str
calls:
  description: API calls made, by kind.
  returned: always
  type: dict
'''

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.stackdoctor.openstack.plugins.module_utils import glance_images as gi
from ansible_collections.stackdoctor.openstack.plugins.module_utils import placement as pl
from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    StackdoctorOpenStackModule)

CHUNK = 1024 * 1024


class GlanceImagesModule(StackdoctorOpenStackModule):
    argument_spec = dict(
        state=dict(type='str', default='audit', choices=['audit', 'properties', 'converted']),
        images=dict(type='list', elements='raw', default=[]),
        concurrency=dict(type='int', default=3),
        request_budget=dict(type='int', default=500),
        max_images=dict(type='int', default=5000),
        count_usage=dict(type='bool', default=True),
        work_dir=dict(type='path', default='/var/tmp/stackdoctor-images'),
        name_suffix=dict(type='str', default='-raw'),
        command_timeout=dict(type='int', default=1800),
        space_margin_mb=dict(type='int', default=512),
        api_timeout=dict(type='int', default=30),
    )
    module_kwargs = dict(supports_check_mode=True)

    # -- transport: keystoneauth adapters of the image, compute and block-storage proxies -----
    def _transport(self, api):
        proxies = {}

        def proxy(service):
            if service not in proxies:
                p = {'image': self.conn.image, 'compute': self.conn.compute,
                     'block-storage': self.conn.block_storage}[service]
                proxies[service] = pl.adapter_request(p)
            return proxies[service]

        def transport(service, method, path, microversion, body):
            kw = {}
            if microversion:
                kw['microversion'] = microversion
            if body is not None:
                kw['data'] = json.dumps(body)
                kw['headers'] = {'Content-Type': gi.PATCH_TYPE if method == 'PATCH' else 'application/json'}
            t = api.timeout()
            if t:
                kw['timeout'] = t
            resp = proxy(service)(path, method, **kw)
            try:
                data = resp.json() if resp.content else None
            except ValueError:
                data = None
            return resp.status_code, data
        return transport

    def _services(self):
        try:
            access = self.conn.session.auth.get_access(self.conn.session)
            return set(e.get('type') for e in (access.service_catalog.catalog or []))
        except Exception:  # pylint: disable=broad-except
            return None

    def run(self):
        p = self.params
        for name in ('concurrency', 'request_budget'):
            if p[name] < 1:
                self.fail_json(msg='%s must be >= 1' % name)
        api = pl.Api(None, budget=p['request_budget'], api_timeout=self.api_timeout)
        api.transport = self._transport(api)
        if p['state'] == 'audit':
            out = gi.audit(api, p, self._services())
            self.exit_json(changed=False, calls=api.by_kind, **out)
        elif p['state'] == 'properties':
            self._properties(api)
        else:
            self._converted(api)

    # -- properties ----------------------------------------------------------------------------
    def _properties(self, api):
        wanted = []
        for e in self.params['images']:
            if not isinstance(e, dict) or not e.get('id') or not isinstance(e.get('properties'), dict):
                self.fail_json(msg='state=properties: each entry of images needs id and properties (dict), got %r' % (e,))
            wanted.append(e)

        def one(entry):
            out = {'id': entry['id'], 'name': None, 'before': None, 'after': None, 'changed': False, 'error': None}
            try:
                raw = gi._get(api, 'image', '/images/%s' % entry['id'], 'image GET /images/{id}')
                view = gi.image_view(raw)
                out['name'] = view['name']
                before = view['properties']
                out['before'] = dict((k, before.get(k)) for k in sorted(entry['properties']))
                ops = gi.patch_ops(before, entry['properties'])
                out['after'] = dict((k, str(v)) for k, v in sorted(entry['properties'].items()))
                if ops:
                    out['changed'] = True
                    if not self.check_mode:
                        after = gi.set_properties(api, entry['id'], ops)
                        out['after'] = dict((k, after.get(k)) for k in sorted(entry['properties']))
            except gi.Aborted as exc:
                out['error'] = exc.message
            return out

        n = max(1, min(self.params['concurrency'], len(wanted) or 1))
        with ThreadPoolExecutor(max_workers=n) as pool:
            results = list(pool.map(one, wanted))
        diff = {'before': {}, 'after': {}}
        for r in results:
            if r['changed']:
                label = '%s (%s)' % (r['name'], r['id'])
                diff['before'][label] = dict((k, v) for k, v in (r['before'] or {}).items() if v is not None)
                diff['after'][label] = r['after']
        self.exit_json(changed=any(r['changed'] for r in results), images=results, calls=api.by_kind,
                       diff=diff, aborted=None, abort_message=None)

    # -- conversion ----------------------------------------------------------------------------
    def _session_stream(self, method, path, **kw):
        """A streamed request on the image proxy (downloads and uploads), bounded per read."""
        request = pl.adapter_request(self.conn.image)
        return request(path, method, timeout=self.api_timeout, **kw)

    def _existing_copies(self, api):
        copies = {}
        for img in gi.list_images(api, self.params['max_images']):
            src = img['properties'].get(gi.CONVERTED_FROM)
            if src and img['status'] in ('active', 'queued', 'saving', 'importing'):
                copies.setdefault(src, img)
        return copies

    def _converted(self, api):
        p = self.params
        ids = [str(i) for i in p['images'] if i]
        results = []
        try:
            copies = self._existing_copies(api)
        except gi.Aborted as exc:
            self.fail_json(msg='cannot list images: %s' % exc.message)
        qemu_img = shutil.which('qemu-img')
        for iid in ids:
            out = {'id': iid, 'name': None, 'copy_id': None, 'copy_name': None, 'changed': False,
                   'skipped': None, 'error': None, 'size': None, 'sha512': None}
            results.append(out)
            try:
                view = gi.image_view(gi._get(api, 'image', '/images/%s' % iid, 'image GET /images/{id}'))
            except gi.Aborted as exc:
                out['error'] = exc.message
                continue
            out['name'] = view['name']
            out['copy_name'] = '%s%s' % (view['name'] or iid, p['name_suffix'])
            if iid in copies:
                out['copy_id'], out['copy_name'] = copies[iid]['id'], copies[iid]['name']
                out['skipped'] = 'a raw copy exists'
                continue
            if view['disk_format'] == 'raw':
                out['skipped'] = 'already raw'
                continue
            if view['status'] != 'active':
                out['skipped'] = 'image status %s' % view['status']
                continue
            if not qemu_img:
                out['error'] = 'qemu-img not found on this host (Debian/Ubuntu: qemu-utils)'
                continue
            need = int(view['size'] or 0) + int(view['virtual_size'] or view['size'] or 0)
            if not view['virtual_size']:
                need += int(view['size'] or 0) * 4  # unknown virtual size: a conservative guess
            try:
                os.makedirs(p['work_dir'], mode=0o700, exist_ok=True)
                free = shutil.disk_usage(p['work_dir']).free
            except OSError as exc:
                out['error'] = 'work_dir %s: %s' % (p['work_dir'], exc.strerror or exc)
                continue
            if free < need + p['space_margin_mb'] * CHUNK:
                out['error'] = ('refused: %s has %d MiB free, the conversion needs %d MiB plus a margin of %d MiB'
                                % (p['work_dir'], free // CHUNK, need // CHUNK + 1, p['space_margin_mb']))
                continue
            out['changed'] = True
            if self.check_mode:
                continue
            self._convert_one(api, view, out, qemu_img)
        self.exit_json(changed=any(r['changed'] for r in results), images=results, calls=api.by_kind,
                       aborted=None, abort_message=None)

    def _convert_one(self, api, view, out, qemu_img):
        p = self.params
        tmp = tempfile.mkdtemp(prefix='convert-', dir=p['work_dir'])
        src, dst = os.path.join(tmp, 'source'), os.path.join(tmp, 'raw')
        try:
            resp = self._session_stream('GET', '/images/%s/file' % view['id'], stream=True)
            if resp.status_code != 200:
                out['error'] = 'download answered HTTP %s' % resp.status_code
                out['changed'] = False
                return
            with open(src, 'wb') as f:
                for chunk in resp.iter_content(CHUNK):
                    f.write(chunk)
            fmt = view['disk_format'] if view['disk_format'] in ('qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx') else None
            argv = [qemu_img, 'convert'] + (['-f', fmt] if fmt else []) + ['-O', 'raw', src, dst]
            try:
                r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   timeout=p['command_timeout'])
            except subprocess.TimeoutExpired:
                out['error'] = 'qemu-img convert did not finish within %d s' % p['command_timeout']
                out['changed'] = False
                return
            if r.returncode != 0:
                out['error'] = 'qemu-img convert failed (rc %d): %s' % (r.returncode, r.stderr.strip()[-300:])
                out['changed'] = False
                return
            sha, size = hashlib.sha512(), 0
            with open(dst, 'rb') as f:
                for chunk in iter(lambda: f.read(CHUNK), b''):
                    sha.update(chunk)
                    size += len(chunk)
            out['size'], out['sha512'] = size, sha.hexdigest()
            # openstacksdk's owner_specified.openstack.{md5,sha256,object} describe the original's data
            body = dict((k, str(v)) for k, v in view['properties'].items()
                        if not k.startswith('owner_specified.openstack.'))
            body.update({'name': out['copy_name'], 'disk_format': 'raw', 'container_format': 'bare',
                         'visibility': view['visibility'] or 'shared', gi.CONVERTED_FROM: view['id']})
            for k in ('min_disk', 'min_ram'):
                raw_v = view.get(k)
                if raw_v:
                    body[k] = raw_v
            if view.get('protected'):
                body['protected'] = False
            status, created = api.call('image', 'POST', '/images', None, body=body, kind='image POST /images')
            if status not in (200, 201) or not isinstance(created, dict):
                out['error'] = 'creating the raw image answered HTTP %s: %s' % (status, str(created)[:300])
                out['changed'] = False
                return
            out['copy_id'] = created['id']
            with open(dst, 'rb') as f:
                up = self._session_stream('PUT', '/images/%s/file' % created['id'], data=f,
                                          headers={'Content-Type': 'application/octet-stream'})
            if up.status_code not in (200, 204):
                out['error'] = 'upload answered HTTP %s' % up.status_code
                return
            final = gi.image_view(gi._get(api, 'image', '/images/%s' % created['id'], 'image GET /images/{id}'))
            bad = []
            if final['size'] != size:
                bad.append('size %s != %s' % (final['size'], size))
            if final['os_hash_algo'] == 'sha512' and final['os_hash_value'] != out['sha512']:
                bad.append('sha512 differs')
            if final['status'] != 'active':
                bad.append('status %s' % final['status'])
            if bad:
                api.call('image', 'POST', '/images/%s/actions/deactivate' % created['id'], None,
                         kind='image POST deactivate')
                out['error'] = 'the raw copy %s failed verification (%s) and was deactivated' % (
                    created['id'], ', '.join(bad))
        except gi.Aborted as exc:
            out['error'] = exc.message
        except (OSError, IOError) as exc:
            out['error'] = 'local file: %s' % (exc.strerror or exc)
        except Exception as exc:  # pylint: disable=broad-except
            out['error'] = '%s: %s' % (type(exc).__name__, str(exc)[:300])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    module = GlanceImagesModule()
    module()


if __name__ == '__main__':
    main()
