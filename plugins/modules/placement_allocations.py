#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: placement_allocations
short_description: Find and remove orphaned placement allocations, through the APIs only
version_added: 0.1.0
description:
  - Audits the allocations that consumers hold against compute-node resource providers (and
    their child providers) and classifies every consumer, without database access, so it runs
    from AWX or any host that can reach the placement and compute APIs.
  - A consumer is an B(orphan) only when nova confirms it is gone - it is not a server on that
    provider's node, not an in-progress migration, not the instance of an in-progress
    migration, and C(GET /servers/{id}) answers 404. A server still in a build request answers
    200 and is left alone. This is what the nova-compute log line
    C(Instance <uuid> has allocations against this compute host but is not found in the database)
    points at (nova/compute/resource_tracker.py, _remove_deleted_instances_allocations).
  - A consumer that is a server living on B(another) node (an evacuated or moved instance) is
    reported as C(moved); only the source provider tree's part of its allocation is leftover, and
    C(state=absent) removes only that part, keeping the rest.
  - If nova-api or placement answers 5xx or does not answer, or nova returns a cell-down partial
    server record, the run aborts before anything is deleted (hazard 1 of
    C(nova-manage placement audit), which treats a down cell as "every instance gone").
    With C(state=audit) the module then returns C(aborted) (reason) and does not fail, so a
    check can record an C(error) result; with C(state=absent) it fails.
  - Removal is generation-safe - C(PUT /allocations/{consumer}) at placement 1.28 with the
    consumer generation just read (empty allocations for an orphan). On HTTP 409 the consumer
    is re-read and re-classified once; it is never forced (no C(DELETE /allocations)).
author:
  - stackdoctor developers (@stackdoctor)
