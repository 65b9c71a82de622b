#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: node_facts
short_description: Gather, in one run, the host facts the stackdoctor checks need
version_added: 0.1.0
description:
  - Reads the OpenStack deployment layout, configuration files and logs of the managed
    node and returns them as the fact C(stackdoctor_node_facts), a dict keyed by subset.
  - The C(layout) subset (flavour, container CLI, per-service config/log paths and
    restart method) is always gathered first; the other subsets take their paths from it.
  - Never fails because of what it finds. A subset that cannot be gathered reports
    C(error) with the node-side file and line where known.
  - Changes nothing. Secrets never leave the node; only the needed options are
    returned, and log lines are masked.
author:
  - stackdoctor developers (@stackdoctor)
options:
  subsets:
    description:
      - Subsets to gather. C(layout) is always included.
    type: list
    elements: str
    choices: [layout, cinder, tgt, cinder_volume_log, nova_compute_log, nova_control_log, qemu_img, target_address,
              cinder_glance, nested_virt, services, messaging, disk, credentials, ceph, haproxy, debug,
              log_signatures, rabbitmq_cluster, image_backends, containers, pacemaker, rbd_secrets, galera, fip_nat,
              service_token]
    default: [layout, cinder, tgt, cinder_volume_log, nova_compute_log, nova_control_log, qemu_img, target_address,
              cinder_glance, nested_virt, services, messaging, disk, credentials, ceph, haproxy, debug,
              log_signatures, rabbitmq_cluster, image_backends, containers, pacemaker, rbd_secrets, galera, fip_nat,
              service_token]
  layout_flavour:
    description:
      - Deployment flavour. C(auto) detects it (C(/etc/kolla) service directories,
        C(/var/lib/config-data/puppet-generated), C(/var/lib/juju/agents), else packaged).
    type: str
    choices: [auto, packaged, kolla, tripleo, juju]
    default: auto
  layout_overrides:
    description:
      - Per logical service overrides deep-merged into the layout table (dicts are
        merged, lists and scalars replaced).
      - 'For example C({"tgt": {"restart": {"units": ["tgtd"]}}}).'
    type: dict
    default: {}
  log_max_matches:
    description:
      - Most recent log signature matches kept per log (all are counted).
    type: int
    default: 20
  log_tail_bytes:
    description:
      - Only the last this many bytes of each log are read.
    type: int
    default: 4194304
  command_timeout:
    description:
      - Seconds each command run inside a container may take (C(timeout <n> <cli> exec ...),
        e.g. reading tgt's config inside kolla's C(cinder_volume) container), and each
        C(systemctl show) / C(<cli> inspect) of the C(services) subset.
    type: int
    default: 30
  probe_timeout:
    description:
      - Seconds each network probe from the node may take (the C(messaging) subset - TCP
        connect, AMQP login and virtual host per broker endpoint; the C(credentials) subset - a
        database login per connection URL, a keystone token per service user).
    type: float
    default: 5
  probe:
    description:
      - Run the network probes of the C(messaging) and C(credentials) subsets. C(false) reads the configs only.
    type: bool
    default: true
  as_facts:
    description:
      - Return the facts in C(ansible_facts) (set on the host, replacing its C(stackdoctor_node_facts)).
      - C(false) returns them as C(stackdoctor_node_facts) in the result only, for a caller that merges
        them into what it has, or that gathers another host's facts through C(delegate_to) (Ansible applies
        a delegated task's C(ansible_facts) to the inventory host, not to the delegated one, unless
        C(delegate_facts) is set).
    type: bool
    default: true
  root:
    description:
      - Where the node's root filesystem is. Only for tests; no command is run when it
        is not C(/).
    type: str
    default: /
attributes:
  check_mode:
    description: Can run in check mode and return the same facts (it changes nothing).
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
  facts:
    description: Returns C(stackdoctor_node_facts) and C(stackdoctor_layout) in C(ansible_facts) (unless O(as_facts=false)).
    support: full
