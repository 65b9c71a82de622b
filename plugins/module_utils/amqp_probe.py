# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oslo.messaging transport URLs and a bounded AMQP 0-9-1 login, standard library only.

Runs on the managed node (Python 3.9+): the nodes' images carry no AMQP client library, and
what matters is whether *this node* reaches the broker. :func:`parse_transport_url` follows
oslo.messaging's ``TransportURL.parse`` (``oslo_messaging/transport.py``): ``driver://[user[:pass]@]
host[:port][,...]/[virtual_host][?query]``, user and password percent-decoded, an empty path
meaning the broker's default virtual host ``/``, port 5672 when absent (kombu's default, which
oslo.messaging's rabbit driver uses, ``impl_rabbit.py``). :func:`amqp_login` does what a client
does before it can publish: protocol header, ``Connection.Start``/``Start-Ok`` (PLAIN),
``Tune``/``Tune-Ok``, ``Open`` of the virtual host, then ``Close``: every step under one deadline.
Frames and methods are those of the AMQP 0-9-1 specification (amqp0-9-1.xml, class connection
= 10); RabbitMQ answers a refused login with ``Connection.Close`` 403 ACCESS_REFUSED when the
client announces the ``authentication_failure_close`` capability (rabbitmq.com/docs/auth-notification).
Passwords never leave this module: results carry ``url_masked`` only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import socket
import ssl
import struct
import time

try:  # Python 3
    from urllib.parse import unquote, urlsplit, parse_qs
except ImportError:  # pragma: no cover
    from urllib import unquote  # noqa
    from urlparse import urlsplit, parse_qs  # noqa

PROTOCOL_HEADER = b'AMQP\x00\x00\x09\x01'
FRAME_METHOD, FRAME_HEARTBEAT, FRAME_END = 1, 8, 0xCE
DEFAULT_PORTS = {'rabbit': 5672, 'amqp': 5672, 'kafka': 9092}
REPLY_CODES = {403: 'ACCESS_REFUSED', 530: 'NOT_ALLOWED', 501: 'FRAME_ERROR', 505: 'UNEXPECTED_FRAME',
               320: 'CONNECTION_FORCED', 402: 'INVALID_PATH', 541: 'INTERNAL_ERROR'}


class URLError(ValueError):
    """A transport_url oslo.messaging could not use."""


def parse_transport_url(url):
    """``{driver, hosts: [{host, port, username, password}], virtual_host, query}``.

    Raises URLError (message without the password) when the URL has no driver or no host.
    """
    url = (url or '').strip()
    if '://' not in url:
        raise URLError('no driver:// prefix')
    parts = urlsplit(url)
    driver = parts.scheme
    if not driver:
        raise URLError('no driver')
    # netloc may hold several comma-separated hosts (oslo.messaging's multi-host form)
    netloc = url.split('://', 1)[1].split('/', 1)[0].split('?', 1)[0]
    hosts = []
    for item in netloc.split(','):
        if not item:
            continue
        creds, sep, hostport = item.rpartition('@')
        username = password = None
        if sep:
            user, psep, pw = creds.partition(':')
            username = unquote(user)
            password = unquote(pw) if psep else None
        host, port = hostport, None
        if hostport.startswith('['):
            host, _b, rest = hostport[1:].partition(']')
            if rest.startswith(':'):
                port = rest[1:]
        elif hostport.count(':') == 1:
            host, port = hostport.split(':')
        if port not in (None, ''):
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise URLError('port %r of host %r is not a port number' % (port, host))
            port = int(port)
        else:
            port = DEFAULT_PORTS.get(driver.split('+')[0])
        if not host:
            raise URLError('a host entry has no host name')
        hosts.append({'host': host, 'port': port, 'username': username, 'password': password})
    if not hosts and driver not in ('fake',):
        raise URLError('no broker host')
    path = parts.path[1:] if parts.path.startswith('/') else parts.path
    return {'driver': driver, 'hosts': hosts,
            'virtual_host': unquote(path) if path else '/',
            'virtual_host_given': bool(path),
            'query': dict((k, v[-1]) for k, v in parse_qs(parts.query).items())}


def mask_url(parsed):
    """The URL with every password as ``***`` (for evidence)."""
    hosts = []
    for h in parsed.get('hosts') or []:
        cred = ''
        if h.get('username') is not None:
            cred = h['username'] + (':***' if h.get('password') is not None else '') + '@'
        host = '[%s]' % h['host'] if ':' in (h.get('host') or '') else h.get('host')
        hosts.append('%s%s%s' % (cred, host, ':%s' % h['port'] if h.get('port') else ''))
    vhost = parsed.get('virtual_host') if parsed.get('virtual_host_given') else ''
    return '%s://%s/%s' % (parsed.get('driver'), ','.join(hosts), vhost or '')


# --------------------------------------------------------------------------- wire format
def _shortstr(value):
    data = value.encode('utf-8')
    return struct.pack('>B', len(data)) + data


