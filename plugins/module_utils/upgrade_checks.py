# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every service's own ``<service>-status upgrade check``: which to run where, how, and what
they said.

Standard library only. Public sources of what is assumed here:

* ``oslo_upgradecheck/upgradecheck.py`` (oslo.upgradecheck 2.8.0): ``register_cli_options``
  adds ``upgrade check [--json]``; ``UpgradeCommands.check`` prints
  ``{"name": ..., "checks": [{"check": name, "result": code, "details": text}]}`` with
  ``code`` 0 Success, 1 Warning, 2 Failure (``Code``), but only when ``upgradecheck.main()``
  set its module-level ``CONF``; otherwise the table
  (``Check: <name>`` / ``Result: <Success|Warning|Failure>`` / ``Details: <text>``). The exit
  code is the worst result (0, 1, 2), 255 when a check raised (``run``: "Error:" and the
  traceback on stdout).
* Seen on the lab (nova 34.0.0, placement 16.0.0, keystone 30.0.0, oslo.upgradecheck 2.8.0):
  ``keystone-status`` answers JSON; ``placement-status`` accepts ``--json`` and prints the
  table (``placement/cmd/status.py`` calls ``register_cli_options`` and ``run`` without
  ``main``); ``nova-status`` rejects it (``nova/cmd/status.py`` builds its own parser from
  ``nova/cmd/common.py``: "nova-status: error: unrecognized arguments: --json", exit 2). So
  :func:`run_one` asks for JSON, reads a table when that is what came, and asks again without
  ``--json`` when the option was refused.
* Which command belongs to which service: the ``console_scripts`` of each project's
  ``setup.cfg`` (``nova-status = nova.cmd.status:main``, ``placement-status``,
  ``cinder-status``, ``neutron-status``, ``keystone-status``, ``glance-status``,
  ``heat-status``, ``octavia-status``, ``designate-status``, ``barbican-status``,
  ``manila-status``, ``ironic-status``); each needs the service's own configuration (its
  database), so it runs where the service runs: on the host for packaged deployments, inside
  the service's container for kolla and TripleO (``<cli> exec <container> <command>``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import time

# command -> the layout services (plugins/module_utils/layout.py) whose presence says that the
# command belongs on this host, most fitting first (its container runs the command)
STATUS_COMMANDS = (
    ('nova-status', ('nova-api', 'nova-conductor', 'nova-scheduler')),
    ('placement-status', ('placement-api',)),
    ('keystone-status', ('keystone',)),
    ('glance-status', ('glance-api',)),
    ('cinder-status', ('cinder-api', 'cinder-scheduler')),
    ('neutron-status', ('neutron-server',)),
    ('heat-status', ('heat-api', 'heat-engine')),
    ('octavia-status', ('octavia-api',)),
    ('designate-status', ('designate-api', 'designate-central')),
    ('barbican-status', ('barbican-api',)),
    ('manila-status', ('manila-api',)),
    ('ironic-status', ('ironic-api', 'ironic-conductor')),
)
# commands known to refuse --json (nova/cmd/status.py, nova 34.0.0): asked for the table directly
# instead of failing once first (nova-status imports nova before parsing: 2-3 s per try)
NO_JSON = ('nova-status',)
CODES = {0: 'success', 1: 'warning', 2: 'failure'}
WORDS = {'success': 'success', 'warning': 'warning', 'failure': 'failure'}
MISSING_RCS = (126, 127)   # shell / container engine: not executable, not found
TIMEOUT_RC = 124           # coreutils timeout(1)
REFUSED_JSON = re.compile(r'unrecognized arguments:.*--json|no such option:? --json', re.I)
# a secret that could reach a details text or an error line (connection URLs with a password)
_URL_PASSWORD = re.compile(r'(?P<pre>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*(?P<post>@)', re.I)


def scrub(text):
    """``scheme://user:PASSWORD@host`` -> ``scheme://user:***@host`` (never a password out)."""
    if text is None:
        return None
    return _URL_PASSWORD.sub(r'\g<pre>***\g<post>', str(text))


def commands_from_layout(layout, only=None):
    """The status commands a host's layout calls for: ``[{name, service, container}]``.

    A command applies when one of its services is ``present`` in the layout; for kolla and
    TripleO it runs in that service's container (``restart.container``, the one the layout
    found, else its first candidate). ``only``: command names to keep (None = all).
    """
    layout = layout or {}
    services = layout.get('services') or {}
    containerised = layout.get('flavour') in ('kolla', 'tripleo')
    out = []
    for name, owners in STATUS_COMMANDS:
        if only is not None and name not in only:
            continue
        for svc in owners:
            entry = services.get(svc) or {}
            if not entry.get('present'):
                continue
            container = None
            if containerised:
                restart = entry.get('restart') or {}
                container = restart.get('container') or (list(restart.get('containers') or []) + [None])[0]
            out.append({'name': name, 'service': svc, 'container': container})
            break
    return out


def _details(value):
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ('', 'None') else scrub(text)


