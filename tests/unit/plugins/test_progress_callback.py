# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stdout callback stackdoctor.openstack.progress: its bookkeeping, and a real diagnose run
on the controller with one unreachable host."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from ansible_collections.stackdoctor.openstack.plugins.callback import progress as cb

ROOT = pathlib.Path(__file__).resolve().parents[3]


def res(check, host, status, rid='x.y'):
    return {'id': rid, 'check': check, 'host': host, 'status': status, 'summary': 's'}


class Clock(object):
    now = 1000.0

    def __call__(self):
        return self.now


def progress(n=100):
    clock = Clock()
    p = cb.Progress(interval=5, clock=clock)
    hosts = ['h%03d' % i for i in range(n)]
    p.set_targets(hosts, dict((h, ['storage'] if i < 40 else ['compute']) for i, h in enumerate(hosts)))
    return p, clock, hosts


def test_one_line_per_check_counts_the_hosts_of_its_groups():
    p, clock, hosts = progress()
    assert p.expected('check_tgt_include') == 40           # groups: storage
    assert p.expected('check_placement_allocations') == 1  # cloud scope
    for i in range(38):
        p.record([res('check_tgt_include', hosts[i], 'critical' if i < 2 else 'ok')])
    assert p.line('check_tgt_include') == 'check_tgt_include 38/40 hosts, 2 critical'
    p.record([res('check_placement_allocations', 'cloud:prod', 'warning')])
    assert p.line('check_placement_allocations') == 'check_placement_allocations done, 1 warning'


def test_lines_are_throttled_but_the_last_always_shows():
    p, clock, hosts = progress()
    p.record([res('check_tgt_include', hosts[0], 'ok')])
    assert p.due('check_tgt_include')   # the first line
    p.mark('check_tgt_include')
    p.record([res('check_tgt_include', hosts[1], 'ok')])
    assert not p.due('check_tgt_include')
    clock.now += 6
    assert p.due('check_tgt_include')
    p.mark('check_tgt_include')
    for h in hosts[2:40]:
        p.record([res('check_tgt_include', h, 'ok')])
    assert p.due('check_tgt_include')  # done on all 40: shows at once
    p.mark('check_tgt_include')
    assert not p.due('check_tgt_include', final=True)  # nothing new since


def test_unreachable_hosts_count_as_done_for_their_checks_only():
    p, clock, hosts = progress()
    p.down['h000'] = 'unreachable'
    p.down['h099'] = 'unreachable'   # a compute: not one of check_tgt_include's hosts
    assert p.done('check_tgt_include') == 1


def test_a_check_run_again_replaces_its_results():
    p, clock, hosts = progress()
    p.record([res('check_tgt_include', 'h001', 'critical'), res('check_tgt_include', 'h001', 'warning', 'a.b')])
    p.record([res('check_tgt_include', 'h001', 'ok')])
    assert p.counts('check_tgt_include') == {'critical': 0, 'error': 0, 'warning': 0, 'ok': 1, 'skipped': 0}


def test_final_table():
    p, clock, hosts = progress(3)
    p.record([res('check_tgt_include', 'h000', 'critical')])
    p.report = {'verdict': 'no go', 'gate_severity': 'error', 'profile': None,
                'blocking': [{'status': 'critical', 'id': 'x.y', 'host': 'h000', 'summary': 'bad\nmore'}],
                'changes_summary': 'since r1 (diagnose): 0 new, 1 fixed, 1 persist',
                'paths': {'html': '/r/report.html', 'markdown': '/r/report.md'}}
    lines = p.table()
    assert any(ln.startswith('check_tgt_include') and ln.split()[1:4] == ['1', '1', '0'] for ln in lines)
    assert 'VERDICT: NO GO (profile: all checks, gate error), 1 blocking' in lines
    assert '  critical x.y on h000: bad' in lines
    assert 'html:    /r/report.html' in lines and 'changes: since r1 (diagnose): 0 new, 1 fixed, 1 persist' in lines


def test_final_table_says_where_the_report_was_delivered():
    p, clock, hosts = progress(1)
    p.report = {'verdict': 'go', 'gate_severity': 'error', 'profile': None, 'blocking': [], 'paths': {}}
    assert not [ln for ln in p.table() if 'delivered' in ln]   # no delivery asked: no line
    p.delivery = {'delivered': ['store:/srv/sd/r1/report.json'],
                  'errors': ['report delivery to https://x/r1/ failed: PUT https://x/r1/report.json: refused\nmore']}
    lines = p.table()
    assert 'delivered: store:/srv/sd/r1/report.json' in lines
    assert 'NOT delivered: report delivery to https://x/r1/ failed: PUT https://x/r1/report.json: refused' in lines


def test_diagnose_with_the_callback(tmp_path):
    if not shutil.which('ansible-playbook'):
        pytest.skip('ansible-playbook not on PATH')
    (tmp_path / 'hosts.yml').write_text(
        'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n'
        '    ghost:\n      ansible_host: 127.0.0.9\n      ansible_port: 9\n      ansible_connection: ssh\n'
        '  children:\n    storage:\n      hosts:\n        localhost:\n')
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'),
               ANSIBLE_STDOUT_CALLBACK='stackdoctor.openstack.progress', ANSIBLE_NOCOLOR='1')
    proc = subprocess.run(
        ['ansible-playbook', '-i', str(tmp_path / 'hosts.yml'), str(ROOT / 'playbooks' / 'diagnose.yml'),
         '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', 'stackdoctor_report_dir=%s' % (tmp_path / 'r'),
         '-e', 'stackdoctor_checks=check_disk_space,check_tgt_include', '-e', 'ansible_ssh_timeout=3'],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=240)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-2000:]
    lines = out.splitlines()
    assert any(ln.startswith('UNREACHABLE ghost: ') for ln in lines), out
    assert 'check_tgt_include 1/1 hosts, all ok' in lines, out   # ghost is not in storage
    assert 'VERDICT: NO GO (profile: all checks, gate error), 1 blocking' in lines
    assert 'html:    %s' % (tmp_path / 'r' / 'report.html') in lines
    assert 'TASK [' not in out   # not the default callback's task-by-task output