def _longstr(value):
    data = value if isinstance(value, bytes) else value.encode('utf-8')
    return struct.pack('>I', len(data)) + data


def _table(items):
    out = b''
    for key, value in items:
        out += _shortstr(key)
        if isinstance(value, bool):
            out += b't' + struct.pack('>B', 1 if value else 0)
        elif isinstance(value, list):
            out += b'F' + _table(value)
        else:
            out += b'S' + _longstr(str(value))
    return struct.pack('>I', len(out)) + out


def _method_frame(class_id, method_id, args=b''):
    payload = struct.pack('>HH', class_id, method_id) + args
    return struct.pack('>BHI', FRAME_METHOD, 0, len(payload)) + payload + bytes([FRAME_END])


def _read_table(data, pos):
    """Parse a field table at ``pos``; returns (dict, new pos). Unknown types end the parse."""
    (length,) = struct.unpack_from('>I', data, pos)
    pos += 4
    end = pos + length
    out = {}
    while pos < end:
        klen = data[pos]
        key = data[pos + 1:pos + 1 + klen].decode('utf-8', 'replace')
        pos += 1 + klen
        kind = chr(data[pos])
        pos += 1
        if kind == 'S':
            (n,) = struct.unpack_from('>I', data, pos)
            out[key] = data[pos + 4:pos + 4 + n].decode('utf-8', 'replace')
            pos += 4 + n
        elif kind == 't':
            out[key] = bool(data[pos])
            pos += 1
        elif kind == 'F':
            out[key], pos = _read_table(data, pos)
        elif kind in ('I', 'i'):
            out[key] = struct.unpack_from('>i' if kind == 'I' else '>I', data, pos)[0]
            pos += 4
        elif kind in ('l', 'L'):
            out[key] = struct.unpack_from('>q', data, pos)[0]
            pos += 8
        elif kind in ('b', 'B'):
            out[key] = data[pos]
            pos += 1
        elif kind in ('s', 'u'):
            out[key] = struct.unpack_from('>h', data, pos)[0]
            pos += 2
        elif kind == 'T':
            out[key] = struct.unpack_from('>Q', data, pos)[0]
            pos += 8
        elif kind == 'V':
            out[key] = None
        else:  # arrays, decimals, floats: not needed here, skip the rest of the table
            break
    return out, end


class _Conn:
    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buf = b''

    def _left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout('timed out')
        return left

    def send(self, data):
        self.sock.settimeout(self._left())
        self.sock.sendall(data)

    def _need(self, n):
        while len(self.buf) < n:
            self.sock.settimeout(self._left())
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError('the server closed the connection')
            self.buf += chunk

    def frame(self):
        """Next non-heartbeat frame: (type, payload)."""
        while True:
            self._need(7)
            if self.buf.startswith(b'AMQP'):
                self._need(8)
                raise ProtocolError('the server answered with protocol header %r: it does not speak AMQP 0-9-1'
                                    % self.buf[:8])
            ftype, _channel, size = struct.unpack_from('>BHI', self.buf, 0)
            if ftype not in (1, 2, 3, FRAME_HEARTBEAT) or size > 1 << 20:
                raise ProtocolError('not an AMQP frame (first bytes %r)' % self.buf[:12])
            self._need(7 + size + 1)
            payload = self.buf[7:7 + size]
            if self.buf[7 + size] != FRAME_END:
                raise ProtocolError('bad frame end')
            self.buf = self.buf[8 + size:]
            if ftype != FRAME_HEARTBEAT:
                return ftype, payload

    def method(self):
        ftype, payload = self.frame()
        if ftype != FRAME_METHOD or len(payload) < 4:
            raise ProtocolError('expected a method frame')
        class_id, method_id = struct.unpack_from('>HH', payload, 0)
        return class_id, method_id, payload[4:]


class ProtocolError(Exception):
    """The peer is not an AMQP 0-9-1 broker, or broke the protocol."""


def _close_reason(args):
    code = struct.unpack_from('>H', args, 0)[0]
    tlen = args[2]
    text = args[3:3 + tlen].decode('utf-8', 'replace')
    return code, text


def tcp_error_kind(exc):
    """``refused``, ``timeout``, ``unreachable``, ``dns`` or ``error`` for a connect failure."""
    if isinstance(exc, socket.gaierror):
        return 'dns'
    if isinstance(exc, socket.timeout):
        return 'timeout'
    code = getattr(exc, 'errno', None)
    if code == errno.ECONNREFUSED:
        return 'refused'
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN):
        return 'unreachable'
    if code == errno.ETIMEDOUT:
        return 'timeout'
    return 'error'


def tcp_connect(host, port, timeout=5.0, connect=None):
    """TCP reachability only (drivers other than rabbit): ``{host, port, tcp, amqp, detail, elapsed_ms}``."""
    t0 = time.monotonic()
    out = {'host': host, 'port': port, 'tcp': 'ok', 'amqp': 'not_applicable', 'detail': None}
    try:
        (connect or socket.create_connection)((host, port), float(timeout)).close()
    except (OSError, socket.error) as exc:
        out['tcp'] = tcp_error_kind(exc)
        out['detail'] = '%s: %s' % (type(exc).__name__, exc)
    out['elapsed_ms'] = int((time.monotonic() - t0) * 1000)
    return out


