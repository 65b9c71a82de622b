# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mask secrets in strings and nested data before they leave a node or reach a report.

Standard library only (also imported by controller-side plugins).

Masked, replaced by ``********``:

* the value of a key (dict key, or ``key = value`` / ``key: value`` / ``KEY=value`` /
  ``"key": "value"`` in text) that names a secret. A key names a secret when one of its
  words (split at ``_``, ``-``, ``.`` and camelCase) is ``password``, ``passwd``, ``pass``,
  ``pwd``, ``passphrase``, ``secret``, ``token``, ``key``, ``credential(s)``, ``psk``,
  ``apikey``, or it is ``auth_key``-like; so ``admin_password``, ``OS_PASSWORD``,
  ``auth_token``, ``ssh_key``, ceph's ``key`` are masked. Words that merely contain one
  (``keystone``, ``tokenizer``, ``passwordless``, ``bypass``, ``monkey``) are not.
* Not masked, although they contain such a word: keys whose last word says they hold a
  name, a path or a setting about the secret rather than the secret
  (``key_file``, ``password_length``, ``token_cache_time``, ``*_provider``, ...), and
  **identifiers**: a last word ``uuid``, ``id``, ``name`` or ``ref``. In particular
  ``rbd_secret_uuid`` stays readable: it names a libvirt secret (``virsh secret-list``
  prints it to anyone who may read it), the secret's value is the cephx key (masked as
  ``key``), and a check comparing nova.conf, cinder.conf and libvirt needs to see it.
* the password of any URL, ``scheme://user:PASSWORD@host`` (oslo's ``transport_url``,
  ``[database] connection``, an ``auth_url`` with userinfo, multi-host
  ``rabbit://u:p1@h1,u:p2@h2/``): only the password, user, hosts and path stay readable.
  When the userinfo cannot be told apart cleanly (a password holding ``,`` or ``@``),
  everything from the first password to the last ``@`` is masked: over-masking, never a
  leak. ``transport_url`` and ``connection`` are therefore not secret *keys*: their URL
  password is what is secret (``connection: [Errno 111]`` in an error message is text).
* tgt ``incominguser <user> <pass>`` / ``outgoinguser <user> <pass>``: the password;
* ``--password value`` / ``--os-password=value`` style command-line flags.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MASK = '********'

# Words (of a key split into words) that make it name a secret.
SECRET_WORDS = frozenset((
    'password', 'passwd', 'pass', 'pwd', 'passphrase', 'secret', 'secrets', 'token', 'tokens',
    'key', 'keys', 'credential', 'credentials', 'psk', 'apikey', 'authkey', 'privatekey',
    'secretkey', 'accesskey',
))
# A key whose last word is one of these holds something about a secret, not the secret.
NOT_SECRET_LAST_WORDS = frozenset((
    'file', 'files', 'path', 'dir', 'length', 'type', 'size', 'backend', 'driver', 'time',
    'expiration', 'format', 'provider', 'algorithm', 'algorithms', 'manager', 'cache',
    'uuid', 'id', 'name', 'ref', 'url', 'uri', 'prefix', 'debug', 'trace', 'parameters',
    'recycle', 'enabled', 'required', 'policy', 'rotation', 'method', 'methods', 'mode',
    'count', 'timeout', 'interval', 'retries', 'ttl', 'limit',
))
# Keys holding URLs whose password is masked (the rest of the URL is kept).
URL_KEYS = frozenset(('transport_url', 'connection', 'slave_connection', 'sql_connection',
                      'backend_url', 'url'))

_WORD_SPLIT_RE = re.compile(r'[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])')
_SCHEME_RE = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*://')
# A URL in free text: scheme and everything up to whitespace, a quote or an angle bracket.
_URL_IN_TEXT_RE = re.compile(r'(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s\'"<>]*')
_TGT_USER_RE = re.compile(
    r'(?P<lead>\b(?:incominguser|outgoinguser)\s+\S+\s+)(?P<pw>\S+)', re.IGNORECASE)
_ASSIGN_RE = re.compile(
    r'(?<![A-Za-z0-9_.\-])(?P<key>["\']?[A-Za-z_][A-Za-z0-9_.\-]*["\']?)(?P<sep>\s*[=:]\s*)'
    r'(?:(?P<q>["\'])(?P<qvalue>[^"\']*)(?P=q)|(?P<value>[^\s,;&"\'}\])]+))',
)
_FLAG_RE = re.compile(
    r'(?P<flag>--(?:os-)?(?:password|passwd|secret|token|api-key|key)(?:[= ]))(?P<value>\S+)',
    re.IGNORECASE)


def key_words(key):
    """The words of a key: ``OS_PASSWORD`` -> [os, password], ``authToken`` -> [auth, token]."""
    return [w.lower() for w in _WORD_SPLIT_RE.split(key.strip('"\' ')) if w]


def is_secret_key(key):
    """True when a dict key / option name names a secret (see the module docstring)."""
    if not isinstance(key, str):
        return False
    words = key_words(key)
    if not words or words[-1] in NOT_SECRET_LAST_WORDS:
        return False
    if words[0] == 'keystone' or words == ['key', 'manager']:
        return False
    return any(w in SECRET_WORDS for w in words)


