# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sliced runs (AWX job slicing): what each slice publishes, and how the correlation step merges it.

A sliced job template runs one job per slice, each on part of the inventory, possibly on
different execution nodes; a check that compares hosts (``cross_host`` in its declaration:
cinder's RBD backends against a compute's libvirt secrets, galera nodes against each other, the
nodes' image backends) sees only its slice's hosts there. So each slice publishes, through
``set_stats``, one bounded summary per host under a key of its own (:func:`host_key`): AWX merges
the artifacts of a workflow node's parents into the next node's extra vars with a dict update, so
one key per host never collides, whichever slice a host falls in. The summary holds the host's
results (bounded), its groups and the node-facts subsets the cross-host checks read. The
correlation step (``playbooks/correlate.yml``) reads every summary back (:func:`merge`), restores
the results of the checks that are not cross-host, runs the cross-host checks again over all the
hosts' facts and writes the one report.

Standard library only.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

PREFIX = 'stackdoctor_slice_host_'
FORMAT = 1
MAX_RESULTS = 200          # results per host kept in a summary (non-ok first)
MAX_EVIDENCE_BYTES = 2048  # a result's evidence beyond this is replaced by a marker
MAX_FACTS_BYTES = 65536    # the node facts of one host beyond this are not published
SUMMARY_MAX = 200
_ORDER = {'critical': 0, 'error': 1, 'warning': 2, 'ok': 3, 'skipped': 4}


def host_key(host):
    """The set_stats key of one host's summary: a fixed prefix and 12 hex digits of its name."""
    return PREFIX + hashlib.sha1(str(host).encode('utf-8')).hexdigest()[:12]


def _size(value):
    return len(json.dumps(value, sort_keys=True, default=str))


def _trim_result(r):
    out = dict((k, r.get(k)) for k in ('id', 'check', 'status', 'host', 'fix', 'reference', 'waived') if k in r)
    out['summary'] = str(r.get('summary') or '')[:SUMMARY_MAX]
    evidence = r.get('evidence') or {}
    out['evidence'] = evidence if _size(evidence) <= MAX_EVIDENCE_BYTES else {'truncated': True}
    return out


def summarize(host, groups, results, node_facts, subsets, max_results=MAX_RESULTS, max_facts_bytes=MAX_FACTS_BYTES):
    """One host's summary: its results (non-ok first, at most ``max_results``, evidence bounded)
    and the node-facts ``subsets`` (all or none, at most ``max_facts_bytes`` of JSON)."""
    results = [r for r in (results or []) if isinstance(r, dict)]
    ordered = sorted(results, key=lambda r: _ORDER.get(r.get('status'), 5))
    facts = dict((s, (node_facts or {})[s]) for s in sorted(set(subsets or [])) if s in (node_facts or {}))
    facts_bytes = _size(facts)
    too_big = facts_bytes > max_facts_bytes
    return {
        'format': FORMAT,
        'host': str(host),
        'groups': sorted(str(g) for g in (groups or []) if g not in ('all', 'ungrouped')),
        'results': [_trim_result(r) for r in ordered[:max_results]],
        'results_total': len(results),
        'results_truncated': len(results) > max_results,
        'facts': {} if too_big else facts,
        'facts_bytes': facts_bytes,
        'facts_truncated': too_big,
    }


def publish(hosts, get_facts, get_groups, get_results, subsets, **limits):
    """``{host_key(h): summary}`` for every host with results or facts (the set_stats data)."""
    out = {}
    for h in hosts:
        results = get_results(h)
        facts = get_facts(h) or {}
        if results is None and not facts:
            continue
        out[host_key(h)] = summarize(h, get_groups(h), results or [], facts, subsets, **limits)
    return out


class MergeError(ValueError):
    """The published summaries cannot be merged (none, or malformed)."""


def merge(values, cross_checks):
    """Summaries published by the slices (the values of the ``stackdoctor_slice_host_*`` extra
    vars) -> ``{hosts: [{host, groups, results, facts, facts_truncated}], dropped: n}``.

    ``results`` keep everything but the cross-host checks' (run again by the correlation step);
    a summary whose key does not match its host, or an unknown format, is an error."""
    cross = set(cross_checks or [])
    hosts, dropped = {}, 0
    for key, summary in sorted((values or {}).items()):
        if not isinstance(summary, dict) or summary.get('format') != FORMAT or not summary.get('host'):
            raise MergeError('%s is not a stackdoctor slice summary (format %s)' % (key, FORMAT))
        if host_key(summary['host']) != key:
            raise MergeError('%s holds the summary of %s, whose key is %s'
                             % (key, summary['host'], host_key(summary['host'])))
        kept = [r for r in summary.get('results') or [] if r.get('check') not in cross]
        dropped += len(summary.get('results') or []) - len(kept)
        hosts[summary['host']] = {
            'host': summary['host'], 'groups': list(summary.get('groups') or []), 'results': kept,
            'results_truncated': bool(summary.get('results_truncated')),
            'facts': dict(summary.get('facts') or {}), 'facts_truncated': bool(summary.get('facts_truncated')),
        }
    if not hosts:
        raise MergeError('no slice summary (%s*) in the extra vars: run the slices with '
                         'stackdoctor_slice_publish=true and pass their artifacts on' % PREFIX)
    return {'hosts': [hosts[h] for h in sorted(hosts)], 'dropped': dropped}
