# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Placement allocation audit and cleanup, API only (no database).

Everything here talks to an ``Api`` object whose ``call(service, method, path, microversion,
body=None)`` returns ``(status_code, json_or_None)``; the module wires it to openstacksdk
(``conn.placement`` / ``conn.compute``), the unit tests to recorded responses. No openstacksdk
import here, so the logic is testable without a cloud.

Algorithm (nova-manage placement audit, nova/cmd/manage.py, done through the APIs only):

1. ``GET /resource_providers`` (placement 1.28): every provider with its root.
2. ``GET /resource_providers/{rp}/allocations`` (1.28, gives ``consumer_generation``) for every
   provider in scope (roots and their children), ``concurrency`` at a time. The nova listing of
   step 3 runs in one more thread at the same time.
3. Nova listing, by ``server_listing``:

   - ``hypervisors`` (default): ONE ``GET /os-hypervisors/detail?with_servers=true`` (compute
     2.53, paged): compute node uuid = root provider uuid, its service host, hypervisor_hostname
     and the uuids of the servers nova lists for it. Nova fills ``servers`` per HOST
     (``InstanceList.get_by_host``), not per node, so the listing is positive evidence only on a
     host with exactly one node. Hosts with several nodes (ironic) in scope get
     ``GET /servers/detail?all_tenants=1&host=<host>`` (2.69, paged), which carries each
     server's node. The listing is used ONLY as positive evidence ("this consumer is a server on
     this root"); it never makes a consumer moved, skipped or an orphan.
   - ``servers``: ``GET /os-hypervisors/detail`` plus ``GET /servers/detail?all_tenants=1``
     (2.69, paged by marker): id -> host, node, status, task_state, used to classify. A partial
     record (no ``flavor``/host, status UNKNOWN) means a cell is down: abort.
4. ``GET /os-migrations`` (2.59, paged), AFTER the allocation reads have finished, so every
   migration uuid holding an allocation that was read is already listed: migrations not in a
   final state are in progress.
5. Per (root, consumer): a migration uuid or the instance of an in-progress migration ->
   skipped; listed on that root -> fine; otherwise (``hypervisors``: every consumer without
   positive evidence; ``servers``: every consumer not in the listing) a suspect, read with
   ``GET /servers/{id}``: 404 -> orphan; 200 -> classified from its own record (on this root:
   fine; BUILD without host: skipped; task_state or a transitional status: skipped; no host:
   skipped; on another node: ``moved``, only this root's part is leftover). A partial (cell
   down) record, any 5xx or a connection failure from nova aborts the run before any delete.
6. Removal (``state=absent``): ``GET /allocations/{c}`` then ``PUT /allocations/{c}`` at 1.28
   with ``consumer_generation`` (empty allocations for an orphan; the allocations minus the
   source providers for a moved server). On 409 re-read and re-classify once, never force.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import threading
import time
try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover  (python 2)
    from urllib import quote
from concurrent.futures import ThreadPoolExecutor

PLACEMENT_MV = '1.28'          # consumer_generation in reads, generation-checked PUT
COMPUTE_SERVERS_MV = '2.69'    # cell-down partial records instead of silent omission
COMPUTE_MIGRATIONS_MV = '2.59'  # migration uuid, paging
COMPUTE_HYPERVISORS_MV = '2.53'  # hypervisor id = compute node uuid = provider uuid
PAGE = 1000
CONSUMERS_MODE_MAX = 100       # up to this many named consumers: read their own records
SCOPED_ROOTS_MAX = 50          # up to this many named root trees: nova read per root
UUID_RX = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')
AUTO_BUDGET_BASE = 50          # automatic request budget: this, plus what the work needs (Api.grow)
SERVER_LISTINGS = ('hypervisors', 'hypervisors_per_root', 'servers')

FINAL_MIGRATION_STATES = frozenset(
    ('completed', 'error', 'failed', 'done', 'cancelled', 'confirmed', 'reverted'))
# Reasons a consumer is skipped (module RETURN ``skipped[].reason``): build_request, migration,
# in_progress, no_host, custom_rc_only, cap_reached, conflict, gone, no_allocation_on_current_host,
# changed_since_audit, not_audited, sharing_provider.

LOG_PATTERNS = (
    ('not_found', re.compile(
        r'Instance ([0-9a-f-]{36}) has allocations against this compute host but is not found '
        r'in the database')),
    ('not_managed', re.compile(
        r'Instance ([0-9a-f-]{36}) is not being actively managed by this compute host but has '
        r'allocations referencing this compute host')),
    ('moved', re.compile(
        r'Instance ([0-9a-f-]{36}) has been moved to another host (\S+)\((\S+)\)\. There are '
        r'allocations remaining against the source host')),
    ('audit', re.compile(
        r'Allocations were set against consumer UUID ([0-9a-f-]{36}) but no existing instances '
        r'or active migrations are related')),
)


class Abort(Exception):
    """Stop before deleting anything; ``reason`` is a short keyword."""

    def __init__(self, reason, message):
        super(Abort, self).__init__(message)
        self.reason = reason
        self.message = message


class Api(object):
    """Counts calls, enforces the request budget and the deadline, turns transport errors into
    statuses.

    ``transport(service, method, path, microversion, body)`` returns ``(status, json)`` or
    raises; an exception is reported as status 0 (no answer: refused, timed out, DNS).
    ``budget``: most calls (None: no limit); ``grow(n)`` raises it as the work becomes known
    when ``auto_budget`` is set. ``deadline``: seconds for the whole run; a call that would
    start after it aborts (``deadline``), and ``timeout()`` is the per-call timeout a transport
    should use: ``api_timeout`` or what is left of the deadline, whichever is shorter.
    """

    def __init__(self, transport, budget=None, deadline=None, api_timeout=None, clock=None):
        self.transport = transport
        self.budget = budget
        self.auto_budget = False
        self.deadline = deadline
        self.api_timeout = api_timeout
        self.clock = clock or time.time
        self.started = self.clock()
        self.calls = 0
        self.by_kind = {}
        self.seconds_by_kind = {}
        self._lock = threading.Lock()

    def grow(self, n):
        """Automatic budget: allow ``n`` more calls (the work just became known)."""
        if self.auto_budget and self.budget is not None:
            with self._lock:
                self.budget += int(n)

    def remaining(self):
        if self.deadline is None:
            return None
        return self.deadline - (self.clock() - self.started)

    def timeout(self):
        """Seconds the next call may take (None: no bound)."""
        left = self.remaining()
        if left is None:
            return self.api_timeout
        left = max(0.5, left)
        return min(self.api_timeout, left) if self.api_timeout else left

    def call(self, service, method, path, microversion, body=None, kind=None):
        k = kind or '%s %s' % (service, method)
        with self._lock:
            if self.budget is not None and self.calls >= self.budget:
                raise Abort('request_budget', 'request budget of %d API calls exhausted before %s %s %s'
                            % (self.budget, service, method, path.split('?')[0]))
            left = self.remaining()
            if left is not None and left <= 0:
                raise Abort('deadline', 'deadline of %s s reached before %s %s %s (%d API calls made)'
                            % (self.deadline, service, method, path.split('?')[0], self.calls))
            self.calls += 1
            self.by_kind[k] = self.by_kind.get(k, 0) + 1
        t0 = self.clock()
        try:
            return self.transport(service, method, path, microversion, body)
        except Abort:
            raise
        except Exception as e:  # connection refused, timeout, DNS: the service did not answer
            err = '%s: %s' % (type(e).__name__, e)
            if 'timeout' in type(e).__name__.lower() or 'timed out' in str(e).lower():
                err = 'no answer within %s s (%s)' % (_num(self.timeout()), err)
            return 0, {'error': err}
        finally:
            dt = self.clock() - t0
            with self._lock:
                self.seconds_by_kind[k] = self.seconds_by_kind.get(k, 0.0) + dt


