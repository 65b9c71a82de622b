"""The integration tests' one way to run a playbook against the lab (imported by conftest.py and the
test modules: pytest puts this directory on sys.path).

``play(playbook, *extra)``: ansible-playbook with the lab's inventory, ansible.cfg and clouds.yaml;
a relative playbook is under playbooks/; fails the test with the end of the output when it fails.
``run_checks(playbook, out, checks, limit, *extra)``: diagnose or remediate with the named checks
on the limited hosts, the report written to ``out``: ``(report.json, seconds, stdout)``.
"""
import json
import os
import pathlib
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
INV = ROOT / 'inventories' / 'lab' / 'hosts.yml'
CLOUDS = ROOT / 'inventories' / 'lab' / 'clouds.yaml'
SABOTAGE = str(ROOT / 'tests' / 'lab' / 'sabotage' / 'lab_sabotage.yml')  # absolute: joins over playbooks/


def env():
    return dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), OS_CLIENT_CONFIG_FILE=str(CLOUDS))


def play(playbook, *extra):
    r = subprocess.run(['ansible-playbook', '-i', str(INV), str(ROOT / 'playbooks' / playbook), *extra],
                       cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, '%s failed:\n%s' % (playbook, r.stdout[-4000:])
    return r.stdout


def run_checks(playbook, out, checks, limit, *extra):
    t0 = time.monotonic()
    stdout = play(playbook, '--limit', limit, '-e', 'stackdoctor_checks=%s' % checks,
                  '-e', 'stackdoctor_report_dir=%s' % out, *extra)
    with open(out / 'report.json') as f:
        return json.load(f), time.monotonic() - t0, stdout