def is_url_key(key):
    """True when a key holds a URL whose password must be masked (``transport_url`` ...)."""
    if not isinstance(key, str):
        return False
    bare = key.strip('"\' ').lower()
    return bare in URL_KEYS or bare.endswith('_connection') or bare.endswith('transport_url')


def mask_url(url):
    """Mask the password(s) of ``scheme://user:pass@host[,user:pass@host...]/path``.

    Only the authority is touched. A URL without userinfo is returned as it is.
    """
    match = _SCHEME_RE.match(url)
    if not match:
        return url
    head, rest = url[:match.end()], url[match.end():]
    last_at = rest.rfind('@')
    if last_at < 0:
        return url
    # The authority ends at the first '/', '?' or '#' after the last '@'.
    end = len(rest)
    for sep in '/?#':
        pos = rest.find(sep, last_at)
        if 0 <= pos < end:
            end = pos
    authority, tail = rest[:end], rest[end:]
    userinfo, hosts = authority[:last_at], authority[last_at:]   # hosts starts with '@'
    if ':' not in userinfo:
        return url
    chunks = userinfo.split(',')
    clean = []
    for index, chunk in enumerate(chunks):
        # every chunk but the last is 'user:pass@host', the last is 'user:pass'
        cred, sep, host = chunk.rpartition('@') if index < len(chunks) - 1 else (chunk, '', '')
        if index < len(chunks) - 1 and not sep:
            clean = None
            break
        user, colon, password = cred.partition(':')
        if '@' in cred or '/' in user:
            clean = None
            break
        clean.append(user + (colon + MASK if colon and password and password != MASK else colon + password)
                     + sep + host)
    if clean is None:
        user = userinfo.split(':', 1)[0]
        return head + user + ':' + MASK + hosts + tail
    return head + ','.join(clean) + hosts + tail


def _mask_assignments(text):
    """Mask ``key = value`` where the key is secret; a non-secret key consumes only itself
    (so ``ceph: key = AQB...`` still finds ``key = AQB...``)."""
    out = []
    pos = 0
    while True:
        match = _ASSIGN_RE.search(text, pos)
        if not match:
            break
        key = match.group('key')
        if not is_secret_key(key):
            out.append(text[pos:match.end('key')])
            pos = match.end('key')
            continue
        quote = match.group('q')
        value = match.group('qvalue') if quote else match.group('value')
        out.append(text[pos:match.start()])
        if not value or value == MASK:
            out.append(match.group(0))
        elif quote:
            out.append('%s%s%s%s%s' % (key, match.group('sep'), quote, MASK, quote))
        else:
            out.append('%s%s%s' % (key, match.group('sep'), MASK))
        pos = match.end()
    out.append(text[pos:])
    return ''.join(out)


def mask_string(text):
    """Return ``text`` with every recognisable secret replaced by ``********``."""
    if not isinstance(text, str) or not text:
        return text
    out = _URL_IN_TEXT_RE.sub(lambda m: mask_url(m.group(0)), text)
    out = _TGT_USER_RE.sub(lambda m: m.group('lead') + MASK, out)
    out = _FLAG_RE.sub(lambda m: m.group('flag') + MASK, out)
    out = _mask_assignments(out)
    return out


def _mask_url_value(value):
    """A value under a URL key: its URL password masked; an '@' we cannot place masks all."""
    if not isinstance(value, str):
        return _mask_scalar(value)
    stripped = value.strip()
    if _SCHEME_RE.match(stripped):
        return mask_url(stripped) if stripped == value else mask_string(value)
    if '@' in value:
        return MASK
    return mask_string(value)


def mask_data(data, _depth=0, _under_secret=False):
    """Mask a nested structure (dicts, lists, tuples, strings); returns a new object.

    A dict value under a secret key is replaced by ``********`` entirely when it is a scalar
    (``None``, empty strings and booleans are kept, they reveal nothing); a list under such
    a key has its scalar items masked; dicts are masked recursively. A string under a URL
    key (``transport_url``, ``connection``) has its URL password masked.
    """
    if _depth > 50:
        return MASK
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            secret = is_secret_key(key)
            if secret and not isinstance(value, (dict, list, tuple)):
                out[key] = _mask_scalar(value)
            elif is_url_key(key) and not isinstance(value, (dict, list, tuple)):
                out[key] = _mask_url_value(value) if value not in (None, '') else value
            else:
                out[key] = mask_data(value, _depth + 1, secret)
        return out
    if isinstance(data, (list, tuple)):
        return type(data)(mask_data(v, _depth + 1, _under_secret) for v in data)
    if _under_secret:
        return _mask_scalar(data)
    if isinstance(data, str):
        return mask_string(data)
    return data


# The name results.py looks for first.
mask = mask_data


def _mask_scalar(value):
    if value is None or value == '' or isinstance(value, bool):
        return value
    return MASK
