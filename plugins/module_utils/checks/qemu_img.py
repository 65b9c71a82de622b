# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_qemu_img: qemu-img missing where cinder-volume, nova-compute or glance-api convert images.

Pure function: the host's ``qemu_img`` facts (which of the three services run here, on the
host or in a container, and where qemu-img is) and the cinder-volume log's rows 7c/7e in,
one result per service that runs here out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_qemu_img',
    'title': 'qemu-img missing where cinder-volume, nova-compute (libvirt) or glance-api convert images',
    'scope': 'host',
    'groups': ['storage', 'computes', 'controllers'],
    'subsets': ['layout', 'qemu_img', 'cinder_volume_log'],
    'apis': [],
    'fix': 'fix_qemu_img',
    'params': {'log_limit': {'var': 'check_qemu_img_log_lines', 'default': 5}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'cinder.qemu_img_missing': {
            'severity': 'critical', 'identity': ['service', 'where'],
            'title': 'cinder-volume cannot run qemu-img: volumes from non-raw images fail (ImageUnacceptable)',
            'references': ['cinder/image/image_utils.py (get_qemu_data, get_qemu_img_version)']},
        'nova.qemu_img_missing': {
            'severity': 'critical', 'identity': ['service', 'where'],
            'title': 'nova-compute (libvirt driver) cannot run qemu-img: image-backed disks cannot be created',
            'references': ['nova/virt/images.py (qemu_img_info, convert_image)']},
        'glance.qemu_img_missing': {
            'severity': 'warning', 'identity': ['service', 'where'],
            'title': "glance-api's image_conversion import plugin cannot run qemu-img: imports fail",
            'references': ['glance/async_/flows/plugins/image_conversion.py',
                           'https://docs.openstack.org/glance/latest/admin/interoperable-image-import.html']},
    },
    'references': [
        'cinder/image/image_utils.py (get_qemu_data: "qemu-img is not installed and image is ...")',
        'https://docs.openstack.org/cinder/latest/install/cinder-storage-install-ubuntu.html',
        'https://docs.openstack.org/nova/latest/install/compute-install-ubuntu.html',
        'https://docs.openstack.org/glance/latest/admin/interoperable-image-import.html',
        'openstack/kolla kolla/docker/cinder/cinder-volume/Dockerfile.j2 (qemu-utils / qemu-img in the image)',
    ],
    'runbook': {
        'symptom': (
            "A volume created from a qcow2 (any non-raw) image goes to error within seconds. The error "
            "cinder surfaces is misleading (GlanceMetadataNotFound); the cause is inside an oslo "
            "\"Original exception being dropped\" line of cinder-volume's log: \"ImageUnacceptable: Image "
            "<id> is unacceptable: qemu-img is not installed and image is not of type RAW.\" (>= Caracal; "
            "\"image is of type False\" Pike..Bobcat, \"image is of type qcow2\" <= Ocata), or the WARNING "
            "\"qemu-img is not installed.\". On computes (libvirt) boots from images fail; in glance, "
            "imports through the image_conversion plugin fail."),
        'cause': (
            "cinder-volume, nova-compute's libvirt driver and glance's image_conversion import plugin run "
            "the qemu-img binary (package qemu-utils on Debian/Ubuntu, qemu-img on RHEL). A host built "
            "without it, a package clean-up, or a custom container image without it leaves the service "
            "running but unable to convert images."),
        'reads': (
            "Through the host's layout: which of cinder-volume, nova-compute and glance-api run here "
            "(their unit or container, or on packaged/juju hosts their config: cinder.conf with a "
            "backend, nova.conf with a libvirt compute_driver, glance-api.conf with image_conversion in "
            "[image_import_opts] image_import_plugins); qemu-img on the host's PATH directories, or "
            "inside the service's container (`<cli> exec <container> sh -c 'command -v qemu-img'`, "
            "bounded by a timeout); cinder-volume's log tail for the lines above."),
        'fix': (
            "fix_qemu_img installs the distribution package (qemu-utils, qemu-img, qemu-tools by OS "
            "family; fix_qemu_img_package overrides) on packaged and juju hosts. Nothing needs a "
            "restart: each conversion runs qemu-img anew. Where the service runs in a container "
            "(kolla, TripleO) nothing is installed in place (lost on the next re-create): the fix says "
            "so and names the durable remedy, an image with qemu-img (kolla's cinder-volume, "
            "nova-compute and glance-api images carry it), then kolla-ansible deploy / overcloud deploy."),
        'verify': (
            "command -v qemu-img on the host (or `<cli> exec <container> qemu-img --version`); create "
            "a volume from a qcow2 image (openstack volume create --image <qcow2> --size 1 v) and see "
            "it become available."),
    },
}
CHECK = DECLARATION['name']
LOG_SIGNATURES = ('7c', '7e')
IDS = {'cinder-volume': 'cinder.qemu_img_missing', 'nova-compute': 'nova.qemu_img_missing',
       'glance-api': 'glance.qemu_img_missing'}