def _num(x):
    return ('%g' % x) if isinstance(x, (int, float)) else str(x)


def adapter_request(proxy):
    """The keystoneauth ``Adapter.request`` of an openstacksdk proxy, bound to it.

    openstacksdk's ``Proxy.request`` adds response caching and metrics (unused here) and, in
    openstacksdk 4.x, calls its own deprecated ``_extract_name(url, service_type)`` for every new
    URL (``RemovedInSDK50Warning``, openstack/proxy.py ``_get_cache_key_prefix``). The adapter
    below it is the documented keystoneauth API (session, auth, endpoint, microversion headers,
    timeout). Falls back to ``proxy.request`` for anything that is no keystoneauth adapter."""
    for klass in type(proxy).__mro__:
        if klass.__module__ == 'keystoneauth1.adapter' and 'request' in vars(klass):
            fn = vars(klass)['request']
            return lambda url, method, **kw: fn(proxy, url, method, raise_exc=False, **kw)
    return proxy.request


def sdk_transport(conn, api):
    """A transport over an openstacksdk connection (``conn.placement`` / ``conn.compute``
    proxies, i.e. keystoneauth adapters): every request gets ``timeout=api.timeout()``."""
    requests_by_service = {}

    def transport(service, method, path, microversion, body):
        request = requests_by_service.get(service)
        if request is None:
            request = requests_by_service[service] = adapter_request(
                conn.placement if service == 'placement' else conn.compute)
        kw = {'microversion': microversion}
        if body is not None:
            kw['json'] = body
        t = api.timeout()
        if t:
            kw['timeout'] = t
        resp = request(path, method, **kw)
        try:
            data = resp.json() if resp.content else None
        except ValueError:
            data = None
        return resp.status_code, data
    return transport


def _fail_service(service, status, path, body):
    """Abort: what did not answer, first and short (the check's summary is cut at 300 chars),
    then the detail."""
    what = 'did not answer' if status == 0 else 'answered HTTP %s' % status
    detail = ''
    if isinstance(body, dict) and body.get('error'):
        err = str(body['error'])
        m = re.match(r'^no answer within (\S+) s \((.*)\)$', err, re.S)
        if m:
            what = 'did not answer within %s s' % m.group(1)
            err = m.group(2)
        detail = ' (%s)' % err[:300]
    reason = 'nova_unavailable' if service == 'compute' else 'placement_unavailable'
    return Abort(reason, '%s %s for %s; nothing was deleted%s' % (
        'nova-api' if service == 'compute' else 'placement', what, path.split('?')[0], detail))


NOTHING_DELETED = '; nothing was deleted'


def _get_ok(api, service, path, mv, kind):
    status, body = api.call(service, 'GET', path, mv, kind=kind)
    if status != 200 or not isinstance(body, dict):
        raise _fail_service(service, status, path, body)
    return body


def _paged(api, path, key, mv, kind, marker_key='id'):
    """Nova marker paging: yields items until a page is short and has no next link."""
    marker = None
    while True:
        sep = '&' if '?' in path else '?'
        url = '%s%slimit=%d' % (path, sep, PAGE) + ('&marker=%s' % marker if marker else '')
        body = _get_ok(api, 'compute', url, mv, kind)
        items = body.get(key) or []
        for item in items:
            yield item
        nxt = any(link.get('rel') == 'next' for link in body.get(key + '_links') or [])
        if not items or (len(items) < PAGE and not nxt):
            return
        new_marker = items[-1].get(marker_key)
        if not new_marker or new_marker == marker:
            return
        marker = new_marker


def parse_log_lines(lines):
    """Map consumer uuid -> list of {kind, line} from nova-compute log lines (str or dict)."""
    out = {}
    for entry in lines or []:
        if isinstance(entry, dict):
            text = entry.get('line') or entry.get('text') or entry.get('message') or ''
        else:
            text = str(entry)
        for kind, rx in LOG_PATTERNS:
            m = rx.search(text)
            if m:
                ev = {'kind': kind, 'line': text.strip()[:500]}
                if isinstance(entry, dict):
                    for k in ('host', 'file', 'lineno', 'line_number'):
                        if k in entry:
                            ev[k] = entry[k]
                out.setdefault(m.group(1), []).append(ev)
                break
    return out


def is_partial_server(server):
    """A cell-down record (compute >= 2.69): status UNKNOWN and no flavor/host fields."""
    if server.get('status') == 'UNKNOWN':
        return True
    return 'flavor' not in server or 'OS-EXT-SRV-ATTR:host' not in server


def _server_summary(s):
    return {
        'id': s.get('id'),
        'status': s.get('status'),
        'task_state': s.get('OS-EXT-STS:task_state'),
        'host': s.get('OS-EXT-SRV-ATTR:host'),
        'node': s.get('OS-EXT-SRV-ATTR:hypervisor_hostname'),
        'project_id': s.get('tenant_id') or s.get('project_id'),
    }


def custom_only(resources):
    return bool(resources) and all(rc.startswith('CUSTOM_') for rc in resources)


