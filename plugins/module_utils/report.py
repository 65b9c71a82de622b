# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build and render the stackdoctor report: waivers, verdict, JSON, Markdown, JUnit.

Pure functions (standard library only), used by the ``report`` action plugin.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import fnmatch
import json
import re
import xml.etree.ElementTree as ET

from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd

COLLECTION = 'stackdoctor.openstack'
GO = 'go'
NO_GO = 'no go'
WAIVER_FIELDS = ('id', 'hosts', 'reason', 'expires')
DATE_RE = re.compile(r'^\d{4}-\d{2}-\d{2}$')


def internal_result(rid, status, summary, host, evidence=None, stamp=None):
    """A result produced by the collection itself (check ``stackdoctor``)."""
    return {
        'id': rid,
        'check': sd.INTERNAL_CHECK,
        'host': host,
        'status': status,
        'summary': summary,
        'evidence': sd.mask(evidence or {}),
        'fix': None,
        'reference': None,
        'time': stamp or sd.utc_now(),
    }


def parse_date(value):
    """``YYYY-MM-DD`` (str or date) -> date; raises ValueError."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str) or not DATE_RE.match(value.strip()):
        raise ValueError('%r is not a date YYYY-MM-DD' % (value,))
    return datetime.datetime.strptime(value.strip(), '%Y-%m-%d').date()


def normalize_waiver(raw, index):
    """Return a normalised waiver or raise ValueError saying what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError('waiver %d must be a dict with id, hosts, reason, expires; got %r' % (index, raw))
    unknown = sorted(str(k) for k in raw if k not in WAIVER_FIELDS)
    if unknown:
        raise ValueError('waiver %d: unknown field(s) %s (allowed: %s)' % (index, ', '.join(unknown), ', '.join(WAIVER_FIELDS)))
    wid = raw.get('id')
    if not isinstance(wid, str) or not wid.strip():
        raise ValueError('waiver %d: field \'id\' must be a result id or fnmatch pattern, got %r' % (index, wid))
    hosts = raw.get('hosts', '*')
    if hosts is None or hosts == '':
        hosts = '*'
    if not isinstance(hosts, str):
        raise ValueError('waiver %d (%s): field \'hosts\' must be a host name or fnmatch pattern, got %r' % (index, wid, hosts))
    reason = raw.get('reason')
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError('waiver %d (%s): field \'reason\' must be a non-empty string' % (index, wid))
    try:
        expires = parse_date(raw.get('expires'))
    except ValueError as exc:
        raise ValueError('waiver %d (%s): field \'expires\': %s' % (index, wid, exc))
    return {'id': wid.strip(), 'hosts': hosts.strip(), 'reason': ' '.join(reason.split()),
            'expires': expires.isoformat()}


