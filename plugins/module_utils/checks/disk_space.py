# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_disk_space: filesystems where OpenStack services write that are (nearly) full (declaration + evaluate).

Pure function: the ``disk`` node facts (statvfs of instances_path, the image cache, the glance
store, log directories, database and broker data dirs) in, one result per path out. Thresholds
are parameters; nothing is ever deleted.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_disk_space',
    'title': 'filesystems holding instances, images, logs or service data that are short of free space or inodes',
    'scope': 'host',
    'groups': ['controllers', 'computes', 'storage', 'network', 'messaging'],
    'subsets': ['layout', 'disk'],
    'apis': [],
    'fix': None,
    'params': {
        'warn_free_percent': {'var': 'check_disk_space_warn_free_percent', 'default': 15},
        'critical_free_percent': {'var': 'check_disk_space_critical_free_percent', 'default': 5},
        'warn_free_inodes_percent': {'var': 'check_disk_space_warn_free_inodes_percent', 'default': 10},
        'critical_free_inodes_percent': {'var': 'check_disk_space_critical_free_inodes_percent', 'default': 3},
        'min_free_mb': {'var': 'check_disk_space_min_free_mb', 'default': 0},
    },
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'disk.space_exhausted': {
            'severity': 'critical', 'identity': ['path'],
            'title': 'free space below the critical threshold (check_disk_space_critical_free_percent): writes are '
                     'about to fail'},
        'disk.space_low': {
            'severity': 'warning', 'identity': ['path'],
            'title': 'free space below the warning threshold (check_disk_space_warn_free_percent or min_free_mb)'},
        'disk.inodes_exhausted': {
            'severity': 'critical', 'identity': ['path'],
            'title': 'free inodes below the critical threshold: new files cannot be created although space is left'},
        'disk.inodes_low': {
            'severity': 'warning', 'identity': ['path'],
            'title': 'free inodes below the warning threshold'},
    },
    'references': [
        'https://docs.openstack.org/nova/latest/configuration/config.html (instances_path, '
        '[image_cache] subdirectory_name)',
        'https://docs.openstack.org/nova/latest/admin/image-caching.html',
        'https://docs.openstack.org/glance/latest/configuration/configuring.html (filesystem_store_datadir)',
        'https://docs.openstack.org/nova/latest/admin/troubleshooting/index.html',
        'https://man7.org/linux/man-pages/man3/statvfs.3.html (f_bavail, f_favail)',
    ],
    'runbook': {
        'symptom': (
            "Instances fail to build or resize with \"No valid host was found\" or DiskNotFound / "
            "\"No space left on device\" in nova-compute's log, image uploads fail, services stop logging, "
            "the database refuses writes."),
        'cause': (
            "instances_path (or the image cache under it) filled by disks, a forgotten big file or old "
            "cached images, logs that are not rotated, a growing database or broker; inodes exhausted by "
            "many small files."),
        'reads': (
            "os.statvfs of instances_path and the image cache (from nova.conf through the layout, "
            "$state_path expanded), the glance filesystem store, each deployed service's log directory, "
            "and the database and broker data dirs; thresholds check_disk_space_warn_free_percent, "
            "_critical_free_percent, _warn_free_inodes_percent, _critical_free_inodes_percent and "
            "_min_free_mb. Paths on one filesystem are reported each, with the same device."),
        'fix': (
            "No automatic fix: nothing is deleted. Look with `du -xsh <path>/* | sort -h`; on computes, "
            "compare instance directories with `openstack server list --all-projects --host <host>` and "
            "let nova's image cache manager remove unused base images "
            "([image_cache] remove_unused_base_images); rotate logs; grow the filesystem."),
        'verify': "df -h <path>; df -i <path>; re-run check_disk_space.",
    },
}


def _mb(n):
    return int((n or 0) / (1024 * 1024))


def evaluate(facts, params=None):
    """One result per existing path; ``params``: the thresholds above and ``severity``."""
    facts = facts or {}
    params = params or {}
    disk = facts.get('disk')
    if not isinstance(disk, dict):
        return [base.result(DECLARATION, 'disk.space_low', 'error',
                            'disk facts were not gathered on this host (node_facts subset "disk" missing)')]
    try:
        warn = float(params.get('warn_free_percent', 15))
        crit = float(params.get('critical_free_percent', 5))
        iwarn = float(params.get('warn_free_inodes_percent', 10))
        icrit = float(params.get('critical_free_inodes_percent', 3))
        min_mb = float(params.get('min_free_mb') or 0)
    except (TypeError, ValueError) as exc:
        return [base.result(DECLARATION, 'disk.space_low', 'error', 'bad threshold: %s' % exc)]
    results = []
    for item in disk.get('paths') or []:
        ev = dict((k, item.get(k)) for k in ('path', 'what', 'services', 'source', 'device', 'total_bytes', 'free_bytes',
                                             'free_percent', 'total_inodes', 'free_inodes', 'free_inodes_percent')
                  if item.get(k) is not None)
        if item.get('error'):
            err = item['error']
            ev.update(file=err.get('file'), line=err.get('line'), message=err.get('message'))
            results.append(base.result(DECLARATION, 'disk.space_low', 'error',
                                       'cannot measure %s: %s line %s: %s' % (item.get('what'), err.get('file'),
                                                                              err.get('line', '?'), err.get('message')),
                                       ev))
            continue
        if not item.get('exists'):
            continue
        pct, ipct = item.get('free_percent'), item.get('free_inodes_percent')
        label = '%s %s (%s)' % (item.get('what'), item.get('path'), ', '.join(item.get('services') or []))
        space = '%s MiB free of %s MiB (%s%%)' % (_mb(item.get('free_bytes')), _mb(item.get('total_bytes')), pct)
        if pct is not None and pct < crit:
            results.append(base.result(DECLARATION, 'disk.space_exhausted', base.FAULT,
                                       '%s: %s, below %s%%' % (label, space, crit), ev))
        elif (pct is not None and pct < warn) or (min_mb and _mb(item.get('free_bytes')) < min_mb):
            results.append(base.result(DECLARATION, 'disk.space_low', base.FAULT,
                                       '%s: %s, below %s%%%s' % (label, space, warn,
                                                                 ' or %d MiB' % min_mb if min_mb else ''), ev))
        if ipct is not None and ipct < icrit:
            results.append(base.result(DECLARATION, 'disk.inodes_exhausted', base.FAULT,
                                       '%s: %s%% of inodes free, below %s%%' % (label, ipct, icrit), ev))
        elif ipct is not None and ipct < iwarn:
            results.append(base.result(DECLARATION, 'disk.inodes_low', base.FAULT,
                                       '%s: %s%% of inodes free, below %s%%' % (label, ipct, iwarn), ev))
        if not [r for r in results if r['evidence'].get('path') == item.get('path')]:
            results.append(base.result(DECLARATION, 'disk.space_low', 'ok',
                                       '%s: %s, %s%% of inodes free' % (label, space, ipct), ev))
    if not results:
        results.append(base.result(DECLARATION, 'disk.space_low', 'skipped',
                                   'no OpenStack data, log or instances directory on this host'))
    return results
