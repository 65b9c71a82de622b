# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run history and the diff between two runs (standard library only).

Every report run keeps its report.json as ``<history_dir>/<run id>/report.json`` (the report
action; ``history_dir`` defaults to ``<report_dir>/runs``), at most ``keep`` runs (the oldest
are removed). A run id sorts by time: ``20261201T105300Z-diagnose`` (``-2``, ``-3`` ... when
two runs share a second).

``diff(previous, current)`` compares the findings (results of severity warning or worse) of
two reports by identity, the same identity the fix frame uses (``selection.result_key``: the
finding id, the host, and the evidence keys the check's declaration lists as ``identity``):
``new`` (open now, not before), ``fixed`` (open before, not now, and the check ran again on that
host), ``persists`` (open in both; ``was`` is the earlier status), ``not_rechecked`` (open before,
but this run did not run that check on that host: ``--limit``, another selection).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil

from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import selection

RUN_ID_RE = re.compile(r'^\d{8}T\d{6}Z(-[a-z0-9][a-z0-9_.-]{0,40})?(-\d+)?$')
DEFAULT_KEEP = 20
RUNS_DIR = 'runs'
REPORT_FILE = 'report.json'
# an entry of a diff list (what report.json's `changes` keeps of each result)
ENTRY_FIELDS = ('id', 'check', 'host', 'status', 'summary')


class HistoryError(ValueError):
    """A run that cannot be found or read."""


def identities():
    """finding id -> identity evidence keys, from every registered check's declaration."""
    out = {}
    try:
        from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry
        for decl in registry.declarations().values():
            for fid, spec in (decl.get('findings') or {}).items():
                out[fid] = list(spec.get('identity') or [])
    except Exception:  # pylint: disable=broad-except
        pass  # a check that cannot load: its findings compare on id + host
    return out


def _open(result):
    return sd.severity(result.get('status')) > 0


def key(result, idents=None):
    return selection.result_key(result, (idents or {}).get(result.get('id')))


def _entry(result, was=None):
    entry = dict((f, result.get(f)) for f in ENTRY_FIELDS)
    if result.get('waived'):
        entry['waived'] = True
    if was is not None:
        entry['was'] = was
    return entry


def run_info(report):
    return {'run_id': report.get('run_id'), 'generated': report.get('generated'), 'phase': report.get('phase'),
            'profile': report.get('profile'), 'verdict': report.get('verdict'), 'title': report.get('title')}


def diff(previous, current, idents=None):
    """What changed from ``previous`` to ``current`` (two report dicts); see the module doc."""
    idents = identities() if idents is None else idents
    before = {}
    for r in previous.get('results') or []:
        if _open(r):
            before.setdefault(key(r, idents), r)
    now = {}
    for r in current.get('results') or []:
        if _open(r):
            now.setdefault(key(r, idents), r)
    checked = set((r.get('check'), r.get('host')) for r in current.get('results') or [])
    out = {'previous': run_info(previous), 'new': [], 'fixed': [], 'persists': [], 'not_rechecked': []}
    for k, r in now.items():
        if k in before:
            out['persists'].append(_entry(r, was=before[k].get('status')))
        else:
            out['new'].append(_entry(r))
    for k, r in before.items():
        if k in now:
            continue
        if (r.get('check'), r.get('host')) in checked:
            out['fixed'].append(_entry(r))
        else:
            out['not_rechecked'].append(_entry(r))
    for kind in ('new', 'fixed', 'persists', 'not_rechecked'):
        out[kind].sort(key=sd.sort_key)
    return out


def summary_line(changes):
    if not changes:
        return 'no previous run of this profile'
    prev = changes.get('previous') or {}
    line = 'since %s (%s): %d new, %d fixed, %d persist' % (
        prev.get('run_id') or prev.get('generated'), prev.get('phase'), len(changes.get('new') or []),
        len(changes.get('fixed') or []), len(changes.get('persists') or []))
    if changes.get('not_rechecked'):
        line += ', %d not checked again' % len(changes['not_rechecked'])
    return line


# ---------------------------------------------------------------- the history directory

def new_run_id(report, history_dir):
    """``YYYYmmddTHHMMSSZ-<phase>`` from the report's ``generated``; unique in ``history_dir``."""
    stamp = re.sub(r'[^0-9TZ]', '', str(report.get('generated') or sd.utc_now()))[:16]
    if not re.match(r'^\d{8}T\d{6}Z$', stamp):
        stamp = re.sub(r'[^0-9TZ]', '', sd.utc_now())
    phase = re.sub(r'[^a-z0-9_.-]+', '-', str(report.get('phase') or 'run').lower()).strip('-.')[:40] or 'run'
    base = '%s-%s' % (stamp, phase)
    run_id, n = base, 1
    while os.path.exists(os.path.join(history_dir, run_id)):
        n += 1
        run_id = '%s-%d' % (base, n)
    return run_id


def list_runs(history_dir):
    """Run ids in ``history_dir``, oldest first (only directories that hold a report.json):
    by the time in the id, then by when the report.json was written."""
    try:
        names = os.listdir(history_dir)
    except OSError:
        return []
    runs = []
    for name in names:
        path = os.path.join(history_dir, name, REPORT_FILE)
        if RUN_ID_RE.match(name) and os.path.isfile(path):
            try:
                mtime = os.stat(path).st_mtime
            except OSError:
                continue
            runs.append((name[:16], mtime, name))
    return [name for dummy, dummy2, name in sorted(runs)]


def load_run(history_dir, run):
    """A run's report dict: ``run`` is a run id of ``history_dir``, a directory holding a
    report.json, or a report.json path. Evidence is masked again on the way in."""
    candidates = []
    if run and os.sep not in run and RUN_ID_RE.match(run):
        candidates.append(os.path.join(history_dir or '', run, REPORT_FILE))
    candidates += [os.path.join(run, REPORT_FILE), run]
    for path in candidates:
        if path and os.path.isfile(path):
            try:
                with open(path, 'r', encoding='utf-8') as handle:
                    report = json.load(handle)
            except (OSError, ValueError) as exc:
                raise HistoryError('cannot read %s: %s' % (path, exc))
            if not isinstance(report, dict) or not isinstance(report.get('results'), list):
                raise HistoryError('%s is not a stackdoctor report.json' % path)
            for r in report['results']:
                if isinstance(r, dict):
                    r['evidence'] = sd.mask(r.get('evidence') or {})
            report.setdefault('run_id', os.path.basename(os.path.dirname(os.path.abspath(path))))
            return report
    raise HistoryError('no run %r (history: %s; runs: %s)' % (run, history_dir, ', '.join(list_runs(history_dir or '.'))[-300:] or 'none'))


def previous_run(history_dir, profile, exclude=None):
    """The newest run of ``profile`` (None = every check) in the history, but run id
    ``exclude``; None when there is none. Unreadable runs are passed over."""
    for run_id in reversed(list_runs(history_dir)):
        if run_id == exclude:
            continue
        try:
            report = load_run(history_dir, run_id)
        except HistoryError:
            continue
        if (report.get('profile') or None) == (profile or None):
            return report
    return None


def save_run(history_dir, run_id, content):
    """Write ``content`` (report.json text) as ``<history_dir>/<run_id>/report.json``."""
    path = os.path.join(history_dir, run_id)
    os.makedirs(path, exist_ok=True)
    target = os.path.join(path, REPORT_FILE)
    tmp = target + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as handle:
        handle.write(content)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return target


def prune(history_dir, keep):
    """Remove the oldest runs beyond ``keep``; returns the run ids removed. Only directories
    named like run ids that hold a report.json are ever removed."""
    keep = max(0, int(keep))
    runs = list_runs(history_dir)
    gone = runs[:max(0, len(runs) - keep)]
    for run_id in gone:
        shutil.rmtree(os.path.join(history_dir, run_id), ignore_errors=True)
    return gone