def apply_waivers(results, waivers, today, report_host='localhost'):
    """Mark the results covered by a valid waiver.

    Returns ``(results, extra_results, waivers_report)``:
    ``results`` new copies, a non-ok result matching an active waiver (id and host fnmatch,
    ``expires`` >= today) gets ``waived: true`` and ``waiver: {...}`` (status kept);
    ``extra_results``: a ``warning`` ``stackdoctor.waiver_expired`` per expired waiver and an
    ``error`` ``stackdoctor.waiver_invalid`` per malformed one;
    ``waivers_report``: every valid waiver with ``state`` (active|expired) and ``matched``.
    """
    today = parse_date(today)
    extra = []
    active = []
    listing = []
    if waivers is None:
        waivers = []
    if not isinstance(waivers, (list, tuple)):
        extra.append(internal_result(
            'stackdoctor.waiver_invalid', 'error',
            'stackdoctor_waivers must be a list of waivers, got %s' % type(waivers).__name__,
            report_host, {'waivers': str(waivers)[:200]}))
        waivers = []
    for index, raw in enumerate(waivers):
        try:
            waiver = normalize_waiver(raw, index)
        except ValueError as exc:
            extra.append(internal_result(
                'stackdoctor.waiver_invalid', 'error', 'malformed waiver ignored: %s' % exc,
                report_host, {'waiver': sd.to_plain(raw), 'index': index}))
            continue
        waiver['matched'] = 0
        if parse_date(waiver['expires']) < today:
            waiver['state'] = 'expired'
            extra.append(internal_result(
                'stackdoctor.waiver_expired', 'warning',
                'waiver for %s on hosts %s expired on %s and no longer applies (reason was: %s)'
                % (waiver['id'], waiver['hosts'], waiver['expires'], waiver['reason']),
                report_host, {'waiver_id': waiver['id'], 'hosts': waiver['hosts'],
                              'expires': waiver['expires'], 'reason': waiver['reason']}))
        else:
            waiver['state'] = 'active'
            active.append(waiver)
        listing.append(waiver)

    out = []
    for result in results:
        result = dict(result)
        result.pop('waived', None)
        result.pop('waiver', None)
        if sd.severity(result.get('status')) > 0:
            for waiver in active:
                if (fnmatch.fnmatchcase(str(result.get('id')), waiver['id'])
                        and fnmatch.fnmatchcase(str(result.get('host')), waiver['hosts'])):
                    result['waived'] = True
                    result['waiver'] = dict((k, waiver[k]) for k in WAIVER_FIELDS)
                    waiver['matched'] += 1
                    break
        out.append(result)
    return out, extra, listing


def gate_threshold(gate_severity):
    if gate_severity not in sd.GATE_SEVERITIES:
        raise ValueError('gate_severity must be one of %s, got %r' % (', '.join(sd.GATE_SEVERITIES), gate_severity))
    return sd.SEVERITY[gate_severity]


def verdict(results, gate_severity='error'):
    """``(verdict, blocking)``: ``no go`` when an un-waived result reaches the gate severity."""
    threshold = gate_threshold(gate_severity)
    blocking = [r for r in results if not r.get('waived') and sd.severity(r.get('status')) >= threshold]
    blocking = sorted(blocking, key=sd.sort_key)
    return (NO_GO if blocking else GO), [
        {'id': r['id'], 'host': r['host'], 'status': r['status'], 'check': r.get('check'),
         'summary': r['summary']} for r in blocking]


def counts(results, hosts=None):
    out = dict((s, 0) for s in sd.STATUSES)
    out['waived'] = 0
    for r in results:
        if r.get('waived'):
            out['waived'] += 1
        else:
            out[r.get('status') if r.get('status') in out else 'error'] += 1
    out['total'] = len(results)
    targets = set(r.get('host') for r in results)
    # hosts: targeted hosts; checked: those with a result of their own (a host that only ran
    # the API checks, such as the controller, is not a checked node); clouds: cloud targets
    out['hosts'] = len(set(hosts)) if hosts else len([h for h in targets if not sd.is_cloud_target(h)])
    out['checked'] = len([h for h in targets if not sd.is_cloud_target(h)
                          and any(r.get('host') == h and r.get('check') != sd.INTERNAL_CHECK for r in results)])
    out['clouds'] = len([h for h in targets if sd.is_cloud_target(h)])
    out['checks'] = len(set(r.get('check') for r in results))
    return out


