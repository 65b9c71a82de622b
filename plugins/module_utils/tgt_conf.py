# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Follow tgt's configuration the way ``tgt-admin`` reads it (standard library only).

``tgt-admin`` reads ``/etc/tgt/targets.conf`` with Perl's Config::General with glob
includes on: a line ``include <glob>`` pulls in every file the glob matches, and the
included files may include more. :func:`read_tgt_config` walks that tree from the
node's filesystem and records every ``include`` directive, the files read, the
``<target ...>`` names, ``default-driver`` and every problem (missing file, unreadable
file, include loop) without raising.

:func:`covers` answers the question the tgt include check asks: does some include make
tgt read the files cinder writes into ``volumes_dir`` (``<volumes_dir>/volume-<uuid>``)?
``read_tgt_config`` is standard library only and self-contained, so that its source can
also run inside a container (``python3 -c``, kolla's ``cinder_volume``).

Assumptions (tgt-admin(8) behaviour, not checked against the tgt source):

* ``include`` is matched case-insensitively; a relative pattern is relative to the
  directory of the file holding the directive.
* A glob matching nothing is not an error (an empty ``volumes_dir`` is normal); a
  pattern without glob characters naming a missing file is (``missing``).

Content of included files is never returned: cinder's target files carry
``incominguser <user> <password>`` lines.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import glob
import os
import re

INCLUDE_RE = re.compile(r'^\s*include\s+(?P<pattern>\S.*?)\s*$', re.IGNORECASE)
TARGET_RE = re.compile(r'^\s*<target\s+(?P<name>[^>\s]+)\s*>', re.IGNORECASE)
DEFAULT_DRIVER_RE = re.compile(r'^\s*default-driver\s+(?P<value>\S+)', re.IGNORECASE)
GLOB_CHARS = re.compile(r'[*?\[]')
SAMPLE_VOLUME_FILE = 'volume-00000000-0000-0000-0000-000000000000'

MAX_LISTED = 200


def host_path(root, path):
    """Where host path ``path`` lives when the node's filesystem is mounted at ``root``."""
    if not root or root == '/':
        return path
    return os.path.join(root, path.lstrip('/'))


def strip_root(root, path):
    """Inverse of :func:`host_path`: the node-side name of a path found under ``root``."""
    if not root or root == '/':
        return path
    root = root.rstrip('/')
    if path == root:
        return '/'
    if path.startswith(root + '/'):
        return path[len(root):]
    return path


def map_path(path, path_map):
    """Rewrite ``path`` through ``path_map`` ({prefix_as_seen_by_tgt: prefix_on_host}).

    Used when a container reads a bind-mounted host directory (a site override; kolla
    itself keeps ``/etc/tgt`` in its images, read with ``<cli> exec``). The longest
    matching prefix wins.
    """
    if not path_map:
        return path
    best = None
    for prefix in path_map:
        p = prefix.rstrip('/') or '/'
        if path == p or path.startswith(p.rstrip('/') + '/'):
            if best is None or len(p) > len(best[0]):
                best = (p, path_map[prefix])
    if best is None:
        return path
    rest = path[len(best[0]):].lstrip('/')
    target = best[1].rstrip('/') or '/'
    return os.path.join(target, rest) if rest else target


def _unmap_path(path, path_map):
    """Inverse of :func:`map_path` (host path back to the name tgt sees)."""
    if not path_map:
        return path
    inverse = dict((v, k) for k, v in path_map.items())
    return map_path(path, inverse)


def read_tgt_config(targets_conf, root='/', path_map=None, max_files=2000):
    """Walk ``targets_conf`` and its includes.

    ``targets_conf`` is a host path. Include patterns are paths as tgtd sees them;
    ``path_map`` ({tgt view prefix: host prefix}) maps them to the host for a container
    reading a bind-mounted host directory, and ``root`` is where the host's ``/``
    is mounted (tests). Every ``file``, ``files_read`` and ``matches`` entry is a host
    path (what a fix edits); ``pattern`` is the directive as written and ``resolved``
    the absolute pattern in tgtd's view (what :func:`covers` compares). Returns::

        {config_file, found, includes: [{pattern, file, line, resolved, glob,
         matches: [..], match_count}], files_read: [..], files_read_count,
         targets: [{name, file, line}], default_driver: {value, file, line}|None,
         errors: [{kind: missing|unreadable|loop|limit, file, line, message}]}

    ``file``/``line`` of an include are those of the directive; ``matches`` (capped at
    200) are the files the glob found, as tgt sees them.
    """
    result = {
        'config_file': targets_conf,
        'found': False,
        'includes': [],
        'files_read': [],
        'files_read_count': 0,
        'targets': [],
        'default_driver': None,
        'errors': [],
    }
    visited = set()

    def fs(path):
        return host_path(root, map_path(path, path_map))

    def shown(path):
        return map_path(path, path_map)

    def read(path, stack, from_file, from_line):
        if path in stack:
            result['errors'].append({
                'kind': 'loop', 'file': from_file, 'line': from_line,
                'message': 'include loop: %s includes %s again' % (
                    ' -> '.join(shown(p) for p in stack), shown(path))})
            return
        if path in visited:
            return
        if result['files_read_count'] >= max_files:
            result['errors'].append({'kind': 'limit', 'file': shown(from_file), 'line': from_line,
                                     'message': 'more than %d files, stopped' % max_files})
            return
        real = fs(path)
        try:
            with open(real, 'rb') as handle:
                text = handle.read().decode('utf-8', errors='replace')
        except (IOError, OSError) as exc:
            missing = isinstance(exc, (FileNotFoundError, NotADirectoryError))
            result['errors'].append({
                'kind': 'missing' if missing else 'unreadable',
                'file': shown(from_file) if from_file else shown(path), 'line': from_line,
                'path': shown(path),
                'message': '%s: %s' % (shown(path), exc.strerror or exc)})
            return
        visited.add(path)
        result['files_read_count'] += 1
        if len(result['files_read']) < MAX_LISTED:
            result['files_read'].append(shown(path))
        if from_file is None:
            result['found'] = True
        base = os.path.dirname(path)
        for lineno, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if not stripped or stripped.startswith('#'):
                continue
            m = TARGET_RE.match(line)
            if m:
                if len(result['targets']) < MAX_LISTED:
                    result['targets'].append({'name': m.group('name'), 'file': shown(path),
                                              'line': lineno})
                continue
            m = DEFAULT_DRIVER_RE.match(line)
            if m:
                result['default_driver'] = {'value': m.group('value'), 'file': shown(path),
                                            'line': lineno}
                continue
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            pattern = m.group('pattern')
            if len(pattern) >= 2 and pattern[0] == pattern[-1] and pattern[0] in '"\'':
                pattern = pattern[1:-1]
            resolved = pattern if pattern.startswith('/') else os.path.join(base, pattern)
            resolved = normalize(resolved)
            is_glob = bool(GLOB_CHARS.search(resolved))
            entry = {'pattern': pattern, 'file': shown(path), 'line': lineno, 'resolved': resolved,
                     'glob': is_glob, 'matches': [], 'match_count': 0}
            result['includes'].append(entry)
            if is_glob:
                found = sorted(glob.glob(fs(resolved)))
                found = [_unmap_path(strip_root(root, f), path_map) for f in found
                         if os.path.isfile(f)]
                entry['match_count'] = len(found)
                entry['matches'] = [shown(f) for f in found[:MAX_LISTED]]
                for child in found:
                    read(child, stack + [path], path, lineno)
            else:
                if os.path.isfile(fs(resolved)):
                    entry['match_count'] = 1
                    entry['matches'] = [shown(resolved)]
                read(resolved, stack + [path], path, lineno)

    read(_unmap_path(targets_conf, path_map), [], None, None)
    return result


def label_sides(includes, side='host', path_map=None, container=None):
    """Say on which side each path of each include is: ``host`` or ``container``.

    ``side`` is where the tree was read (``host``: :func:`read_tgt_config` on the host's
    files; ``container``: inside ``container``). Adds to every include (a new dict)::

        sides: {file: host|container, pattern: host|container, pattern_host: <host path>|None,
                matches: host|container, container: <name>|None}

    On the host, ``file`` and ``matches`` are host paths, and the pattern is what tgtd
    reads: a container path when ``path_map`` maps it (kolla-style ``/etc/tgt/conf.d/*.conf``
    in a host file), with ``pattern_host`` the host path it maps to; otherwise a host path.
    In a container every path is the container's and ``pattern_host`` is None (the
    container's files come from its image or a mount the layout does not name).
    """
    out = []
    for inc in includes or []:
        inc = dict(inc)
        resolved = inc.get('resolved') or inc.get('pattern') or ''
        if side == 'container':
            sides = {'file': 'container', 'pattern': 'container', 'pattern_host': None,
                     'matches': 'container', 'container': container}
        else:
            mapped = map_path(resolved, path_map) if path_map else resolved
            in_container = bool(path_map) and mapped != resolved
            sides = {'file': 'host', 'pattern': 'container' if in_container else 'host',
                     'pattern_host': mapped if in_container else resolved,
                     'matches': 'host', 'container': None}
        inc['sides'] = sides
        out.append(inc)
    return out


def normalize(path):
    """Collapse repeated slashes and ``.``/``..`` (keeps a trailing slash, which matters)."""
    trailing = path.endswith('/') and len(path) > 1
    out = os.path.normpath(path)
    if out.startswith('//'):
        out = '/' + out.lstrip('/')
    return out + '/' if trailing and not out.endswith('/') else out


def glob_match(path, pattern):
    """Shell-glob match as ``glob.glob`` would: per path component, ``*`` never crosses ``/``.

    A component starting with ``.`` is only matched by a pattern component starting
    with ``.`` (glob's hidden-file rule).
    """
    p_parts = pattern.split('/')
    f_parts = path.split('/')
    if len(p_parts) != len(f_parts):
        return False
    for pp, fp in zip(p_parts, f_parts):
        if fp.startswith('.') and not pp.startswith('.') and GLOB_CHARS.search(pp):
            return False
        if not fnmatch.fnmatchcase(fp, pp):
            return False
    return True


def covering_include(includes, volumes_dir, sample=SAMPLE_VOLUME_FILE):
    """The first include whose pattern matches a file directly inside ``volumes_dir``.

    ``includes`` is the list from :func:`read_tgt_config` (``resolved`` used when
    present, else ``pattern``). A pattern naming only the directory itself
    (``/var/lib/cinder/volumes`` or ``/var/lib/cinder/volumes/``) does not cover it;
    ``/var/lib/cinder/volumes/*`` and ``/var/lib/cinder/volumes/volume-*`` do.
    Returns the include dict or ``None``.
    """
    if not volumes_dir:
        return None
    directory = normalize(volumes_dir).rstrip('/') or '/'
    candidate = directory.rstrip('/') + '/' + sample
    for inc in includes or []:
        pattern = inc.get('resolved') or inc.get('pattern') or ''
        if not pattern.startswith('/'):
            continue
        pattern = normalize(pattern)
        if pattern.endswith('/'):
            continue
        if glob_match(candidate, pattern):
            return inc
    return None


def covers(includes, volumes_dir):
    """True when some include makes tgt read the files cinder writes in ``volumes_dir``."""
    return covering_include(includes, volumes_dir) is not None
