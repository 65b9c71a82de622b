# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_ceph_health: the ceph cluster's health checks, OSDs down, monitors out of quorum (declaration + evaluate).

Pure function: the ``ceph`` node facts (``ceph -s -f json`` run where a ceph client and keyring
are present, on the host or in the layout's monitor/client container, reduced by
``ha_facts.parse_ceph_status``) in, results out. No fix: ceph's own runbooks repair it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_ceph_health',
    'title': "the ceph cluster's HEALTH_WARN/HEALTH_ERR checks, OSDs down and monitors out of quorum, "
             "read with `ceph -s -f json` where a ceph client and keyring are present",
    'scope': 'host',
    'groups': ['controllers', 'storage'],
    'subsets': ['layout', 'ceph'],
    'apis': [],
    'fix': None,
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'ceph.health_error': {
            'severity': 'critical', 'identity': ['code'],
            'title': 'a HEALTH_ERR health check of the cluster (data unavailable or at risk, e.g. PG_AVAILABILITY, '
                     'OSD_FULL, MON_DOWN without quorum)'},
        'ceph.health_warning': {
            'severity': 'warning', 'identity': ['code'],
            'title': 'a HEALTH_WARN health check of the cluster (e.g. OSD_DOWN, PG_DEGRADED, MON_DISK_LOW, '
                     'POOL_NO_REDUNDANCY)'},
        'ceph.osds_down': {
            'severity': 'warning', 'identity': [],
            'title': 'fewer OSDs up than in the OSD map (num_up_osds < num_osds)'},
        'ceph.mons_out_of_quorum': {
            'severity': 'warning', 'identity': [],
            'title': 'monitors of the monmap missing from quorum_names'},
        'ceph.status_unavailable': {
            'severity': 'critical', 'identity': [],
            'title': '`ceph -s` failed or timed out where a client is configured (monitors unreachable, '
                     'keyring refused)'},
    },
    'references': [
        'https://docs.ceph.com/en/reef/rados/operations/monitoring/ (ceph -s, ceph health detail)',
        'https://docs.ceph.com/en/reef/rados/operations/health-checks/ (the health check codes)',
        'https://docs.ceph.com/en/reef/rados/configuration/auth-config-ref/ (keyring search path)',
        'ceph src/mon/Monitor.cc (get_cluster_status: health, quorum_names, monmap, osdmap, pgmap)',
        'https://docs.openstack.org/kolla-ansible/latest/reference/storage/external-ceph-guide.html',
    ],
    'runbook': {
        'symptom': (
            "Volumes, images or instances on RBD hang or fail (cinder-volume logs rados/rbd timeouts, "
            "glance uploads stall, nova cannot attach), and `ceph -s` shows HEALTH_WARN or HEALTH_ERR, "
            "OSDs down or a monitor out of quorum."),
        'cause': (
            "An OSD host or disk failed (OSD_DOWN, PG_DEGRADED, PG_AVAILABILITY), the cluster is nearly "
            "full (OSD_NEARFULL, OSD_FULL), a monitor is down or partitioned (MON_DOWN), or the cluster "
            "cannot be reached from this node at all (monitors down, firewall, wrong keyring)."),
        'reads': (
            "`ceph --id <client> --connect-timeout N -s -f json`, bounded by check_ceph_health_timeout (stackdoctor_command_timeout in diagnose), "
            "where a ceph client is present: on the host when the `ceph` binary, /etc/ceph/<cluster>.conf "
            "and a keyring of the client are there (the keyring is only looked for, never read); else in "
            "the layout's container (ceph-ansible `ceph-mon-<host>` on TripleO, cephadm "
            "`ceph-<fsid>-mon-<host>`, kolla's `cinder_volume`/`glance_api`/`nova_compute` with their "
            "service client). Override the containers, client id and cluster name with the layout entry "
            "`ceph` in stackdoctor_layout_overrides. Without a client the check is skipped. The parser "
            "is tested on outputs shaped as real Quincy/Reef `ceph -s -f json` (and the older nested "
            "osdmap): ceph itself does not run in this project's test environment."),
        'fix': (
            "No automatic fix. Read `ceph health detail` for the failing check and follow the ceph "
            "health-checks page for its code: bring OSDs back (`ceph osd tree`, the OSD host's "
            "ceph-osd unit or container), add capacity before OSD_FULL, restart or re-add a monitor "
            "out of quorum. For status_unavailable, check the monitors' reachability from this node "
            "(`ceph -s --connect-timeout 10`) and the client's keyring."),
        'verify': (
            "`ceph -s` reports HEALTH_OK, all OSDs up and in, every monitor in quorum; re-run "
            "check_ceph_health."),
    },
}

_CHECK_FINDING = {'HEALTH_ERR': 'ceph.health_error', 'HEALTH_WARN': 'ceph.health_warning'}


