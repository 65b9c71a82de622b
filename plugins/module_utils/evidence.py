# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An evidence bundle of one host: logs since a time, masked configs, container inspect,
``pcs status``, the facts gathered and, when asked, ``strace`` of one service.

Standard library only; runs on the managed node (module ``collect_evidence``) or on a prepared
root in tests. Everything written goes through :class:`Bundle`, which masks it
(:mod:`masking`: secret keys, URL passwords, tgt users, ``--password`` flags) and, before the
tarball is made, scrubs every secret value it met in the host's configs from every file
(a password that a log line or an strace buffer shows without its key is still replaced).
Every command has a timeout; every file read and the whole bundle have a size bound; what
was cut or could not be read is listed in the index, never a traceback.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import hashlib
import json
import os
import re
import signal
import subprocess
import tarfile
import time

from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import (
    MASK, is_secret_key, is_url_key, mask_data, mask_string, mask_url)

INDEX_VERSION = 1
# ``2026-12-01 18:00:00`` / ``2026-12-01T18:00:00`` at the start of a line (oslo.log, rabbitmq,
# keystone, MariaDB 10.x, podman): local time of the node
_TS_RE = re.compile(r'^\[?(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})')
# ``key = value`` / ``key: value`` / ``KEY=value`` of a config line
_CONF_LINE_RE = re.compile(r'^(?P<lead>\s*)(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)(?P<sep>\s*[=:]\s*)(?P<value>.*?)\s*$')
_URL_PW_RE = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s,]+:([^@\s]+)@')
_TGT_PW_RE = re.compile(r'\b(?:incominguser|outgoinguser)\s+\S+\s+(\S+)', re.IGNORECASE)
MIN_SECRET_LEN = 4


def mask_config_text(text, secrets=None):
    """Mask a config file line by line; ``secrets`` (a set) receives every value masked.

    A ``key = value`` line whose key names a secret loses its whole value (spaces included,
    which :func:`masking.mask_string` would cut at); oslo continuation lines (indented lines
    after such a key) are masked too; everything else goes through ``mask_string`` (URL
    passwords, tgt users, flags).
    """
    out = []
    in_secret = False
    for line in text.splitlines(True):
        body = line.rstrip('\r\n')
        end = line[len(body):]
        stripped = body.strip()
        if in_secret and body[:1] in (' ', '\t') and stripped and not stripped.startswith(('#', ';')):
            _remember(secrets, stripped)
            out.append(body[:len(body) - len(body.lstrip())] + MASK + end)
            continue
        in_secret = False
        match = _CONF_LINE_RE.match(body) if stripped and not stripped.startswith(('#', ';', '[')) else None
        if match and is_secret_key(match.group('key')):
            value = match.group('value').strip().strip('"\'')
            if value and value != MASK:
                _remember(secrets, value)
                quote = match.group('value')[:1] if match.group('value')[:1] in ('"', "'") else ''
                body = '%s%s%s%s%s%s' % (match.group('lead'), match.group('key'), match.group('sep'), quote, MASK, quote)
            in_secret = True
            out.append(body + end)
            continue
        if match and is_url_key(match.group('key')) and '://' in match.group('value'):
            # the whole value is the URL (a password with a space or a comma would end a URL in text)
            value = match.group('value')
            masked = mask_url(value.strip())
            if masked != value.strip():
                userinfo = value.strip().split('://', 1)[1].rsplit('@', 1)[0]
                for chunk in userinfo.split(','):
                    _remember(secrets, chunk.rsplit('@', 1)[0].partition(':')[2])
                out.append('%s%s%s%s%s' % (match.group('lead'), match.group('key'), match.group('sep'), masked, end))
                continue
        for found in _URL_PW_RE.findall(body) + _TGT_PW_RE.findall(body):
            _remember(secrets, found)
        out.append(mask_string(body) + end)
    return ''.join(out)


# values masked under a secret-looking key that are settings, not secrets (send_service_user_token =
# true): scrubbing them everywhere would only destroy evidence
NOT_SECRET_VALUES = frozenset(('true', 'false', 'yes', 'no', 'none', 'null', 'on', 'off'))


