# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report.html: the report dict (what report.json holds) as one self-contained page.

Pure function of the report (standard library only), used by the ``report`` action plugin
beside ``report.render_markdown``. Inline CSS and script, no fetch of any kind: it works from
a ``file://`` URL and as an AWX artifact. Every text from the results (summaries, evidence,
host names) is HTML-escaped here, in one place (``_e``); the script only shows, hides and
clones what the page already holds and never builds markup from text.

Evidence is the report's, already masked when the results were recorded
(``results.validate_result``); it is passed through ``results.mask`` once more (idempotent),
so the page masks exactly what report.md and report.json mask, even for a report dict built
by hand.

The page: verdict and profile first, the blocking results with evidence, fix command and
runbook link, what changed since the previous run (``report['changes']``, history.py), a
host x check matrix coloured by the worst status (a click on a cell shows that host's results
for that check), filters by severity, check and host group, every finding, actions, waivers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json
import re

from ansible_collections.stackdoctor.openstack.plugins.module_utils import report as rp
from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd

# worst first; a cell with only waived non-ok results is 'waived'
CELL_ORDER = ('critical', 'error', 'warning', 'waived', 'skipped', 'ok')
FILTER_STATUSES = ('critical', 'error', 'warning', 'waived', 'ok', 'skipped')
CLOUD_GROUP = 'cloud'
DEFAULT_RUNBOOK_BASE = 'docs/checks/'
BLOCKING_SHOWN = 10
_URL_RE = re.compile(r'^https?://[^\s<>"\'`]+$')


def _e(value):
    """Escaped text (None -> empty); the one way result text enters the page."""
    return html.escape('' if value is None else str(value), quote=True)


def _target_label(host):
    host = str(host)
    if sd.is_cloud_target(host):
        return 'cloud %s' % host[len(sd.CLOUD_PREFIX):]
    return host


def _sid(text):
    """A safe id fragment (letters, digits, - and _)."""
    return re.sub(r'[^A-Za-z0-9_-]', '_', str(text))


def fix_command(result):
    """The plain command that runs a result's fix (None when it has none)."""
    fix = result.get('fix')
    if not fix:
        return None
    short = fix.rsplit('.', 1)[-1]
    pairs = rp._fix_var_pairs((result.get('evidence') or {}).get('fix_vars') or {})
    host = result.get('host')
    limit = '' if sd.is_cloud_target(host) else ' --limit %s' % host
    return 'ansible-playbook %s.remediate -e stackdoctor_fixes=%s%s%s' % (
        rp.COLLECTION, short, ''.join(' -e %s' % p for p in pairs), limit)


def runbook_href(check, base=DEFAULT_RUNBOOK_BASE):
    base = base or DEFAULT_RUNBOOK_BASE
    if not base.endswith('/'):
        base += '/'
    return base + '%s.md' % check


def host_groups(report):
    """host -> sorted groups (the report's ``groups``; cloud targets in group ``cloud``)."""
    out = {}
    for group, members in sorted((report.get('groups') or {}).items()):
        for host in members or []:
            out.setdefault(str(host), set()).add(str(group))
    for r in report.get('results') or []:
        if sd.is_cloud_target(r.get('host')):
            out.setdefault(r['host'], set()).add(CLOUD_GROUP)
    return dict((h, sorted(g)) for h, g in out.items())


def cell_status(results):
    """The worst status of a cell's results (waived non-ok results count as ``waived``)."""
    seen = set()
    for r in results:
        if r.get('waived') and sd.severity(r.get('status')) > 0:
            seen.add('waived')
        else:
            seen.add(r.get('status') if r.get('status') in sd.STATUSES else 'error')
    return next((s for s in CELL_ORDER if s in seen), 'ok')


def matrix(report):
    """``(targets, checks, cells)``: cloud targets first then hosts, checks sorted with the
    collection's own (``stackdoctor``) last, ``cells[(host, check)]`` = that cell's results."""
    cells = {}
    for r in report.get('results') or []:
        cells.setdefault((str(r.get('host')), str(r.get('check'))), []).append(r)
    targets = sorted(set(h for h, c in cells), key=lambda h: (not sd.is_cloud_target(h), h))
    checks = sorted(set(c for h, c in cells), key=lambda c: (c == sd.INTERNAL_CHECK, c))
    return targets, checks, cells