class Auditor(object):
    """One audit run. ``params``: resource_providers, consumers,
    include_custom_resource_classes, concurrency, nova_compute_log_lines."""

    def __init__(self, api, params):
        self.api = api
        self.params = params
        self.providers = {}        # uuid -> provider dict
        self.roots_in_scope = []
        self.allocs = {}           # rp uuid -> {consumer: {resources, consumer_generation}}
        self.hypervisors = {}      # compute node uuid -> {host, node}
        self.servers = {}          # id -> summary (from /servers/detail listings)
        self.listed_on = {}        # consumer -> set of roots it is listed on (positive evidence)
        self.listed_uuids = set()  # every server uuid nova listed
        self.multi_node_hosts = []  # hosts with several nodes listed through /servers/detail?host
        self.migrations = []       # in-progress migration dicts
        self.log_evidence = parse_log_lines(params.get('nova_compute_log_lines'))
        self.unknown_filters = []
        self.prefetched = {}       # compute node uuid -> {host, node}, mode providers
        self.sharing = {}          # root uuid -> has MISC_SHARES_VIA_AGGREGATE

    # -------------------------------------------------------------- reads
    def workers(self):
        return max(1, int(self.params.get('concurrency') or 1))

    def pmap(self, fn, items):
        """fn over items, ``concurrency`` at a time; the first exception (Abort) is raised after
        every started call has ended (each is bounded by the API timeout)."""
        items = list(items)
        n = min(self.workers(), len(items))
        if n <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(max_workers=n) as pool:
            futs = [pool.submit(fn, i) for i in items]
            out = []
            for f in futs:
                exc = f.exception()
                if exc is not None:
                    for g in futs:
                        g.cancel()
                    raise exc
                out.append(f.result())
            return out

    def scope_mode(self):
        """``consumers``: few consumers named and no providers: their own records are read
        (GET /allocations/{c}), no provider or nova listing. ``providers``: providers named (at
        most SCOPED_ROOTS_MAX root trees, decided in read_providers): per-root reads only.
        ``all``: the whole cloud (one provider list, every provider, one nova listing)."""
        consumers = self.params.get('consumers') or []
        if consumers and not self.params.get('resource_providers') and len(consumers) <= CONSUMERS_MODE_MAX:
            return 'consumers'
        if self.params.get('resource_providers'):
            return 'providers'
        return 'all'

    def _add_providers(self, rps):
        for rp in rps or []:
            self.providers[rp['uuid']] = {
                'uuid': rp['uuid'], 'name': rp.get('name'),
                'root': rp.get('root_provider_uuid') or rp['uuid'],
                'parent': rp.get('parent_provider_uuid')}

    def read_providers(self):
        """Every provider (mode ``all``), or only the trees of the named ones (``providers``:
        ``GET /resource_providers?name=`` / ``?uuid=`` per name, then ``?in_tree=`` per root)."""
        wanted = self.params.get('resource_providers')
        self.unknown_filters = []
        if not wanted:
            body = _get_ok(self.api, 'placement', '/resource_providers', PLACEMENT_MV,
                           'placement GET /resource_providers')
            self._add_providers(body.get('resource_providers'))
            roots = sorted((p for p in self.providers.values() if p['root'] == p['uuid']),
                           key=lambda p: (p['name'] or '', p['uuid']))
            self.roots_in_scope = [p['uuid'] for p in roots]
            return
        wanted = sorted(set(wanted))
        queries = []
        for w in wanted:
            queries.append((w, '/resource_providers?name=%s' % quote(w, safe='')))
            if UUID_RX.match(w):
                queries.append((w, '/resource_providers?uuid=%s' % w.lower()))

        def lookup(q):
            w, path = q
            body = _get_ok(self.api, 'placement', path, PLACEMENT_MV,
                           'placement GET /resource_providers?name|uuid')
            return w, body.get('resource_providers') or []
        found = {}
        for w, rps in self.pmap(lookup, queries):
            found.setdefault(w, []).extend(rps)
        self.unknown_filters = sorted(w for w in wanted if not found.get(w))
        root_ids = sorted(set((rp.get('root_provider_uuid') or rp['uuid'])
                              for rps in found.values() for rp in rps))

        def tree(root):
            body = _get_ok(self.api, 'placement', '/resource_providers?in_tree=%s' % root, PLACEMENT_MV,
                           'placement GET /resource_providers?in_tree')
            return body.get('resource_providers') or []
        for rps in self.pmap(tree, root_ids):
            self._add_providers(rps)
        roots = sorted((self.providers[r] for r in root_ids if r in self.providers),
                       key=lambda p: (p['name'] or '', p['uuid']))
        self.roots_in_scope = [p['uuid'] for p in roots]

    def read_allocations(self):
        in_scope = set(self.roots_in_scope)
        rps = sorted(u for u, p in self.providers.items() if p['root'] in in_scope)

        def one(rp):
            path = '/resource_providers/%s/allocations' % rp
            status, body = self.api.call('placement', 'GET', path, PLACEMENT_MV,
                                         kind='placement GET /resource_providers/{uuid}/allocations')
            if status == 404:       # provider deleted meanwhile
                return rp, {}
            if status != 200 or not isinstance(body, dict):
                raise _fail_service('placement', status, path, body)
            return rp, body.get('allocations') or {}

        for rp, allocs in self.pmap(one, rps):
            self.allocs[rp] = allocs

    def read_consumers(self):
        """Mode ``consumers``: each named consumer's own record (``GET /allocations/{c}``), then
        the providers it uses (one ``GET /resource_providers``, for their roots and names)."""
        consumers = sorted(set(self.params.get('consumers') or []))

        def one(c):
            return c, _read_consumer(self.api, c)
        records = self.pmap(one, consumers)
        body = _get_ok(self.api, 'placement', '/resource_providers', PLACEMENT_MV,
                       'placement GET /resource_providers')
        self._add_providers(body.get('resource_providers'))
        roots = set()
        for c, rec in records:
            for rp, a in (rec.get('allocations') or {}).items():
                if rp not in self.providers:     # created after the list: its own record
                    self.providers[rp] = {'uuid': rp, 'name': None, 'root': rp, 'parent': None}
                self.allocs.setdefault(rp, {})[c] = {
                    'resources': dict(a.get('resources') or {}),
                    'consumer_generation': rec.get('consumer_generation')}
                roots.add(self.providers[rp]['root'])
        self.roots_in_scope = [p['uuid'] for p in sorted(
            (self.providers[r] for r in roots), key=lambda p: (p['name'] or '', p['uuid']))]

    def listing(self):
        mode = self.params.get('server_listing') or 'hypervisors'
        if mode not in SERVER_LISTINGS:
            raise ValueError('server_listing must be one of %s' % ', '.join(SERVER_LISTINGS))
        return mode

    def per_root(self):
        """Nova is read per root (hypervisor show, servers of that node) rather than listed."""
        return self.scope_mode() != 'all' and self.listing() != 'servers' \
            and len(self.roots_in_scope) <= SCOPED_ROOTS_MAX

    def read_nova(self):
        """The nova listing (no migrations: those are read after the allocations)."""
        if self.per_root():
            self._read_nova_per_root()
            return
        if self.listing() == 'servers':
            self._read_hypervisors('/os-hypervisors/detail', 'compute GET /os-hypervisors/detail')
            for s in _paged(self.api, '/servers/detail?all_tenants=1', 'servers', COMPUTE_SERVERS_MV,
                            'compute GET /servers/detail'):
                self._add_listed_server(s)
            return
        if self.listing() == 'hypervisors_per_root':
            per_host = self._read_hypervisors_per_root()
        else:
            per_host = self._read_hypervisors('/os-hypervisors/detail?with_servers=true',
                                              'compute GET /os-hypervisors/detail?with_servers=true')
        in_scope = set(self.roots_in_scope)
        for host, hvs in sorted(per_host.items(), key=lambda kv: str(kv[0])):
            if host is None:
                continue            # no service host: no evidence at all, every consumer is a suspect
            if len(hvs) == 1:
                # the only node of its host: nova's per-host list is this node's list
                root = hvs[0]['id']
                for srv in hvs[0].get('servers') or []:
                    if srv.get('uuid'):
                        self.listed_on.setdefault(srv['uuid'], set()).add(root)
                continue
            # several nodes on one host (ironic): the per-host list does not say which node, so
            # ask the servers API for this host's servers with their node, if a node is in scope
            if not any(hv['id'] in in_scope for hv in hvs):
                continue
            self.multi_node_hosts.append(host)
            for s in _paged(self.api, '/servers/detail?all_tenants=1&host=%s' % quote(str(host)),
                            'servers', COMPUTE_SERVERS_MV, 'compute GET /servers/detail?host'):
                self._add_listed_server(s)
                if s.get('OS-EXT-SRV-ATTR:host') != host:
                    continue
                for hv in hvs:
                    if hv['id'] in self.providers and self._server_on_root(
                            self.servers[s['id']], self._root_ident(hv['id'])):
                        self.listed_on.setdefault(s['id'], set()).add(hv['id'])

    def _read_nova_per_root(self):
        """Per root in scope, ``concurrency`` at a time: ``GET /os-hypervisors/{uuid}`` (its host
        and node; 404: not a compute node) and, in mode ``providers``, the ids of that node's
        servers with ``GET /servers?all_tenants=1&host=H&node=N`` (index view: the filter itself
        says host and node, exact per node, ironic included; about a third of the detail view's
        cost in nova-api). In mode ``consumers`` every consumer is read with GET /servers/{id}
        anyway: no listing."""
        listing = self.scope_mode() == 'providers'

        def one(root):
            path = '/os-hypervisors/%s' % root
            status, body = self.api.call('compute', 'GET', path, COMPUTE_HYPERVISORS_MV,
                                         kind='compute GET /os-hypervisors/{uuid}')
            if status in (400, 404):     # not a compute node (or not a uuid nova knows)
                return root, None, []
            if status != 200 or not isinstance(body, dict) or 'hypervisor' not in body:
                raise _fail_service('compute', status, path, body)
            hv = body['hypervisor']
            host = (hv.get('service') or {}).get('host')
            node = hv.get('hypervisor_hostname')
            servers = []
            if listing and host and node:
                servers = list(_paged(self.api, '/servers?all_tenants=1&host=%s&node=%s'
                                      % (quote(str(host), safe=''), quote(str(node), safe='')),
                                      'servers', COMPUTE_SERVERS_MV, 'compute GET /servers?host&node'))
            return root, {'host': host, 'node': node}, servers

        def known_or_show(root):
            hv = self.prefetched.get(root)
            if hv is None:
                return one(root)
            servers = []
            if listing and hv['host'] and hv['node']:
                servers = list(_paged(self.api, '/servers?all_tenants=1&host=%s&node=%s'
                                      % (quote(str(hv['host']), safe=''), quote(str(hv['node']), safe='')),
                                      'servers', COMPUTE_SERVERS_MV, 'compute GET /servers?host&node'))
            return root, hv, servers

        for root, hv, servers in self.pmap(known_or_show, self.roots_in_scope):
            if hv is None:
                continue
            self.hypervisors[root] = hv
            for srv in servers:
                if srv.get('status') == 'UNKNOWN' or not srv.get('id'):
                    raise Abort('cell_down', 'nova returned a partial record for server %s (status %s): '
                                'a cell database is not answering; nothing was deleted'
                                % (srv.get('id'), srv.get('status')))
                self.listed_uuids.add(srv['id'])
                self.listed_on.setdefault(srv['id'], set()).add(root)

    def prefetch_hypervisors(self):
        """Mode ``providers``: nova's compute nodes for the NAMED providers, read at once beside
        placement's lookups (so the two services' first requests - each validates the new token
        with keystone - overlap): ``GET /os-hypervisors/detail?hypervisor_hostname_pattern=<name>``
        (nova names a compute node's provider after its node; exact match kept) or
        ``GET /os-hypervisors/{uuid}`` for a uuid. Roots not found here get their show later."""
        def one(w):
            if UUID_RX.match(w):
                path, kind = '/os-hypervisors/%s' % w.lower(), 'compute GET /os-hypervisors/{uuid}'
            else:
                path = '/os-hypervisors/detail?hypervisor_hostname_pattern=%s' % quote(w, safe='')
                kind = 'compute GET /os-hypervisors/detail?hypervisor_hostname_pattern'
            status, body = self.api.call('compute', 'GET', path, COMPUTE_HYPERVISORS_MV, kind=kind)
            if status in (400, 404):
                return []
            if status != 200 or not isinstance(body, dict):
                raise _fail_service('compute', status, path, body)
            hvs = body.get('hypervisors') if 'hypervisors' in body else [body.get('hypervisor') or {}]
            return [hv for hv in hvs if hv.get('hypervisor_hostname') == w or str(hv.get('id')) == w.lower()]
        for hvs in self.pmap(one, sorted(set(self.params.get('resource_providers') or []))):
            for hv in hvs:
                self.prefetched[str(hv.get('id'))] = {'host': (hv.get('service') or {}).get('host'),
                                                      'node': hv.get('hypervisor_hostname')}

    def _read_hypervisors_per_root(self):
        """``GET /os-hypervisors/{uuid}?with_servers=true`` per root in scope, ``concurrency`` at
        a time (the same facts as the detail listing, in requests that several nova-api workers
        answer side by side). A host seen under several roots is a multi-node host: its per-host
        server list is no evidence (read_nova lists it with its nodes). 404: no compute node."""
        def one(root):
            path = '/os-hypervisors/%s?with_servers=true' % root
            status, body = self.api.call('compute', 'GET', path, COMPUTE_HYPERVISORS_MV,
                                         kind='compute GET /os-hypervisors/{uuid}?with_servers=true')
            if status in (400, 404):
                return None
            if status != 200 or not isinstance(body, dict) or 'hypervisor' not in body:
                raise _fail_service('compute', status, path, body)
            return body['hypervisor']
        per_host = {}
        for hv in self.pmap(one, self.roots_in_scope):
            if hv is None:
                continue
            hid = str(hv.get('id'))
            host = (hv.get('service') or {}).get('host')
            self.hypervisors[hid] = {'host': host, 'node': hv.get('hypervisor_hostname')}
            per_host.setdefault(host, []).append({'id': hid, 'servers': hv.get('servers') or []})
            for srv in hv.get('servers') or []:
                if srv.get('uuid'):
                    self.listed_uuids.add(srv['uuid'])
        return per_host

    def _read_hypervisors(self, path, kind):
        per_host = {}
        for hv in _paged(self.api, path, 'hypervisors', COMPUTE_HYPERVISORS_MV, kind):
            hid = str(hv.get('id'))
            host = (hv.get('service') or {}).get('host')
            self.hypervisors[hid] = {'host': host, 'node': hv.get('hypervisor_hostname')}
            per_host.setdefault(host, []).append(
                {'id': hid, 'servers': hv.get('servers') or []})
            for srv in hv.get('servers') or []:
                if srv.get('uuid'):
                    self.listed_uuids.add(srv['uuid'])
        return per_host

    def _add_listed_server(self, s):
        if is_partial_server(s):
            raise Abort('cell_down', 'nova returned a partial record for server %s (status %s): '
                        'a cell database is not answering, so a missing server cannot be told '
                        'from a down cell; nothing was deleted' % (s.get('id'), s.get('status')))
        self.servers[s['id']] = _server_summary(s)
        self.listed_uuids.add(s['id'])

    def fetch_migrations(self, hosts=None):
        """Every migration not in a final state: the whole (paged) list, or with ``hosts`` the
        (paged) lists of ``GET /os-migrations?host=H`` (source or destination host H)."""
        paths = ['/os-migrations'] if hosts is None else [
            '/os-migrations?host=%s' % quote(str(h), safe='') for h in sorted(hosts)]
        out = []
        seen = set()

        def one(path):
            return list(_paged(self.api, path, 'migrations', COMPUTE_MIGRATIONS_MV,
                               'compute GET /os-migrations', marker_key='uuid'))
        for page in self.pmap(one, paths):
            for m in page:
                key = m.get('uuid') or id(m)
                if key in seen:
                    continue
                seen.add(key)
                if (m.get('status') or '').lower() not in FINAL_MIGRATION_STATES:
                    out.append({
                        'uuid': m.get('uuid'), 'instance_uuid': m.get('instance_uuid'),
                        'status': m.get('status'), 'type': m.get('migration_type'),
                        'source_compute': m.get('source_compute'), 'dest_compute': m.get('dest_compute'),
                        'source_node': m.get('source_node'), 'dest_node': m.get('dest_node')})
        return out

    def read_migrations(self):
        """After the allocations. Per host (``?host=``) when every root in scope is a compute node
        read per root: a migration holding an allocation on a compute node's tree has that node's
        host as source or destination. Otherwise (sharing or other non-compute providers, or the
        whole cloud) the whole list."""
        hosts = None
        if self.per_root() and self.roots_in_scope and all(
                (self.hypervisors.get(r) or {}).get('host') for r in self.roots_in_scope):
            hosts = set(self.hypervisors[r]['host'] for r in self.roots_in_scope)
        self.migrations = self.fetch_migrations(hosts)

    def read_scope(self):
        """Providers whose allocations this audit read (None: each consumer's whole record)."""
        if self.scope_mode() == 'consumers':
            return None
        return set(self.allocs)

    def read_all(self):
        """Providers (or the consumers' own records); then allocations and nova side by side;
        then migrations.

        The migrations are read last on purpose: a migration uuid that holds an allocation we
        read had its migration record created before that allocation was written, so it is in
        the list (read after the allocations) unless it finished meanwhile.
        """
        self.listing()
        if self.scope_mode() == 'consumers':
            self.read_consumers()
            self.api.grow(3 * len(self.roots_in_scope))
            self.read_nova()
            self.read_migrations()
            return
        pre = None
        if self.scope_mode() == 'providers' and self.listing() != 'servers' \
                and len(self.params.get('resource_providers') or []) <= SCOPED_ROOTS_MAX:
            pre = ThreadPoolExecutor(max_workers=1)
            pre_fut = pre.submit(self.prefetch_hypervisors)
        try:
            self.read_providers()
        finally:
            if pre is not None:
                pre_exc = pre_fut.exception()
                pre.shutdown(wait=True)
        if pre is not None and pre_exc is not None:
            raise pre_exc
        in_scope = set(self.roots_in_scope)
        # allocation read + nova listing/show per provider in scope
        self.api.grow(3 * sum(1 for p in self.providers.values() if p['root'] in in_scope))
        pool = ThreadPoolExecutor(max_workers=1)
        try:
            fut = pool.submit(self.read_nova)
            try:
                self.read_allocations()
            finally:
                # wait for the nova thread even if placement failed; its Abort wins only if
                # placement succeeded
                nova_exc = fut.exception()
            if nova_exc is not None:
                raise nova_exc
        finally:
            pool.shutdown(wait=True)
        self.read_migrations()

    def get_server(self, consumer):
        """GET /servers/{id}: a summary, or None on 404; aborts on anything else."""
        path = '/servers/%s' % consumer
        status, body = self.api.call('compute', 'GET', path, COMPUTE_SERVERS_MV,
                                     kind='compute GET /servers/{id}')
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict) or 'server' not in body:
            raise _fail_service('compute', status, path, body)
        s = body['server']
        if is_partial_server(s):
            raise Abort('cell_down', 'nova returned a partial record for server %s (status %s): its '
                        'cell is not answering; nothing was deleted' % (consumer, s.get('status')))
        return _server_summary(s)

    # -------------------------------------------------------------- classify
    def _root_ident(self, root):
        hv = self.hypervisors.get(root) or {}
        name = self.providers[root]['name']
        return {'uuid': root, 'name': name, 'host': hv.get('host'),
                'node': hv.get('node') or name, 'compute_node': root in self.hypervisors}

    def _server_on_root(self, server, ident):
        if server.get('node') and server['node'] == ident['node']:
            return True
        # some drivers (ironic) name the provider after the node uuid; match both
        return bool(server.get('node')) and server['node'] == ident['name']

    def run(self):
        self.read_all()
        mig_uuids = {m['uuid']: m for m in self.migrations if m.get('uuid')}
        mig_instances = {}
        for m in self.migrations:
            mig_instances.setdefault(m.get('instance_uuid'), m)

        # consumer -> root -> {rp: resources}; and consumer generation
        per = {}
        gens = {}
        full = {}        # consumer -> {rp: resources} on every provider read (the audited allocations)
        for rp, allocs in self.allocs.items():
            root = self.providers[rp]['root']
            for consumer, a in allocs.items():
                per.setdefault(consumer, {}).setdefault(root, {})[rp] = dict(a.get('resources') or {})
                full.setdefault(consumer, {})[rp] = dict(a.get('resources') or {})
                gens[consumer] = a.get('consumer_generation')

        self.api.grow(len(per) + 2)   # at most one GET /servers/{id} per consumer
        out = {'orphans': [], 'moved': [], 'skipped': [], 'ok': 0}
        only = set(self.params.get('consumers') or [])
        if only:
            per = dict((c, v) for c, v in per.items() if c in only)
        # suspects: consumers without positive evidence on one of their roots (and no migration);
        # each is read once with GET /servers/{id}, concurrency at a time
        suspects = set()
        for consumer, roots in per.items():
            if consumer in mig_uuids or consumer in mig_instances:
                continue
            if self.listing() == 'servers' and consumer in self.servers:
                continue
            if any(root not in self.listed_on.get(consumer, ()) for root in roots):
                suspects.add(consumer)
        # consumer -> server summary or None (404), from GET /servers/{id}
        confirmed = dict(self.pmap(lambda c: (c, self.get_server(c)), sorted(suspects)))
        for consumer in sorted(per):
            for root in sorted(per[consumer], key=lambda r: (self.providers[r]['name'] or '', r)):
                ident = self._root_ident(root)
                rps = self._rp_view(per[consumer][root])
                entry = {'consumer': consumer, 'resource_providers': rps,
                         'root_provider': ident, 'consumer_generation': gens.get(consumer),
                         'allocations': full[consumer]}
                if consumer in self.log_evidence:
                    entry['log_lines'] = self.log_evidence[consumer]
                if consumer in mig_uuids:
                    entry.update(reason='migration', migration=mig_uuids[consumer])
                    out['skipped'].append(entry)
                    continue
                if consumer in mig_instances:
                    entry.update(reason='migration', migration=mig_instances[consumer])
                    out['skipped'].append(entry)
                    continue
                if root in self.listed_on.get(consumer, ()):
                    out['ok'] += 1          # positive evidence: nova lists it on this root
                    continue
                server = None
                if self.listing() == 'servers':
                    server = self.servers.get(consumer)
                if server is None:
                    server = confirmed[consumer]
                    if server is None:
                        res = self._resources_of(per[consumer])
                        entry.update(reason='server_not_found', custom_rc_only=custom_only(res))
                        out['orphans'].append(entry)
                        continue
                    entry['confirmed_by'] = 'GET /servers/{id}'
                verdict = self._classify_server(server, ident)
                if verdict == 'ok':
                    out['ok'] += 1
                    continue
                entry['server'] = server
                if verdict == 'moved' and root not in self.hypervisors and self.is_sharing(root):
                    # a live server's share of a sharing provider (DISK_GB on shared storage):
                    # in use wherever the server runs, never a leftover
                    entry['reason'] = 'sharing_provider'
                    out['skipped'].append(entry)
                elif verdict == 'moved':
                    entry['reason'] = 'server_on_other_host'
                    out['moved'].append(entry)
                else:
                    entry['reason'] = verdict
                    out['skipped'].append(entry)
        out['consumers'] = len(per)
        return out

    def is_sharing(self, root):
        """The provider has the MISC_SHARES_VIA_AGGREGATE trait (placement's sharing providers,
        e.g. shared storage): ``GET /resource_providers/{uuid}/traits``, once per root."""
        if root not in self.sharing:
            path = '/resource_providers/%s/traits' % root
            body = _get_ok(self.api, 'placement', path, PLACEMENT_MV,
                           'placement GET /resource_providers/{uuid}/traits')
            self.sharing[root] = 'MISC_SHARES_VIA_AGGREGATE' in (body.get('traits') or [])
        return self.sharing[root]

    def _classify_server(self, server, ident):
        if self._server_on_root(server, ident):
            return 'ok'
        if server.get('status') == 'BUILD' and not server.get('host'):
            return 'build_request'
        if server.get('task_state'):
            return 'in_progress'
        if server.get('status') in ('BUILD', 'MIGRATING', 'RESIZE', 'VERIFY_RESIZE', 'REBUILD',
                                    'REVERT_RESIZE'):
            return 'in_progress'
        if not server.get('host'):
            return 'no_host'
        return 'moved'

    def _rp_view(self, by_rp):
        return dict((rp, {'name': self.providers.get(rp, {}).get('name'), 'resources': res})
                    for rp, res in sorted(by_rp.items()))

    @staticmethod
    def _resources_of(by_root):
        res = {}
        for by_rp in by_root.values():
            for r in by_rp.values():
                for rc, n in r.items():
                    res[rc] = res.get(rc, 0) + n
        return res


