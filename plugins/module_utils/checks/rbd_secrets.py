# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rbd_secrets: libvirt secrets of the Ceph users nova and cinder name, on every compute
(declaration + evaluate).

A host check on the computes with a cross-host input: the role adds to the compute's own node
facts (subset ``rbd_secrets``: its nova.conf, its libvirt secrets, the keys it can read) the
cinder RBD backends read on the other hosts of the play (``rbd_peers``: ``{host: {groups,
cinder}}``), since cinder-volume rarely runs on the compute that attaches its volumes.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

NOVA_NET = 'nova/virt/libvirt/volume/net.py (_set_auth_config_rbd)'
DECLARATION = {
    'name': 'check_rbd_secrets',
    'title': 'Ceph RBD secrets that nova or cinder name but libvirt on a compute lacks or holds with '
             'the wrong key (volume attach and RBD-backed boots fail with "Secret not found")',
    'scope': 'host',
    'groups': ['computes', 'storage', 'controllers'],
    'subsets': ['layout', 'rbd_secrets'],
    'cross_host': True,
    'apis': [],
    'fix': 'fix_rbd_secrets',
    'facts_only': False,   # the role adds the cinder backends read on the play's other hosts
    'params': {'log_limit': {'var': 'check_rbd_secrets_log_limit', 'default': 5}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'libvirt.rbd_secret_missing': {
            'severity': 'critical', 'identity': ['uuid'],
            'title': 'an rbd_secret_uuid in use (nova [libvirt] or a cinder RBD backend, unset = the cluster '
                     'FSID since cinder Antelope) has no libvirt secret on this compute: attach, boot from '
                     'an RBD disk and live migration to it fail with "Secret not found"'},
        'libvirt.rbd_secret_value_mismatch': {
            'severity': 'critical', 'identity': ['uuid'],
            'title': "the libvirt secret has no value, or a value that is not the cephx key of the user "
                     "that uses it (compared by digest): QEMU cannot authenticate to Ceph"},
        'rbd.secret_user_conflict': {
            'severity': 'critical', 'identity': ['uuid'],
            'title': 'one rbd_secret_uuid is used with two cephx users (nova [libvirt] rbd_user and a cinder '
                     'backend rbd_user differ): the one libvirt secret holds one key, so the other user '
                     'cannot authenticate (fixed only with fix_rbd_secrets_align_config)'},
        'rbd.secret_uuid_unknown': {
            'severity': 'error', 'fixable': False, 'identity': ['backend', 'config_host'],
            'title': 'a cinder RBD backend without rbd_secret_uuid whose cluster FSID cannot be read from its '
                     'ceph.conf: the UUID libvirt must hold is unknown'},
        'cinder.rbd_auth_disabled': {
            'severity': 'warning', 'fixable': False, 'identity': ['backend', 'config_host'],
            'title': 'a cinder RBD backend without rbd_user: nova falls back to its own rbd_user and '
                     'rbd_secret_uuid for volumes, a fallback nova says it will drop'},
        'nova.rbd_secret_not_found_logged': {
            'severity': 'warning', 'fixable': False, 'identity': ['uuid'],
            'title': 'nova-compute logged "Secret not found" for a UUID no current config names and libvirt '
                     'lacks (an attached volume whose stored connection_info names an old secret)'},
    },
    'references': [
        'https://docs.ceph.com/en/latest/rbd/rbd-openstack/ (Setup Ceph Client Authentication: virsh '
        'secret-define, secret-set-value on every compute)',
        'https://docs.openstack.org/nova/latest/configuration/config.html#libvirt.rbd_secret_uuid',
        'https://docs.openstack.org/cinder/latest/configuration/block-storage/drivers/ceph-rbd-volume-driver.html',
        'openstack/cinder commit 6464d37d1 "RBD: Default rbd_secret_uuid to the cluster FSID" (22.0.0, Antelope); '
        'cinder/volume/drivers/rbd.py _set_default_secret_uuid, initialize_connection',
        'openstack/nova ' + NOVA_NET + '; nova/virt/libvirt/imagebackend.py (Rbd, images_type=rbd)',
        'openstack/kolla-ansible ansible/roles/nova-cell/tasks/external_ceph.yml:136-210, '
        'templates/secret.xml.j2 (two secrets: ceph-ephemeral-nova, ceph-persistent-cinder)',
        'openstack/charm-nova-compute hooks/nova_compute_utils.py create_libvirt_secret',
        'https://libvirt.org/formatsecret.html (usage type ceph; the usage name is unique per host)',
    ],
    'runbook': {
        'symptom': (
            'Volume attach, boot from an RBD-backed root disk or live migration to one compute fails; '
            "nova-compute logs `libvirt.libvirtError: Secret not found: no secret with matching uuid '<uuid>'` "
            '(older libvirt: `Secret not found: rbd no secret matches uuid`). With a secret holding the wrong '
            'key, QEMU cannot connect to RADOS (`error connecting: Permission denied` in the instance log, '
            '`qemu unexpectedly closed the monitor` in nova-compute).'),
        'cause': (
            'libvirt passes Ceph credentials to QEMU through a secret (usage type ceph) named by UUID. nova '
            'uses `[libvirt] rbd_secret_uuid` for RBD root disks (images_type=rbd) and for volumes when '
            'cinder sends none; cinder sends each RBD backend\'s `rbd_secret_uuid` with `rbd_user` in the '
            'connection info (unset = the cluster FSID since cinder 22.0.0 Antelope). Every such UUID must '
            'be defined, with the key of the user that uses it, on every compute. Deployment tools define '
            'them at deploy time (kolla: `ceph-ephemeral-nova` and `ceph-persistent-cinder`; charms: the '
            'ceph-access relation); a compute added by hand, a rebuilt libvirt container, a rotated key or '
            'a changed UUID leaves one compute without it. Two UUIDs are fine (kolla uses two); one UUID '
            'shared by two different rbd_user values is not: the secret holds one key. Before Antelope an unset '
            'cinder `rbd_secret_uuid` sent no UUID and nova used its own `rbd_secret_uuid` for volumes: on such a '
            'cloud the FSID this check expects is not used; set `rbd_secret_uuid` in the backend explicitly.'),
        'reads': (
            'On every host (node_facts subset `rbd_secrets`, paths through the layout): nova.conf `[libvirt] '
            'images_type`, `rbd_user`, `rbd_secret_uuid`; cinder.conf\'s RBD backends (`[<backend>]`, then '
            '`[backend_defaults]`): `rbd_user`, `rbd_secret_uuid`, `rbd_ceph_conf`, `rbd_cluster_name`, and '
            'ceph.conf `fsid`; the keyrings of those users as nova-compute sees /etc/ceph (kolla: '
            '/etc/kolla/nova-compute); libvirt\'s `virsh secret-list` and `secret-get-value` on the host or '
            'inside `nova_libvirt` (kolla) / `nova_virtsecretd` (TripleO); nova-compute log lines '
            '`Secret not found`. Keys and secret values are compared by digest (sha256 of the decoded key) '
            'and never leave the node. The cinder backends of every host in the play are compared on every '
            'compute.'),
        'fix': (
            '`fix_rbd_secrets` defines each missing secret (`virsh secret-define` with '
            '`<secret ephemeral=\'no\' private=\'no\'>`, usage type ceph and a usage name unique on the host, '
            '`client.<user> secret` as the Ceph docs write it), sets its value from the user\'s keyring '
            '(`virsh secret-set-value --file`, the key read on the node and never printed), and resets a '
            'wrong value the same way. On kolla it also writes `/etc/kolla/nova-libvirt/secrets/<uuid>.xml` and '
            '`.base64`, which nova_libvirt loads when it starts. With `fix_rbd_secrets_align_config: true` '
            'it also sets nova.conf `[libvirt] rbd_user` to the cinder backend\'s user where they share a '
            'UUID (the Ceph docs\' layout) and restarts nova-compute through the layout. A compute without the '
            'keyring is not repaired: copy the key there first.'),
        'verify': (
            'On each compute: `virsh secret-list` lists every UUID of nova.conf and cinder.conf; `virsh '
            'secret-get-value <uuid>` equals `ceph auth get-key client.<rbd_user>`; attach a volume to an '
            'instance on that compute.'),
    },
}