def _status_of(r):
    return 'waived' if r.get('waived') and sd.severity(r.get('status')) > 0 else r.get('status')


def _value_html(value):
    if isinstance(value, (dict, list)):
        return '<pre>%s</pre>' % _e(json.dumps(value, indent=2, sort_keys=True, default=str))
    text = 'null' if value is None else str(value)
    if '\n' in text or len(text) > 160:
        return '<pre>%s</pre>' % _e(text)
    return '<code>%s</code>' % _e(text)


def _reference_html(reference, runbook_base):
    parts = []
    for part in str(reference or '').split(';'):
        part = part.strip()
        if not part:
            continue
        if part.startswith('docs/checks/') and part.endswith('.md'):
            check = part[len('docs/checks/'):-len('.md')]
            parts.append('<a href="%s">%s</a>' % (_e(runbook_href(check, runbook_base)), _e(part)))
        elif _URL_RE.match(part):
            parts.append('<a href="%s" rel="noreferrer">%s</a>' % (_e(part), _e(part)))
        else:
            parts.append(_e(part))
    return '; '.join(parts)


def _finding_html(r, runbook_base, groups, open_details=False):
    status = _status_of(r)
    evidence = sd.mask(r.get('evidence') or {})
    out = ['<article class="finding st-%s" data-status="%s" data-check="%s" data-host="%s" data-groups="%s">'
           % (_e(status), _e(status), _e(r.get('check')), _e(r.get('host')),
              _e(json.dumps(groups.get(str(r.get('host')), []))))]
    out.append('<h4><span class="badge st-%s">%s</span> <code>%s</code> on <b>%s</b> <span class="chk">%s</span></h4>'
               % (_e(status), _e(r.get('status')), _e(r.get('id')), _e(_target_label(r.get('host'))),
                  _e(r.get('check'))))
    out.append('<p class="summary">%s</p>' % _e(r.get('summary')))
    if r.get('waived'):
        w = r.get('waiver') or {}
        out.append('<p class="waiver">waived until %s: %s</p>' % (_e(w.get('expires')), _e(w.get('reason'))))
    if evidence:
        out.append('<details%s><summary>evidence (%d)</summary><dl class="evidence">'
                   % (' open' if open_details else '', len(evidence)))
        for key in sorted(evidence):
            out.append('<dt>%s</dt><dd>%s</dd>' % (_e(key), _value_html(evidence[key])))
        out.append('</dl></details>')
    command = fix_command(r) if sd.severity(r.get('status')) > 0 else None
    if command:
        out.append('<p class="fix">fix: <code class="cmd">%s</code></p>' % _e(command))
    if r.get('reference'):
        refs = [x.strip() for x in str(r['reference']).split(';') if x.strip()]
        runbook = [x for x in refs if x.startswith('docs/checks/') and x.endswith('.md')]
        others = [x for x in refs if x not in runbook]
        line = []
        if runbook:
            line.append('runbook: %s' % _reference_html(runbook[0], runbook_base))
        if others:
            line.append('<details class="refs"><summary>references (%d)</summary>%s</details>'
                        % (len(others), _reference_html('; '.join(others), runbook_base)))
        out.append('<div class="ref">%s</div>' % ' '.join(line))
    out.append('</article>')
    return ''.join(out)