def parse_json(text):
    """oslo.upgradecheck's JSON -> (title, [checks]) or None when ``text`` is not that."""
    text = (text or '').strip()
    start = text.find('{"name"')
    if start < 0:
        start = text.find('{')
    if start < 0:
        return None
    try:
        doc = json.loads(text[start:])
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get('checks'), list):
        return None
    checks = []
    for item in doc['checks']:
        if not isinstance(item, dict):
            continue
        code = item.get('result')
        if isinstance(code, str):
            result = WORDS.get(code.strip().lower(), 'unknown')
        else:
            result = CODES.get(code, 'unknown')
        checks.append({'check': str(item.get('check')), 'result': result, 'code': code,
                       'details': _details(item.get('details'))})
    return doc.get('name'), checks


_ROW = re.compile(r'^\|\s?(.*?)\s*\|\s*$')


def parse_table(text):
    """The prettytable rendering -> [checks] (None when no ``Check:`` row is in ``text``)."""
    checks, cur, field = [], None, None
    for raw in (text or '').splitlines():
        m = _ROW.match(raw.rstrip())
        if not m:
            if raw.startswith('+'):
                field = None
            continue
        cell = m.group(1)
        if cell.startswith('Check: '):
            cur = {'check': cell[len('Check: '):].strip(), 'result': 'unknown', 'code': None, 'details': ''}
            checks.append(cur)
            field = None
        elif cur is not None and cell.startswith('Result: '):
            word = cell[len('Result: '):].strip()
            cur['code'] = word
            cur['result'] = WORDS.get(word.lower(), 'unknown')
            field = None
        elif cur is not None and cell.startswith('Details: '):
            cur['details'] = cell[len('Details: '):].strip()
            field = 'details'
        elif cur is not None and field == 'details':
            # prettytable wraps long details onto continuation lines, indented under the text;
            # a line that ends in '-' was cut inside a word or URL (".../hw-machine-" "type.html")
            sep = '' if cur['details'].endswith('-') else ' '
            cur['details'] = (cur['details'] + sep + cell.strip()).strip()
    if not checks:
        return None
    for c in checks:
        c['details'] = _details(c['details'])
    return checks


_EXC_LINE = re.compile(r'^[A-Za-z_][\w.]*(Error|Exception|Failure|Timeout)\b')


def _last_line(*texts):
    """The line that says why: the last exception line of a traceback, else the last line."""
    for text in texts:
        lines = [ln.strip() for ln in (text or '').splitlines() if ln.strip()]
        if lines:
            exc = [ln for ln in lines if _EXC_LINE.match(ln)]
            return scrub((exc or lines)[-1])[:300]
    return ''


def run_one(runner, argv, timeout, want_json=True):
    """Run ``argv + ['upgrade', 'check'(, '--json')]`` bounded by ``timeout`` seconds.

    ``runner(argv) -> (rc, stdout, stderr)`` (argv already carries ``timeout N``).
    Returns ``{argv, rc, format, title, checks, error, seconds}``: ``format`` is ``json``,
    ``table`` or None; ``error`` says why nothing could be read (missing command, timeout,
    crash, unreadable output), scrubbed of passwords.
    """
    t0 = time.time()
    base_argv = ['timeout', str(int(timeout))] + list(argv) + ['upgrade', 'check']
    tries = [base_argv + ['--json'], base_argv] if want_json else [base_argv]
    out = {'argv': list(argv) + ['upgrade', 'check'], 'rc': None, 'format': None, 'title': None,
           'checks': [], 'error': None, 'seconds': None}
    for n, cmd in enumerate(tries):
        try:
            rc, stdout, stderr = runner(cmd)
        except (IOError, OSError) as exc:
            out['error'] = 'cannot run %s: %s' % (argv[0] if argv else '?', getattr(exc, 'strerror', None) or exc)
            break
        out['rc'] = rc
        if rc == TIMEOUT_RC:
            out['error'] = 'did not finish within %ss (timeout)' % int(timeout)
            break
        if rc in MISSING_RCS:
            out['error'] = 'command not found or not executable (rc %s): %s' % (rc, _last_line(stderr, stdout))
            break
        if n == 0 and want_json and REFUSED_JSON.search(stderr or ''):
            out['json_refused'] = True
            continue   # this command has no --json: ask for the table
        if rc == 255 or (stdout or '').lstrip().startswith('Error:'):
            out['error'] = 'the upgrade check crashed (rc %s): %s' % (rc, _last_line(stdout, stderr))
            break
        parsed = parse_json(stdout)
        if parsed is not None:
            out['format'], (out['title'], out['checks']) = 'json', parsed
        else:
            table = parse_table(stdout)
            if table is not None:
                out['format'], out['checks'] = 'table', table
            else:
                out['error'] = 'no upgrade check results in its output (rc %s): %s' % (rc, _last_line(stderr, stdout))
        break
    out['seconds'] = round(time.time() - t0, 1)
    if out['format'] and rc not in (0, 1, 2):
        out['error'] = 'unexpected exit code %s' % rc
    return out


def command_argv(spec, container_cli=None):
    """The argv of one command spec ``{name, argv?, container?, config_files?}`` (no ``upgrade check``)."""
    argv = list(spec.get('argv') or [spec['name']])
    for f in spec.get('config_files') or []:
        argv += ['--config-file', f]
    if spec.get('container'):
        argv = [container_cli or 'podman', 'exec', spec['container']] + argv
    return argv
