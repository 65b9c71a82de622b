# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Do a service's credentials work? A MySQL/MariaDB login and a keystone token, from the node.

Standard library only (the nodes carry no database driver). :func:`mysql_login` speaks the
client/server protocol's connection phase (MariaDB/MySQL docs "Connection Phase": Initial
Handshake v10, HandshakeResponse41 with CLIENT_CONNECT_WITH_DB, mysql_native_password's
SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))), auth switch, OK/ERR packets) and quits;
:func:`keystone_token` does ``POST /v3/auth/tokens`` (password method, project scope) as
keystoneauth's password plugin does. Both are bounded by one timeout and return results that
never hold the password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import socket
import struct
import time

try:
    from urllib.parse import unquote, urlsplit
    from urllib.request import Request
    from urllib.error import HTTPError, URLError
except ImportError:  # pragma: no cover
    pass

from ansible.module_utils.urls import open_url
from ansible_collections.stackdoctor.openstack.plugins.module_utils.amqp_probe import tcp_error_kind

CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000
# server error codes (MariaDB/MySQL error reference)
ERRORS = {1045: 'access_denied', 1044: 'db_access_denied', 1049: 'unknown_database',
          1130: 'host_not_allowed', 1129: 'host_blocked', 1040: 'too_many_connections'}


class URLParseError(ValueError):
    """A database connection URL this probe cannot use."""


def parse_db_url(url):
    """SQLAlchemy URL ``dialect[+driver]://user:password@host[:port]/database[?query]``.

    Returns ``{dialect, driver, username, password, host, port, database, query}``; raises
    URLParseError (without the password) when malformed.
    """
    url = (url or '').strip()
    if '://' not in url:
        raise URLParseError('no dialect:// prefix')
    scheme, rest = url.split('://', 1)
    dialect, _p, driver = scheme.partition('+')
    if dialect == 'sqlite':
        return {'dialect': 'sqlite', 'driver': driver or None, 'username': None, 'password': None,
                'host': None, 'port': None, 'database': rest, 'query': ''}
    netloc, _s, path = rest.partition('/')
    database, _q, query = path.partition('?')
    creds, at, hostport = netloc.rpartition('@')
    username = password = None
    if at:
        user, colon, pw = creds.partition(':')
        username, password = unquote(user), (unquote(pw) if colon else None)
    host, port = hostport, None
    if hostport.startswith('['):
        host, _b, tail = hostport[1:].partition(']')
        port = tail[1:] if tail.startswith(':') else None
    elif ':' in hostport:
        host, port = hostport.rsplit(':', 1)
    if not host:
        raise URLParseError('no host')
    if port:
        if not port.isdigit():
            raise URLParseError('port %r is not a number' % port)
        port = int(port)
    else:
        port = {'mysql': 3306, 'mariadb': 3306, 'postgresql': 5432}.get(dialect)
    return {'dialect': dialect, 'driver': driver or None, 'username': username, 'password': password,
            'host': host, 'port': port, 'database': unquote(database) or None, 'query': query}


def mask_db_url(p):
    cred = ''
    if p.get('username') is not None:
        cred = p['username'] + (':***' if p.get('password') is not None else '') + '@'
    if p.get('dialect') == 'sqlite':
        return 'sqlite://%s' % p.get('database')
    return '%s%s://%s%s:%s/%s' % (p['dialect'], '+' + p['driver'] if p.get('driver') else '', cred,
                                  p.get('host'), p.get('port'), p.get('database') or '')


def _native_password(password, scramble):
    if not password:
        return b''
    h1 = hashlib.sha1(password.encode('utf-8')).digest()
    h2 = hashlib.sha1(h1).digest()
    h3 = hashlib.sha1(scramble + h2).digest()
    return bytes(a ^ b for a, b in zip(h1, h3))