options:
  state:
    description:
      - C(audit) lists orphans, moved and skipped consumers and changes nothing.
      - C(absent) removes confirmed orphans and the source part of moved servers' allocations,
        at most O(max_deletes) consumers per run.
    type: str
    choices: [audit, absent]
    default: audit
  resource_providers:
    description:
      - Only audit these resource providers (names or uuids). A child provider selects its
        whole root tree. Default is every root provider.
    type: list
    elements: str
  consumers:
    description:
      - Only classify (and remove) these consumer uuids, for example the uuids of the seed log
        line. All providers in scope are still read. Default is every consumer.
    type: list
    elements: str
  max_deletes:
    description:
      - Most consumers changed in one run; the rest are reported in C(skipped_consumers) with reason
        C(cap_reached).
    type: int
    default: 10
  include_custom_resource_classes:
    description:
      - Orphan consumers holding only C(CUSTOM_*) resource classes (typically baremetal) are
        reported but never removed unless this is true.
    type: bool
    default: false
  request_budget:
    description:
      - Maximum number of API calls the module makes (the SDK's own authentication and version
        discovery are not counted). When exhausted the run aborts cleanly (C(aborted=request_budget));
        with C(state=absent) consumers already removed are still reported.
      - C(0) (default) - automatic, grows with the work as it becomes known - 50, plus 3 per
        provider in scope, 1 per consumer read, 1 per suspect page, 5 per consumer to remove.
        A runaway (a paging loop, a retry storm) still stops at a bound proportional to the cloud.
    type: int
    default: 0
  api_timeout:
    description:
      - Seconds each API call (and the SDK's authentication and version discovery) may take
        before it counts as no answer. A nova-api or placement that accepts connections but does
        not answer then aborts the run cleanly (C(aborted=nova_unavailable) or
        C(placement_unavailable), nothing deleted) instead of hanging.
      - Replaces the C(openstack.cloud) default of no timeout. With a cloud dict in O(cloud), it is
        added to the dict unless the dict has its own C(api_timeout).
    type: int
    default: 30
  deadline:
    description:
      - Seconds for the whole run. No API call starts after it (C(aborted=deadline)), and each
        call's timeout is cut to what is left, so the run ends within about O(deadline) seconds
        whatever the services do.
    type: int
    default: 600
  expected:
    description:
      - With C(state=absent) - what the audit that reported the consumers saw, one entry per
        consumer with C(consumer), C(generation) and C(allocations), a dict of provider uuid to a
        dict of resource class to amount (provider uuid to C(resources), and C(consumer_generation)
        for C(generation), are accepted too, so the check's finding evidence can be passed as it
        is).
      - Only these consumers are removed (others are skipped as C(not_audited)); when O(consumers)
        is not given it defaults to them. If a consumer's generation or allocations now differ
        from these, O(on_change) decides.
      - Without it, the module's own audit in the same run is the evidence (same comparison).
    type: list
    elements: dict
  on_change:
    description:
      - What to do with a consumer whose generation or allocations differ from what the audit saw
        (O(expected), or this run's audit).
      - C(reconfirm) - classify it again from scratch (C(GET /servers/{id}) 404 and the migration
        list, both read after the new allocations) and remove it only if it still qualifies; the
        entry in C(removed) says C(since_audit=changed, re-confirmed (...)) with the C(changes).
      - C(skip) - leave it alone, reported in C(skipped_consumers) as C(changed_since_audit).
    type: str
    choices: [reconfirm, skip]
    default: reconfirm
  concurrency:
    description:
      - How many independent API reads run at the same time - provider allocation reads,
        per-root nova reads (scoped runs), C(GET /servers/{id}) confirmations, per-host
        migration lists, provider lookups and consumer records. The HTTP connection pool is
        sized to it. The nova listing of a whole-cloud run is one more thread beside it.
      - The useful value is about the number of placement/nova-api worker processes the cloud
        runs (more only queues in the services).
    type: int
    default: 4
  server_listing:
    description:
      - How nova is asked which servers live on which compute node.
      - C(hypervisors) (default) - one C(GET /os-hypervisors/detail?with_servers=true) (compute
        2.53). It is used only as positive evidence - a consumer counts as fine without further
        calls only when nova lists it under the hypervisor whose compute node uuid is the root
        provider, on a host with a single node. Every other consumer is read with
        C(GET /servers/{id}) and classified from its own record (404 - orphan; BUILD, in progress,
        moved, cell-down partial record or 5xx as described above). Hosts with several nodes
        (ironic) in scope are listed with C(GET /servers/detail?all_tenants=1&host=<host>)
        (2.69), which gives each server's node. Much faster than C(servers) on large clouds,
        because nova-api's server detail view is slow; costs one C(GET /servers/{id}) per consumer
        that is not a server on its root (orphans, moved, building or migrating servers).
      - C(hypervisors_per_root) - the same facts, one C(GET /os-hypervisors/{uuid}?with_servers=true)
        per root provider, O(concurrency) at a time, so several nova-api workers answer side by
        side (a host seen under several roots is listed with its nodes as above). More requests,
        the same database work; faster when nova-api runs several workers on several cores.
      - C(servers) - the previous behaviour, kept as a fallback - C(GET /os-hypervisors/detail)
        plus the whole C(GET /servers/detail?all_tenants=1) listing (2.69, 1000 per page), used to
        classify; only consumers missing from the listing are read one by one.
    type: str
    choices: [hypervisors, hypervisors_per_root, servers]
    default: hypervisors
  nova_compute_log_lines:
    description:
      - nova-compute log lines (strings, or dicts with C(line) and optional C(host), C(file),
        C(lineno), as in node facts matches) to attach as evidence to the consumers they name.
      - Recognised - C(... has allocations against this compute host but is not found in the
        database), C(... is not being actively managed by this compute host ...),
        C(... has been moved to another host ...), and C(nova-manage placement audit)'s
        C(Allocations were set against consumer UUID ...).
    type: list
    elements: raw
    default: []
extends_documentation_fragment:
  - openstack.cloud.openstack
attributes:
  check_mode:
    description: Can run in check mode and report what would be removed.
    support: full
    details: Reads everything, re-reads each consumer it would change, and changes nothing.
  diff_mode:
    description: Does not return a diff.
    support: none
requirements:
  - openstacksdk
notes:
  - What is read depends on the scope (each independent read O(concurrency) at a time).
  - Whole cloud (no O(resource_providers), no O(consumers) or more than 100) - 1 provider list,
    one allocation read per provider, beside them ceil(H/1000) pages of
    C(GET /os-hypervisors/detail?with_servers=true) (plus ceil(S_h/1000) server pages per host with
    several nodes), then ceil(M/1000) migration pages and one C(GET /servers/{id}) per suspect
    consumer (no positive evidence). With O(server_listing=servers) the full server listing instead.
  - Named providers (up to 50 root trees) - per name C(GET /resource_providers?name=) (and
    C(?uuid=) for a uuid), per root C(?in_tree=), one allocation read per provider of those trees,
    per root C(GET /os-hypervisors/{uuid}) and that node's C(GET /servers/detail?all_tenants=1&host=H&node=N),
    the migrations of those hosts (C(GET /os-migrations?host=H); the whole list when a root is no
    compute node), and C(GET /servers/{id}) per suspect. Nothing is listed for the whole cloud.
  - Named consumers (up to 100, no providers; the fix's run) - C(GET /allocations/{c}) per
    consumer, 1 provider list, C(GET /os-hypervisors/{uuid}) per root they use, the migrations of
    those hosts, C(GET /servers/{id}) per consumer not held by a migration.
  - Removal adds 2 per consumer (GET + PUT); a consumer that changed since the audit adds a
    C(GET /servers/{id}) and the whole migration list (re-confirmation); 409 adds one more round.
  - The placement allocation reads and the nova listing run at the same time; the migration list
    is read after the allocation reads, so an in-progress migration that holds an allocation
    read by this run is always known.
  - Microversions - placement 1.28, compute 2.53 (hypervisors, with_servers), 2.69 (servers),
    2.59 (migrations).
  - Needs an admin (or equivalent) token for placement, C(all_tenants) server listing, hypervisors
    and migrations.
'''

EXAMPLES = r'''
- name: Audit placement allocations
  stackdoctor.openstack.placement_allocations:
    cloud: mycloud
  register: audit
  run_once: true
  delegate_to: localhost

- name: Remove up to 5 confirmed orphans on two compute nodes, with log evidence
  stackdoctor.openstack.placement_allocations:
    cloud: mycloud
    state: absent
    resource_providers: [compute-07, compute-08]
    max_deletes: 5
    nova_compute_log_lines:
      - "Instance 44c356ef-edd0-43a3-bd46-17aed65ea1a6 has allocations against this compute host but is not found in the database."
'''

RETURN = r'''
aborted:
  description:
    - Why the run stopped before finishing, or null. C(nova_unavailable), C(placement_unavailable),
      C(cell_down), C(request_budget), C(deadline). Nothing is deleted after an abort (with
      C(state=absent), consumers removed before it are listed in C(removed) and the message says so).
  returned: always
  type: str
abort_message:
  description: Human-readable reason for the abort, or null.
  returned: always
  type: str
orphans:
  description:
    - One entry per (consumer, root provider) confirmed gone from nova (C(GET /servers/{id}) 404).
  returned: always
  type: list
  elements: dict
  contains:
    consumer:
      description: Consumer uuid (the instance uuid for nova).
      type: str
    resource_providers:
      description: Provider uuid -> C({name, resources}) for this root tree.
      type: dict
    root_provider:
      description: C({uuid, name, host, node, compute_node}) of the root provider.
      type: dict
    consumer_generation:
      description: Consumer generation when read.
      type: int
    custom_rc_only:
      description: True when the consumer holds only C(CUSTOM_*) resource classes.
      type: bool
    reason:
      description: C(server_not_found).
      type: str
    allocations:
      description:
        - The consumer's allocations this audit read (provider uuid to resource class to amount),
          on every provider read (all its root trees in scope). With C(consumer_generation), the
          evidence to pass back in O(expected).
      type: dict
    log_lines:
      description: Matching lines of O(nova_compute_log_lines), C({kind, line, ...}).
      type: list
moved:
  description:
    - Consumers that are servers living on another node; their allocation on this root tree is
      leftover (evacuation or a move that was not cleaned up). Same fields as C(orphans), plus
      C(server) (C({id, status, task_state, host, node, project_id})).
  returned: always
  type: list
  elements: dict
skipped_consumers:
  description:
    - Named so because Ansible reserves C(skipped) (a non-empty C(skipped) marks the task as skipped).
    - Consumers left alone, with C(reason) - C(build_request) (server in BUILD without a host),
      C(migration) (migration uuid or instance of an in-progress migration), C(in_progress)
      (task_state set), C(no_host), C(custom_rc_only), C(cap_reached), C(conflict) (409 twice or
      no longer classified the same), C(gone) (nothing left to remove),
      C(no_allocation_on_current_host) (moved server holding nothing on its current node),
      C(changed_since_audit) (generation or allocations differ from what the audit saw and
      O(on_change=skip), or re-confirmation says it no longer qualifies; C(changes) lists the
      differences), C(not_audited) (not in O(expected)), C(sharing_provider) (a live server's
      share of a provider with the C(MISC_SHARES_VIA_AGGREGATE) trait, e.g. shared storage - in
      use wherever the server runs, never a leftover).
  returned: always
  type: list
  elements: dict
removed:
  description:
    - What was removed (in check mode what would be), one entry per consumer -
      C({consumer, reason (orphan|moved), resource_providers {rp_uuid {name, resources}},
      kept_resource_providers, project_id, user_id, consumer_generation, since_audit}).
    - C(since_audit) is C(unchanged) (generation and allocations as the audit saw them) or
      C(changed, re-confirmed (<why>)) with C(changes) listing what differed.
  returned: always
  type: list
  elements: dict
providers_checked:
  description: Root providers audited, C({uuid, name, host, node, compute_node, providers, consumers}).
  returned: always
  type: list
  elements: dict
migrations_in_progress:
  description: In-progress migrations seen (uuid, instance_uuid, status, type, source/dest).
  returned: always
  type: list
  elements: dict
unknown_resource_providers:
  description: Entries of O(resource_providers) that match no provider.
  returned: always
  type: list
  elements: str
log_consumers_not_flagged:
  description: Consumer uuids named in O(nova_compute_log_lines) that this run did not flag.
  returned: always
  type: list
  elements: str
server_listing:
  description: The O(server_listing) used.
  returned: always
  type: str
multi_node_hosts:
  description:
    - With O(server_listing=hypervisors), hosts with several nodes (ironic) whose servers were
      listed with C(GET /servers/detail?all_tenants=1&host=<host>).
  returned: always
  type: list
  elements: str
summary:
  description: Counts - C(consumers), C(ok), C(orphans), C(moved), C(skipped), C(removed), C(servers_listed).
  returned: always
  type: dict
findings:
  description:
    - The audit as stackdoctor results (C(id), C(check), C(status), C(summary), C(evidence), C(fix),
      C(reference)) - one C(placement.orphaned_allocation) or C(placement.moved_allocation) per
      consumer (status C(warning)), one C(ok) result when there is none, or one
      C(placement.audit_aborted) C(error) result. Ready for M(stackdoctor.openstack.finding).
  returned: always
  type: list
  elements: dict
api_calls:
  description: API calls made by the module.
  returned: always
  type: int
api_calls_by_kind:
  description: API calls per C(service METHOD path-template).
  returned: always
  type: dict
api_seconds_by_kind:
  description: Seconds spent waiting for the API, per C(service METHOD path-template) (summed over threads).
  returned: always
  type: dict
request_budget:
  description: The request budget in force at the end (automatic - grown with the work).
  returned: always
  type: int
'''

from ansible_collections.stackdoctor.openstack.plugins.module_utils.openstack_module import (
    StackdoctorOpenStackModule)
from ansible_collections.stackdoctor.openstack.plugins.module_utils import placement as pl


class PlacementAllocationsModule(StackdoctorOpenStackModule):
    argument_spec = dict(
        state=dict(type='str', default='audit', choices=['audit', 'absent']),
        resource_providers=dict(type='list', elements='str'),
        consumers=dict(type='list', elements='str'),
        max_deletes=dict(type='int', default=10),
        include_custom_resource_classes=dict(type='bool', default=False),
        request_budget=dict(type='int', default=0),
        api_timeout=dict(type='int', default=30),
        deadline=dict(type='int', default=600),
        expected=dict(type='list', elements='dict'),
        on_change=dict(type='str', default='reconfirm', choices=['reconfirm', 'skip']),
        concurrency=dict(type='int', default=4),
        server_listing=dict(type='str', default='hypervisors',
                            choices=['hypervisors', 'hypervisors_per_root', 'servers']),
        nova_compute_log_lines=dict(type='list', elements='raw', default=[]),
    )
    module_kwargs = dict(supports_check_mode=True)

    def effective_api_timeout(self, requested):
        # a bounded timeout for authentication and version discovery too, never past the deadline
        if requested and self.params.get('deadline'):
            return min(requested, self.params['deadline'])
        return requested

    def _size_connection_pool(self, concurrency):
        """One pooled connection per concurrent read (requests keeps 10 per host by default:
        beyond that, connections would be opened and dropped on every call)."""
        try:
            from keystoneauth1.session import TCPKeepAliveAdapter as adapter_class
        except ImportError:  # pragma: no cover
            from requests.adapters import HTTPAdapter as adapter_class
        try:
            sess = self.conn.session.session
        except AttributeError:  # pragma: no cover
            return
        size = max(10, int(concurrency) + 2)
        for prefix in ('https://', 'http://'):
            sess.mount(prefix, adapter_class(pool_connections=10, pool_maxsize=size))

    def run(self):
        p = self.params
        for name in ('max_deletes', 'request_budget', 'concurrency', 'deadline'):
            low = 1 if name in ('concurrency', 'deadline') else 0
            if p[name] is not None and p[name] < low:
                self.fail_json(msg='%s must be >= %d' % (name, low))
        if self.api_timeout is not None and self.api_timeout < 1:
            self.fail_json(msg='api_timeout must be >= 1')
        if p['expected'] is not None:
            try:
                expected = pl.norm_expected(p['expected'])
            except (ValueError, TypeError, AttributeError) as e:
                self.fail_json(msg='expected: %s' % e)
            if not p['consumers']:
                p['consumers'] = sorted(expected)
        api = pl.Api(None, budget=p['request_budget'] or pl.AUTO_BUDGET_BASE,
                     deadline=p['deadline'], api_timeout=self.api_timeout)
        api.auto_budget = not p['request_budget']
        api.transport = pl.sdk_transport(self.conn, api)
        self._size_connection_pool(p['concurrency'])
        result = dict(changed=False, aborted=None, abort_message=None, orphans=[], moved=[],
                      skipped_consumers=[], removed=[], providers_checked=[], migrations_in_progress=[],
                      unknown_resource_providers=[], log_consumers_not_flagged=[],
                      server_listing=p['server_listing'], multi_node_hosts=[])
        found = None
        try:
            found = pl.audit(api, p)
            result.update(pl.public(found))
            result['skipped_consumers'] = result.pop('skipped', [])
            if p['state'] == 'absent':
                removed, skipped = pl.remove(api, found, p, self.check_mode)
                result['removed'] = removed
                result['skipped_consumers'] = result['skipped_consumers'] + skipped
                result['changed'] = bool(removed)
        except pl.Abort as e:
            result['aborted'] = e.reason
            result['abort_message'] = e.message
            result['removed'] = list(getattr(e, 'removed', []))
            result['changed'] = bool(result['removed']) and not self.check_mode
            if getattr(e, 'removed', None) is not None:
                result['skipped_consumers'] = result['skipped_consumers'] + list(getattr(e, 'skipped', []))
        result['summary'] = dict(
            consumers=(found or {}).get('consumers', 0), ok=(found or {}).get('ok', 0),
            orphans=len(result['orphans']), moved=len(result['moved']),
            skipped=len(result['skipped_consumers']), removed=len(result['removed']),
            servers_listed=(found or {}).get('servers_listed', 0))
        result['api_calls'] = api.calls
        result['api_calls_by_kind'] = dict(api.by_kind)
        result['api_seconds_by_kind'] = dict((k, round(v, 3)) for k, v in api.seconds_by_kind.items())
        result['request_budget'] = api.budget
        result.pop('consumers', None)
        result.pop('ok', None)
        result.pop('servers_listed', None)
        result['findings'] = pl.findings(result)
        if result['aborted'] and p['state'] == 'absent':
            self.fail_json(msg=result['abort_message'], **result)
        self.exit_json(**result)


def main():
    module = PlacementAllocationsModule()
    module()


if __name__ == '__main__':
    main()
