# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mask secrets in strings and nested data before they leave a node or reach a report.

Standard library only (also imported by controller-side plugins).

Masked, replaced by ``********``:

* dict values whose key looks secret: ``password``, ``passwd``, ``secret``, ``token``,
  ``key`` (but not ``keystone``), ``credential``, ``transport_url``, ``connection``;
* the ``user:password@`` part of any URL (``rabbit://``, ``mysql+pymysql://``, ``auth_url``
  with userinfo, ...): the password is masked, the user kept;
* tgt ``incominguser <user> <pass>`` / ``outgoinguser <user> <pass>``: the password;
* ``KEY=value`` / ``key = value`` / ``key: value`` / ``"key": "value"`` where the key
  looks secret (``OS_PASSWORD=...``, ``admin_password = ...``, ``rbd_secret_uuid=...``);
* ``--password value`` / ``--os-password=value`` style command-line flags.

Dict keys whose whole value is a URL-ish secret (``transport_url``, ``connection``) are
masked entirely, since they hold credentials in every realistic deployment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MASK = '********'

# A key name that holds a secret. ``key`` must not match ``keystone`` (keystone_authtoken
# is a section name, www_authenticate_uri etc. are fine).
SECRET_KEY_RE = re.compile(
    r'(pass(word|wd)?(?![a-z])|passwd|secret|token|key(?!stone)|credential|transport_url'
    r'|connection|auth_?key|private)',
    re.IGNORECASE)
# Keys that contain a secret word but are not secrets.
NOT_SECRET_KEYS = re.compile(
    r'^(keystone.*|key_manager|token_cache_time|.*_(file|path|dir|length|type|size|backend|'
    r'driver|cache_time|expiration|format|provider|algorithm)|passthrough.*|.*connection_(debug|'
    r'trace|recycle_time|parameters))$',
    re.IGNORECASE)

_URL_USERINFO_RE = re.compile(
    r'(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s\'"]*):(?P<pw>[^@\s\'"]*)@')
_TGT_USER_RE = re.compile(
    r'(?P<lead>\b(?:incominguser|outgoinguser)\s+\S+\s+)(?P<pw>\S+)', re.IGNORECASE)
_ASSIGN_RE = re.compile(
    r'(?P<key>["\']?[A-Za-z_][A-Za-z0-9_.\-]*["\']?)(?P<sep>\s*[=:]\s*)'
    r'(?:(?P<q>["\'])(?P<qvalue>[^"\']*)(?P=q)|(?P<value>[^\s,;&"\'}\])]+))',
)
_FLAG_RE = re.compile(
    r'(?P<flag>--(?:os-)?(?:password|passwd|secret|token|api-key|key)(?:[= ]))(?P<value>\S+)',
    re.IGNORECASE)


def is_secret_key(key):
    """True when a dict key / option name names a secret."""
    if not isinstance(key, str):
        return False
    bare = key.strip('"\' ')
    if NOT_SECRET_KEYS.match(bare):
        return False
    return bool(SECRET_KEY_RE.search(bare))


def _assign_repl(match):
    key = match.group('key')
    if not is_secret_key(key):
        return match.group(0)
    quote = match.group('q')
    value = match.group('qvalue') if quote else match.group('value')
    if not value or value == MASK:
        return match.group(0)
    if quote:
        return '%s%s%s%s%s' % (key, match.group('sep'), quote, MASK, quote)
    return '%s%s%s' % (key, match.group('sep'), MASK)


def mask_string(text):
    """Return ``text`` with every recognisable secret replaced by ``********``."""
    if not isinstance(text, str) or not text:
        return text
    out = _URL_USERINFO_RE.sub(lambda m: '%s%s:%s@' % (m.group('scheme'), m.group('user'), MASK),
                               text)
    out = _TGT_USER_RE.sub(lambda m: m.group('lead') + MASK, out)
    out = _FLAG_RE.sub(lambda m: m.group('flag') + MASK, out)
    out = _ASSIGN_RE.sub(_assign_repl, out)
    return out


def mask_data(data, _depth=0, _under_secret=False):
    """Mask a nested structure (dicts, lists, tuples, strings); returns a new object.

    A dict value under a secret-looking key is replaced by ``********`` entirely when it
    is a scalar (``None``, empty strings and booleans are kept, they reveal nothing); a
    list under such a key has its scalar items masked; dicts are masked recursively.
    """
    if _depth > 50:
        return MASK
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if is_secret_key(key) and not isinstance(value, (dict, list, tuple)):
                out[key] = _mask_scalar(value)
            else:
                out[key] = mask_data(value, _depth + 1, is_secret_key(key))
        return out
    if isinstance(data, (list, tuple)):
        return type(data)(mask_data(v, _depth + 1, _under_secret) for v in data)
    if _under_secret:
        return _mask_scalar(data)
    if isinstance(data, str):
        return mask_string(data)
    return data


def _mask_scalar(value):
    if value is None or value == '' or isinstance(value, bool):
        return value
    return MASK