notes:
  - Runs with the managed node's Python 3.9 or later and its standard library only.
  - On kolla, tgt's configuration is C(/etc/tgt) inside the C(cinder_volume) image (where
    cinder runs C(tgt-admin)); it is read there with C(<cli> exec cinder_volume python3),
    bounded by O(command_timeout). The host's C(/etc/kolla/tgtd/) holds only C(config.json).
seealso:
  - name: Facts contract
    description: docs/DEVELOPING.md in the collection.
    link: https://example.invalid/stackdoctor/openstack
'''

EXAMPLES = r'''
- name: Gather everything the cinder/tgt checks need
  stackdoctor.openstack.node_facts:
    subsets: [cinder, tgt, cinder_volume_log]

- name: Layout only, forcing kolla and a different tgt container name
  stackdoctor.openstack.node_facts:
    subsets: [layout]
    layout_flavour: kolla
    layout_overrides:
      tgt:
        restart:
          containers: [tgtd_custom]

- name: Show where cinder-volume's log is
  ansible.builtin.debug:
    msg: "{{ stackdoctor_node_facts.layout.services['cinder-volume'].log_files }}"
'''

RETURN = r'''
timings:
  description: Seconds each gathered subset took on the host (C(layout) included), to find a slow probe.
  returned: always
  type: dict
  sample: {layout: 0.041, tgt: 0.62, credentials: 1.9}
stackdoctor_node_facts:
  description: The gathered subsets, as in C(ansible_facts.stackdoctor_node_facts).
  returned: when O(as_facts=false)
  type: dict