def _r(fid, status, summary, evidence):
    return base.result(DECLARATION, fid, status, summary, evidence)


def _uses(own, peers, host):
    """``(uses, problems)``: ``uses`` maps each UUID in use to ``{users: {user: [where]}, used_by}``;
    ``problems`` are results about the cinder backends themselves (unknown UUID, auth disabled)."""
    uses, problems, seen = {}, [], set()
    nova = own.get('nova') or {}

    def add(uuid, user, where, key=None, purpose=None):
        u = uses.setdefault(uuid, {'users': {}, 'used_by': [], 'keys': {}, 'purposes': []})
        u['users'].setdefault(user, []).append(where)
        u['used_by'].append(where)
        if purpose and purpose not in u['purposes']:
            u['purposes'].append(purpose)
        if key and user not in u['keys']:
            u['keys'][user] = key

    if nova.get('found') and nova.get('rbd_secret_uuid'):
        line = (nova.get('lines') or {}).get('rbd_secret_uuid')
        purpose = ('RBD root/ephemeral disks (images_type=rbd) and volumes without a cinder UUID'
                   if nova.get('images_type') == 'rbd' else 'volumes without a cinder UUID')
        add(nova['rbd_secret_uuid'], nova.get('rbd_user'),
            'nova %s:%s [libvirt] rbd_secret_uuid on %s' % (nova.get('config_file'), line, host),
            purpose=purpose)
    cinders = [(host, own.get('cinder') or {})]
    for peer in sorted(peers or {}):
        if peer != host:
            cinders.append((peer, (peers[peer] or {}).get('cinder') or {}))
    for chost, cinder in cinders:
        for name in sorted(cinder.get('backends') or {}):
            b = cinder['backends'][name] or {}
            where = 'cinder %s [%s] on %s' % (b.get('file') or cinder.get('config_file'), name, chost)
            key = (chost, name)
            if key in seen:
                continue
            seen.add(key)
            ev = {'backend': name, 'config_host': chost, 'file': b.get('file') or cinder.get('config_file'),
                  'rbd_user': b.get('rbd_user'), 'rbd_secret_uuid': b.get('rbd_secret_uuid'),
                  'ceph_conf': (b.get('ceph_conf') or {}).get('host_file')}
            # a backend's own problems are reported on the host holding its cinder.conf, once
            mine = chost == host
            if not b.get('rbd_user'):
                if not mine:
                    continue
                problems.append(_r('cinder.rbd_auth_disabled', base.FAULT,
                                   '%s has no rbd_user: cinder sends auth_enabled=False and nova falls back to its '
                                   'own [libvirt] rbd_user/rbd_secret_uuid (%s: "This fallback will be dropped in '
                                   'a future release")' % (where, NOVA_NET), ev))
                continue
            if not b.get('secret_uuid'):
                if not mine:
                    continue
                cc = b.get('ceph_conf') or {}
                why = (cc.get('error') or {}).get('message') if cc.get('error') else (
                    'no fsid in [global]' if cc.get('found') else 'file not found')
                problems.append(_r('rbd.secret_uuid_unknown', 'error',
                                   '%s: rbd_secret_uuid unset and the cluster FSID (its default since cinder '
                                   'Antelope) cannot be read from %s on %s: %s'
                                   % (where, cc.get('host_file') or cc.get('file'), chost, why), ev))
                continue
            src = ('rbd_secret_uuid' if b.get('uuid_from') == 'rbd_secret_uuid'
                   else 'unset: the cluster FSID from %s (cinder >= 22.0.0 Antelope)'
                   % ((b.get('ceph_conf') or {}).get('host_file')))
            add(b['secret_uuid'], b['rbd_user'], '%s (%s)' % (where, src), purpose='cinder volumes')
    return uses, problems