def audit(api, params):
    """Run the read-only audit. Returns a result dict; raises Abort."""
    a = Auditor(api, params)
    found = a.run()
    found['providers_checked'] = [
        dict(a._root_ident(r), providers=sorted(u for u, p in a.providers.items() if p['root'] == r),
             consumers=sum(len(a.allocs.get(u) or {}) for u, p in a.providers.items() if p['root'] == r))
        for r in a.roots_in_scope]
    found['unknown_resource_providers'] = a.unknown_filters
    found['servers_listed'] = len(a.listed_uuids)
    found['server_listing'] = a.listing()
    found['multi_node_hosts'] = list(a.multi_node_hosts)
    found['migrations_in_progress'] = a.migrations
    seen = set(e['consumer'] for k in ('orphans', 'moved', 'skipped') for e in found[k])
    found['log_consumers_not_flagged'] = sorted(c for c in a.log_evidence if c not in seen)
    found['_auditor'] = a
    return found


# ------------------------------------------------------------------ removal
def norm_allocations(allocs):
    """{rp: {rc: n}} from any of {rp: {rc: n}}, {rp: {resources: {..}}}, {rp: {name, resources}}."""
    out = {}
    for rp, v in (allocs or {}).items():
        if isinstance(v, dict) and isinstance(v.get('resources'), dict):
            v = v['resources']
        out[str(rp)] = dict((str(rc), int(n)) for rc, n in (v or {}).items())
    return out