def evaluate(facts, params=None):
    """Results for one host from its ``ceph`` facts.

    Skipped without a ceph client; ``status_unavailable`` (critical) when the command failed;
    otherwise one result per active health check (HEALTH_ERR critical, HEALTH_WARN warning,
    muted ones ok), one for OSDs and one for monitor quorum, and an ok health result when the
    cluster reports HEALTH_OK.
    """
    facts = facts or {}
    ceph = facts.get('ceph')
    if not isinstance(ceph, dict):
        return [base.result(DECLARATION, 'ceph.status_unavailable', 'error',
                            'ceph facts were not gathered on this host (node_facts subset "ceph" missing)')]
    if not ceph.get('present'):
        if ceph.get('error'):
            return [base.result(DECLARATION, 'ceph.status_unavailable', 'error',
                                'cannot look for a ceph client: %s' % (ceph['error'] or {}).get('message'),
                                {'looked_at': ceph.get('looked_at') or []})]
        return [base.result(DECLARATION, 'ceph.status_unavailable', 'skipped',
                            'no ceph client with a conf and a keyring on this host or in its containers',
                            {'looked_at': ceph.get('looked_at') or []})]
    where = 'container %s' % ceph.get('container') if ceph.get('where') == 'container' else 'the host'
    ev = {'where': ceph.get('where'), 'container': ceph.get('container'), 'client_id': ceph.get('client_id'),
          'command': ceph.get('command')}
    if ceph.get('error') or not isinstance(ceph.get('status'), dict):
        message = (ceph.get('error') or {}).get('message') or 'no status'
        return [base.result(DECLARATION, 'ceph.status_unavailable', base.FAULT,
                            'ceph -s from %s gives no cluster status: %s' % (where, message),
                            dict(ev, rc=ceph.get('rc'), message=message))]
    st = ceph['status']
    ev['fsid'] = st.get('fsid')
    ev['health'] = st.get('status')
    results = []
    active = 0
    for chk in st.get('checks') or []:
        fid = _CHECK_FINDING.get(chk.get('severity'), 'ceph.health_warning')
        cev = dict(ev, code=chk.get('code'), severity=chk.get('severity'), message=chk.get('message'),
                   count=chk.get('count'), muted=chk.get('muted'))
        if chk.get('muted'):
            results.append(base.result(DECLARATION, fid, 'ok', '%s %s is muted: %s'
                                       % (chk.get('severity'), chk.get('code'), chk.get('message')), cev))
            continue
        active += 1
        results.append(base.result(DECLARATION, fid, base.FAULT, 'ceph %s %s: %s (seen from %s)'
                                   % (chk.get('severity'), chk.get('code'), chk.get('message'), where), cev))
    if not active:
        health = st.get('status')
        if health in _CHECK_FINDING:
            results.append(base.result(DECLARATION, _CHECK_FINDING[health], base.FAULT,
                                       'ceph reports %s without an active health check to name (seen from %s)'
                                       % (health, where), dict(ev)))
        else:
            results.append(base.result(DECLARATION, 'ceph.health_error', 'ok',
                                       'ceph reports %s (seen from %s)' % (health, where), dict(ev)))
    num, up = st.get('num_osds'), st.get('num_up_osds')
    if isinstance(num, int) and isinstance(up, int):
        oev = dict(ev, num_osds=num, num_up_osds=up, num_in_osds=st.get('num_in_osds'))
        if up < num:
            results.append(base.result(DECLARATION, 'ceph.osds_down', base.FAULT,
                                       '%d of %d OSDs down (%d up, %s in)' % (num - up, num, up,
                                                                              st.get('num_in_osds')), oev))
        else:
            results.append(base.result(DECLARATION, 'ceph.osds_down', 'ok',
                                       'all %d OSDs up (%s in)' % (num, st.get('num_in_osds')), oev))
    quorum = st.get('quorum_names')
    mons = st.get('num_mons')
    if isinstance(quorum, list) and isinstance(mons, int):
        qev = dict(ev, quorum_names=quorum, num_mons=mons)
        missing = [m for m in st.get('mon_names') or [] if m not in quorum]
        if missing:
            qev['out_of_quorum'] = missing
        if len(quorum) < mons:
            results.append(base.result(DECLARATION, 'ceph.mons_out_of_quorum', base.FAULT,
                                       '%d of %d monitors out of quorum (quorum: %s)%s'
                                       % (mons - len(quorum), mons, ', '.join(quorum) or 'none',
                                          ('; out: %s' % ', '.join(missing)) if missing else ''), qev))
        else:
            results.append(base.result(DECLARATION, 'ceph.mons_out_of_quorum', 'ok',
                                       'all %d monitors in quorum (%s)' % (mons, ', '.join(quorum)), qev))
    return results
