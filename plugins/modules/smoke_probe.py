#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: smoke_probe
short_description: Create, time and remove an image, a volume, a server, an attachment, a floating IP and a snapshot
version_added: 0.1.0
description:
  - The end-to-end probe of M(stackdoctor.openstack.check_smoke) (role C(check_smoke), playbook
    C(stackdoctor.openstack.smoke)). In one call, in the project of the credentials, each step of
    O(steps) creates one thing and waits for it, timed - C(image) uploads a raw image of
    O(image_size_mb) of zeros and waits for C(active); C(volume) creates a volume and waits for
    C(available); C(server) boots a server of O(flavor) from that image on O(network) and waits for
    C(ACTIVE); C(attach) attaches the volume and waits for C(in-use); C(floating_ip) creates a
    floating IP on O(floating_network) for the server's port and waits for C(ACTIVE) (the router
    applied it); C(snapshot) snapshots the volume (C(force), it may be attached) and waits for
    C(available).
  - A step runs only when the steps it needs passed (server needs image; attach needs server and
    volume; floating_ip needs server; snapshot needs volume); a failed step records the API's answer
    (for a server in C(ERROR), its fault message).
  - Everything is named C(<prefix>-<run>-<kind>) (a floating IP in its description; the image also
    carries the tag O(prefix)). At the end, also after a failure or an interruption of the module
    (SIGINT, SIGTERM), everything of the run is listed by that name and deleted in dependency order
    (floating IPs, servers, snapshots, volumes, images), each deletion waited for. With O(sweep),
    before the steps, whatever earlier runs left (names starting with C(<prefix>-)) is deleted the
    same way - run one probe per project at a time.
  - Every API call is bounded by O(api_timeout), every wait by O(step_timeout).
  - M(openstack.cloud.server), M(openstack.cloud.volume) and the other modules of openstack.cloud
    2.5.0 (bundled with ansible 12) fail with openstacksdk 4.15 or later (C(module 'openstack' has
    no attribute 'version'), openstacksdk removed C(openstack.version) from its package import);
    this module makes the same SDK calls and runs with either.
  - In check mode nothing is created or deleted; the result says what would be.
author:
  - stackdoctor developers (@stackdoctor)
options:
  steps:
    description: The steps, run in the order listed above whatever the order given.
    type: list
    elements: str
    choices: [image, volume, server, attach, floating_ip, snapshot]
    default: [image, volume, server, attach, floating_ip, snapshot]
  prefix:
    description: Name prefix of everything the probe creates, and of the leftovers O(sweep) removes.
    type: str
    default: stackdoctor-smoke
  run:
    description: Name of this run (default C(<prefix>-<UTC time>-<random>)); must start with O(prefix).
    type: str
  flavor:
    description: Flavor name or id of the server. Required by step C(server).
    type: str
  network:
    description: Network name or id of the server's port. Required by step C(server).
    type: str
  floating_network:
    description: External network name or id of the floating IP. Required by step C(floating_ip).
    type: str
  image_size_mb:
    description: Size of the raw image uploaded, in MiB.
    type: int
    default: 1
  volume_size:
    description: Size of the volume in GB.
    type: int
    default: 1
  step_timeout:
    description: Seconds a step (or a deletion) waits for its status before it fails.
    type: int
    default: 180
  sweep:
    description: Before the steps, delete what earlier runs left (names starting with C(<prefix>-)).
    type: bool
    default: true
  api_timeout:
    description: Seconds each API call may take.
    type: int
    default: 30
extends_documentation_fragment:
  - openstack.cloud.openstack
attributes:
  check_mode:
    description: Creates and deletes nothing; returns the run name and the steps it would run.
    support: full
'''

EXAMPLES = r'''
- name: Smoke-test the cloud, then remove everything the probe created
  stackdoctor.openstack.smoke_probe:
    cloud: mycloud
    flavor: m1.tiny
    network: private
    floating_network: public
  register: smoke

- name: Only the storage steps, with a shorter wait
  stackdoctor.openstack.smoke_probe:
    cloud: mycloud
    steps: [image, volume, snapshot]
    step_timeout: 60