def build(results, actions, hosts, waivers=None, gate_severity='error', title='stackdoctor report',
          phase='diagnose', today=None, now=None, report_host='localhost', missing_hosts=None,
          profile=None, groups=None):
    """The report dict (what report.json holds).

    ``missing_hosts``: targeted hosts without any results; each gets an ``error`` result.
    ``groups``: inventory group -> hosts; kept for the targeted hosts (report.html's host
    group filter), without ``all``.
    """
    now = now or sd.utc_now()
    today = today or now[:10]
    results = list(results)
    for host in missing_hosts or []:
        results.append(internal_result(
            'stackdoctor.host_unreachable', 'error',
            'no results: host unreachable or its play failed', host,
            {'hint': 'see the ansible-playbook output for this host'}, stamp=now))
    results, extra, waiver_list = apply_waivers(results, waivers, today, report_host)
    results = sorted(results + extra, key=sd.sort_key)
    the_verdict, blocking = verdict(results, gate_severity)
    return {
        'schema_version': sd.SCHEMA_VERSION,
        'collection': COLLECTION,
        'title': title,
        'phase': phase,
        'profile': profile or None,
        'generated': now,
        'today': parse_date(today).isoformat(),
        'gate_severity': gate_severity,
        'verdict': the_verdict,
        'blocking': blocking,
        'counts': counts(results, hosts),
        'hosts': sorted(set(hosts or [])),
        'groups': target_groups(groups, hosts),
        'results': results,
        'actions': list(actions or []),
        'waivers': waiver_list,
    }


def target_groups(groups, hosts):
    """``{group: sorted targeted hosts}`` without ``all`` and without empty groups."""
    wanted = set(str(h) for h in hosts or [])
    out = {}
    for group, members in (groups or {}).items():
        if group == 'all' or not isinstance(members, (list, tuple)):
            continue
        kept = sorted(set(str(m) for m in members) & wanted)
        if kept:
            out[str(group)] = kept
    return out


# set_stats (AWX artifacts) carries at most this many blocking results; the total is beside it.
STATS_BLOCKING_MAX = 20


def stats(report, paths=None, limit=STATS_BLOCKING_MAX):
    """What ``set_stats`` publishes for AWX workflows: the verdict, counts and the blocking
    results themselves (id, check, status, host, one-line summary, fix; at most ``limit``, with
    the total), bounded whatever the size of the cloud: the report files may not outlive the
    job's container, these stats do (they become the job's artifacts)."""
    blocking = report.get('blocking') or []
    fixes = {}
    for r in report.get('results') or []:
        fixes.setdefault((r.get('id'), r.get('host')), r.get('fix'))
    limit = max(0, int(limit))
    return {
        'stackdoctor_verdict': report['verdict'],
        'stackdoctor_gate_severity': report.get('gate_severity'),
        'stackdoctor_counts': dict(report.get('counts') or {}),
        'stackdoctor_blocking': [
            {'id': b['id'], 'check': b.get('check'), 'status': b['status'], 'host': b['host'],
             'summary': str(b.get('summary') or '')[:sd.SUMMARY_MAX],
             'fix': fixes.get((b['id'], b['host']))}
            for b in blocking[:limit]],
        'stackdoctor_blocking_total': len(blocking),
        'stackdoctor_blocking_truncated': len(blocking) > limit,
        'stackdoctor_phase': report.get('phase'),
        'stackdoctor_profile': report.get('profile'),
        'stackdoctor_generated': report.get('generated'),
        'stackdoctor_report_paths': dict(paths or {}),
    }


# ---------------------------------------------------------------- rendering

def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True, default=str) + '\n'


_CONTROL = re.compile(u'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')


def _line(value):
    """One line of text: whitespace runs collapsed, control characters dropped."""
    return ' '.join(_CONTROL.sub('', str(value)).split())


def _code(value):
    """Inline code span that survives backticks and newlines."""
    text = _line(value) if value is not None else 'null'
    if not text:
        return "``"
    if '`' in text:
        return '`` %s ``' % text.replace('``', '` `')
    return '`%s`' % text


def _cell(value):
    """Text safe inside a Markdown table cell."""
    text = _line(value) if value is not None else ''
    return re.sub(r'([\\|<>`])', r'\\\1', text)


def _text(value):
    """Free text on one line, with Markdown/HTML special characters neutralised."""
    text = _line(value)
    text = re.sub(r'([\\`*\[\]<>|])', r'\\\1', text)
    return re.sub(r'^([#+=-])', r'\\\1', text)


