# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Known log lines and what they mean, each with the upstream source that logs it.

Standard library only. :data:`SIGNATURES` holds the rows as data; :func:`scan` reads
the tail of a log (or a list of lines) and returns the masked matches.

Two kinds of signature:

* ``per line``: the regex is searched in every line;
* ``multiline``: the regex is searched in a *record*, the consecutive lines that share
  one oslo.log prefix (timestamp, pid, level, logger) plus any unprefixed continuation
  lines, joined with ``\\n`` after the prefixes are removed. A traceback logged by
  oslo.messaging is one record, so is oslo.concurrency's ``Got an OSError`` message.

Row ``1h``: on a host where tgt is not installed, the real lines end in
``FileNotFoundError: [Errno 2] No such file or directory`` *without* the file name
(privsep re-raises the error without it), so row 1e never matches them; 1h matches a
traceback through cinder's tgt target code ending in that error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import os
import re

from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import mask_string

SIGNATURES = [
    {'id': '1a', 'service': 'cinder-volume', 'multiline': False,
     'regex': r"Failed to create iscsi target for Volume ID: (\S+)\. It could be caused by "
              r"problem with concurrency\.\s+Also please ensure your tgtd config file contains "
              r"'include (\S+)/\*'",
     'diagnosis': 'tgt is running but targets.conf does not include volumes_dir '
                  '(group 2 = expected dir)',
     'source': 'cinder volume/targets/tgt.py:207-215'},
    {'id': '1b', 'service': 'cinder-volume', 'multiline': False,
     'regex': r'Failed to create iscsi target for Volume ID: (\S+): ',
     'diagnosis': 'tgt-admin --update failed (see stderr in message)',
     'source': 'cinder volume/targets/tgt.py:191'},
    {'id': '1c', 'service': 'cinder-volume', 'multiline': False,
     'regex': r'ISCSITargetCreateFailed|Failed to create iscsi target for volume (\S+)\.',
     'diagnosis': 'target creation failed (follow-up of 1a/1b)',
     'source': 'cinder exception.py:1018'},
    {'id': '1d', 'service': 'cinder-volume', 'multiline': False,
     'regex': r'Create export (of|for) volume failed \((.*)\)',
     'diagnosis': 'attach/export failed; with "Resource could not be found" it means 1a',
     'source': 'cinder volume/manager.py:1987,4887'},
    {'id': '1e', 'service': 'cinder-volume', 'multiline': False,
     'regex': r"(FileNotFoundError|OSError): \[Errno 2\] No such file or directory: "
              r"'(tgtadm|tgt-admin)'",
     'diagnosis': 'tgt package not installed while target_helper=tgtadm (charm-cinder-lvm '
                  '>=Wallaby, iscsi_helper ignored since Stein)',
     'source': 'oslo.concurrency processutils + cinder privsep/targets/tgt.py'},
    {'id': '1f', 'service': 'cinder-volume', 'multiline': True,
     'regex': r"Got an OSError\s+command: .*'tgt(adm|-admin)'.*\s+errno: 2",
     'diagnosis': 'same as 1e (multi-line)',
     'source': 'oslo.concurrency processutils'},
    {'id': '1g', 'service': 'cinder-volume', 'multiline': False,
     'regex': r'Failed to re-export volume, setting to ERROR\.',
     'diagnosis': 'cinder-volume restart could not re-export in-use volumes '
                  '(tgt missing/misconfigured)',
     'source': 'cinder volume/manager.py:600'},
    {'id': '1h', 'service': 'cinder-volume', 'multiline': True,
     'regex': r'(?s)in create_iscsi_target\b.*?\b(tgtadm_show|tgtadmin_update|tgt-admin|tgtadm)'
              r'\b.*?(FileNotFoundError|OSError): \[Errno 2\] No such file or directory'
              r"(?!: ')",
     'diagnosis': 'same as 1e: a tgt binary is missing (privsep re-raises '
                  'FileNotFoundError without the file name)',
     'source': 'cinder volume/targets/tgt.py create_iscsi_target + cinder/privsep/targets/tgt.py'},
    # 7a/7b/7d: cinder/image/glance.py GlanceClientWrapper.call (LOG.exception per attempt, then
    # GlanceConnectionFailed, cinder/exception.py) and _parse_glance_catalog_info.
    {'id': '7a', 'service': 'cinder-volume', 'multiline': False,
     'regex': r"Error contacting glance server '([^']*)' for '(\w+)', (retrying|done trying)\.",
     'diagnosis': 'glance endpoint unreachable or wrong (glance_api_servers, or the catalog entry '
                  'glance_catalog_info names)',
     'source': 'cinder image/glance.py GlanceClientWrapper.call'},
    {'id': '7b', 'service': 'cinder-volume', 'multiline': False,
     'regex': r'Connection to glance failed: ',
     'diagnosis': 'glance unreachable after every retry (GlanceConnectionFailed)',
     'source': 'cinder exception.py GlanceConnectionFailed'},
    {'id': '7d', 'service': 'cinder-volume', 'multiline': False,
     'regex': r"Failed to parse the configuration option 'glance_catalog_info'",
     'diagnosis': 'glance_catalog_info is not <service_type>:<service_name>:<endpoint_type>',
     'source': 'cinder image/glance.py _parse_image_ref / get_api_servers (InvalidConfigurationValue)'},
    # 7c: cinder/image/image_utils.py get_qemu_data (ImageUnacceptable); the reason text varies by
    # release (<= Ocata "image is of type qcow2", Pike..Bobcat "image is of type False",
    # >= Caracal "image is not of type RAW"). The line that carries it is often oslo's
    # "Original exception being dropped: [...]" (the surfaced error is GlanceMetadataNotFound).
    {'id': '7c', 'service': 'cinder-volume', 'multiline': False,
     'regex': r'qemu-img is not installed and (image is of type \S+|image is not of type RAW|'
              r'the disk format is not specified)',
     'diagnosis': 'qemu-img missing where cinder-volume converts images: a volume from a non-raw '
                  'image fails (install qemu-utils / qemu-img on the host or in its container)',
     'source': 'cinder image/image_utils.py get_qemu_data (ImageUnacceptable, exception.py)'},
    # 7e: image_utils.get_qemu_img_version logs this WARNING when `qemu-img --version` fails.
    {'id': '7e', 'service': 'cinder-volume', 'multiline': False,
     'regex': r'WARNING \S+ (?:\[[^\]]*\] )?qemu-img is not installed\.',
     'diagnosis': 'cinder could not run qemu-img --version (qemu-img missing)',
     'source': 'cinder image/image_utils.py get_qemu_img_version'},
    {'id': '3a', 'service': 'nova-control', 'multiline': False,
     'regex': r'Automatically selected compute RPC version (\S+) from minimum service version (\d+)',
     'diagnosis': '[upgrade_levels] compute = auto chose this cap from the minimum nova-compute version',
     'source': 'nova compute/rpcapi.py (_determine_version_cap)'},
    {'id': '3b', 'service': 'nova-control', 'multiline': False,
     'regex': r'(?:TooOldComputeService|Current Nova version does not support computes older than (\S+) but '
              r'the minimum compute service level in your (\S+) is (\d+))',
     'diagnosis': 'a nova-compute services row older than the oldest supported version (N-1): nova-api and '
                  'nova-conductor refuse to start',
     'source': 'nova utils.py (raise_if_old_compute), exception.py (TooOldComputeService)'},
    {'id': '3c', 'service': 'nova-control', 'multiline': False,
     'regex': r'This service is older \(v(\d+)\) than the minimum \(v(\d+)\) version of the rest of the deployment',
     'diagnosis': 'ServiceTooOld: this process runs older code than the minimum of its binary',
     'source': 'nova objects/service.py (_check_minimum_version), exception.py (ServiceTooOld)'},
    {'id': '3d', 'service': 'nova-control', 'multiline': False,
     'regex': r'Requested message version, (\S+) is incompatible\.\s+It needs to be equal in major version and '
              r'less than or equal in minor version as the specified version cap (\S+)',
     'diagnosis': 'RPCVersionCapError: the compute RPC cap (from the minimum service version) is below what '
                  'the caller sends',
     'source': 'oslo.messaging rpc/client.py (RPCVersionCapError)'},
    {'id': '3e', 'service': 'nova-control', 'multiline': False,
     'regex': r'Failed to extract compute RPC version from service history because I am too old '
              r'\(minimum version is now (\d+)\)',
     'diagnosis': 'the minimum nova-compute version is newer than this code knows',
     'source': 'nova compute/rpcapi.py (_determine_version_cap)'},
    {'id': '4a', 'service': 'nova-compute', 'multiline': False,
     'regex': r'Instance ([0-9a-f-]{36}) has allocations against this compute host but is '
              r'not found in the database\.',
     'diagnosis': 'orphaned placement allocation (consumer not an instance in this cell); '
                  'repeats every periodic',
     'source': 'nova compute/resource_tracker.py:1767'},
    {'id': '4b', 'service': 'nova-compute', 'multiline': False,
     'regex': r'Instance ([0-9a-f-]{36}) is not being actively managed by this compute host '
              r'but has allocations referencing this compute host',
     'diagnosis': 'instance DB says this host but the resource tracker does not track it',
     'source': 'nova compute/resource_tracker.py:1822'},
    {'id': '4c', 'service': 'nova-compute', 'multiline': False,
     'regex': r'Instance ([0-9a-f-]{36}) has been moved to another host (\S+)\((\S+)\)\. '
              r'There are allocations remaining against the source host',
     'diagnosis': 'leftover source allocations after move/evacuate',
     'source': 'nova compute/resource_tracker.py:1843'},
    # 2a-2c: libvirt's secret driver (src/secret/secret_driver.c secretObjFromSecret, VIR_ERR_NO_SECRET
    # "no secret with matching uuid"; older storage code "%s no secret matches uuid '%s'") as
    # nova-compute logs it, and nova's RBD auth fallback (nova/virt/libvirt/volume/net.py).
    {'id': '2a', 'service': 'nova-compute', 'multiline': False,
     'regex': r"Secret not found: (?:rbd )?no secret (?:with matching|matches) uuid '([0-9a-fA-F-]{36})'",
     'diagnosis': 'the libvirt secret of an rbd_secret_uuid (nova or cinder) is missing on this compute',
     'source': 'libvirt src/secret/secret_driver.c (VIR_ERR_NO_SECRET); nova virt/libvirt/volume/net.py'},
    {'id': '2b', 'service': 'nova-compute', 'multiline': False,
     'regex': r'no secret matches usage value',
     'diagnosis': 'a libvirt secret looked up by its usage name is missing',
     'source': 'libvirt src/secret/secret_driver.c'},
    {'id': '2c', 'service': 'nova-compute', 'multiline': False,
     'regex': r'Falling back to Nova configuration values for RBD authentication',
     'diagnosis': 'the cinder RBD backend has no rbd_user (auth disabled): nova uses its own rbd_user and '
                  'rbd_secret_uuid for volumes (a fallback nova says it will drop)',
     'source': 'nova virt/libvirt/volume/net.py (_set_auth_config_rbd)'},
    {'id': '4d', 'service': 'placement', 'multiline': False,
     'regex': r'Allocations were set against consumer UUID ([0-9a-f-]{36}) but no existing '
              r'instances or active migrations are related',
     'diagnosis': 'output of nova-manage placement audit --verbose',
     'source': 'nova cmd/manage.py:2713'},
    # oslo.messaging's rabbit driver, in every service's log (oslo_messaging/_drivers/impl_rabbit.py,
    # Connection.ensure: on_error / on_reconnection, and ensure_connection's final error)
    {'id': '11a', 'service': 'any', 'multiline': False,
     'regex': r'AMQP server on (\S+?):(\d+) is unreachable: (.*?)\. Trying again in (\d+) seconds',
     'diagnosis': 'the service cannot reach the message broker (down, firewall, wrong address)',
     'source': 'oslo.messaging _drivers/impl_rabbit.py (Connection.ensure on_error)'},
    {'id': '11b', 'service': 'any', 'multiline': False,
     'regex': r'Reconnected to AMQP server on (\S+?):(\d+)',
     'diagnosis': 'the service reached the broker again',
     'source': 'oslo.messaging _drivers/impl_rabbit.py (Connection.ensure on_reconnection)'},
    {'id': '11c', 'service': 'any', 'multiline': False,
     'regex': r'Unable to connect to AMQP server on (\S+?):(\d+) after (\S+) tries: (.*)',
     'diagnosis': 'the service gave up connecting to the broker (MessageDeliveryFailure)',
     'source': 'oslo.messaging _drivers/impl_rabbit.py (Connection.ensure)'},
    {'id': '11d', 'service': 'any', 'multiline': False,
     'regex': r'AMQP server (\S+?):(\d+) closed the connection\. Check login credentials',
     'diagnosis': 'the broker closed the connection at login: wrong user, password or vhost',
     'source': 'oslo.messaging _drivers/impl_rabbit.py (Connection.ensure on_error, Socket closed)'},
]
"""Signature rows: ``{id, service, multiline, regex, diagnosis, source}``."""

