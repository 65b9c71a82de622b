# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report.html (module_utils/report_html.py): self-contained, escaped, masked, the matrix."""
import copy
import html.parser
import json
import pathlib

from ansible_collections.stackdoctor.openstack.plugins.module_utils import report as rp
from ansible_collections.stackdoctor.openstack.plugins.module_utils import report_html as rh
from ansible_collections.stackdoctor.openstack.plugins.module_utils import results as sd

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'results'
DATA = json.loads((FIXTURES / 'three_hosts.json').read_text())
GROUPS = {'all': DATA['hosts'], 'storage': ['volume-1', 'volume-2'], 'compute': ['compute-1'], 'other': ['elsewhere']}


def build(res=None, **kw):
    return rp.build(copy.deepcopy(DATA['results']) if res is None else res, DATA['actions'], DATA['hosts'],
                    today='2026-06-15', now='2026-06-15T10:00:00Z', groups=GROUPS, **kw)


class Parser(html.parser.HTMLParser):
    """Collects tags with their attributes and every script/style/link source."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(page):
    p = Parser()
    p.feed(page)
    return p


def test_verdict_and_profile_come_first():
    page = rh.render_html(build(profile='pre-upgrade'))
    assert page.index('Verdict: NO GO') < page.index('id="blocking"') < page.index('id="matrix"')
    assert '<b id="profile">pre-upgrade</b>' in page
    go = rh.render_html(build(gate_severity='critical', waivers=[
        {'id': 'cinder.*', 'reason': 'r', 'expires': '2099-01-01'}]))
    assert 'Verdict: GO' in go and 'class="go"' in go


def test_self_contained_no_fetch():
    p = parse(rh.render_html(build()))
    for tag, attrs in p.tags:
        assert tag not in ('link', 'img', 'iframe', 'object', 'embed'), tag
        if tag == 'script':
            assert 'src' not in attrs
        for name, value in attrs.items():
            if name in ('href',) and value:
                assert not value.startswith('javascript:'), value
    assert "default-src 'none'" in rh.render_html(build())


def test_matrix_rows_columns_and_worst_status():
    rep = build()
    targets, checks, cells = rh.matrix(rep)
    assert targets == ['compute-1', 'volume-1', 'volume-2']
    assert checks == ['check_nova_versions', 'check_tgt_include']
    assert rh.cell_status(cells[('volume-1', 'check_tgt_include')]) == 'critical'
    assert rh.cell_status(cells[('compute-1', 'check_tgt_include')]) == 'skipped'
    page = rh.render_html(rep)
    assert 'data-rows="3" data-cols="2"' in page
    p = parse(page)
    cells_html = [a for t, a in p.tags if t == 'td' and 'data-cell' in a]
    assert len(cells_html) == 6
    # every clickable cell has its results block, holding exactly that host's results for that check
    for a in cells_html:
        assert 'id="cell-%s"' % a['data-cell'] in page
    crit = [a for a in cells_html if a['data-host'] == 'volume-1' and a['data-check'] == 'check_tgt_include'][0]
    assert crit['data-status'] == 'critical'
    block = page[page.index('id="cell-%s"' % crit['data-cell']):]
    block = block[:block.index('</div>')]
    assert 'cinder.tgt_include_missing' in block and 'volume-1' in block and 'nova.service' not in block


def test_waived_cell_and_cloud_target_first():
    res = copy.deepcopy(DATA['results']) + [sd.validate_result({
        'id': 'placement.orphaned_allocation', 'check': 'check_placement_allocations', 'host': 'cloud:prod',
        'status': 'warning', 'summary': 'orphan', 'evidence': {'consumer': 'c1'}}, stored=True)]
    rep = build(res=res, waivers=[{'id': 'cinder.tgt_include_missing', 'reason': 'r', 'expires': '2099-01-01'}])
    targets, checks, cells = rh.matrix(rep)
    assert targets[0] == 'cloud:prod'
    assert rh.cell_status(cells[('volume-1', 'check_tgt_include')]) == 'waived'
    assert rh.host_groups(rep)['cloud:prod'] == ['cloud']
    assert '<option value="cloud">cloud</option>' in rh.render_html(rep)


def test_host_group_filter_options_and_row_groups():
    rep = build()
    assert rep['groups'] == {'compute': ['compute-1'], 'storage': ['volume-1', 'volume-2']}  # no all, no untargeted
    page = rh.render_html(rep)
    assert '<option value="storage">storage</option>' in page
    assert 'data-groups="[&quot;storage&quot;]"' in page


def test_everything_is_escaped():
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    res = [sd.validate_result({
        'id': 'cinder.tgt_include_missing', 'check': 'check_tgt_include', 'host': 'vol"<1>',
        'status': 'critical', 'summary': 'bad ' + evil, 'evidence': {'log': evil, evil: [evil]},
        'fix': 'fix_tgt_include', 'reference': 'docs/checks/check_tgt_include.md; javascript:alert(3); ' + evil},
        stored=True)]
    page = rh.render_html(rp.build(res, [], ['vol"<1>'], today='2026-06-15', title=evil))
    assert evil not in page and '<img' not in page and 'javascript:alert(3)"' not in page
    assert page.count('<script>') == 1  # ours
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in page
    p = parse(page)
    assert not any(k.startswith('on') for t, a in p.tags for k in a)


def test_secrets_masked_as_in_the_other_reports():
    raw = {'id': 'nova.bad_transport', 'check': 'check_messaging', 'host': 'c1', 'status': 'critical',
           'summary': 'cannot log in to rabbit://nova:s3cr3tpw@10.0.0.1:5672/',
           'evidence': {'transport_url': 'rabbit://nova:s3cr3tpw@10.0.0.1:5672/', 'admin_password': 's3cr3tpw'}}
    rep = rp.build([sd.validate_result(raw, stored=True)], [], ['c1'], today='2026-06-15')
    page = rh.render_html(rep)
    assert 's3cr3tpw' not in page and 's3cr3tpw' not in rp.render_markdown(rep)
    assert 'rabbit://nova:********@10.0.0.1:5672/' in page
    # a report dict built by hand (not through validate_result) is masked on the page too
    rep['results'][0]['evidence'] = {'admin_password': 'hunter2hunter2'}
    assert 'hunter2hunter2' not in rh.render_html(rep)


def test_fix_command_and_runbook_links():
    res = [sd.validate_result({
        'id': 'placement.orphaned_allocation', 'check': 'check_placement_allocations', 'host': 'cloud:prod',
        'status': 'critical', 'summary': 'orphan',
        'evidence': {'consumer': 'c1', 'fix_vars': {'fix_placement_allocations_confirm': True}},
        'fix': 'fix_placement_allocations',
        'reference': 'docs/checks/check_placement_allocations.md; https://docs.openstack.org/placement/latest/'},
        stored=True)]
    rep = rp.build(res, [], ['controller'], today='2026-06-15')
    assert rh.fix_command(rep['results'][0]) == (
        'ansible-playbook stackdoctor.openstack.remediate -e stackdoctor_fixes=fix_placement_allocations '
        '-e fix_placement_allocations_confirm=true')
    page = rh.render_html(rep, runbook_base='file:///c/docs/checks')
    assert 'href="file:///c/docs/checks/check_placement_allocations.md"' in page
    assert 'href="https://docs.openstack.org/placement/latest/"' in page
    page = rh.render_html(rep)
    assert 'href="docs/checks/check_placement_allocations.md"' in page
    host = dict(res[0], host='vol-1')
    assert rh.fix_command(host).endswith('--limit vol-1')


def test_changes_section():
    rep = build()
    assert 'No previous run of this profile' in rh.render_html(dict(rep, changes=None))
    changes = {'previous': {'run_id': '20260101T000000Z-diagnose', 'phase': 'diagnose', 'verdict': 'no go'},
               'new': [], 'persists': [],
               'fixed': [{'id': 'cinder.tgt_include_missing', 'host': 'volume-9', 'status': 'critical',
                          'check': 'check_tgt_include', 'summary': 'gone <now>'}]}
    page = rh.render_html(dict(rep, changes=changes))
    assert '<b id="n-fixed">1 fixed</b>' in page and 'gone &lt;now&gt;' in page
    md = rp.render_markdown(dict(rep, changes=changes))
    assert '**0 new, 1 fixed, 0 persist**' in md and '`cinder.tgt_include_missing` on `volume-9`' in md
    assert 'Since the previous run' not in rp.render_markdown(rep)  # no history: no section


def test_hundred_hosts_renders_quickly():
    import time
    res = []
    for i in range(100):
        for r in DATA['results']:
            res.append(dict(copy.deepcopy(r), host='node-%03d' % i))
    rep = rp.build(res, [], ['node-%03d' % i for i in range(100)], today='2026-06-15')
    t0 = time.time()
    page = rh.render_html(rep)
    assert time.time() - t0 < 5
    assert 'data-rows="100"' in page