def _remember(secrets, value):
    if (secrets is not None and value and value != MASK and len(value) >= MIN_SECRET_LEN
            and value.lower() not in NOT_SECRET_VALUES and not value.isdigit()):
        secrets.add(value)


def scrub(text, secrets):
    """Replace every known secret value in ``text`` (longest first)."""
    for value in sorted(secrets or (), key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


def parse_since(value, now=None):
    """Epoch seconds from ``<N>h``/``<N>m``/``<N>d`` (before ``now``), an epoch number, or a local
    ``YYYY-MM-DD[ HH:MM[:SS]]``; ``ValueError`` otherwise."""
    now = time.time() if now is None else now
    text = str(value).strip()
    m = re.match(r'^(\d+(?:\.\d+)?)\s*([smhd])$', text)
    if m:
        return now - float(m.group(1)) * {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}[m.group(2)]
    if re.match(r'^\d{9,}(\.\d+)?$', text):
        return float(text)
    for fmt in ('%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M', '%Y-%m-%d'):
        try:
            return time.mktime(time.strptime(text, fmt))
        except ValueError:
            continue
    raise ValueError('since %r is neither <N>h/<N>m/<N>d, epoch seconds nor YYYY-MM-DD[ HH:MM[:SS]]' % value)


def line_time(line):
    m = _TS_RE.match(line)
    if not m:
        return None
    try:
        return time.mktime(time.strptime('%s %s:%s:%s' % m.groups(), '%Y-%m-%d %H:%M:%S'))
    except (ValueError, OverflowError):
        return None


def lines_since(text, since):
    """The lines of ``text`` from the first one stamped at or after ``since`` on (lines without a
    stamp, such as traceback lines, go with the stamped line before them).

    Returns ``(text, stamped)``; ``stamped`` is False when no line carries a stamp (the text is
    returned whole: the caller's tail bound applies)."""
    stamped = False
    lines = text.splitlines(True)
    for index, line in enumerate(lines):
        t = line_time(line)
        if t is None:
            continue
        stamped = True
        if t >= since:
            return ''.join(lines[index:]), True
    return ('' if stamped else text), stamped


def default_runner(timeout):
    def run(argv, timeout_s=None):
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except (OSError, IOError) as exc:
            return 127, '', '%s: %s' % (argv[0], exc)
        try:
            out, err = proc.communicate(timeout=timeout_s or timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return 124, out.decode('utf-8', 'replace'), 'timed out after %ss: %s' % (timeout_s or timeout, ' '.join(argv))
        return proc.returncode, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')
    return run


def which(name, root='/'):
    for d in ('/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'):
        path = os.path.join(d, name)
        if os.access(os.path.join(root, path.lstrip('/')) if root != '/' else path, os.X_OK):
            return path
    return None


class Bundle:
    """The staging directory of one host's bundle and its index."""

    def __init__(self, workdir, host, max_bytes):
        self.workdir = workdir
        self.host = host
        self.max_bytes = int(max_bytes)
        self.used = 0
        self.items = []
        self.errors = []
        self.skipped = []
        self.secrets = set()
        if not os.path.isdir(workdir):
            os.makedirs(workdir, 0o700)

    def write(self, rel, text, kind, source, masked=True, **note):
        """Write ``text`` (masked unless ``masked`` is False, i.e. already masked) at ``rel``."""
        data = text if not masked else mask_string(text) if isinstance(text, str) else text
        raw = data.encode('utf-8', 'replace')
        item = dict({'path': rel, 'kind': kind, 'source': source}, **note)
        if self.used + len(raw) > self.max_bytes:
            room = max(0, self.max_bytes - self.used)
            raw = raw[len(raw) - room:] if room else b''
            item['truncated'] = 'bundle size bound reached (collect_max_bytes %d): kept the last %d bytes' % (
                self.max_bytes, room)
            if not raw:
                item['path'] = None
                self.skipped.append(item)
                return item
        path = os.path.join(self.workdir, rel)
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o700)
        with open(path, 'wb') as handle:
            handle.write(raw)
        self.used += len(raw)
        item['bytes'] = len(raw)
        self.items.append(item)
        return item

    def error(self, what, message, **extra):
        self.errors.append(dict({'what': what, 'message': mask_string(str(message))[:2000]}, **extra))

    def scrub_all(self):
        """Replace every secret value met in the configs in every file written (the last pass)."""
        if not self.secrets:
            return 0
        count = 0
        for item in self.items:
            path = os.path.join(self.workdir, item['path'])
            with open(path, 'rb') as handle:
                text = handle.read().decode('utf-8', 'replace')
            clean = scrub(text, self.secrets)
            if clean != text:
                count += 1
                item['scrubbed'] = True
                with open(path, 'wb') as handle:
                    handle.write(clean.encode('utf-8'))
                item['bytes'] = os.path.getsize(path)
        return count


def _read_tail(path, limit):
    size = os.path.getsize(path)
    with open(path, 'rb') as handle:
        if size > limit:
            handle.seek(size - limit)
        data = handle.read(limit)
    text = data.decode('utf-8', 'replace')
    if size > limit:
        # drop the partial first line
        text = text.split('\n', 1)[1] if '\n' in text else ''
    return text, size > limit, size


def _fs(root, path):
    return path if root in ('', '/') else os.path.join(root, path.lstrip('/'))


def _unfs(root, path):
    return path if root in ('', '/') else '/' + os.path.relpath(path, root)


def mask_argv(data):
    """Mask the value after a secret flag in every list of strings (``["--password", "x"]``, ``-p x``
    of a command line in container inspect's Args/Cmd), recursively."""
    if isinstance(data, dict):
        return dict((k, mask_argv(v)) for k, v in data.items())
    if isinstance(data, list):
        out = []
        hide = False
        for item in data:
            if hide and isinstance(item, str):
                out.append(MASK)
                hide = False
                continue
            hide = isinstance(item, str) and item.startswith('-') and '=' not in item and is_secret_key(item.lstrip('-'))
            out.append(mask_argv(item))
        return out
    return data


def present_services(layout):
    """Layout services deployed on the host, or whose config is there."""
    out = {}
    for name, svc in sorted(((layout or {}).get('services') or {}).items()):
        if svc.get('present') or svc.get('config_present'):
            out[name] = svc
    return out


def collect_configs(bundle, root, layout):
    seen = set()
    for name, svc in present_services(layout).items():
        for path in svc.get('config_files') or []:
            real = _fs(root, path)
            if path in seen or not os.path.isfile(real):
                continue
            seen.add(path)
            try:
                with open(real, 'rb') as handle:
                    text = handle.read(4 * 1024 * 1024).decode('utf-8', 'replace')
            except (IOError, OSError) as exc:
                bundle.error('config', 'cannot read: %s' % (exc.strerror or exc), file=path, service=name)
                continue
            masked = mask_config_text(text, bundle.secrets)
            bundle.write('configs' + path, masked, 'config', path, masked=False, service=name)


def collect_file_logs(bundle, root, layout, since, tail_bytes):
    seen = set()
    for name, svc in present_services(layout).items():
        for pattern in svc.get('log_files') or []:
            for real in sorted(glob.glob(_fs(root, pattern))):
                path = _unfs(root, real)
                if path in seen or not os.path.isfile(real):
                    continue
                seen.add(path)
                try:
                    if os.path.getmtime(real) < since:
                        bundle.skipped.append({'path': None, 'kind': 'log', 'source': path, 'service': name,
                                               'reason': 'not written since %s' % _iso(since)})
                        continue
                    text, cut, size = _read_tail(real, tail_bytes)
                except (IOError, OSError) as exc:
                    bundle.error('log', 'cannot read: %s' % (exc.strerror or exc), file=path, service=name)
                    continue
                kept, stamped = lines_since(text, since)
                note = {'service': name, 'file_bytes': size}
                if cut:
                    note['truncated'] = 'read the last %d bytes of %d (collect_log_tail_bytes)' % (tail_bytes, size)
                if not stamped:
                    note['note'] = 'no line with a timestamp: the tail is kept whole'
                bundle.write('logs' + path, kept, 'log', path, **note)


def collect_command_logs(bundle, layout, run, since, tail_bytes, timeout):
    cli = (layout or {}).get('container_cli')
    for name, svc in present_services(layout).items():
        restart = svc.get('restart') or {}
        if svc.get('log_files') and svc.get('log_via', 'file') == 'file':
            continue
        if restart.get('container') and restart.get('container_exists') and cli not in (None, '', 'none'):
            argv = [cli, 'logs', '--since', str(int(since)), restart['container']]
            rel, source = 'logs/containers/%s.log' % restart['container'], ' '.join(argv)
        elif restart.get('unit') and restart.get('unit_exists', True) and restart.get('method') in ('systemd', 'juju_unit'):
            argv = ['journalctl', '--no-pager', '-o', 'short-iso', '-u', restart['unit'], '--since', '@%d' % int(since)]
            rel, source = 'logs/journal/%s.log' % restart['unit'], ' '.join(argv)
        else:
            continue
        rc, out, err = run(argv, timeout)
        if rc != 0:
            bundle.error('log', 'rc %s: %s' % (rc, (err or out).strip()[-500:]), command=source, service=name)
            continue
        text = (out or '') + (err or '' if argv[1] == 'logs' else '')
        note = {'service': name}
        if len(text) > tail_bytes:
            text = text[-tail_bytes:]
            note['truncated'] = 'kept the last %d bytes (collect_log_tail_bytes)' % tail_bytes
        bundle.write(rel, text, 'log', source, **note)


def collect_containers(bundle, layout, run, timeout, limit):
    cli = (layout or {}).get('container_cli')
    if cli in (None, '', 'none'):
        bundle.skipped.append({'path': None, 'kind': 'container_inspect', 'source': None,
                               'reason': 'no container engine on this host'})
        return
    rc, out, err = run([cli, 'ps', '-a', '--format', '{{.Names}}'], timeout)
    if rc != 0:
        bundle.error('container_inspect', 'rc %s: %s' % (rc, (err or out).strip()[-500:]), command='%s ps -a' % cli)
        return
    names = sorted(n.strip() for n in out.splitlines() if n.strip())
    if len(names) > limit:
        bundle.skipped.append({'path': None, 'kind': 'container_inspect', 'source': '%s ps -a' % cli,
                               'reason': '%d containers, inspected the first %d (collect_max_containers)'
                                         % (len(names), limit)})
        names = names[:limit]
    bundle.write('containers/ps.txt', '\n'.join(names) + '\n', 'container_list', '%s ps -a' % cli)
    if not names:
        return
    rc, out, err = run([cli, 'inspect'] + names, timeout)
    if rc != 0 and not out.strip():
        bundle.error('container_inspect', 'rc %s: %s' % (rc, (err or out).strip()[-500:]), command='%s inspect' % cli)
        return
    try:
        data = json.loads(out)
    except ValueError as exc:
        bundle.error('container_inspect', 'output is not JSON: %s' % exc, command='%s inspect' % cli)
        return
    for entry in data if isinstance(data, list) else []:
        entry = mask_argv(entry)
        name = str(entry.get('Name') or entry.get('Id') or 'unknown').lstrip('/')
        bundle.write('containers/%s.inspect.json' % name, json.dumps(mask_data(entry), indent=1, sort_keys=True),
                     'container_inspect', '%s inspect %s' % (cli, name), masked=False)


def collect_pcs(bundle, root, run, timeout):
    pcs = which('pcs', root)
    if not pcs:
        bundle.skipped.append({'path': None, 'kind': 'pcs_status', 'source': 'pcs status --full',
                               'reason': 'pcs is not installed on this host'})
        return
    rc, out, err = run([pcs, 'status', '--full'], timeout)
    text = out + (('\n# stderr:\n' + err) if err.strip() else '')
    bundle.write('commands/pcs_status.txt', '# rc %s\n%s' % (rc, text), 'pcs_status', 'pcs status --full')


def find_pid(layout, service, run, timeout):
    """Main PID of a layout service: its systemd unit's MainPID or its container's State.Pid."""
    svc = ((layout or {}).get('services') or {}).get(service)
    if not svc:
        return None, 'service %s is not in the %s layout' % (service, (layout or {}).get('flavour'))
    restart = svc.get('restart') or {}
    cli = (layout or {}).get('container_cli')
    if restart.get('container') and cli not in (None, '', 'none'):
        rc, out, err = run([cli, 'inspect', '-f', '{{.State.Pid}}', restart['container']], timeout)
        where = 'container %s' % restart['container']
    elif restart.get('unit'):
        rc, out, err = run(['systemctl', 'show', '-p', 'MainPID', '--value', restart['unit']], timeout)
        where = 'unit %s' % restart['unit']
    else:
        return None, 'the layout names no unit or container for %s' % service
    pid = (out or '').strip()
    if rc != 0 or not pid.isdigit() or pid == '0':
        return None, '%s has no running main process (rc %s: %s)' % (where, rc, (err or out).strip()[-300:])
    return int(pid), where


def collect_strace(bundle, root, layout, run, service, pid, seconds, max_bytes, timeout, tmpdir):
    """``strace -f -tt -p <pid>`` for ``seconds`` (SIGINT detaches it cleanly), output bounded."""
    strace = which('strace', root)
    source = 'strace -f -tt -s 256 -p <pid> for %ss' % seconds
    if not strace:
        bundle.error('strace', 'strace is not installed on this host (Debian/Ubuntu: apt install strace; '
                               'RHEL: dnf install strace)', service=service)
        return
    where = 'pid %s' % pid
    if not pid:
        pid, where = find_pid(layout, service, run, timeout)
        if not pid:
            bundle.error('strace', where, service=service)
            return
    out_path = os.path.join(tmpdir, 'strace.%d.out' % pid)
    argv = [strace, '-f', '-tt', '-s', '256', '-o', out_path, '-p', str(pid)]
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except (OSError, IOError) as exc:
        bundle.error('strace', str(exc), service=service)
        return
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    interrupted = proc.poll() is None
    if interrupted:
        # strace detaches from every thread on SIGINT and exits by that signal: the process goes on
        proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    err = err.decode('utf-8', 'replace')
    text = ''
    if os.path.exists(out_path):
        with open(out_path, 'rb') as handle:
            text = handle.read(max_bytes + 1).decode('utf-8', 'replace')
        os.unlink(out_path)
    stopped = interrupted and proc.returncode in (0, -signal.SIGINT, 128 + signal.SIGINT)
    note = {'service': service, 'pid': pid, 'target': where, 'seconds': seconds, 'rc': proc.returncode,
            'ended': 'detached by SIGINT after %ss' % seconds if stopped else 'strace exited by itself (rc %s)' % proc.returncode}
    if 'Operation not permitted' in err or 'ptrace' in err.lower() and not text:
        bundle.error('strace', 'ptrace refused: %s' % err.strip()[-500:], service=service, pid=pid)
    if len(text) > max_bytes:
        text = text[:max_bytes]
        note['truncated'] = 'kept the first %d bytes (collect_strace_max_bytes)' % max_bytes
    header = '# %s\n# %s (%s), %s\n# stderr: %s\n' % (
        ' '.join(argv[:-4] + ['-p', str(pid)]), service, where, note['ended'],
        err.strip().replace('\n', ' | ')[-500:])
    bundle.write('strace/%s.%s.txt' % (service or 'pid', pid), header + text, 'strace', source, **note)


def _iso(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(epoch))


def index_text(index):
    out = ['stackdoctor evidence bundle of %s' % index['host'],
           'created %s (node time %s), logs since %s' % (index['created_utc'], index['created_local'], index['since_local']),
           'flavour %s, container cli %s' % (index.get('flavour'), index.get('container_cli')),
           'every secret masked (%s); %d file(s) had a known secret value scrubbed' % (MASK, index['scrubbed_files']),
           '', 'files:']
    for item in index['files']:
        cut = ('  [%s]' % item['truncated']) if item.get('truncated') else ''
        scrubbed = '  [secret values scrubbed]' if item.get('scrubbed') else ''
        out.append('  %-60s %-17s %8s  %s%s%s' % (
            item['path'], item['kind'], item.get('bytes'), item.get('source'), cut, scrubbed))
    if index['skipped']:
        out += ['', 'not collected:']
        out += ['  %s %s: %s' % (s.get('kind'), s.get('source') or '', s.get('reason') or s.get('truncated')) for s in index['skipped']]
    if index['errors']:
        out += ['', 'errors:']
        out += ['  %s: %s %s' % (e['what'], e['message'], dict((k, v) for k, v in e.items() if k not in ('what', 'message')))
                for e in index['errors']]
    return '\n'.join(out) + '\n'


def collect(host, workdir, layout, params, run=None, root='/'):
    """Write the bundle of ``host`` into ``workdir``; returns the index (dict)."""
    timeout = int(params.get('command_timeout') or 30)
    run = run or default_runner(timeout)
    now = time.time()
    since = parse_since(params.get('since') or '24h', now)
    bundle = Bundle(workdir, host, params.get('max_bytes') or 64 * 1024 * 1024)
    tail = int(params.get('log_tail_bytes') or 4 * 1024 * 1024)
    steps = (
        ('configs', lambda: collect_configs(bundle, root, layout)),
        ('logs', lambda: collect_file_logs(bundle, root, layout, since, tail)),
        ('journal/container logs', lambda: collect_command_logs(bundle, layout, run, since, tail, timeout)),
        ('containers', lambda: collect_containers(bundle, layout, run, timeout, int(params.get('max_containers') or 100))),
        ('pcs', lambda: collect_pcs(bundle, root, run, timeout)),
    )
    for what, step in steps:
        if what == 'containers' and not params.get('containers', True):
            continue
        try:
            step()
        except Exception as exc:  # pylint: disable=broad-except  # one step failing never loses the others
            bundle.error(what, '%s: %s' % (type(exc).__name__, exc))
    strace = params.get('strace') or {}
    if strace.get('service') or strace.get('pid'):
        try:
            collect_strace(bundle, root, layout, run, strace.get('service'), strace.get('pid'),
                           min(float(strace.get('seconds') or 5), float(strace.get('max_seconds') or 60)),
                           int(strace.get('max_bytes') or 8 * 1024 * 1024), timeout, workdir)
        except Exception as exc:  # pylint: disable=broad-except
            bundle.error('strace', '%s: %s' % (type(exc).__name__, exc))
    if params.get('facts') is not None:
        bundle.write('facts.json', json.dumps(mask_data(params['facts']), indent=1, sort_keys=True, default=str),
                     'facts', 'stackdoctor_node_facts', masked=False)
    if params.get('results'):
        bundle.write('results.json', json.dumps(mask_data(params['results']), indent=1, sort_keys=True, default=str),
                     'results', 'stackdoctor_results', masked=False)
    scrubbed = bundle.scrub_all()
    index = {
        'version': INDEX_VERSION, 'host': host,
        'created_utc': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now)), 'created_local': _iso(now),
        'since_local': _iso(since), 'since_epoch': int(since),
        'flavour': (layout or {}).get('flavour'), 'container_cli': (layout or {}).get('container_cli'),
        'limits': {'max_bytes': bundle.max_bytes, 'log_tail_bytes': tail, 'command_timeout': timeout},
        'bytes': bundle.used, 'files': bundle.items, 'skipped': bundle.skipped, 'errors': bundle.errors,
        'masked': True, 'scrubbed_files': scrubbed,
    }
    with open(os.path.join(workdir, 'index.json'), 'w') as handle:
        json.dump(index, handle, indent=1, sort_keys=True)
    with open(os.path.join(workdir, 'INDEX.txt'), 'w') as handle:
        handle.write(index_text(index))
    return index


def pack(workdir, tarball, arcname):
    """``tar.gz`` of ``workdir`` under ``arcname``; returns (sha256, bytes)."""
    with tarfile.open(tarball, 'w:gz') as tar:
        tar.add(workdir, arcname=arcname)
    digest = hashlib.sha256()
    with open(tarball, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest(), os.path.getsize(tarball)