BY_ID = dict((s['id'], s) for s in SIGNATURES)
_COMPILED = dict((s['id'], re.compile(s['regex'])) for s in SIGNATURES)

CINDER_VOLUME_SIGNATURES = [s['id'] for s in SIGNATURES if s['service'] == 'cinder-volume']
NOVA_COMPUTE_SIGNATURES = ['4a', '4b', '4c']
NOVA_CONTROL_SIGNATURES = ['3a', '3b', '3c', '3d', '3e']
MESSAGING_SIGNATURES = ['11a', '11b', '11c', '11d']

# oslo.log default prefix: "2024-03-12 16:32:52.107 79125 ERROR oslo_messaging.rpc.server "
OSLO_PREFIX_RE = re.compile(
    r'^(?P<key>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?\s+\d+\s+[A-Z]+\s+\S+)\s?'
    r'(?:\[[^\]]*\]\s?)?')
# (the request context "[req-... - - -]" is dropped from record bodies too)

DEFAULT_TAIL_BYTES = 4 * 1024 * 1024
MAX_TEXT = 1000
_LINE_COUNT_LIMIT = 64 * 1024 * 1024


def _read_tail(path, tail_bytes):
    """Return (lines, first_line_no or None, size, truncated) for the tail of ``path``.

    When only the tail is read, the possibly cut first line is dropped; its line
    number is computed by counting the newlines of the skipped head when that head is
    at most 64 MiB (``None`` otherwise).
    """
    size = os.path.getsize(path)
    start = max(0, size - tail_bytes) if tail_bytes and tail_bytes > 0 else 0
    first_line_no = 1
    with open(path, 'rb') as handle:
        if start:
            if start <= _LINE_COUNT_LIMIT:
                newlines = 0
                remaining = start
                while remaining > 0:
                    chunk = handle.read(min(remaining, 1024 * 1024))
                    if not chunk:
                        break
                    newlines += chunk.count(b'\n')
                    remaining -= len(chunk)
                # the line holding byte ``start`` is newlines + 1; we begin at the next one
                first_line_no = newlines + 2
            else:
                first_line_no = None
            handle.seek(start)
        data = handle.read()
    if start:
        cut = data.find(b'\n')
        data = data[cut + 1:] if cut >= 0 else b''
    lines = data.decode('utf-8', errors='replace').splitlines()
    return lines, first_line_no, size, bool(start)