def norm_expected(expected):
    """The ``expected`` option: consumer -> {generation, allocations}. Accepts the audit's
    entries and the findings' evidence as they are (``consumer_generation`` for ``generation``)."""
    out = {}
    for e in expected or []:
        if not isinstance(e, dict) or not e.get('consumer'):
            raise ValueError('every entry of expected needs a consumer: %r' % (e,))
        gen = e.get('generation', e.get('consumer_generation'))
        out[str(e['consumer'])] = {
            'generation': None if gen is None else int(gen),
            'allocations': norm_allocations(e.get('allocations'))}
    return out


def _differences(seen, cur_gen, cur_allocs, scope):
    """What differs between audited evidence ``seen`` and the current record; [] if nothing.
    Allocations are compared on the providers the audit read (``scope``, None: all) plus the
    providers the evidence names."""
    diffs = []
    if seen.get('generation') != cur_gen:
        diffs.append('consumer generation %s -> %s' % (seen.get('generation'), cur_gen))
    keys = set(seen.get('allocations') or {})
    keys.update(rp for rp in cur_allocs if scope is None or rp in scope)
    for rp in sorted(keys):
        a = (seen.get('allocations') or {}).get(rp)
        b = cur_allocs.get(rp)
        if a != b:
            diffs.append('%s: %s -> %s' % (rp, _fmt_rc(a), _fmt_rc(b)))
    return diffs