def _changes_html(changes):
    if not changes:
        return ('<section id="changes"><h2>Since the previous run</h2>'
                '<p id="changes-none">No previous run of this profile in the history.</p></section>')
    prev = changes.get('previous') or {}
    out = ['<section id="changes"><h2>Since the previous run</h2>',
           '<p>Previous run <code>%s</code> (%s, %s, verdict %s): <b id="n-new">%d new</b>, '
           '<b id="n-fixed">%d fixed</b>, <b id="n-persists">%d persist</b>%s.</p>'
           % (_e(prev.get('run_id')), _e(prev.get('phase')), _e(prev.get('generated')),
              _e(str(prev.get('verdict') or '').upper()), len(changes.get('new') or []),
              len(changes.get('fixed') or []), len(changes.get('persists') or []),
              (', %d not checked again' % len(changes['not_rechecked'])) if changes.get('not_rechecked') else '')]
    for kind, title in (('new', 'New'), ('fixed', 'Fixed'), ('persists', 'Persist'),
                        ('not_rechecked', 'Not checked again')):
        items = changes.get(kind) or []
        if not items:
            continue
        out.append('<details class="chg chg-%s"%s><summary>%s (%d)</summary><ul>'
                   % (kind, ' open' if kind in ('new', 'fixed') and len(items) <= 10 else '', title, len(items)))
        for c in items:
            was = c.get('was')
            out.append('<li><span class="badge st-%s">%s</span> <code>%s</code> on <b>%s</b>%s: %s</li>'
                       % (_e(c.get('status')), _e(c.get('status')), _e(c.get('id')),
                          _e(_target_label(c.get('host'))),
                          (' (was %s)' % _e(was)) if was and was != c.get('status') else '',
                          _e(c.get('summary'))))
        out.append('</ul></details>')
    out.append('</section>')
    return ''.join(out)


CSS = """
*{box-sizing:border-box}body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
main{padding:12px 20px;max-width:1600px}h1{font-size:20px;margin:8px 0}h2{font-size:17px;margin:18px 0 8px;border-bottom:1px solid #ddd}
h4{margin:0 0 4px;font-size:14px;font-weight:normal}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{white-space:pre-wrap;word-break:break-all;max-height:240px;overflow:auto;background:#f3f3f3;padding:4px;margin:0}
#verdict{padding:10px 16px;font-size:22px;font-weight:bold;color:#fff;border-radius:4px}
#verdict.go{background:#2e7d32}#verdict.nogo{background:#b71c1c}
.meta{color:#444}table{border-collapse:collapse}td,th{padding:2px 6px}
table.counts td,table.counts th{border:1px solid #ccc;text-align:right}
.badge{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
.st-critical{--c:#b71c1c}.st-error{--c:#e65100}.st-warning{--c:#f9a825}.st-ok{--c:#2e7d32}.st-skipped{--c:#9e9e9e}.st-waived{--c:#6a1b9a}
.badge{background:var(--c)}.finding{border-left:5px solid var(--c);background:#fff;margin:6px 0;padding:6px 10px;box-shadow:0 1px 2px #0002}
.finding .chk{color:#666;font-size:12px}.summary{margin:2px 0}.fix,.ref,.waiver{margin:2px 0;font-size:12px}
details.refs{display:inline}details.refs[open]{display:block}#blocking-more>summary{cursor:pointer;font-weight:bold;margin:6px 0}
.cmd{background:#263238;color:#eceff1;padding:1px 4px;border-radius:2px;user-select:all}
dl.evidence{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:4px 0}dl.evidence dt{font-weight:bold}dl.evidence dd{margin:0}
#filters{position:sticky;top:0;background:#fafafa;padding:6px 0;z-index:2;border-bottom:1px solid #ddd}
#filters label{margin-right:10px}#filters select{margin-right:12px}
#matrix-wrap{overflow:auto;max-height:70vh;border:1px solid #ddd;background:#fff}
#matrix th.col{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;font-size:12px;white-space:nowrap;vertical-align:bottom;padding:4px 2px}
#matrix th.col a{color:inherit}#matrix thead th{position:sticky;top:0;background:#fff;z-index:1}
#matrix th.row{text-align:left;font-weight:normal;white-space:nowrap;position:sticky;left:0;background:#fff}
#matrix td.cell{width:22px;min-width:22px;height:20px;border:1px solid #fff;background:var(--c);cursor:pointer;text-align:center;color:#fff;font-size:11px}
#matrix td.na{background:#eee;cursor:default}#matrix td.dim{opacity:.15}#matrix td.sel{outline:3px solid #000}
#cell-detail{background:#fff;border:2px solid #333;padding:8px 12px;margin:10px 0}
.hidden{display:none!important}.legend span{margin-right:8px}
details.chg ul{margin:4px 0;padding-left:20px}
"""