'''

RETURN = r'''
run:
  description: The name of this run; everything it created was named C(<run>-<kind>).
  returned: always
  type: str
steps:
  description: One entry per step run - C(step), C(ok), C(seconds), C(id), C(error) (the API's answer),
    and C(address) for the floating IP.
  returned: always
  type: list
  elements: dict
swept:
  description: What earlier runs left and this run deleted before the steps - C(kind), C(name), C(id),
    C(removed), C(error).
  returned: always
  type: list
  elements: dict
missing:
  description: When the module fails because the steps need options that are not set, those options.
  returned: on that failure
  type: list
  elements: str
cleanup:
  description: What this run created and deleted at the end, same shape as RV(swept). An entry with
    C(removed) false is left in the cloud (the next run with O(sweep) removes it).
  returned: always
  type: list
  elements: dict
'''

import random
import signal
import time

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks.smoke import NEEDS, STEPS
from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    StackdoctorOpenStackModule)

# the options each step needs (check_smoke reports the unset ones as check_smoke_<option>)
OPTIONS_NEEDED = (('flavor', 'server'), ('network', 'server'), ('floating_network', 'floating_ip'))
DELETE_ORDER = ('floating_ip', 'server', 'snapshot', 'volume', 'image')


class Interrupted(Exception):
    """SIGINT or SIGTERM while the probe runs: the cleanup still runs."""


def _interrupt(signum, _frame):
    raise Interrupted('interrupted by signal %d' % signum)


def _error(exc):
    text = ' '.join(str(exc).split())
    return '%s: %s' % (type(exc).__name__, text[:500]) if text else type(exc).__name__


class SmokeProbeModule(StackdoctorOpenStackModule):
    argument_spec = dict(
        steps=dict(type='list', elements='str', choices=list(STEPS), default=list(STEPS)),
        prefix=dict(type='str', default='stackdoctor-smoke'),
        run=dict(type='str'),
        flavor=dict(type='str'),
        network=dict(type='str'),
        floating_network=dict(type='str'),
        image_size_mb=dict(type='int', default=1),
        volume_size=dict(type='int', default=1),
        step_timeout=dict(type='int', default=180),
        sweep=dict(type='bool', default=True),
        api_timeout=dict(type='int', default=30),
    )
    module_kwargs = dict(supports_check_mode=True)

    # ---------------------------------------------------------------- waiting
    def _until(self, read, done, failed=None, what='status'):
        """Poll ``read()`` until ``done(value)``; ``failed(value)`` -> message stops at once."""
        deadline = time.monotonic() + self.params['step_timeout']
        while True:
            value = read()
            if done(value):
                return value
            message = failed(value) if failed else None
            if message:
                raise RuntimeError(message)
            if time.monotonic() >= deadline:
                raise RuntimeError('timed out after %ds waiting for %s (last: %s)'
                                   % (self.params['step_timeout'], what, self._status(value)))
            time.sleep(1)

    @staticmethod
    def _status(value):
        return getattr(value, 'status', value)

    def _wait_status(self, get, want, failures, what):
        want = [w.lower() for w in want]
        return self._until(get, lambda r: (r.status or '').lower() in want,
                           lambda r: ('%s is %s' % (what, r.status)) if (r.status or '').lower() in failures else None,
                           what='%s %s' % (what, '/'.join(want)))

    # ---------------------------------------------------------------- the steps
    def _image(self, name):
        data = b'\0' * (self.params['image_size_mb'] * 1024 * 1024)
        img = self.conn.image.create_image(name=name, disk_format='raw', container_format='bare', data=data,
                                           tags=[self.params['prefix']], allow_duplicates=True)
        self.created['image'] = img.id
        img = self._wait_status(lambda: self.conn.image.get_image(img.id), ['active'], ['killed', 'deleted'],
                                'image %s' % name)
        return {'id': img.id}

    def _volume(self, name):
        vol = self.conn.block_storage.create_volume(name=name, size=self.params['volume_size'],
                                                    metadata={'stackdoctor_smoke': self.run_name})
        self.created['volume'] = vol.id
        self._wait_status(lambda: self.conn.block_storage.get_volume(vol.id), ['available'], ['error'],
                          'volume %s' % name)
        return {'id': vol.id}

    def _server(self, name):
        flavor = self.conn.compute.find_flavor(self.params['flavor'], ignore_missing=False)
        network = self.conn.network.find_network(self.params['network'], ignore_missing=False)
        srv = self.conn.compute.create_server(name=name, image_id=self.created['image'], flavor_id=flavor.id,
                                              networks=[{'uuid': network.id}],
                                              metadata={'stackdoctor_smoke': self.run_name})
        self.created['server'] = srv.id

        def failed(s):
            if (s.status or '').upper() == 'ERROR':
                fault = s.fault or {}
                return 'server %s is ERROR: %s' % (name, fault.get('message') or 'no fault message')
            return None
        self._until(lambda: self.conn.compute.get_server(srv.id), lambda s: (s.status or '').upper() == 'ACTIVE',
                    failed, what='server %s ACTIVE' % name)
        return {'id': srv.id}

    def _attach(self, _name):
        self.conn.compute.create_volume_attachment(self.created['server'], volume_id=self.created['volume'])
        self._wait_status(lambda: self.conn.block_storage.get_volume(self.created['volume']), ['in-use'],
                          ['error', 'error_attaching'],
                          'volume attachment')
        return {'id': self.created['volume']}

    def _floating_ip(self, name):
        ports = list(self.conn.network.ports(device_id=self.created['server']))
        if not ports:
            raise RuntimeError('the server has no port')
        fnet = self.conn.network.find_network(self.params['floating_network'], ignore_missing=False)
        fip = self.conn.network.create_ip(floating_network_id=fnet.id, port_id=ports[0].id, description=name)
        self.created['floating_ip'] = fip.id
        fip = self._wait_status(lambda: self.conn.network.get_ip(fip.id), ['active'], ['error'],
                                'floating IP %s' % fip.floating_ip_address)
        return {'id': fip.id, 'address': fip.floating_ip_address}

    def _snapshot(self, name):
        snap = self.conn.block_storage.create_snapshot(volume_id=self.created['volume'], name=name, force=True)
        self.created['snapshot'] = snap.id
        self._wait_status(lambda: self.conn.block_storage.get_snapshot(snap.id), ['available'], ['error'],
                          'snapshot %s' % name)
        return {'id': snap.id}

    # ---------------------------------------------------------------- listing and deleting
    def _listed(self, prefix):
        """(kind, id, name) of every resource of the project named with ``prefix``, in DELETE_ORDER;
        a kind that cannot be listed is returned as an error entry."""
        c = self.conn
        readers = {
            'floating_ip': lambda: [(f.id, f.description) for f in c.network.ips()],
            'server': lambda: [(s.id, s.name) for s in c.compute.servers(name='^' + prefix)],
            'snapshot': lambda: [(s.id, s.name) for s in c.block_storage.snapshots()],
            'volume': lambda: [(v.id, v.name) for v in c.block_storage.volumes()],
            'image': lambda: [(i.id, i.name) for i in c.image.images(tag=self.params['prefix'])],
        }
        found, errors = [], []
        for kind in DELETE_ORDER:
            try:
                found += [(kind, rid, name) for rid, name in readers[kind]() if (name or '').startswith(prefix)]
            except Exception as exc:  # pylint: disable=broad-except
                errors.append({'kind': kind, 'name': prefix + '*', 'id': None, 'removed': False,
                               'error': 'cannot list: %s' % _error(exc)})
        return found, errors

    def _delete(self, kind, rid):
        c = self.conn
        if kind == 'floating_ip':
            c.network.delete_ip(rid, ignore_missing=True)
            return
        if kind == 'image':
            c.image.delete_image(rid, ignore_missing=True)
            return
        if kind == 'volume':
            # a server's deletion detaches its volumes a moment later
            try:
                vol = self._until(lambda: c.block_storage.find_volume(rid),
                                  lambda v: v is None or v.status not in ('in-use', 'detaching', 'attaching', 'reserved'),
                                  what='volume %s to be detached' % rid)
            except RuntimeError as exc:
                vol = c.block_storage.find_volume(rid)
                servers = [a.get('server_id') for a in (getattr(vol, 'attachments', None) or [])]
                raise RuntimeError('%s; still attached to server(s) %s although the probe deleted them: nova-compute '
                                   'could not delete the attachment (its log says why; "ConflictNovaUsingAttachment" '
                                   'means nova sends no service token: OSSA-2023-003)' % (exc, ', '.join(servers) or '?'))
            if vol is None:
                return
        get, delete = {'server': (c.compute.find_server, c.compute.delete_server),
                       'snapshot': (c.block_storage.find_snapshot, c.block_storage.delete_snapshot),
                       'volume': (c.block_storage.find_volume, c.block_storage.delete_volume)}[kind]
        delete(rid, ignore_missing=True)
        self._until(lambda: get(rid), lambda r: r is None, what='%s %s to be deleted' % (kind, rid))

    def _remove(self, prefix):
        found, out = self._listed(prefix)
        for kind, rid, name in found:
            entry = {'kind': kind, 'name': name, 'id': rid, 'removed': False, 'error': None}
            try:
                self._delete(kind, rid)
                entry['removed'] = True
            except Exception as exc:  # pylint: disable=broad-except
                entry['error'] = _error(exc)
            out.append(entry)
        return out

    # ---------------------------------------------------------------- run
    def run(self):
        p = self.params
        prefix = p['prefix']
        self.run_name = p['run'] or '%s-%s-%05d' % (prefix, time.strftime('%Y%m%d%H%M%S', time.gmtime()),
                                                    random.SystemRandom().randint(0, 99999))
        if not self.run_name.startswith(prefix + '-'):
            self.fail_json(msg='run %s must start with %s-' % (self.run_name, prefix))
        wanted = [s for s in STEPS if s in p['steps']]
        missing = [o for o, step in OPTIONS_NEEDED if step in wanted and not p[o]]
        if missing:
            self.fail_json(msg='steps %s need %s' % (', '.join(wanted), ', '.join(missing)), run=self.run_name,
                           missing=missing)
        result = dict(changed=False, run=self.run_name, steps=[], swept=[], cleanup=[])
        if self.ansible.check_mode:
            result['would_run'] = wanted
            self.exit_json(**result)
        self.created = {}
        previous = dict((s, signal.signal(s, _interrupt)) for s in (signal.SIGINT, signal.SIGTERM))
        try:
            if p['sweep']:
                result['swept'] = self._remove(prefix + '-')
            passed = set()
            for step in wanted:
                if not all(n in passed for n in NEEDS.get(step, ())):
                    continue
                t0 = time.monotonic()
                entry = {'step': step, 'ok': False}
                try:
                    entry.update(getattr(self, '_' + step)('%s-%s' % (self.run_name, step)))
                    entry['ok'] = True
                    passed.add(step)
                except Interrupted:
                    raise
                except Exception as exc:  # pylint: disable=broad-except
                    entry['error'] = _error(exc)
                entry['seconds'] = round(time.monotonic() - t0, 1)
                result['steps'].append(entry)
        except Interrupted as exc:
            result['interrupted'] = str(exc)
        finally:
            # the cleanup is never interrupted halfway by a second signal
            for s in previous:
                signal.signal(s, signal.SIG_IGN)
            result['cleanup'] = self._remove(self.run_name + '-')
            for s, handler in previous.items():
                signal.signal(s, handler)
        result['changed'] = bool(result['steps'] or any(c['removed'] for c in result['swept']))
        if result.get('interrupted'):
            self.fail_json(msg='smoke probe %s: %s; removed what it had created' % (self.run_name, result['interrupted']),
                           **result)
        self.exit_json(**result)


def main():
    module = SmokeProbeModule()
    module()


if __name__ == '__main__':
    main()