class _Packets:
    def __init__(self, sock, deadline):
        self.sock, self.deadline, self.buf, self.seq = sock, deadline, b'', 0

    def _need(self, n):
        while len(self.buf) < n:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout('timed out')
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError('the server closed the connection')
            self.buf += chunk

    def read(self):
        self._need(4)
        length = self.buf[0] | (self.buf[1] << 8) | (self.buf[2] << 16)
        self.seq = (self.buf[3] + 1) & 0xff
        self._need(4 + length)
        payload, self.buf = self.buf[4:4 + length], self.buf[4 + length:]
        return payload

    def write(self, payload):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout('timed out')
        self.sock.settimeout(left)
        self.sock.sendall(struct.pack('<I', len(payload))[:3] + bytes([self.seq]) + payload)
        self.seq = (self.seq + 1) & 0xff


def _err(payload):
    code = struct.unpack_from('<H', payload, 1)[0]
    msg = payload[3:]
    if msg[:1] == b'#':
        msg = msg[6:]
    return code, msg.decode('utf-8', 'replace')


def mysql_login(host, port, username, password, database=None, timeout=5.0, connect=None):
    """Log in (and select ``database``) then quit; never raises, never returns the password.

    ``{host, port, username, database, tcp, login (ok|refused|db_refused|unknown_database|
    error|unsupported_auth|protocol_error|timeout|closed|not_tried), error_code, error_text,
    server_version, auth_plugin, detail, elapsed_ms}``.
    """
    t0 = time.monotonic()
    deadline = t0 + float(timeout)
    out = {'host': host, 'port': port, 'username': username, 'database': database, 'tcp': None,
           'login': 'not_tried', 'error_code': None, 'error_text': None, 'server_version': None,
           'auth_plugin': None, 'detail': None}
    sock = None
    try:
        try:
            sock = (connect or socket.create_connection)((host, port), float(timeout))
        except (OSError, socket.error) as exc:
            out['tcp'] = tcp_error_kind(exc)
            out['detail'] = '%s: %s' % (type(exc).__name__, exc)
            return out
        out['tcp'] = 'ok'
        pk = _Packets(sock, deadline)
        hello = pk.read()
        if hello[:1] == b'\xff':
            out['error_code'], out['error_text'] = _err(hello)
            out['login'] = ERRORS.get(out['error_code'], 'error')
            return out
        if hello[:1] != b'\x0a':
            raise ValueError('not a MySQL/MariaDB handshake (protocol byte %r)' % hello[:1])
        end = hello.index(b'\x00', 1)
        out['server_version'] = hello[1:end].decode('utf-8', 'replace')
        pos = end + 1 + 4
        scramble = hello[pos:pos + 8]
        pos += 8 + 1
        caps = struct.unpack_from('<H', hello, pos)[0]
        pos += 2 + 1 + 2
        caps |= struct.unpack_from('<H', hello, pos)[0] << 16
        pos += 2
        auth_len = hello[pos]
        pos += 1 + 10
        if caps & CLIENT_SECURE_CONNECTION:
            n = max(13, auth_len - 8)
            scramble += hello[pos:pos + n].rstrip(b'\x00')
            pos += n
        plugin = 'mysql_native_password'
        if caps & CLIENT_PLUGIN_AUTH and pos < len(hello):
            plugin = hello[pos:].split(b'\x00', 1)[0].decode('ascii', 'replace') or plugin
        out['auth_plugin'] = plugin
        flags = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH
        if database:
            flags |= CLIENT_CONNECT_WITH_DB
        auth = _native_password(password, scramble[:20]) if plugin == 'mysql_native_password' else b''
        body = struct.pack('<IIB', flags, 1 << 24, 45) + b'\x00' * 23
        body += (username or '').encode('utf-8') + b'\x00' + bytes([len(auth)]) + auth
        if database:
            body += database.encode('utf-8') + b'\x00'
        body += b'mysql_native_password\x00'
        pk.write(body)
        reply = pk.read()
        if reply[:1] == b'\xfe':  # auth switch request
            name, _z, data = reply[1:].partition(b'\x00')
            out['auth_plugin'] = name.decode('ascii', 'replace')
            if out['auth_plugin'] != 'mysql_native_password':
                out['login'] = 'unsupported_auth'
                out['detail'] = 'the server asks for auth plugin %s, which this probe does not speak' % out['auth_plugin']
                return out
            pk.write(_native_password(password, data.rstrip(b'\x00')[:20]))
            reply = pk.read()
        if reply[:1] == b'\x00':
            out['login'] = 'ok'
            pk.seq = 0
            try:
                pk.write(b'\x01')  # COM_QUIT
            except Exception:  # pylint: disable=broad-except
                pass
            return out
        if reply[:1] == b'\xff':
            out['error_code'], out['error_text'] = _err(reply)
            out['login'] = ERRORS.get(out['error_code'], 'error')
            return out
        raise ValueError('unexpected reply %r' % reply[:1])
    except socket.timeout:
        out['login'] = 'timeout'
        out['detail'] = 'no answer within %ss' % timeout
        return out
    except EOFError as exc:
        out['login'] = 'closed'
        out['detail'] = str(exc)
        return out
    except (ValueError, IndexError, struct.error) as exc:
        out['login'] = 'protocol_error'
        out['detail'] = '%s: %s' % (type(exc).__name__, exc)
        return out
    except (OSError, socket.error) as exc:
        out['login'] = 'closed'
        out['detail'] = '%s: %s' % (type(exc).__name__, exc)
        return out
    finally:
        out['elapsed_ms'] = int((time.monotonic() - t0) * 1000)
        if sock is not None:
            try:
                sock.close()
            except Exception:  # pylint: disable=broad-except
                pass