def _fmt_rc(res):
    if not res:
        return 'nothing'
    return ', '.join('%s=%s' % kv for kv in sorted(res.items()))


def plan(found, params):
    """Which consumers to touch, in order. Returns (todo, skipped)."""
    include_custom = bool(params.get('include_custom_resource_classes'))
    cap = params.get('max_deletes')
    expected = norm_expected(params.get('expected')) if params.get('expected') is not None else None
    by_consumer = {}
    order = []
    skipped = []
    for kind in ('orphans', 'moved'):
        for e in found[kind]:
            if kind == 'orphans' and e.get('custom_rc_only') and not include_custom:
                skipped.append(dict(e, reason='custom_rc_only',
                                    detail='holds only CUSTOM_* resource classes (baremetal?); '
                                           'set include_custom_resource_classes to remove'))
                continue
            if expected is not None and e['consumer'] not in expected:
                skipped.append(dict(e, reason='not_audited',
                                    detail='not in expected: the audit this removal acts on did not '
                                           'report it'))
                continue
            key = e['consumer']
            if key not in by_consumer:
                by_consumer[key] = {'consumer': key, 'kind': kind, 'roots': [],
                                    'resource_providers': {}, 'entries': [],
                                    'audited': {'generation': e.get('consumer_generation'),
                                                'allocations': norm_allocations(e.get('allocations'))},
                                    'expected': (expected or {}).get(key)}
                order.append(key)
            t = by_consumer[key]
            if t['kind'] != kind:   # cannot be orphan and moved at once; be safe
                t['kind'] = 'mixed'
            t['roots'].append(e['root_provider']['uuid'])
            t['resource_providers'].update(e['resource_providers'])
            t['entries'].append(e)
    todo = []
    for key in order:
        t = by_consumer[key]
        if t['kind'] == 'mixed':
            skipped.extend(dict(e, reason='conflict', detail='classified both orphan and moved')
                           for e in t['entries'])
            continue
        if cap is not None and len(todo) >= cap:
            skipped.extend(dict(e, reason='cap_reached',
                                detail='max_deletes=%d reached' % cap) for e in t['entries'])
            continue
        todo.append(t)
    return todo, skipped