def _evidence_lines(evidence, indent='  '):
    lines = []
    if not evidence:
        return lines
    for key in sorted(evidence):
        value = evidence[key]
        if isinstance(value, (dict, list)):
            value = json.dumps(value, sort_keys=True, default=str)
        lines.append('%s- %s: %s' % (indent, _text(key), _code(value)))
    return lines


def fix_hint(result):
    """How to run the fix; evidence ``fix_vars`` names the opt-in variables the fix needs here."""
    fix = result.get('fix')
    extra = (result.get('evidence') or {}).get('fix_vars') or {}
    if not fix:
        return None
    role = fix if '.' in fix else '%s.%s' % (COLLECTION, fix)
    short = fix.rsplit('.', 1)[-1]
    pairs = _fix_var_pairs(extra)
    host = result.get('host')
    limit = '' if sd.is_cloud_target(host) else ' --limit %s' % _cell(host)
    return ('Fix: run role %s%s, or `ansible-playbook %s.remediate -e stackdoctor_fixes=%s%s%s`'
            % (_code(role), ' with ' + ', '.join(_code(p) for p in pairs) if pairs else '',
               COLLECTION, short, ''.join(' -e %s' % p for p in pairs), limit))


def _fix_var_pairs(fix_vars):
    return ['%s=%s' % (k, str(v).lower() if isinstance(v, bool) else v)
            for k, v in sorted((fix_vars if isinstance(fix_vars, dict) else {}).items())]


def _target(host):
    """How a result's target reads: ``cloud X`` for cloud-scope results, the host otherwise."""
    if sd.is_cloud_target(host):
        return 'cloud %s' % _code(str(host)[len(sd.CLOUD_PREFIX):])
    return _code(host)


def _runbook(result):
    """The check's runbook page (the first part of the reference, docs/checks/<check>.md)."""
    first = str(result.get('reference') or '').split(';')[0].strip()
    return first if first.startswith('docs/checks/') else None


def _by_target(results):
    """Markdown table: one row per target (cloud first, then hosts) with its worst status."""
    rows = {}
    for r in results:
        row = rows.setdefault(r['host'], dict((s, 0) for s in sd.STATUSES))
        if not r.get('waived'):
            row[r['status']] = row.get(r['status'], 0) + 1
    out = ['## By target', '', '| target | worst | critical | error | warning | ok | skipped |',
           '|---|---|---:|---:|---:|---:|---:|']
    for host in sorted(rows, key=lambda h: (not sd.is_cloud_target(h), h)):
        row = rows[host]
        worst = next((s for s in sd.STATUS_ORDER if row.get(s)), 'ok')
        out.append('| %s | %s | %d | %d | %d | %d | %d |' % (
            _target(host), worst, row['critical'], row['error'], row['warning'], row['ok'], row['skipped']))
    return out + ['']


# report.md lists at most this many entries per kind of change (report.html and report.json all)
CHANGES_LIST_MAX = 50


def _changes_markdown(changes):
    """``## Since the previous run``: the history's diff (history.diff) of this run."""
    out = ['## Since the previous run', '']
    if not changes:
        return out + ['No previous run of this profile in the history.', '']
    prev = changes.get('previous') or {}
    n = dict((k, len(changes.get(k) or [])) for k in ('new', 'fixed', 'persists', 'not_rechecked'))
    out.append('Previous run %s (%s, %s, verdict %s): **%d new, %d fixed, %d persist**%s.' % (
        _code(prev.get('run_id')), _text(prev.get('phase')), _text(prev.get('generated')),
        _text(str(prev.get('verdict') or '').upper()), n['new'], n['fixed'], n['persists'],
        (', %d not checked again' % n['not_rechecked']) if n['not_rechecked'] else ''))
    out.append('')
    for kind, title in (('new', 'New'), ('fixed', 'Fixed'), ('not_rechecked', 'Not checked again')):
        items = changes.get(kind) or []
        if not items:
            continue
        out.append('%s:' % title)
        out.append('')
        for c in items[:CHANGES_LIST_MAX]:
            out.append('- %s %s on %s: %s' % (c.get('status'), _code(c.get('id')), _target(c.get('host')),
                                              _text(c.get('summary'))))
        if len(items) > CHANGES_LIST_MAX:
            out.append('- ... and %d more (report.html, report.json)' % (len(items) - CHANGES_LIST_MAX))
        out.append('')
    return out