def tokens_url(auth_url):
    """``<auth_url>/v3/auth/tokens`` (``/v3`` added when the URL names no version)."""
    base = (auth_url or '').rstrip('/')
    if not base.endswith('/v3'):
        base += '/v3'
    return base + '/auth/tokens'


def keystone_token(auth_url, username, password, project_name, user_domain='Default', project_domain='Default',
                   timeout=5.0, cafile=None, insecure=False, opener=None):
    """``POST /v3/auth/tokens`` with the password method, scoped to the project; never raises.

    ``{url, username, project, status (HTTP code or None), token (ok|refused|error|unreachable|
    timeout), detail, elapsed_ms}``; neither the password nor the token leaves this function.
    """
    t0 = time.monotonic()
    url = tokens_url(auth_url)
    out = {'url': url, 'username': username, 'project': project_name, 'status': None, 'token': None,
           'detail': None}
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': username, 'password': password or '', 'domain': {'name': user_domain or 'Default'}}}},
        'scope': {'project': {'name': project_name, 'domain': {'name': project_domain or 'Default'}}}}}
    req = Request(url, data=json.dumps(body).encode('utf-8'),
                  headers={'Content-Type': 'application/json', 'Accept': 'application/json'}, method='POST')

    def default_opener(request, timeout=None):
        # ansible's open_url (TLS verification and CA file as the node's Python does them)
        return open_url(request.full_url, data=request.data, headers=dict(request.header_items()),
                        method=request.get_method(), timeout=timeout, validate_certs=not insecure,
                        ca_path=cafile, follow_redirects='none')
    try:
        resp = (opener or default_opener)(req, timeout=float(timeout))
        out['status'] = resp.getcode()
        out['token'] = 'ok' if out['status'] == 201 else 'error'
        resp.close()
    except HTTPError as exc:
        out['status'] = exc.code
        out['token'] = 'refused' if exc.code == 401 else 'error'
        try:
            detail = json.loads(exc.read().decode('utf-8', 'replace')).get('error', {}).get('message')
        except Exception:  # pylint: disable=broad-except
            detail = None
        out['detail'] = (detail or str(exc.reason))[:300]
    except (socket.timeout, TimeoutError) as exc:
        out['token'] = 'timeout'
        out['detail'] = str(exc)
    except URLError as exc:
        reason = exc.reason
        out['token'] = 'timeout' if isinstance(reason, socket.timeout) else 'unreachable'
        out['detail'] = '%s' % reason
    except (OSError, ValueError) as exc:
        out['token'] = 'unreachable'
        out['detail'] = '%s: %s' % (type(exc).__name__, exc)
    out['elapsed_ms'] = int((time.monotonic() - t0) * 1000)
    if password and out.get('detail'):
        out['detail'] = out['detail'].replace(password, '***')
    return out
