# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read OpenStack (oslo.config style) INI files without oslo.config.

Runs on the managed node (Python 3.9+, standard library only).

What is reproduced from oslo.config (``oslo_config/iniparser.py`` and
``oslo_config/cfg.py``):

* ``key = value`` and ``key: value`` (whichever of ``=``/``:`` comes first splits);
  a value wrapped in matching single or double quotes loses them.
* Lines starting with ``#`` or ``;`` are comments (only at the very start of a line:
  an indented line is a continuation line, and oslo has no inline comments).
* Continuation lines (starting with a space or a tab) are appended to the previous
  value, joined with a newline; a blank line ends a multi-line value.
* A key may repeat: every value is kept (``get_all``); ``get`` returns the last one,
  as a ``StrOpt`` sees it.
* Group names are normalised like ``cfg._normalize_group_name``: ``DEFAULT`` stays as
  it is, every other section name is lower-cased (so ``[LVM-1]`` is ``[lvm-1]``, and
  ``[default]`` is a group called ``default``, *not* ``DEFAULT``).
* ``$name``, ``${name}``, ``${group.name}`` interpolation, ``$$`` for a literal ``$``.
  ``$name`` resolves from ``[DEFAULT]`` (options used in templates, such as
  ``state_path`` or ``my_ip``, are registered there), then from the ``defaults``
  given by the caller; an unknown name is left untouched (oslo's ``safe_substitute``).
* No ``[DEFAULT]`` fallback for other groups: ``get(section, key)`` is raw.

Problems are collected, not only the first: every line oslo.config would refuse
(``kind: syntax``), every section header repeated in a file (``duplicate_section``: oslo
merges them, the later values win) and every option set twice in one section
(``duplicate_option``: a ``StrOpt`` takes the last) is in :attr:`OsloIni.problems` as
``{kind, file, line, message, first_line}``. Parsing goes on after a bad line (the line is
skipped; after a bad section header, assignments are skipped up to the next good header,
only their own syntax problems reported).
At the end, syntax problems raise :class:`ParseError` for the first one, carrying every
problem in ``problems`` (oslo.config itself stops at the first and the service does not
start); duplicates alone do not raise (oslo accepts them).

The Cinder helper :func:`cinder_backends` resolves the per-backend options the
checks need (``cinder/volume/driver.py``, ``cinder/volume/configuration.py``,
cinder ``doc/source/admin/multi-backend.rst``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

DEFAULT = 'DEFAULT'


class ParseError(Exception):
    """A line oslo.config would refuse; carries ``file``, ``line`` and ``message``."""

    def __init__(self, message, file=None, line=None, text=None, problems=None):
        super(ParseError, self).__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.text = text
        # every problem seen in the file (this one first among the syntax problems)
        self.problems = list(problems or [])

    def __str__(self):
        where = self.file or '<string>'
        if self.line:
            where = '%s:%d' % (where, self.line)
        return '%s: %s' % (where, self.message)

    def to_dict(self):
        """The ``error`` dict of the facts contract: ``{file, line, message}``."""
        return {'file': self.file, 'line': self.line, 'message': self.message}


def normalize_section(name):
    """Normalise a group name the way oslo.config does (``DEFAULT`` kept, others lowered)."""
    if name == DEFAULT:
        return name
    return name.lower()


class Entry:
    """One assignment: the raw value and where it was found."""

    __slots__ = ('value', 'file', 'line', 'section')

    def __init__(self, value, file, line, section):
        self.value = value
        self.file = file
        self.line = line
        self.section = section

    def where(self):
        """``{section, file, line}`` of this assignment."""
        return {'section': self.section, 'file': self.file, 'line': self.line}


_TEMPLATE_RE = re.compile(r'\$(?:(?P<escaped>\$)|(?P<named>[A-Za-z_][A-Za-z0-9_]*)'
                          r'|\{(?P<braced>[A-Za-z_][A-Za-z0-9_.\-]*)\})')


class OsloIni:
    """Parsed content of one or more oslo.config files (later files override earlier ones)."""

    def __init__(self):
        # section (normalised) -> key -> [Entry, ...] in reading order
        self._sections = {}
        self._section_order = []
        self.files = []
        # every problem seen: {kind, file, line, message, first_line}
        self.problems = []

    # -- reading -------------------------------------------------------------
    def read(self, path):
        """Parse the file at ``path``. Raises ``ParseError`` (file and line set) or ``OSError``."""
        with open(path, 'rb') as handle:
            data = handle.read()
        text = data.decode('utf-8', errors='replace')
        self.read_string(text, path)
        return self

    def read_string(self, text, filename='<string>'):
        """Parse ``text`` as if it were the content of ``filename``.

        Records every problem in :attr:`problems`; raises :class:`ParseError` for the first
        syntax problem once the whole text is read (see the module docstring).
        """
        self.files.append(filename)
        problems = []
        section = None
        bad_section = False
        key = None
        key_line = None
        value = []
        headers = {}          # section -> line of its first header in this file
        assigned = {}         # (section, key) -> first line in this file

        def problem(kind, lineno, message, first_line=None):
            problems.append({'kind': kind, 'file': filename, 'line': lineno, 'message': message,
                             'first_line': first_line})

        def flush():
            joined = '\n'.join(value)
            first = assigned.setdefault((section, key), key_line)
            if first != key_line:
                problem('duplicate_option', key_line,
                        'option %r set again in [%s] (first at line %d): a single-valued option'
                        ' takes the last value'
                        % (key, section, first), first)
            self._assign(section, key, joined, filename, key_line)

        lineno = 0
        for raw in text.splitlines():
            lineno += 1
            line = raw.rstrip()
            if not line:
                if key is not None:
                    flush()
                    key = None
                continue
            if line[0] in (' ', '\t'):
                if key is None:
                    if not bad_section:
                        problem('syntax', lineno, 'Unexpected continuation line')
                    continue
                value.append(line.lstrip())
                continue
            if key is not None:
                flush()
                key = None
            if line.startswith('['):
                if not line.endswith(']'):
                    problem('syntax', lineno, 'Invalid section (must end with ])')
                    section, bad_section = None, True
                    continue
                if len(line) <= 2:
                    problem('syntax', lineno, 'Empty section name')
                    section, bad_section = None, True
                    continue
                section, bad_section = normalize_section(line[1:-1]), False
                if section in headers:
                    problem('duplicate_section', lineno,
                            'section [%s] appears again (first at line %d): oslo.config merges'
                            ' them, later values win' % (section, headers[section]), headers[section])
                else:
                    headers[section] = lineno
                if section not in self._sections:
                    self._sections[section] = {}
                    self._section_order.append(section)
                continue
            if line.startswith(('#', ';')):
                continue
            colon = line.find(':')
            equal = line.find('=')
            if colon < 0 and equal < 0:
                problem('syntax', lineno, "No ':' or '=' found in assignment")
                continue
            if colon < 0 or (0 <= equal < colon):
                k, v = line[:equal], line[equal + 1:]
            else:
                k, v = line[:colon], line[colon + 1:]
            k = k.strip()
            v = v.strip()
            if v and v[0] == v[-1] and v[0] in ('"', "'") and len(v) >= 2:
                v = v[1:-1]
            if not k:
                problem('syntax', lineno, 'Key cannot be empty')
                continue
            if bad_section:
                continue   # under a header oslo refused: already reported once
            if section is None:
                problem('syntax', lineno, 'Section must be started before assignment')
                continue
            key, key_line, value = k, lineno, [v]
        if key is not None:
            flush()
        problems.sort(key=lambda p: p['line'])
        self.problems.extend(problems)
        syntax = [p for p in problems if p['kind'] == 'syntax']
        if syntax:
            first = syntax[0]
            lines = text.splitlines()
            raise ParseError(first['message'], filename, first['line'],
                             lines[first['line'] - 1] if first['line'] <= len(lines) else None,
                             problems=problems)
        return self

    def _assign(self, section, key, value, filename, line):
        self._sections.setdefault(section, {}).setdefault(key, []).append(
            Entry(value, filename, line, section))

    # -- raw access ----------------------------------------------------------
    def sections(self):
        """Section names (normalised) in the order first seen, ``DEFAULT`` included if present."""
        return list(self._section_order)

    def has_section(self, section):
        """True when ``[section]`` appears in a parsed file."""
        return normalize_section(section) in self._sections

    def keys(self, section):
        """Keys set in ``section``."""
        return list(self._sections.get(normalize_section(section), {}).keys())

    def entries(self, section, key):
        """Every :class:`Entry` for ``key`` in ``section`` (reading order)."""
        return list(self._sections.get(normalize_section(section), {}).get(key, []))

    def entry(self, section, key):
        """The last :class:`Entry` (the one a ``StrOpt`` uses), or ``None``."""
        found = self.entries(section, key)
        return found[-1] if found else None

    def has(self, section, key):
        """True when ``key`` is set in ``section`` (no fallback)."""
        return self.entry(section, key) is not None

    def get_all(self, section, key, interpolate=False, defaults=None):
        """All values of ``key`` in ``section`` (a ``MultiStrOpt`` view)."""
        vals = [e.value for e in self.entries(section, key)]
        if interpolate:
            vals = [self.interpolate(v, defaults) for v in vals]
        return vals

    def get(self, section, key, default=None, interpolate=False, defaults=None):
        """The last raw value of ``key`` in ``section`` (no DEFAULT fallback), or ``default``."""
        found = self.entry(section, key)
        if found is None:
            return default
        if interpolate:
            return self.interpolate(found.value, defaults)
        return found.value

    # -- interpolation -------------------------------------------------------
    def interpolate(self, value, defaults=None, _depth=0):
        """Expand ``$name``, ``${name}``, ``${group.name}`` and ``$$`` in ``value``.

        ``$name`` is looked up in ``[DEFAULT]`` then in ``defaults`` (a dict of option
        defaults, e.g. ``{'state_path': '/var/lib/cinder'}``); unknown names stay as they are.
        """
        if value is None or '$' not in value:
            return value
        defaults = defaults or {}

        def repl(match):
            if match.group('escaped'):
                return '$'
            name = match.group('named') or match.group('braced')
            group = DEFAULT
            if match.group('braced') and '.' in name:
                group, name = name.split('.', 1)
            found = self.get(group, name)
            if found is None:
                found = defaults.get(name)
            if found is None:
                return match.group(0)
            if _depth >= 10:
                return found
            return self.interpolate(found, defaults, _depth + 1)

        return _TEMPLATE_RE.sub(repl, value)


def parse_file(path):
    """Read one file into an :class:`OsloIni` (raises ``ParseError``/``OSError``)."""
    return OsloIni().read(path)


def parse_string(text, filename='<string>'):
    """Read ``text`` into an :class:`OsloIni` (raises ``ParseError``)."""
    return OsloIni().read_string(text, filename)


def split_list(value):
    """oslo ``ListOpt`` parsing: comma separated, whitespace stripped, empty items dropped."""
    if value is None:
        return []
    return [item.strip() for item in value.split(',') if item.strip()]


# --------------------------------------------------------------------------
# Cinder
# --------------------------------------------------------------------------
CINDER_STATE_PATH_DEFAULT = '/var/lib/cinder'
CINDER_VOLUME_DEFAULTS = {
    'volume_driver': 'cinder.volume.drivers.lvm.LVMVolumeDriver',
    'volume_backend_name': None,
    'target_helper': 'tgtadm',
    'target_protocol': 'iscsi',
    'target_ip_address': '$my_ip',
    'target_secondary_ip_addresses': None,
    'target_port': '3260',
    'target_prefix': 'iqn.2010-10.org.openstack:',
    'volumes_dir': '$state_path/volumes',
    'volume_group': 'cinder-volumes',
}
"""Defaults of the backend options we report (``cinder/volume/driver.py``,
``cinder/volume/drivers/lvm.py``)."""

CINDER_DEPRECATED_NAMES = {
    'iscsi_helper': 'target_helper',
    'iscsi_ip_address': 'target_ip_address',
    'iscsi_port': 'target_port',
    'iscsi_target_prefix': 'target_prefix',
    'iscsi_protocol': 'target_protocol',
}
"""Names renamed in Queens (cinder 12) and removed in Stein (cinder 14): ignored since."""

CINDER_BACKEND_ONLY_OPTIONS = tuple(CINDER_VOLUME_DEFAULTS) + (
    'lvm_type', 'lvm_mirrors', 'volume_clear', 'volume_clear_size', 'iscsi_write_cache',
)
"""Backend options (``volume_opts`` of ``cinder/volume/driver.py`` and
``cinder/volume/drivers/lvm.py``, registered in the ``backend_defaults`` group): with
``enabled_backends`` set, cinder reads them from ``[<backend>]`` then ``[backend_defaults]``
(``cinder/volume/configuration.py``, ``SHARED_CONF_GROUP``), never from ``[DEFAULT]``."""

IGNORED_IN_DEFAULT_REASON = (
    'with enabled_backends set, cinder reads backend options from the backend section, then'
    ' [backend_defaults], never [DEFAULT] (cinder/volume/configuration.py)')

LVM_DRIVER_RE = re.compile(r'(^|\.)drivers\.lvm\.')


def _where(entry):
    if entry is None:
        return None
    return entry.where()


def cinder_backends(conf):
    """Resolve what cinder-volume sees for every enabled backend.

    ``conf`` is an :class:`OsloIni` of ``cinder.conf``. With ``enabled_backends`` set
    (comma list in ``[DEFAULT]``) each backend option is read from ``[<backend>]``, then
    ``[backend_defaults]``, then the code default; ``[DEFAULT]`` is never consulted for
    them (values found there are listed under ``ignored_options``). Without
    ``enabled_backends`` the single legacy backend reads ``[DEFAULT]`` only, and its
    name is ``DEFAULT``.

    Returns ``{enabled_backends, legacy, state_path, state_path_source, backends,
    deprecated_options}``; each backend is ``{section, section_present, volume_driver,
    volume_backend_name, is_lvm, target_helper, target_helper_source, target_protocol,
    target_ip_address, target_port, target_prefix, volumes_dir, volume_group,
    iscsi_helper, ignored_options, sources}``, ``sources`` mapping every option to
    ``{source, section, file, line}`` (source: ``backend``, ``backend_defaults``,
    ``DEFAULT`` or ``default``).
    """
    state_entry = conf.entry(DEFAULT, 'state_path')
    state_path = conf.interpolate(state_entry.value) if state_entry else CINDER_STATE_PATH_DEFAULT
    defaults = {'state_path': state_path}
    enabled_entry = conf.entry(DEFAULT, 'enabled_backends')
    enabled = split_list(enabled_entry.value if enabled_entry else None)
    legacy = not enabled

    deprecated = []
    for section in conf.sections():
        for old, new in sorted(CINDER_DEPRECATED_NAMES.items()):
            for entry in conf.entries(section, old):
                deprecated.append({
                    'name': old, 'option': old, 'replacement': new, 'section': section,
                    'file': entry.file, 'line': entry.line, 'value': entry.value,
                    'ignored': True,
                    'note': 'renamed in Queens (cinder 12), ignored since Stein (cinder 14)',
                })

    backends = {}
    names = [DEFAULT] if legacy else enabled
    for name in names:
        section = DEFAULT if legacy else normalize_section(name)
        if legacy:
            chain = [('DEFAULT', DEFAULT)]
        else:
            chain = [('backend', section), ('backend_defaults', 'backend_defaults')]
        info = {'section': section, 'section_present': conf.has_section(section)}
        sources = {}
        for opt, code_default in CINDER_VOLUME_DEFAULTS.items():
            value, src = None, None
            for label, sect in chain:
                entry = conf.entry(sect, opt)
                if entry is not None:
                    value = conf.interpolate(entry.value, defaults)
                    src = dict(entry.where(), source=label)
                    break
            if src is None:
                value = conf.interpolate(code_default, defaults) if code_default else code_default
                src = {'source': 'default', 'section': None, 'file': None, 'line': None}
            info[opt] = value
            sources[opt] = src
        info['sources'] = sources
        info['target_helper_source'] = sources['target_helper']['source']
        info['is_lvm'] = bool(info['volume_driver'] and LVM_DRIVER_RE.search(info['volume_driver']))
        helper = None
        for label, sect in chain + ([] if legacy else [('DEFAULT', DEFAULT)]):
            entry = conf.entry(sect, 'iscsi_helper')
            if entry is not None:
                helper = dict(entry.where(), value=entry.value, ignored=True)
                break
        info['iscsi_helper'] = helper
        ignored = []
        if not legacy:
            for opt in CINDER_BACKEND_ONLY_OPTIONS:
                entry = conf.entry(DEFAULT, opt)
                if entry is not None:
                    used = sources.get(opt) or {}
                    ignored.append(dict(entry.where(), option=opt, value=entry.value,
                                        effective=info.get(opt), effective_source=used.get('source'),
                                        reason=IGNORED_IN_DEFAULT_REASON))
        info['ignored_options'] = ignored
        backends[name] = info

    return {
        'enabled_backends': enabled,
        'legacy': legacy,
        'state_path': state_path,
        'state_path_source': _where(state_entry),
        'backends': backends,
        'deprecated_options': deprecated,
    }
