# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report.html in a real browser: headless Chromium (Debian's chromium + chromium-driver,
installed by `make browser`) opens the page from a file:// URL, built from recorded results
(recorded.py). Checks the verdict text, the matrix size, that a click on a cell shows that
host's results for that check, the filters; keeps screenshots and the render time of a
100-host report in .cache/browser/ (ARTIFACTS)."""
import json
import os
import pathlib
import time

import pytest

import recorded
import webdriver

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = pathlib.Path(os.environ.get('STACKDOCTOR_BROWSER_ARTIFACTS', str(ROOT / '.cache' / 'browser')))

# make browser installs them and sets STACKDOCTOR_BROWSER_REQUIRED: there a missing browser fails
pytestmark = pytest.mark.skipif(not webdriver.available() and not os.environ.get('STACKDOCTOR_BROWSER_REQUIRED'),
                                reason='chromium/chromedriver not installed (make browser installs them)')

READY = 'return document.body.getAttribute("data-ready")'
TIMING = '''
var nav = performance.getEntriesByType('navigation')[0] || {};
var paint = {};
performance.getEntriesByType('paint').forEach(function(p){ paint[p.name] = p.startTime; });
return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: paint['first-contentful-paint'] || null,
        ready: document.body.getAttribute('data-ready'), cells: document.querySelectorAll('#matrix td.cell').length};
'''


@pytest.fixture(scope='module')
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with webdriver.Browser() as b:
        yield b


def _open(browser, report, name):
    path = ARTIFACTS / name
    recorded.write(report, str(path))
    browser.get(path.as_uri())
    return path


def test_verdict_matrix_and_a_click_on_a_cell(browser):
    report = recorded.small()
    _open(browser, report, 'report.html')
    assert browser.wait_script(READY, '1') == '1'
    verdict = browser.find('#verdict').text
    assert verdict == ('Verdict: NO GO' if report['verdict'] == 'no go' else 'Verdict: GO')
    assert browser.find('#profile').text == (report['profile'] or 'all checks')

    targets = sorted(set(r['host'] for r in report['results']))
    checks = sorted(set(r['check'] for r in report['results']))
    assert len(browser.find_all('#matrix tbody tr')) == len(targets)
    assert len(browser.find_all('#matrix thead th.col')) == len(checks)
    assert len(browser.find_all('#matrix tbody td')) == len(targets) * len(checks)

    # the worst cell: click it, its results appear, and only those of that host and check
    worst = browser.find('#matrix td.st-critical') if browser.find_all('#matrix td.st-critical') \
        else browser.find('#matrix td[data-cell]')
    host, check = worst.attr('data-host'), worst.attr('data-check')
    assert not browser.find('#cell-detail').displayed()
    worst.click()
    assert browser.find('#cell-detail').displayed()
    shown = browser.find_all('#cell-body .finding')
    expected = [r for r in report['results'] if r['host'] == host and r['check'] == check]
    assert len(shown) == len(expected) > 0
    assert set((f.attr('data-host'), f.attr('data-check')) for f in shown) == {(host, check)}
    assert expected[0]['id'] in browser.find('#cell-body').text
    browser.screenshot(str(ARTIFACTS / 'report-cell.png'))

    # filters: only 'ok' unticked hides the rows that are all ok; a check hides the other columns
    browser.find('#filters input[value=ok]').click()
    rows_ok_hidden = browser.script('return document.querySelectorAll("#matrix tbody tr:not(.hidden)").length')
    all_ok = len([h for h in targets if all(r['status'] == 'ok' for r in report['results'] if r['host'] == h)])
    assert rows_ok_hidden == len(targets) - all_ok
    browser.find('#filters input[value=ok]').click()
    browser.script('var s = document.getElementById("f-check"); s.value = arguments[0];'
                   's.dispatchEvent(new Event("change"));', check)
    visible_cols = browser.script('return document.querySelectorAll("#matrix thead th.col:not(.hidden)").length')
    assert visible_cols == 1
    shown_findings = browser.script('return document.querySelectorAll("#findings .finding:not(.hidden)").length')
    assert shown_findings == len([r for r in report['results'] if r['check'] == check
                                  and r['status'] in ('warning', 'error', 'critical')])


def test_hundred_hosts_render_time(browser):
    report = recorded.scaled(100)
    t0 = time.time()
    path = ARTIFACTS / 'report-100.html'
    size = recorded.write(report, str(path))
    generate = time.time() - t0
    t0 = time.time()
    browser.get(path.as_uri())   # returns when the page has loaded (W3C page load strategy normal)
    navigate = time.time() - t0
    assert browser.wait_script(READY, '1') == '1'
    timing = browser.script(TIMING)
    clouds = len(set(r['host'] for r in report['results'] if r['host'].startswith('cloud:')))
    assert len(browser.find_all('#matrix tbody tr')) == 100 + clouds
    assert browser.find('#n-fixed').text.endswith('fixed') and not browser.find('#n-fixed').text.startswith('0 ')
    # the page as it opens (verdict, changes, the top of the matrix), then a cell's findings
    browser.screenshot(str(ARTIFACTS / 'report-100.png'))
    browser.find('#matrix td.st-critical').click()
    assert browser.find('#cell-detail').displayed()
    browser.screenshot(str(ARTIFACTS / 'report-100-cell.png'))
    line = ('report.html, 100 hosts x %d checks (%d cells, %d KiB): generated in %.0f ms; in headless Chromium '
            'DOMContentLoaded %.0f ms, load %.0f ms, first contentful paint %s ms; navigate call %.0f ms'
            % (len(browser.find_all('#matrix thead th.col')), timing['cells'], size // 1024, generate * 1000,
               timing['dcl'], timing['load'], '%.0f' % timing['fcp'] if timing['fcp'] else '-', navigate * 1000))
    print(line)
    (ARTIFACTS / 'render-times.txt').write_text(line + '\nscreenshots: %s %s %s\n' % (
        ARTIFACTS / 'report-cell.png', ARTIFACTS / 'report-100.png', ARTIFACTS / 'report-100-cell.png'))
    (ARTIFACTS / 'render-times.json').write_text(json.dumps(dict(timing, generate_ms=generate * 1000,
                                                                 navigate_ms=navigate * 1000, bytes=size)))
    assert timing['load'] < 10000