def render_markdown(report):
    results = report['results']
    c = report['counts']
    out = ['# %s' % _text(report.get('title') or 'stackdoctor report'), '']
    if report['verdict'] == GO:
        below = sum(c[s] for s in ('critical', 'error', 'warning'))
        out.append('**Verdict: GO**: no un-waived result at or above `%s`%s.' % (
            report['gate_severity'], (' (%d below the gate, listed below)' % below) if below else ''))
    else:
        out.append('**Verdict: NO GO**: %d un-waived result(s) at or above `%s`:'
                   % (len(report['blocking']), report['gate_severity']))
        out.append('')
        for b in report['blocking']:
            out.append('- **%s** %s on %s: %s' % (b['status'], _code(b['id']), _target(b['host']), _text(b['summary'])))
    clouds = sorted(set(r['host'] for r in results if sd.is_cloud_target(r.get('host'))))
    out += ['', 'Phase: %s. Profile: %s. Generated %s. Hosts: %d checked of %d targeted%s. Checks: %d.'
            % (_text(report.get('phase')), _text(report.get('profile') or 'all checks'), report['generated'],
               c.get('checked', c['hosts']), c['hosts'],
               ('; cloud: %s' % ', '.join(_code(h[len(sd.CLOUD_PREFIX):]) for h in clouds)) if clouds else '',
               c['checks']), '']

    out += ['| critical | error | warning | ok | skipped | waived | total |',
            '|---:|---:|---:|---:|---:|---:|---:|',
            '| %d | %d | %d | %d | %d | %d | %d |' % (c['critical'], c['error'], c['warning'], c['ok'],
                                                      c['skipped'], c['waived'], c['total']), '']

    if 'changes' in report:
        out += _changes_markdown(report.get('changes'))

    if results:
        out += _by_target(results)

    for status in ('critical', 'error', 'warning'):
        items = [r for r in results if r['status'] == status and not r.get('waived')]
        if not items:
            continue
        out += ['## %s (%d)' % (status.capitalize(), len(items)), '']
        for r in items:
            out.append('### %s on %s' % (_code(r['id']), _target(r['host'])))
            out.append('')
            out.append(_text(r['summary']))
            out.append('')
            out.append('- Check: %s' % _code(r.get('check')))
            ev = _evidence_lines(r.get('evidence') or {})
            if ev:
                out.append('- Evidence:')
                out += ev
            hint = fix_hint(r)
            if hint:
                out.append('- ' + hint)
            runbook = _runbook(r)
            if runbook:
                out.append('- Runbook: %s' % runbook)
            if r.get('reference'):
                out.append('- Reference: %s' % _text(r['reference']))
            out.append('')

    waived = [r for r in results if r.get('waived')]
    if waived:
        out += ['## Waived (%d)' % len(waived), '',
                '| status | id | host | summary | reason | expires |', '|---|---|---|---|---|---|']
        for r in waived:
            w = r.get('waiver') or {}
            out.append('| %s | %s | %s | %s | %s | %s |' % (
                r['status'], _code(r['id']), _cell(r['host']), _cell(r['summary']),
                _cell(w.get('reason')), _cell(w.get('expires'))))
        out.append('')

    actions = report.get('actions') or []
    if actions:
        out += ['## Actions taken (%d)' % len(actions), '',
                '| fix | host | changed | summary |', '|---|---|---|---|']
        for a in actions:
            row = (_code(a.get('fix')), _cell(a.get('host')), 'yes' if a.get('changed') else 'no',
                   _cell(a.get('summary')))
            out.append('| %s | %s | %s | %s |' % row)
        out.append('')

    passed = [r for r in results if r['status'] in ('ok', 'skipped')]
    if passed:
        out += ['## Passed and skipped (%d)' % len(passed), '',
                '| status | check | id | host | summary |', '|---|---|---|---|---|']
        for r in sorted(passed, key=lambda r: (r.get('check') or '', r['id'], r['host'], r['status'])):
            row = (r['status'], _cell(r.get('check')), _code(r['id']), _cell(r['host']), _cell(r['summary']))
            out.append('| %s | %s | %s | %s | %s |' % row)
        out.append('')

    waivers = report.get('waivers') or []
    if waivers:
        out += ['## Waivers (%d)' % len(waivers), '',
                '| id | hosts | state | expires | matched | reason |', '|---|---|---|---|---:|---|']
        for w in waivers:
            row = (_code(w['id']), _code(w['hosts']), w['state'], w['expires'], w['matched'], _cell(w['reason']))
            out.append('| %s | %s | %s | %s | %d | %s |' % row)
        out.append('')
    return '\n'.join(out).rstrip('\n') + '\n'


