# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_log_signatures: known fault lines in the services' logs within a time window, each naming the
check or fix to run next (declaration + evaluate).

Pure function: the ``log_signatures`` node facts (the signature table of
``module_utils/log_signatures.py`` searched in the tail of every log of the layout's services,
in one node_facts run) in, one result per signature seen in the window and one ok per log out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures as table
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

# signature row -> (what to run next: check, fix or None); rows with check None are information
NEXT = {}
for _sid in ('1a', '1b', '1c', '1d', '1e', '1f', '1g', '1h'):
    NEXT[_sid] = ('check_tgt_include', 'fix_tgt_include')
for _sid in ('7a', '7b', '7d'):
    NEXT[_sid] = ('check_glance_reachability', 'fix_glance_api_servers')
for _sid in ('7c', '7e'):
    NEXT[_sid] = ('check_qemu_img', 'fix_qemu_img')
for _sid in ('3b', '3c', '3d', '3e'):
    NEXT[_sid] = ('check_nova_service_versions', 'fix_nova_service_versions')
for _sid in ('4a', '4b', '4c', '4d'):
    NEXT[_sid] = ('check_placement_allocations', 'fix_placement_allocations')
for _sid in ('11a', '11c', '11d'):
    NEXT[_sid] = ('check_messaging', None)
# information, not a fault: the cap nova chose, a reconnection
INFO = ('3a', '11b')

DECLARATION = {
    'name': 'check_log_signatures',
    'title': "known fault lines (the signature table) in the services' logs within a time window, each naming "
             "the check or fix to run next",
    'scope': 'host',
    'groups': ['controllers', 'computes', 'storage', 'network'],
    'subsets': ['layout', 'log_signatures'],
    'apis': [],
    'fix': None,
    'params': {'window_hours': {'var': 'check_log_signatures_window_hours', 'default': 24}},
    'profiles': ['post-deploy', 'periodic'],
    'findings': {
        'logs.known_fault': {
            'severity': 'warning', 'identity': ['file', 'signature'],
            'title': "a log line of the signature table (a known fault with its upstream source) was logged within "
                     "the window: run the check it names"},
        'logs.unreadable': {
            'severity': 'warning', 'identity': ['file'],
            'title': "a service's log could not be read"},
    },
    'references': [
        'cinder volume/targets/tgt.py, image/glance.py, image/image_utils.py (rows 1a-1h, 7a-7e)',
        'nova compute/rpcapi.py, utils.py, objects/service.py, compute/resource_tracker.py (rows 3a-3e, 4a-4c)',
        'oslo.messaging _drivers/impl_rabbit.py (rows 11a-11d)',
        'https://docs.openstack.org/oslo.log/latest/admin/log_format.html (the default line prefix)',
    ],
    'runbook': {
        'symptom': (
            "Something failed (a volume attach, an instance build, an RPC call) and the service logs hold the "
            "line that says why, among thousands of others."),
        'cause': (
            "Each row of the signature table (plugins/module_utils/log_signatures.py: id, regex, diagnosis, the "
            "upstream source that logs it) is a known fault: tgt not exporting cinder's volumes, glance "
            "unreachable from cinder, qemu-img missing, nova's RPC version cap or stale compute rows, placement "
            "allocations without an instance, the message broker unreachable."),
        'reads': (
            "In one node_facts run per host: the last stackdoctor_log_tail_bytes (4 MiB) of every log file of the "
            "layout's services (packaged /var/log/<service>/, kolla /var/log/kolla/<service>/, TripleO "
            "/var/log/containers/<service>/), searched with the rows that apply to that service (and the rows "
            "for every service). A match counts when its oslo.log timestamp (the node's local time) is within "
            "check_log_signatures_window_hours (24) of the node's clock. Lines are masked before they leave "
            "the node."),
        'fix': (
            "No fix of its own: each finding names the check to run next (and its fix), e.g. row 1a -> "
            "check_tgt_include / fix_tgt_include, 7a -> check_glance_reachability / fix_glance_api_servers, "
            "4a -> check_placement_allocations, 11a -> check_messaging. Rows 3a and 11b are information."),
        'verify': (
            "After the named fix, the line stops appearing: re-run check_log_signatures (a smaller window, "
            "e.g. check_log_signatures_window_hours: 1, shows only what was logged since)."),
    },
}