def _read_consumer(api, consumer):
    path = '/allocations/%s' % consumer
    status, body = api.call('placement', 'GET', path, PLACEMENT_MV,
                            kind='placement GET /allocations/{consumer}')
    if status != 200 or not isinstance(body, dict):
        raise _fail_service('placement', status, path, body)
    return body


def _skip(t, reason, detail, **extra):
    rec = {'consumer': t['consumer'], 'reason': reason, 'detail': detail,
           'resource_providers': t['resource_providers']}
    rec.update(extra)
    return 'skipped', rec


def reconfirm(api, auditor, t, allocs):
    """Classify consumer ``t`` again from scratch, AFTER its allocations ``allocs`` were read:
    ``GET /servers/{id}``, then the whole migration list. Returns (verdict, drop_roots, why):
    verdict 'orphans' (404, no migration), 'moved' (a server on another compute node; drop_roots:
    the audited roots it is still not on), or None with the reason it no longer qualifies."""
    consumer = t['consumer']
    server = auditor.get_server(consumer)
    migs = auditor.fetch_migrations()
    for m in migs:
        if consumer in (m.get('uuid'), m.get('instance_uuid')):
            return None, [], 'now part of in-progress migration %s (%s)' % (m.get('uuid'), m.get('status'))
    if t['kind'] == 'orphans':
        if server is None:
            return 'orphans', None, 'GET /servers/%s: 404 and no in-progress migration' % consumer
        return None, [], 'nova now has a server %s (%s on %s)' % (
            consumer, server.get('status'), server.get('node') or server.get('host'))
    if server is None:
        return None, [], 'the server is gone (404): no longer a moved server'
    roots_now = set(auditor.providers.get(rp, {}).get('root') for rp in allocs)
    drop = []
    for root in t['roots']:
        if root not in roots_now or root not in auditor.providers:
            continue
        verdict = auditor._classify_server(server, auditor._root_ident(root))
        if verdict != 'moved':
            return None, [], 'no longer a leftover on %s (%s)' % (
                auditor.providers[root].get('name') or root, verdict)
        drop.append(root)
    if not drop:
        return None, [], 'no allocation left on the audited source provider'
    return 'moved', drop, 'GET /servers/%s: on %s, not on the source' % (
        consumer, server.get('node') or server.get('host'))


def remove_one(api, auditor, t, check_mode, on_change='reconfirm'):
    """Remove one planned consumer. Returns ('removed', record) or ('skipped', record).

    Acts only on what the audit saw: the consumer's generation and allocations read now must
    equal the audited ones (``t['expected']``, from the check that reported it, when given; and
    this run's own audit). If they differ, the consumer is classified again from scratch
    (``reconfirm``: nova 404 / server record and the migration list, read after the new
    allocations) or, with ``on_change='skip'``, left alone as ``changed_since_audit``; the record
    says which (``since_audit``)."""
    consumer = t['consumer']
    scope = auditor.read_scope()
    since = 'unchanged'
    changes = []
    for attempt in (1, 2):
        cur = _read_consumer(api, consumer)
        allocs = norm_allocations(cur.get('allocations'))
        gen = cur.get('consumer_generation')
        if not allocs:
            return _skip(t, 'gone', 'no allocations left when re-read')
        changes = []
        if t.get('expected') is not None:
            changes += ['since the check: ' + d for d in _differences(t['expected'], gen, allocs, scope)]
        changes += ['since this run\'s audit: ' + d for d in _differences(t['audited'], gen, allocs, scope)]
        drop_roots = set(t['roots'])
        if changes:
            if on_change == 'skip':
                return _skip(t, 'changed_since_audit', 'allocations changed after the audit (%s); '
                             'left alone (on_change=skip)' % '; '.join(changes)[:600],
                             since_audit='changed, skipped', changes=changes)
            verdict, roots, why = reconfirm(api, auditor, t, allocs)
            if verdict is None:
                return _skip(t, 'changed_since_audit', 'allocations changed after the audit (%s) and '
                             're-confirmation says: %s' % ('; '.join(changes)[:600], why),
                             since_audit='changed, no longer removable', changes=changes)
            since = 'changed, re-confirmed (%s)' % why
            if roots is not None:
                drop_roots = set(roots)
        if t['kind'] == 'orphans':
            drop = set(allocs)
            keep = {}
        else:
            drop = set(rp for rp in allocs if auditor.providers.get(rp, {}).get('root') in drop_roots)
            keep = dict((rp, {'resources': allocs[rp]}) for rp in allocs if rp not in drop)
            if not drop:
                return _skip(t, 'gone', 'no allocation left on the source provider')
            if not keep:
                return _skip(t, 'no_allocation_on_current_host',
                             'the server holds nothing on its current host; removing the source part '
                             'would leave it unaccounted (use nova-manage placement heal_allocations first)')
        freed = dict((rp, {'name': auditor.providers.get(rp, {}).get('name'), 'resources': allocs[rp]})
                     for rp in sorted(drop))
        record = {'consumer': consumer,
                  'reason': 'orphan' if t['kind'] == 'orphans' else 'moved',
                  'resource_providers': freed,
                  'kept_resource_providers': sorted(keep),
                  'project_id': cur.get('project_id'), 'user_id': cur.get('user_id'),
                  'consumer_generation': gen, 'since_audit': since}
        if changes:
            record['changes'] = changes
        if check_mode:
            return 'removed', record
        body = {'allocations': keep, 'consumer_generation': gen,
                'project_id': cur.get('project_id'), 'user_id': cur.get('user_id')}
        path = '/allocations/%s' % consumer
        status, resp = api.call('placement', 'PUT', path, PLACEMENT_MV, body=body,
                                kind='placement PUT /allocations/{consumer}')
        if status in (200, 204):
            return 'removed', record
        if status == 409 and attempt == 1:
            # somebody wrote this consumer meanwhile: the next read differs from the audit, so it
            # is classified again from scratch (or skipped with on_change=skip)
            continue
        if status == 409:
            return _skip(t, 'conflict', 'consumer generation changed twice (HTTP 409); not forced')
        if status == 0:
            raise Abort('placement_unavailable', 'placement did not answer PUT %s (%s): whether this '
                        'consumer\'s allocations were removed is unknown, re-run the audit'
                        % (path, (resp or {}).get('error')))
        raise _fail_service('placement', status, path, resp)
    raise AssertionError('unreachable')  # pragma: no cover