SCRIPT = r"""
(function(){
  'use strict';
  var $ = function(s, el){ return (el || document).querySelector(s); };
  var $$ = function(s, el){ return Array.prototype.slice.call((el || document).querySelectorAll(s)); };
  function groupsOf(el){ try { return JSON.parse(el.getAttribute('data-groups') || '[]'); } catch (e) { return []; } }
  function state(){
    var sev = {};
    $$('#filters input[name=sev]').forEach(function(i){ sev[i.value] = i.checked; });
    return {sev: sev, check: $('#f-check').value, group: $('#f-group').value};
  }
  function apply(){
    var st = state();
    $$('#matrix .col').forEach(function(th){
      th.classList.toggle('hidden', st.check !== '' && th.getAttribute('data-check') !== st.check);
    });
    var shown = 0;
    $$('#matrix tbody tr').forEach(function(tr){
      var inGroup = st.group === '' || groupsOf(tr).indexOf(st.group) >= 0;
      var any = false;
      $$('td', tr).forEach(function(td){
        var colOk = st.check === '' || td.getAttribute('data-check') === st.check;
        td.classList.toggle('hidden', !colOk);
        var s = td.getAttribute('data-status');
        var on = s && st.sev[s];
        td.classList.toggle('dim', !!s && !on);
        if (colOk && on) { any = true; }
      });
      var vis = inGroup && any;
      tr.classList.toggle('hidden', !vis);
      if (vis) { shown++; }
    });
    $('#matrix-shown').textContent = String(shown);
    var nf = 0;
    $$('#findings .finding').forEach(function(a){
      var vis = !!st.sev[a.getAttribute('data-status')] &&
        (st.check === '' || a.getAttribute('data-check') === st.check) &&
        (st.group === '' || groupsOf(a).indexOf(st.group) >= 0);
      a.classList.toggle('hidden', !vis);
      if (vis) { nf++; }
    });
    $('#findings-shown').textContent = String(nf);
  }
  function openCell(td){
    var src = document.getElementById('cell-' + td.getAttribute('data-cell'));
    if (!src) { return; }
    $$('#matrix td.sel').forEach(function(x){ x.classList.remove('sel'); });
    td.classList.add('sel');
    var box = $('#cell-detail');
    $('#cell-title').textContent = td.getAttribute('data-label') + ' \u00b7 ' + td.getAttribute('data-check');
    var body = $('#cell-body');
    while (body.firstChild) { body.removeChild(body.firstChild); }
    $$('.finding', src).forEach(function(f){ body.appendChild(f.cloneNode(true)); });
    box.classList.remove('hidden');
    if (box.scrollIntoView) { box.scrollIntoView({block: 'nearest'}); }
  }
  document.addEventListener('DOMContentLoaded', function(){
    $$('#filters input, #filters select').forEach(function(el){ el.addEventListener('change', apply); });
    $('#matrix').addEventListener('click', function(ev){
      var td = ev.target.closest ? ev.target.closest('td.cell') : null;
      if (td && td.getAttribute('data-cell')) { openCell(td); }
    });
    $('#matrix').addEventListener('keydown', function(ev){
      var td = ev.target.closest ? ev.target.closest('td.cell') : null;
      if (td && td.getAttribute('data-cell') && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); openCell(td); }
    });
    $('#cell-close').addEventListener('click', function(){ $('#cell-detail').classList.add('hidden'); });
    apply();
    document.body.setAttribute('data-ready', '1');
  });
})();
"""