_XML_BAD = re.compile(u'[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def _x(value):
    """Text allowed in XML 1.0 (ElementTree escapes markup; this drops forbidden characters)."""
    return _XML_BAD.sub(u'\ufffd', '' if value is None else str(value))


def _result_text(r):
    line = '%s %s: %s' % (r['status'], r['id'], r['summary'])
    if r.get('waived'):
        line += ' [waived: %s, until %s]' % ((r.get('waiver') or {}).get('reason'), (r.get('waiver') or {}).get('expires'))
    if r.get('evidence'):
        line += '\n  evidence: %s' % json.dumps(r['evidence'], sort_keys=True, default=str)
    hint = fix_hint(r)
    if hint:
        line += '\n  ' + hint.replace('`', '')
    return line


def render_junit(report):
    """One testsuite per check, one testcase per check x host."""
    cases = {}
    for r in report['results']:
        cases.setdefault(r.get('check') or 'unknown', {}).setdefault(r['host'], []).append(r)
    root = ET.Element('testsuites', {'name': _x(report.get('title') or 'stackdoctor')})
    totals = {'tests': 0, 'failures': 0, 'errors': 0, 'skipped': 0}
    for check in sorted(cases):
        suite = ET.SubElement(root, 'testsuite', {'name': _x(check), 'timestamp': _x(report['generated'])})
        stats = {'tests': 0, 'failures': 0, 'errors': 0, 'skipped': 0}
        for host in sorted(cases[check]):
            items = sorted(cases[check][host], key=sd.sort_key)
            case = ET.SubElement(suite, 'testcase', {'classname': _x('%s.%s' % (COLLECTION, check)),
                                                     'name': _x(host), 'time': '0'})
            stats['tests'] += 1
            live = [r for r in items if not r.get('waived')]
            worst = max([sd.severity(r['status']) for r in live] or [0])
            text = _x('\n'.join(_result_text(r) for r in items))
            bad = [r for r in live if sd.severity(r['status']) == worst]
            if worst == sd.SEVERITY['critical']:
                el = ET.SubElement(case, 'failure', {'type': 'critical', 'message': _x('; '.join(
                    '%s: %s' % (r['id'], r['summary']) for r in bad))})
                el.text = text
                stats['failures'] += 1
            elif worst == sd.SEVERITY['error']:
                el = ET.SubElement(case, 'error', {'type': 'error', 'message': _x('; '.join(
                    '%s: %s' % (r['id'], r['summary']) for r in bad))})
                el.text = text
                stats['errors'] += 1
            elif items and all(r['status'] == 'skipped' for r in items):
                ET.SubElement(case, 'skipped', {'message': _x('; '.join(r['summary'] for r in items))})
                stats['skipped'] += 1
            else:
                out = ET.SubElement(case, 'system-out')
                out.text = text
        for k, v in stats.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    if hasattr(ET, 'indent'):  # Python >= 3.9
        ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'