def amqp_login(host, port, username, password, virtual_host='/', timeout=5.0, use_ssl=False,
               ssl_ca_file=None, connect=None):
    """TCP connect, then log in and open ``virtual_host``; never raises.

    Returns ``{host, port, virtual_host, username, tcp (ok|refused|timeout|unreachable|dns|error),
    amqp (ok|refused|vhost_refused|protocol_error|timeout|closed|not_tried), reply_code,
    reply_text, server {product, version, cluster_name}, detail, elapsed_ms}``; no password.
    ``connect`` (tests) replaces ``socket.create_connection``.
    """
    t0 = time.monotonic()
    deadline = t0 + float(timeout)
    out = {'host': host, 'port': port, 'virtual_host': virtual_host, 'username': username,
           'tcp': None, 'amqp': 'not_tried', 'reply_code': None, 'reply_text': None,
           'server': {}, 'detail': None, 'tls': bool(use_ssl)}
    connect = connect or socket.create_connection
    sock = None
    try:
        try:
            sock = connect((host, port), float(timeout))
        except (OSError, socket.error) as exc:
            out['tcp'] = tcp_error_kind(exc)
            out['detail'] = '%s: %s' % (type(exc).__name__, exc)
            return out
        out['tcp'] = 'ok'
        if use_ssl:
            ctx = ssl.create_default_context(cafile=ssl_ca_file) if ssl_ca_file else ssl._create_unverified_context()
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            sock = ctx.wrap_socket(sock, server_hostname=host)
        conn = _Conn(sock, deadline)
        conn.send(PROTOCOL_HEADER)
        cid, mid, args = conn.method()
        if (cid, mid) != (10, 10):
            raise ProtocolError('expected Connection.Start, got method %s.%s' % (cid, mid))
        props, _pos = _read_table(args, 2)
        out['server'] = dict((k, props.get(k)) for k in ('product', 'version', 'cluster_name') if props.get(k))
        client = [('product', 'stackdoctor check_messaging'), ('platform', 'Python'),
                  ('capabilities', [('authentication_failure_close', True)])]
        response = b'\x00' + (username or '').encode('utf-8') + b'\x00' + (password or '').encode('utf-8')
        conn.send(_method_frame(10, 11, _table(client) + _shortstr('PLAIN') + _longstr(response) + _shortstr('en_US')))
        cid, mid, args = conn.method()
        if (cid, mid) == (10, 50):
            out['reply_code'], out['reply_text'] = _close_reason(args)
            out['amqp'] = 'refused'
            conn.send(_method_frame(10, 51))
            return out
        if (cid, mid) != (10, 30):
            raise ProtocolError('expected Connection.Tune, got method %s.%s' % (cid, mid))
        channel_max, frame_max, _heartbeat = struct.unpack_from('>HIH', args, 0)
        conn.send(_method_frame(10, 31, struct.pack('>HIH', channel_max, frame_max, 0)))
        conn.send(_method_frame(10, 40, _shortstr(virtual_host) + _shortstr('') + b'\x00'))
        cid, mid, args = conn.method()
        if (cid, mid) == (10, 50):
            out['reply_code'], out['reply_text'] = _close_reason(args)
            out['amqp'] = 'vhost_refused'
            conn.send(_method_frame(10, 51))
            return out
        if (cid, mid) != (10, 41):
            raise ProtocolError('expected Connection.Open-Ok, got method %s.%s' % (cid, mid))
        out['amqp'] = 'ok'
        conn.send(_method_frame(10, 50, struct.pack('>H', 200) + _shortstr('stackdoctor probe done')
                                + struct.pack('>HH', 0, 0)))
        try:
            conn.method()  # Close-Ok; not waiting for it is harmless
        except Exception:  # pylint: disable=broad-except
            pass
        return out
    except socket.timeout:
        out['amqp'] = 'timeout'
        out['detail'] = 'no answer within %ss' % timeout
        return out
    except EOFError as exc:
        out['amqp'] = 'closed'
        out['detail'] = str(exc)
        return out
    except ProtocolError as exc:
        out['amqp'] = 'protocol_error'
        out['detail'] = str(exc)
        return out
    except (OSError, socket.error, ssl.SSLError, struct.error, IndexError, ValueError) as exc:
        out['amqp'] = 'protocol_error' if isinstance(exc, (struct.error, IndexError, ValueError)) else 'closed'
        out['detail'] = '%s: %s' % (type(exc).__name__, exc)
        return out
    finally:
        out['elapsed_ms'] = int((time.monotonic() - t0) * 1000)
        if sock is not None:
            try:
                sock.close()
            except Exception:  # pylint: disable=broad-except
                pass