def render_html(report, runbook_base=DEFAULT_RUNBOOK_BASE):
    """The whole page (a str)."""
    results = report.get('results') or []
    c = report.get('counts') or {}
    groups = host_groups(report)
    title = report.get('title') or 'stackdoctor report'
    go = report.get('verdict') == rp.GO
    out = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           # no fetch of any kind: only inline styles and this page's own script
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           'style-src \'unsafe-inline\'; script-src \'unsafe-inline\'; img-src data:">',
           '<title>%s: %s</title><style>%s</style></head><body><main>'
           % (_e(title), _e(str(report.get('verdict') or '').upper()), CSS)]
    out.append('<h1>%s</h1>' % _e(title))
    gate = report.get('gate_severity') or 'error'
    if go:
        out.append('<div id="verdict" class="go">Verdict: GO</div>')
        out.append('<p id="verdict-why">No un-waived result at or above <code>%s</code>.</p>' % _e(gate))
    else:
        out.append('<div id="verdict" class="nogo">Verdict: NO GO</div>')
        out.append('<p id="verdict-why">%d un-waived result(s) at or above <code>%s</code>.</p>'
                   % (len(report.get('blocking') or []), _e(gate)))
    out.append('<p class="meta">Profile: <b id="profile">%s</b>. Phase: %s. Generated %s%s. '
               'Hosts: %d checked of %d targeted%s. Checks: %d.</p>'
               % (_e(report.get('profile') or 'all checks'), _e(report.get('phase')), _e(report.get('generated')),
                  (', run <code>%s</code>' % _e(report['run_id'])) if report.get('run_id') else '',
                  c.get('checked', c.get('hosts', 0)), c.get('hosts', 0),
                  ('; %d cloud target(s)' % c['clouds']) if c.get('clouds') else '', c.get('checks', 0)))
    out.append('<table class="counts"><tr>%s</tr><tr>%s</tr></table>' % (
        ''.join('<th>%s</th>' % s for s in ('critical', 'error', 'warning', 'ok', 'skipped', 'waived', 'total')),
        ''.join('<td>%d</td>' % c.get(s, 0) for s in ('critical', 'error', 'warning', 'ok', 'skipped', 'waived', 'total'))))

    # blocking results in full: what makes the verdict
    by_key = {}
    for r in results:
        by_key.setdefault((r.get('id'), r.get('host')), []).append(r)
    blocking = []
    for b in report.get('blocking') or []:
        for r in by_key.get((b.get('id'), b.get('host')), []):
            if r.get('status') == b.get('status') and not r.get('waived') and r not in blocking:
                blocking.append(r)
    out.append('<section id="blocking"><h2>Blocking (%d)</h2>' % len(blocking))
    if not blocking:
        out.append('<p>Nothing blocks.</p>')
    # the first BLOCKING_SHOWN in full, the others one click away (the matrix stays near the top)
    for index, r in enumerate(blocking):
        if index == BLOCKING_SHOWN:
            out.append('<details id="blocking-more"><summary>%d more blocking results</summary>'
                       % (len(blocking) - BLOCKING_SHOWN))
        out.append(_finding_html(r, runbook_base, groups, open_details=index < 3))
    if len(blocking) > BLOCKING_SHOWN:
        out.append('</details>')
    out.append('</section>')

    out.append(_changes_html(report.get('changes')))

    # filters
    targets, checks, cells = matrix(report)
    all_groups = sorted(set(g for gs in groups.values() for g in gs))
    out.append('<section id="filters"><b>Show:</b> ')
    for s in FILTER_STATUSES:
        out.append('<label><input type="checkbox" name="sev" value="%s"%s> '
                   '<span class="badge st-%s">%s</span></label>'
                   % (s, ' checked', s, s))
    out.append('<select id="f-check" title="check"><option value="">every check</option>%s</select>'
               % ''.join('<option value="%s">%s</option>' % (_e(ch), _e(ch)) for ch in checks))
    out.append('<select id="f-group" title="host group"><option value="">every host group</option>%s</select>'
               % ''.join('<option value="%s">%s</option>' % (_e(g), _e(g)) for g in all_groups))
    out.append('</section>')

    # matrix
    out.append('<section id="matrix-section"><h2>Hosts x checks (<span id="matrix-shown">%d</span> of %d targets, '
               '%d checks)</h2><p class="legend">%s click a cell for its results.</p><div id="matrix-wrap">'
               '<table id="matrix" data-rows="%d" data-cols="%d"><thead><tr><th class="row">target</th>'
               % (len(targets), len(targets), len(checks),
                  ''.join('<span class="badge st-%s">%s</span>' % (s, s) for s in CELL_ORDER),
                  len(targets), len(checks)))
    for ch in checks:
        if ch == sd.INTERNAL_CHECK:
            out.append('<th class="col" data-check="%s" title="the collection\'s own results">%s</th>' % (_e(ch), _e(ch)))
        else:
            out.append('<th class="col" data-check="%s"><a href="%s" title="runbook of %s">%s</a></th>'
                       % (_e(ch), _e(runbook_href(ch, runbook_base)), _e(ch), _e(ch)))
    out.append('</tr></thead><tbody>')
    cell_ids = {}
    for i, host in enumerate(targets):
        out.append('<tr data-host="%s" data-groups="%s"><th class="row">%s</th>'
                   % (_e(host), _e(json.dumps(groups.get(host, []))), _e(_target_label(host))))
        for j, ch in enumerate(checks):
            items = cells.get((host, ch))
            if not items:
                out.append('<td class="cell na" data-check="%s"></td>' % _e(ch))
                continue
            status = cell_status(items)
            bad = len([r for r in items if sd.severity(r.get('status')) > 0 and not r.get('waived')])
            cid = '%d-%d' % (i, j)
            cell_ids[(host, ch)] = cid
            out.append('<td class="cell st-%s" tabindex="0" role="button" data-cell="%s" data-status="%s" '
                       'data-check="%s" data-host="%s" data-label="%s" title="%s on %s: %s (%d result(s))">%s</td>'
                       % (status, cid, status, _e(ch), _e(host), _e(_target_label(host)), _e(ch),
                          _e(_target_label(host)), status, len(items), bad or ''))
        out.append('</tr>')
    out.append('</tbody></table></div>')
    out.append('<div id="cell-detail" class="hidden"><button id="cell-close" type="button" style="float:right">close</button>'
               '<h3 id="cell-title"></h3><div id="cell-body"></div></div></section>')

    # every finding (warning and worse, waived too), filterable
    findings = [r for r in results if sd.severity(r.get('status')) > 0]
    out.append('<section id="findings"><h2>Findings (<span id="findings-shown">%d</span> of %d shown)</h2>'
               % (len(findings), len(findings)))
    for r in findings:
        out.append(_finding_html(r, runbook_base, groups))
    out.append('</section>')

    actions = report.get('actions') or []
    if actions:
        out.append('<section id="actions"><h2>Actions taken (%d)</h2><table class="counts">'
                   '<tr><th>fix</th><th>host</th><th>changed</th><th>summary</th></tr>' % len(actions))
        for a in actions:
            out.append('<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td style="text-align:left">%s</td></tr>'
                       % (_e(a.get('fix')), _e(a.get('host')), 'yes' if a.get('changed') else 'no', _e(a.get('summary'))))
        out.append('</table></section>')
    waivers = report.get('waivers') or []
    if waivers:
        out.append('<section id="waivers"><h2>Waivers (%d)</h2><table class="counts">'
                   '<tr><th>id</th><th>hosts</th><th>state</th><th>expires</th><th>matched</th><th>reason</th></tr>'
                   % len(waivers))
        for w in waivers:
            out.append('<tr><td><code>%s</code></td><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td>'
                       '<td style="text-align:left">%s</td></tr>'
                       % (_e(w.get('id')), _e(w.get('hosts')), _e(w.get('state')), _e(w.get('expires')),
                          _e(w.get('matched')), _e(w.get('reason'))))
        out.append('</table></section>')

    # each cell's results (every status), cloned into #cell-detail by a click
    out.append('<div id="cells" class="hidden">')
    for (host, ch), cid in sorted(cell_ids.items(), key=lambda kv: kv[1]):
        out.append('<div id="cell-%s">' % cid)
        for r in sorted(cells[(host, ch)], key=sd.sort_key):
            out.append(_finding_html(r, runbook_base, groups, open_details=True))
        out.append('</div>')
    out.append('</div>')
    out.append('</main><script>%s</script></body></html>\n' % SCRIPT)
    return '\n'.join(out)