def _log_evidence(log_facts, limit):
    if not isinstance(log_facts, dict):
        return []
    out = []
    for m in log_facts.get('matches') or []:
        if m.get('signature') in LOG_SIGNATURES:
            out.append({'line': m.get('line_no'), 'signature': m.get('signature'), 'text': m.get('text')})
    return out[-limit:]


def evaluate(facts, params=None):
    """One result per service of cinder-volume, nova-compute, glance-api that runs on the host."""
    facts = facts or {}
    params = params or {}
    log_limit = int(params.get('log_limit') or 5)
    qf = facts.get('qemu_img')
    if not isinstance(qf, dict) or not isinstance(qf.get('services'), dict):
        err = (qf or {}).get('error') if isinstance(qf, dict) else None
        return [base.result(DECLARATION, 'cinder.qemu_img_missing', 'error',
                            'qemu_img facts were not gathered on this host (%s)'
                            % ((err or {}).get('message') or 'node_facts subset "qemu_img" missing'),
                            {'file': (err or {}).get('file')})]
    log = facts.get('cinder_volume_log') or {}
    results = []
    for name in ('cinder-volume', 'nova-compute', 'glance-api'):
        svc = qf['services'].get(name) or {}
        rid = IDS[name]
        where = svc.get('container') and 'container %s' % svc['container'] or 'host'
        ev = {'service': name, 'where': where, 'runs_how': svc.get('runs_how'),
              'file': svc.get('config_file'), 'package': qf.get('package'), 'os_family': qf.get('os_family')}
        if svc.get('runs') is None and svc.get('error'):
            err = svc['error']
            results.append(base.result(
                DECLARATION, rid, 'error',
                'cannot tell whether %s runs here: %s line %s: %s'
                % (name, err.get('file') or svc.get('config_file'), err.get('line', '?'), err.get('message')),
                dict(ev, line=err.get('line'), message=err.get('message'))))
            continue
        if not svc.get('runs'):
            continue
        if not svc.get('required', True):
            results.append(base.result(DECLARATION, rid, 'skipped',
                                       '%s runs here (%s) but does not use qemu-img: %s'
                                       % (name, svc.get('runs_how'), svc.get('why')), ev))
            continue
        if name == 'cinder-volume':
            lines = _log_evidence(log, log_limit)
            if lines:
                ev['log_file'] = log.get('file')
                ev['log_lines'] = lines
        if svc.get('error'):
            err = svc['error']
            results.append(base.result(
                DECLARATION, rid, 'error',
                'cannot look for qemu-img where %s runs (%s): %s' % (name, where, err.get('message')),
                dict(ev, message=err.get('message'))))
            continue
        if svc.get('qemu_img'):
            ev['qemu_img'] = svc['qemu_img']
            results.append(base.result(DECLARATION, rid, 'ok',
                                       '%s (%s): qemu-img at %s' % (name, where, svc['qemu_img']), ev))
            continue
        summary = ('%s runs here (%s) but qemu-img is not %s: %s'
                   % (name, svc.get('runs_how'),
                      'in its container' if svc.get('container') else 'installed on the host',
                      svc.get('why') or 'it cannot convert images'))
        if ev.get('log_lines'):
            summary += ' (%d matching log line%s in %s)' % (
                len(ev['log_lines']), '' if len(ev['log_lines']) == 1 else 's', log.get('file'))
        results.append(base.result(DECLARATION, rid, base.FAULT, summary, ev))
    if not results:
        results.append(base.result(DECLARATION, 'cinder.qemu_img_missing', 'skipped',
                                   'none of cinder-volume, nova-compute, glance-api runs on this host', {}))
    return results
