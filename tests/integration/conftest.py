"""Integration tests drive the real playbooks against the lab (tests/lab/README.md).

With STACKDOCTOR_LAB_AUTO=1 (as `make integration` sets it) the lab is brought up once, before
collection, and taken down at the end only if this run started it (a lab a developer already
had up is left as it was).
"""
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
_STARTED = {'lab': False}


def _lab_is_up():
    r = subprocess.run([str(ROOT / 'tests' / 'lab' / 'lab.sh'), 'status'], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode == 0 and 'state: up' in r.stdout


def _make(target):
    subprocess.run(['make', '-s', target], cwd=ROOT, check=True)


def pytest_sessionstart(session):
    if os.environ.get('STACKDOCTOR_LAB_AUTO') != '1':
        return
    was_up = _lab_is_up()
    _make('lab-up')
    _STARTED['lab'] = not was_up


def pytest_sessionfinish(session, exitstatus):
    if _STARTED['lab'] and os.environ.get('STACKDOCTOR_LAB_KEEP') != '1':
        _make('lab-down')