def _usage_name(user, uuid, taken):
    name = 'client.%s secret' % user
    return name if name not in taken else 'client.%s secret %s' % (user, uuid)


def evaluate(facts, params=None):
    """``facts``: the host's node facts (``rbd_secrets``) plus ``rbd_peers`` ``{host: {groups,
    cinder}}`` and ``rbd_host``/``rbd_groups`` (this host's name and groups) from the role."""
    facts = facts or {}
    params = params or {}
    own = facts.get('rbd_secrets')
    host = facts.get('rbd_host') or 'this host'
    log_limit = int(params.get('log_limit') or 5)
    if not isinstance(own, dict) or own.get('error') and len(own) == 1:
        msg = (own or {}).get('error') if isinstance(own, dict) else None
        return [_r('libvirt.rbd_secret_missing', 'error',
                   'rbd_secrets facts were not gathered on %s%s' % (host, ': %s' % msg.get('message') if msg else ''),
                   {'uuid': None})]
    nova = own.get('nova') or {}
    libvirt = own.get('libvirt') or {}
    results = []
    for side in ('nova', 'cinder'):
        item = own.get(side) or {}
        if item.get('error'):
            results.append(base.config_error(DECLARATION, 'libvirt.rbd_secret_missing', item, uuid=None))
    uses, problems = _uses(own, facts.get('rbd_peers'), host)
    results.extend(problems)
    driver = str(nova.get('compute_driver') or 'libvirt.LibvirtDriver')
    if not (libvirt.get('present') or (nova.get('found') and 'libvirt' in driver)):
        if not results:
            results.append(_r('libvirt.rbd_secret_missing', 'skipped',
                              'no libvirt nova-compute on %s: its cinder RBD backends are compared on the computes'
                              % host, {'uuid': None}))
        return results
    if not uses:
        results.append(_r('libvirt.rbd_secret_missing', 'ok',
                          'no rbd_secret_uuid in use: nova.conf (%s) names none and no cinder RBD backend with '
                          'rbd_user was read in this play' % nova.get('config_file'), {'uuid': None}))
        return results
    if libvirt.get('error'):
        err = libvirt['error']
        results.append(_r('libvirt.rbd_secret_missing', 'error',
                          'cannot read libvirt secrets on %s (%s): %s'
                          % (host, libvirt.get('container') or 'host', err.get('message')),
                          {'uuid': None, 'where': libvirt.get('where'), 'container': libvirt.get('container')}))
        return results
    if not libvirt.get('present'):
        results.append(_r('libvirt.rbd_secret_missing', 'error',
                          'nova.conf on %s uses RBD secrets but no libvirt (host virsh, or the layout\'s libvirt '
                          'container) was found to read them from' % host, {'uuid': None}))
        return results
    secrets = libvirt.get('defined') or {}
    keys = own.get('cephx') or {}
    taken = set(s.get('usage') for s in secrets.values() if s.get('usage'))
    log = own.get('log') or {}
    log_lines = [m for m in (log.get('matches') or []) if m.get('signature') in ('2a', '2b')]
    for uuid in sorted(uses):
        use = uses[uuid]
        users = sorted(u for u in use['users'] if u)
        user = users[0] if len(users) == 1 else None
        cinder_users = sorted(set(u for u, ws in use['users'].items()
                                  if u and any(w.startswith('cinder ') for w in ws)))
        cephx_user = user or (cinder_users[0] if cinder_users else (users[0] if users else None))
        key = keys.get(cephx_user) or {}
        lines = [{'line_no': m.get('line_no'), 'text': m.get('text')} for m in log_lines
                 if uuid in (m.get('groups') or []) or uuid in (m.get('text') or '')][-log_limit:]
        ev = {'uuid': uuid, 'used_by': use['used_by'], 'purposes': use['purposes'], 'rbd_users': users,
              'cephx_user': cephx_user, 'keyring': key.get('host_file'), 'keyring_found': bool(key.get('found')),
              'keyring_looked_at': key.get('looked_at'), 'libvirt': libvirt.get('container') or 'host',
              'log_file': log.get('file'), 'log_lines': lines}
        if len(users) > 1:
            results.append(_r('rbd.secret_user_conflict', base.FAULT,
                              'rbd_secret_uuid %s is used by cephx users %s (%s): one libvirt secret holds one '
                              'key, so one of them cannot authenticate; give each user its own UUID or one user '
                              '(the Ceph docs use client.cinder for both)'
                              % (uuid, ', '.join('client.%s' % u for u in users), '; '.join(use['used_by'])),
                              dict(ev, align_user=cinder_users[0] if cinder_users else None,
                                   nova_config=nova.get('config_file'))))
        secret = secrets.get(uuid)
        if secret is None:
            ev['usage_name'] = _usage_name(cephx_user, uuid, taken)
            results.append(_r('libvirt.rbd_secret_missing', base.FAULT,
                              'no libvirt secret %s on %s (%s), used by %s%s'
                              % (uuid, host, libvirt.get('container') or 'host libvirt', '; '.join(use['used_by']),
                                 '; nova-compute logged "Secret not found" for it %d time(s)' % len(lines)
                                 if lines else ''), ev))
            continue
        ev.update(usage=secret.get('usage'), usage_type=secret.get('usage_type'))
        if not secret.get('has_value'):
            if secret.get('private'):
                results.append(_r('libvirt.rbd_secret_value_mismatch', 'ok',
                                  'libvirt secret %s on %s is private: its value cannot be read to compare'
                                  % (uuid, host), ev))
                continue
            results.append(_r('libvirt.rbd_secret_value_mismatch', base.FAULT,
                              'libvirt secret %s on %s has no value (%s)' % (uuid, host, secret.get('error')),
                              dict(ev, value='unset')))
            continue
        wanted = dict((u, (keys.get(u) or {}).get('digest')) for u in users)
        known = dict((u, d) for u, d in wanted.items() if d)
        if not known:
            results.append(_r('libvirt.rbd_secret_value_mismatch', 'ok',
                              'libvirt secret %s on %s has a value; not compared: no keyring of %s readable on %s '
                              '(looked at %s)' % (uuid, host, ', '.join('client.%s' % u for u in users) or 'its user',
                                                  host, ', '.join(key.get('looked_at') or []) or '-'),
                              dict(ev, compared=False)))
            continue
        if secret.get('digest') not in known.values():
            results.append(_r('libvirt.rbd_secret_value_mismatch', base.FAULT,
                              'libvirt secret %s on %s holds a key that is not the key of %s (digest %s, keyring '
                              'digest %s)' % (uuid, host, ', '.join('client.%s' % u for u in sorted(known)),
                                              secret.get('digest'), ', '.join(known[u] for u in sorted(known))),
                              dict(ev, value='differs', libvirt_digest=secret.get('digest'),
                                   keyring_digests=known)))
            continue
        if len(users) <= 1:
            results.append(_r('libvirt.rbd_secret_missing', 'ok',
                              'libvirt secret %s on %s holds the key of client.%s (%s)'
                              % (uuid, host, cephx_user, '; '.join(use['used_by'])), dict(ev, compared=True)))
    for m in log_lines:
        uuid = next((g for g in (m.get('groups') or []) if g and len(g) == 36), None)
        if not uuid or uuid.lower() in uses or uuid.lower() in secrets:
            continue
        uses[uuid.lower()] = None
        results.append(_r('nova.rbd_secret_not_found_logged', base.FAULT,
                          'nova-compute on %s logged "Secret not found" for %s, which no nova.conf or cinder '
                          'backend read in this play names and libvirt lacks: an attached volume\'s stored '
                          'connection_info likely names an old rbd_secret_uuid (refreshed on hard reboot or '
                          'shelve/unshelve)' % (host, uuid),
                          {'uuid': uuid, 'log_file': log.get('file'), 'line_no': m.get('line_no'),
                           'text': m.get('text')}))
    return results