def _records(lines):
    """Group lines into oslo.log records: [(start_index, [stripped lines])]."""
    records = []
    current_key = None
    for idx, line in enumerate(lines):
        m = OSLO_PREFIX_RE.match(line)
        if m:
            key = m.group('key')
            body = line[m.end():]
            if key == current_key and records:
                records[-1][1].append(body)
            else:
                records.append((idx, [body]))
                current_key = key
        else:
            if records:
                records[-1][1].append(line)
            else:
                records.append((idx, [line]))
                current_key = None
    return records


def scan(path_or_lines, signature_ids=None, max_matches=20, tail_bytes=DEFAULT_TAIL_BYTES):
    """Search a log for signatures.

    ``path_or_lines`` is a file path (only its last ``tail_bytes`` are read) or a list
    of lines. ``signature_ids`` limits the rows (default: all). Returns::

        {matches: [{signature, line_no, text, groups, diagnosis}], counts: {id: n},
         lines_scanned, truncated, size}

    ``matches`` keeps the *last* ``max_matches`` matches (the most recent), ``counts``
    counts them all. ``line_no`` is 1-based in the file (``None`` when the skipped head
    was too large to count); ``text`` and ``groups`` are masked. Raises ``OSError`` when
    the file cannot be read.
    """
    ids = list(signature_ids) if signature_ids else [s['id'] for s in SIGNATURES]
    unknown = [i for i in ids if i not in BY_ID]
    if unknown:
        raise ValueError('unknown signature ids: %s' % ', '.join(unknown))
    if isinstance(path_or_lines, (list, tuple)):
        lines = [l.rstrip('\r\n') for l in path_or_lines]
        first_line_no, size, truncated = 1, None, False
    else:
        lines, first_line_no, size, truncated = _read_tail(path_or_lines, tail_bytes)

    single = [(i, _COMPILED[i]) for i in ids if not BY_ID[i]['multiline']]
    multi = [(i, _COMPILED[i]) for i in ids if BY_ID[i]['multiline']]
    keep = max(0, int(max_matches)) if max_matches is not None else None
    found = collections.deque(maxlen=keep)
    counts = dict((i, 0) for i in ids)

    def line_no(idx):
        return None if first_line_no is None else first_line_no + idx

    def add(sig_id, idx, text, match):
        counts[sig_id] += 1
        found.append({
            'signature': sig_id,
            'line_no': line_no(idx),
            'text': mask_string(text[:MAX_TEXT]),
            'groups': [mask_string(g) if g is not None else None for g in match.groups()],
            'diagnosis': BY_ID[sig_id]['diagnosis'],
        })

    events = []
    if single:
        for idx, line in enumerate(lines):
            for sig_id, rx in single:
                m = rx.search(line)
                if m:
                    events.append((idx, sig_id, line, m))
    if multi:
        for start, body in _records(lines):
            joined = '\n'.join(body)
            for sig_id, rx in multi:
                m = rx.search(joined)
                if m:
                    offset = joined.count('\n', 0, m.end())
                    end_idx = start + offset
                    text = lines[end_idx] if end_idx < len(lines) else lines[start]
                    events.append((end_idx, sig_id, text, m))
    events.sort(key=lambda e: e[0])
    for idx, sig_id, text, m in events:
        add(sig_id, idx, text, m)

    return {
        'matches': list(found),
        'counts': counts,
        'lines_scanned': len(lines),
        'truncated': truncated,
        'size': size,
    }