def remove(api, found, params, check_mode):
    todo, skipped = plan(found, params)
    api.grow(5 * len(todo) + 2)
    removed = []
    on_change = params.get('on_change') or 'reconfirm'
    for t in todo:
        try:
            what, rec = remove_one(api, found['_auditor'], t, check_mode, on_change)
        except Abort as e:
            e.removed = removed
            e.skipped = skipped
            if removed and not check_mode:
                e.message = e.message.replace(NOTHING_DELETED, '; stopped after removing %d consumer(s) '
                                              'listed in removed, nothing else was deleted' % len(removed))
            raise
        (removed if what == 'removed' else skipped).append(rec)
    return removed, skipped


def public(found):
    """The audit result without internals."""
    return dict((k, v) for k, v in found.items() if not k.startswith('_'))


# ------------------------------------------------------------------ result contract
REFERENCE = ('https://docs.openstack.org/nova/latest/admin/troubleshooting/orphaned-allocations.html; '
             'nova resource_tracker._remove_deleted_instances_allocations')


CUSTOM_RC_FIX_VAR = 'fix_placement_allocations_include_custom_resource_classes'


def _fmt_resources(rps):
    parts = []
    for rp_uuid, v in sorted(rps.items(), key=lambda kv: (kv[1].get('name') or '', kv[0])):
        res = ', '.join('%s=%s' % (rc, n) for rc, n in sorted((v.get('resources') or {}).items()))
        parts.append('%s (%s)' % (v.get('name') or rp_uuid, res))
    return '; '.join(parts)


def findings(result, check='check_placement_allocations', fix='fix_placement_allocations',
             statuses=None):
    """stackdoctor results (one per orphan/moved consumer, or one ok / one error)."""
    statuses = dict({'placement.orphaned_allocation': 'warning',
                     'placement.moved_allocation': 'warning'}, **(statuses or {}))
    out = []
    if result.get('aborted'):
        return [{'id': 'placement.audit_aborted', 'check': check, 'status': 'error',
                 'summary': 'placement allocation audit aborted (%s): %s' % (
                     result['aborted'], result.get('abort_message')),
                 'evidence': {'aborted': result['aborted'], 'message': result.get('abort_message'),
                              'api_calls': result.get('api_calls')},
                 'fix': None, 'reference': REFERENCE}]
    grouped = {}
    for kind in ('orphans', 'moved'):
        for e in result.get(kind) or []:
            g = grouped.setdefault((kind, e['consumer']), {'entries': [], 'rps': {}})
            g['entries'].append(e)
            g['rps'].update(e.get('resource_providers') or {})
    for (kind, consumer), g in sorted(grouped.items()):
        first = g['entries'][0]
        hosts = sorted(set(e['root_provider'].get('host') or e['root_provider'].get('name')
                           for e in g['entries']))
        ev = {'consumer': consumer, 'resource_providers': g['rps'],
              'root_providers': [e['root_provider'] for e in g['entries']],
              'compute_hosts': hosts, 'consumer_generation': first.get('consumer_generation'),
              'allocations': first.get('allocations') or {}}
        log = [ln for e in g['entries'] for ln in e.get('log_lines') or []]
        if log:
            ev['log_lines'] = log
        if kind == 'orphans':
            rid = 'placement.orphaned_allocation'
            ev['custom_rc_only'] = bool(first.get('custom_rc_only'))
            if ev['custom_rc_only']:
                # the plain fix leaves these alone: the report's Fix: line must name the variable
                ev['fix_vars'] = {CUSTOM_RC_FIX_VAR: True}
            summary = ('consumer %s holds %s but nova has no such server (GET /servers/%s: 404)%s'
                       % (consumer, _fmt_resources(g['rps']), consumer,
                          '; only CUSTOM_* classes (baremetal?): the fix removes it only with '
                          '%s=true' % CUSTOM_RC_FIX_VAR if ev['custom_rc_only'] else ''))
        else:
            rid = 'placement.moved_allocation'
            srv = first.get('server') or {}
            ev['server'] = srv
            summary = ('server %s runs on %s but still holds %s (leftover of an evacuation or move)'
                       % (consumer, srv.get('node') or srv.get('host'), _fmt_resources(g['rps'])))
        out.append({'id': rid, 'check': check, 'status': statuses.get(rid, 'warning'),
                    'summary': summary, 'evidence': ev, 'fix': fix, 'reference': REFERENCE})
    if not out:
        s = result.get('summary') or {}
        skipped = {}
        for e in result.get('skipped_consumers', result.get('skipped')) or []:
            skipped[e['reason']] = skipped.get(e['reason'], 0) + 1
        out.append({'id': 'placement.orphaned_allocation', 'check': check, 'status': 'ok',
                    'summary': 'no orphaned or leftover allocations: %d consumers on %d root providers '
                               'checked%s' % (s.get('consumers', 0), len(result.get('providers_checked') or []),
                                              ' (%s left alone)' % ', '.join(
                                                  '%d %s' % (n, r) for r, n in sorted(skipped.items()))
                                              if skipped else ''),
                    'evidence': {'consumers': s.get('consumers', 0), 'ok': s.get('ok', 0),
                                 'skipped': skipped, 'api_calls': result.get('api_calls'),
                                 'providers': [p.get('name') for p in result.get('providers_checked') or []]},
                    'fix': None, 'reference': REFERENCE})
    return out