def _parse(text):
    try:
        return datetime.datetime.strptime(text, '%Y-%m-%d %H:%M:%S')
    except (TypeError, ValueError):
        return None


def evaluate(facts, params=None):
    """One result per (log, signature) seen within the window, one ok per log without any.

    ``params``: ``window_hours`` (default 24), ``severity``.
    """
    facts = facts or {}
    params = params or {}
    hours = float(params.get('window_hours') or 24)
    ls = facts.get('log_signatures')
    if not isinstance(ls, dict):
        return [base.result(DECLARATION, 'logs.known_fault', 'error',
                            'log facts were not gathered on this host (node_facts subset "log_signatures" missing)')]
    now = _parse(ls.get('now'))
    since = (now - datetime.timedelta(hours=hours)) if now else None
    results = []
    for log in ls.get('logs') or []:
        ev = {'file': log.get('file'), 'services': log.get('services') or [], 'window_hours': hours,
              'truncated': log.get('truncated'), 'lines_scanned': log.get('lines_scanned')}
        if log.get('error'):
            results.append(base.result(DECLARATION, 'logs.unreadable', base.FAULT, '%s: %s' % (
                log.get('file'), (log['error'] or {}).get('message')), dict(ev, message=(log['error'] or {}).get(
                    'message'))))
            continue
        seen = 0
        older = []
        for sig_id in sorted(log.get('signatures') or {}, key=lambda s: (len(s), s)):
            sig = log['signatures'][sig_id]
            row = table.BY_ID.get(sig_id) or {}
            times = [t for t in (_parse(x) for x in sig.get('times') or []) if t]
            last = _parse(sig.get('last_time'))
            in_window = [t for t in times if since is None or t >= since]
            if since is not None and last is not None and last < since:
                older.append('%s (last %s)' % (sig_id, sig.get('last_time')))
                continue
            nxt = NEXT.get(sig_id, (None, None))
            count = len(in_window) if in_window else sig.get('count')
            more = '+' if (len(in_window) >= len(times) and sig.get('count', 0) > len(times)) else ''
            sev = dict(ev, signature=sig_id, diagnosis=row.get('diagnosis'), source=row.get('source'),
                       count_in_tail=sig.get('count'), count_in_window='%s%s' % (count, more),
                       last_time=sig.get('last_time'), line=sig.get('last_line'), text=sig.get('last_text'),
                       next_check=nxt[0], next_fix=nxt[1])
            seen += 1
            if sig_id in INFO or not nxt[0]:
                results.append(base.result(DECLARATION, 'logs.known_fault', 'ok', '%s: row %s (information) %s%s '
                                           'time(s), last %s: %s' % (log.get('file'), sig_id, count, more,
                                                                     sig.get('last_time'), row.get('diagnosis')),
                                           sev))
                continue
            then = 'run %s%s' % (nxt[0], (' then %s' % nxt[1]) if nxt[1] else '')
            results.append(base.result(DECLARATION, 'logs.known_fault', base.FAULT, '%s: row %s %s%s time(s) in %g h, '
                                       'last %s line %s: %s -> %s' % (log.get('file'), sig_id, count, more, hours,
                                                                      sig.get('last_time'), sig.get('last_line'),
                                                                      row.get('diagnosis'), then), sev))
        if not seen:
            older_words = ('; older: %s' % ', '.join(older)) if older else ''
            results.append(base.result(DECLARATION, 'logs.known_fault', 'ok',
                                       '%s: no known fault line in the last %g h (%s lines scanned)%s'
                                       % (log.get('file'), hours, log.get('lines_scanned'), older_words),
                                       dict(ev, older=older)))
    if not results:
        results.append(base.result(DECLARATION, 'logs.known_fault', 'skipped',
                                   'no log file of an OpenStack service on this host'))
    return results