ansible_facts:
  description: Facts set on the host.
  returned: when O(as_facts=true)
  type: dict
  contains:
    stackdoctor_layout:
      description: The C(layout) subset again, the layout every role reads (see M(stackdoctor.openstack.node_facts) C(layout)).
      returned: always
      type: dict
    stackdoctor_node_facts:
      description: One key per gathered subset.
      returned: always
      type: dict
      contains:
        layout:
          description:
            - C(flavour), C(detected_by), C(detected_flavour), C(container_cli)
              (docker, podman or none), C(config_change), C(units_source), C(errors), and
              C(services), a dict keyed by logical service (cinder-volume, tgt,
              nova-compute, nova-api, nova-conductor, nova-scheduler, placement-api,
              libvirt, neutron-l3-agent, glance-api, rabbitmq).
            - Each service has C(config_files), C(config_dir), C(log_files),
              C(log_via), C(present_by_default), C(present), C(config_present),
              C(source) (the public source of the entry), C(assumption) (true when no
              source confirms it) and C(restart) =
              {method (systemd, container, pacemaker, juju_unit), unit, units, container,
              containers, container_state, resource, via_fallback}. tgt also has
              C(targets_conf), C(conf_d), C(config_view) (host or container),
              C(config_containers) and C(path_map).
          returned: always
          type: dict
          sample:
            flavour: packaged
            detected_by: no kolla, tripleo or juju marker
            container_cli: none
            services:
              tgt:
                config_files: [/etc/tgt/targets.conf]
                targets_conf: /etc/tgt/targets.conf
                conf_d: /etc/tgt/conf.d
                present: true
                restart: {method: systemd, unit: tgt, units: [tgt, tgtd]}
        cinder:
          description:
            - cinder.conf resolved as cinder-volume sees it. C(backends) is keyed by
              backend name (C(DEFAULT) for the legacy single backend); each has
              C(section), C(section_present), C(volume_driver), C(volume_backend_name),
              C(is_lvm), C(target_helper), C(target_helper_source) (backend,
              backend_defaults, DEFAULT, default), C(target_protocol),
              C(target_ip_address), C(target_port), C(target_prefix), C(volumes_dir),
              C(volume_group), C(iscsi_helper) (ignored since Stein), C(ignored_options)
              and C(sources) (where each value came from).
            - C(error) is null or {file, line, message} (parse error).
          returned: when requested
          type: dict
          sample:
            config_file: /etc/cinder/cinder.conf
            found: true
            error: null
            enabled_backends: [lvm-1]
            state_path: /var/lib/cinder
            deprecated_options: []
        tgt:
          description:
            - tgt's effective include tree from targets.conf (C(includes) with
              {pattern, file, line, resolved, glob, matches, match_count}), C(files_read),
              C(targets) names, C(default_driver), C(errors) (kind missing, unreadable,
              loop, limit), C(installed), C(binaries), C(running), C(running_how),
              C(coverage) (volumes_dir of each cinder backend -> covering include or null),
              C(config_side) (host or container), C(read_in) (the container whose
              /etc/tgt was read, kolla C(cinder_volume)), C(layout_source) and
              C(layout_assumption).
          returned: when requested
          type: dict
        cinder_volume_log:
          description:
            - Log signature matches (rows 1a-1h, 7a-7e of the table in C(plugins/module_utils/log_signatures.py)) in the
              tail of the cinder-volume log, masked. C(matches) holds the most recent
              C(log_max_matches) {signature, line_no, text, groups, diagnosis}; C(counts)
              counts every match per signature.
          returned: when requested
          type: dict
        nova_compute_log:
          description:
            - Log signature matches (rows 4a-4c of C(log_signatures.py)) in the tail of the nova-compute
              log, the same shape as C(cinder_volume_log); row 4a is nova's line
              C(Instance <uuid> has allocations against this compute host but is not found
              in the database), evidence for C(check_placement_allocations).
          returned: when requested
          type: dict
        qemu_img:
          description:
            - Which of cinder-volume, nova-compute and glance-api run on the host (C(runs), C(runs_how), from
              their unit or container in the layout, or on packaged and juju hosts from their config), whether
              they use qemu-img (C(required), C(why); nova only with a libvirt C(compute_driver), glance only
              with the C(image_conversion) import plugin) and where qemu-img is (C(qemu_img), a path or null).
            - qemu-img is looked up on the host, or inside the service's container with
              C(<cli> exec <container> sh -c 'command -v qemu-img') bounded by O(command_timeout).
            - Also C(os_family) and C(package) (qemu-utils, qemu-img or qemu-tools).
          returned: when requested
          type: dict
        target_address:
          description:
            - The addresses of the host's network namespace (C(addresses)) and the networks
              each is on (C(networks)), read from C(/proc/net/fib_trie) and C(/proc/net/if_inet6)
              (no command runs).
          returned: when requested
          type: dict
        nova_control_log:
          description:
            - C(logs), one scan per service (nova-api, nova-conductor, nova-scheduler, with
              C(service)), each the same shape as C(cinder_volume_log), for rows 3a-3e of
              C(log_signatures.py) (the compute RPC version nova selected, TooOldComputeService,
              ServiceTooOld, RPCVersionCapError); evidence for C(check_nova_service_versions).
          returned: when requested
          type: dict
        cinder_glance:
          description:
            - How cinder-volume finds glance, from cinder.conf through the layout. C(servers) lists
              C([DEFAULT] glance_api_servers) entries ({value, url, line}; C(http://) added as cinder does);
              empty means the catalog is used with C(glance_catalog_info) (C(service_type), C(service_name),
              C(interface), C(catalog_info_valid)) and C([glance] region_name).
          returned: when requested
          type: dict
        nested_virt:
          description:
            - KVM nested virtualisation - C(cpu_flags) (vmx, svm, hypervisor), C(modules)
              (kvm_intel, kvm_amd - loaded, file, nested as the kernel renders it, nested_enabled,
              refcnt), C(modprobe) (each C(options kvm_intel|kvm-intel|kvm_amd|kvm-amd ... nested=)
              line of /etc/modprobe.d/*.conf with file and line), C(qemu_processes) (pid, comm, guest
              and uuid from the qemu command line; found by comm or by the binary the command line runs),
              C(nova) (nova.conf C([libvirt] cpu_mode) with its line, C(cpu_model_extra_flags),
              C(virt_type)); for C(check_nested_virt).
          returned: when requested
          type: dict
        services:
          description:
            - State of every layout service deployed on the host (unit file or container present,
              or a C(pidfile) named by the layout overrides), keyed by logical service -
              C(method), C(target) (unit, container or pid file), C(running), C(state),
              C(sub_state), C(enabled), C(unit_file_state), C(result), C(exit_code),
              C(exit_status), C(oom_killed), C(health), C(restart_policy), C(since).
            - C(systemd) (whether C(systemctl show) answered) and C(errors).
          returned: when requested
          type: dict
        messaging:
          description:
            - Every config file of the layout's services on the node, with its C([DEFAULT]) (and
              C([oslo_messaging_notifications]) when set) C(transport_url) - C(file), C(line),
              C(url_masked) (passwords as C(***)), C(driver), C(virtual_host), C(hosts), and
              C(probes) (one per broker host - C(tcp), C(amqp) ok|refused|vhost_refused|
              protocol_error|timeout|closed, C(reply_code), C(reply_text), C(server), C(elapsed_ms)).
            - C(legacy_options) (rabbit_host and friends) and C(logs) - per service, oslo.messaging's
              AMQP lines (rows 11a-11d of C(log_signatures.py)) in the tail of its log.
          returned: when requested
          type: dict
        disk:
          description:
            - C(paths) - free space and inodes (C(os.statvfs)) where the services write - instances_path and
              the image cache (from nova.conf), the glance filesystem store, each service's log
              directory, the database and broker data dirs; each with C(path), C(what), C(services),
              C(exists), C(device), C(free_bytes), C(free_percent), C(free_inodes_percent).
          returned: when requested
          type: dict
        credentials:
          description:
            - Per config file of the layout's services - C(databases) (C([database]), C([api_database]),
              C([placement_database]) connection - C(url_masked), C(line), and C(probe), a MySQL/MariaDB
              login with the user, password and database of the URL - C(login) ok|access_denied|
              db_access_denied|unknown_database|..., C(error_code), C(error_text)) and C(keystone)
              (password sections - C(section), C(line), C(auth_url), C(username), C(project), and
              C(probe), a token request - C(status), C(token) ok|refused|error|unreachable|timeout).
            - Passwords never leave the node.
          returned: when requested
          type: dict
        ceph:
          description:
            - C(ceph -s -f json) where a ceph client, the cluster's conf and a keyring are present - on the
              host (C(where=host)), else in a monitor or client container of the layout (ceph-ansible
              C(ceph-mon-*), cephadm C(ceph-*-mon-*), kolla C(cinder_volume) / C(glance_api) / C(nova_compute);
              override with the layout entry C(ceph) - C(containers), C(client_id), C(cluster)).
            - C(present), C(where), C(container), C(client_id), C(command), C(rc), C(status) (C(status)
              HEALTH_OK|HEALTH_WARN|HEALTH_ERR, C(checks) - C(code), C(severity), C(message), C(count),
              C(muted) - C(quorum_names), C(num_mons), C(num_osds), C(num_up_osds), C(pgs_by_state)),
              C(error) (why the command failed) and C(looked_at) (where a client was looked for).
            - Bounded by O(command_timeout) (C(--connect-timeout) and C(timeout)). Keyrings are never read.
          returned: when requested
          type: dict
        haproxy:
          description:
            - haproxy's C(show stat) read from its stats socket (a unix socket, bounded by O(probe_timeout)) - the
              socket from the config's C(stats socket) lines (packaged C(/etc/haproxy/haproxy.cfg), kolla
              C(/etc/kolla/haproxy/haproxy.cfg) with the socket in the C(haproxy_socket) volume, TripleO
              puppet-generated, C(/var/lib/haproxy/stats)); the layout entry C(haproxy) may name C(stats_socket).
            - C(present), C(config), C(sockets), C(socket), C(rows) (C(pxname), C(svname), C(status), C(check_status),
              C(check_desc), C(last_chk), C(lastchg), ...), C(truncated), C(error).
          returned: when requested
          type: dict
        debug:
          description:
            - Per config file of the layout's OpenStack services - C(file), C(services), C(value) and C(line) of
              C([DEFAULT] debug), C(enabled) (true/1/yes/on), C(logs) (each service's log and its size in bytes),
              C(error).
          returned: when requested
          type: dict
        log_signatures:
          description:
            - The table of known log lines (each row with the upstream source that logs it) over the last
              O(log_tail_bytes) of every log of the layout's services; one entry per log file - C(services), C(file),
              C(size), C(truncated), C(lines_scanned), C(rows) (signature ids searched), C(signatures) (per id -
              C(count), C(times) of the last 20 matches from the oslo.log prefix, C(last_time), C(last_line),
              C(last_text) masked), C(error); and C(now), the node's local time, for the time window.
          returned: when requested
          type: dict
        rabbitmq_cluster:
          description:
            - C(rabbitmqctl cluster_status --formatter json) (RabbitMQ 3.8+) on the host or in the layout's rabbitmq
              container, bounded by O(command_timeout); the layout entry C(rabbitmq) may add C(ctl_env) and C(ctl_args).
            - C(present), C(where), C(container), C(command), C(rc), C(status) (C(cluster_name), C(disk_nodes),
              C(ram_nodes), C(running_nodes) - a list even where RabbitMQ renders it as one string - C(partitions),
              C(alarms), C(versions)), C(error).
          returned: when requested
          type: dict
        containers:
          description:
            - Every container of the layout (C(<cli> ps -a), one C(<cli> inspect)) - the layout's service containers,
              kolla's (label C(kolla_version)), TripleO's (label C(managed_by), pacemaker bundle replicas); the layout
              entry C(containers) may add C(include) (globs), C(labels) and C(exclude). Bounded by O(command_timeout).
            - C(cli), C(present), C(selection), C(others) (containers not of the layout), C(error), C(containers) (per
              container - C(name), C(why), C(image), C(status), C(running), C(restarting), C(exit_code), C(oom_killed),
              C(health), C(failing_streak), C(health_log) (the last 3 healthcheck runs, output masked),
              C(restart_policy), C(restart_count), C(one_shot), C(restart) (C(method), C(unit) or C(resource)),
              C(log_tail) (the last lines of C(<cli> logs), masked, for the faulty ones)).
          returned: when requested
          type: dict
        pacemaker:
          description:
            - C(crm_mon --one-shot --inactive --output-as=xml) (C(--as-xml) for pacemaker 1.1) where crm_mon and a
              corosync.conf or CIB are on the host, bounded by O(command_timeout).
            - C(present), C(config), C(pcs), C(command), C(rc), C(error), C(status) (C(dc), C(dc_present), C(quorum),
              C(stonith_enabled), C(maintenance_mode), C(nodes), C(resources) with their clone/group/bundle,
              C(failures) - the failed actions with C(resource), C(task), C(node), C(exitstatus), C(exitreason)).
          returned: when requested
          type: dict
        rbd_secrets:
          description:
            - Ceph auth of nova, cinder and libvirt, through the layout - C(nova) (nova.conf C([libvirt]) C(images_type),
              C(rbd_user), C(rbd_secret_uuid), the ceph.conf and key it uses), C(cinder) (every RBD backend's C(rbd_user),
              C(rbd_secret_uuid), C(rbd_ceph_conf), the ceph.conf C(fsid) and the effective C(secret_uuid)), C(cephx) (per
              cephx user the keyring found from nova-compute's /etc/ceph), C(libvirt) (C(virsh secret-list) and
              C(secret-get-value) on the host or in the libvirt container, bounded by O(command_timeout)), C(log)
              (nova-compute log lines 2a-2c).
            - Keys and secret values never leave the node - only C(digest) (sha256 of the decoded key, 16 hex digits).
          returned: when requested
          type: dict
        galera:
          description:
            - C(SHOW GLOBAL VARIABLES) (C(wsrep_on), C(wsrep_provider), C(wsrep_cluster_address), C(wsrep_cluster_name),
              C(wsrep_node_name)) and C(SHOW GLOBAL STATUS LIKE 'wsrep_%') of the node's MariaDB, in the layout's
              C(galera) container (kolla C(mariadb) with its C(healthcheck.cnf), TripleO C(galera-bundle-podman-N) with
              the container's root client config) or on the host where a server runs or its unit is enabled (root
              through the unix socket, C(/root/.my.cnf) when it exists); bounded by O(command_timeout). The layout
              entry C(galera) may set C(client_defaults_files) and C(client_args). Passwords are never read.
            - C(present), C(where), C(container), C(client), C(login) (how the client logs in, never a password),
              C(command), C(rc), C(variables), C(status) (the wsrep status variables the check reads), C(no_wsrep)
              (no wsrep variable at all - MySQL, a MariaDB without Galera), C(error) (C(kind) - no_client,
              server_down, access_denied, timeout, failed - and C(message)), C(looked_at).
          returned: when requested
          type: dict
        service_token:
          description:
            - Each nova service's config file - C(file), C(services), C(send) (C([service_user]
              send_service_user_token) as written, or null), C(send_line), C(section) (the section exists),
              C(auth_type), C(has_username), C(has_password), C(has_auth_url) (whether set, never the value), C(error).
          returned: when requested
          type: dict
        fip_nat:
          description:
            - Floating IP NAT as the neutron L3 agent (or nova-network) wrote it, per network namespace - the root one
              and every C(qrouter-), C(snat-) and C(fip-) one (C(namespaces), root first) - C(name) (null for the
              root), C(kind), C(nat) and C(filter) (C(iptables-save -t nat|filter) - C(chains) with their policy,
              C(rules) with C(chain), C(target), C(src), C(dst), C(in), C(out), C(to), C(text)), C(addresses)
              (C(ip -j addr)), C(routes) (C(ip -j route)), C(ip_forward), C(errors).
            - One C(sh -c) per namespace (C(ip netns exec)), each bounded by O(command_timeout).
            - C(ovn) - NB C(NAT) rows of the C(neutron-<router>) logical routers where C(ovn-nbctl) answers (host,
              or kolla's C(ovn_nb_db) container). C(public_interface) - nova.conf C([DEFAULT] public_interface)
              when the root namespace has nova-network chains.
          returned: when requested
          type: dict
changed:
  description: Always false, nothing is changed.
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackdoctor.openstack.plugins.module_utils.node_facts_subsets import (
    DEFAULT_LOG_MAX_MATCHES, DEFAULT_LOG_TAIL_BYTES,
    SUBSET_NAMES, Context, gather)


def _runner(module):
    def run(argv):
        # a missing binary (no systemctl on a container without systemd, no tgtadm) is a fact
        # to record, not a failure of the whole module: rc 127 as a shell gives it
        try:
            rc, out, err = module.run_command(argv, check_rc=False, handle_exceptions=False)
        except (OSError, IOError) as exc:
            return 127, '', '%s: %s' % (argv[0] if argv else '?', exc)
        return rc, out, err
    return run


def main():
    module = AnsibleModule(
        argument_spec=dict(
            subsets=dict(type='list', elements='str', choices=list(SUBSET_NAMES),
                         default=list(SUBSET_NAMES)),
            layout_flavour=dict(type='str', default='auto',
                                choices=['auto', 'packaged', 'kolla', 'tripleo', 'juju']),
            layout_overrides=dict(type='dict', default={}),
            log_max_matches=dict(type='int', default=DEFAULT_LOG_MAX_MATCHES),
            log_tail_bytes=dict(type='int', default=DEFAULT_LOG_TAIL_BYTES),
            command_timeout=dict(type='int', default=30),
            probe_timeout=dict(type='float', default=5),
            probe=dict(type='bool', default=True),
            root=dict(type='str', default='/'),
            as_facts=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    root = module.params['root'] or '/'
    runner = _runner(module) if root == '/' else None
    ctx = Context(root=root, params=module.params, runner=runner)
    facts = gather(module.params['subsets'], ctx)
    if not module.params['as_facts']:
        module.exit_json(changed=False, timings=ctx.timings, stackdoctor_node_facts=facts)
    module.exit_json(changed=False, timings=ctx.timings,
                     ansible_facts={'stackdoctor_node_facts': facts, 'stackdoctor_layout': facts.get('layout') or {}})


if __name__ == '__main__':
    main()
