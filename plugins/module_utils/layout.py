# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deployment layouts: where each OpenStack service keeps its files and how to restart it.

Standard library only. :data:`TABLE` holds, per flavour (``packaged``, ``kolla``,
``tripleo``, ``juju``) and logical service, what the deployment tools' own sources say.
Every entry cites its public source (``source``: repository and path, e.g.
``openstack/kolla kolla/docker/cinder/cinder-volume/Dockerfile.j2:41``); an entry, or
part of one, that no source confirms carries ``assumption: True`` (and
``assumption_fields`` naming the unconfirmed keys when only some are). Both keys reach
the ``layout`` facts, so a finding's evidence can say that a path is an assumption.

Every service entry has:

``config_files``
    configuration files, host paths, most important first;
``config_dir``
    the host directory holding them;
``log_files``
    host paths (globs allowed) of the service's logs; empty when it logs to journald
    or to the container engine only;
``log_via``
    ``file`` (``log_files``), ``journald``, ``syslog`` or ``container`` (``<cli> logs
    <container>``; :func:`resolve` fills ``log_command``);
``restart``
    ``{method, units, containers, resource, fallback}``: ``method`` is ``systemd``,
    ``container``, ``pacemaker`` or ``juju_unit``; ``units`` and ``containers`` are
    candidate names in preference order (``tgt`` then ``tgtd``, ``cinder-volume`` then
    ``openstack-cinder-volume``); a container candidate may be a glob
    (``rabbitmq-bundle-podman-*``: pacemaker names a bundle's replicas
    ``<bundle>-podman-<n>``); ``resource`` is the pacemaker resource; ``fallback`` an
    alternative restart used when the primary target does not exist on the host;
``present_by_default``
    whether the flavour deploys the service unless told otherwise: a bool, or
    ``{'os_family': [...]}`` when it depends on the host's OS family (kolla's tgtd);
    :func:`resolve` turns the latter into a bool (``None`` when the family is unknown)
    and keeps the condition in ``present_by_default_when``.

tgt entries also carry ``targets_conf`` and ``conf_d`` and say on which side they are:
``config_view`` ``host`` (host paths, ``path_map`` ``{path seen by tgt: host path}``) or
``container`` (paths inside ``config_containers``, read and edited there with
``<cli> exec``). Kolla bakes ``include /var/lib/cinder/volumes/*`` into
``/etc/tgt/targets.conf`` of the ``cinder-volume`` and ``tgtd`` images and cinder-volume
runs ``tgt-admin --update`` inside ``cinder_volume``; the host's ``/etc/kolla/tgtd`` holds
only ``config.json`` (``config_files: []``).

:func:`detect` looks at a host (``root`` for tests), :func:`resolve` turns the table,
the detection and per-service overrides into the host's layout.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import fnmatch
import glob
import json
import os
import subprocess

FLAVOURS = ('packaged', 'kolla', 'tripleo', 'juju')
CONTAINER_CLIS = ('docker', 'podman')
PG = '/var/lib/config-data/puppet-generated'
SYSTEMD_DIRS = ('/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system',
                '/usr/lib/systemd/system', '/usr/local/lib/systemd/system')
BIN_DIRS = ('/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin')
# Where the container engine keeps named volumes (kolla's ``cinder`` volume, ...):
# openstack/kolla-ansible ansible/group_vars/all/common.yml:72-74
# (docker_volumes_path, podman_volumes_path, container_engine_volumes_path).
ENGINE_VOLUMES = {'docker': '/var/lib/docker/volumes',
                  'podman': '/var/lib/containers/storage/volumes'}
# /etc/os-release ID / ID_LIKE words -> Ansible's os_family names.
OS_FAMILIES = {'debian': 'Debian', 'ubuntu': 'Debian', 'rhel': 'RedHat', 'centos': 'RedHat',
               'fedora': 'RedHat', 'rocky': 'RedHat', 'almalinux': 'RedHat',
               'ol': 'RedHat', 'suse': 'Suse', 'opensuse': 'Suse'}

CONFIG_CHANGE = {
    'packaged': 'edit the file, then restart the service',
    'kolla': 'edit /etc/kolla/config overrides, then kolla-ansible reconfigure '
             '(direct edits of /etc/kolla/<service> are lost on the next deploy)',
    'tripleo': 'THT parameters + openstack overcloud deploy (direct edits of '
               'puppet-generated files are temporary)',
    'juju': 'juju config <application> key=value (files are rendered by the charm)',
}

LIBVIRT_MODULAR = ('virtqemud', 'virtsecretd', 'virtnodedevd', 'virtstoraged', 'virtproxyd',
                   'virtlogd')


def _svc(config_files, config_dir, log_files, method, units=None, containers=None,
         resource=None, fallback=None, source=None, assumption=False, **extra):
    entry = {
        'config_files': list(config_files),
        'config_dir': config_dir,
        'log_files': list(log_files),
        'log_via': 'file' if log_files else 'journald',
        'restart': {'method': method, 'units': list(units or []),
                    'containers': list(containers or []), 'resource': resource,
                    'fallback': fallback},
        'present_by_default': True,
        'source': source,
        'assumption': bool(assumption),
    }
    entry.update(extra)
    if entry.get('assumption_fields'):
        entry['assumption'] = True
    return entry


# ---------------------------------------------------------------------------
# packaged (distribution packages, systemd)
# ---------------------------------------------------------------------------
_PACKAGED = {
    # Ubuntu/Debian cinder-volume; RDO openstack-cinder-volume.service:13
    # (rdo-packages/cinder-distgit) runs `--logfile /var/log/cinder/volume.log`.
    'cinder-volume': _svc(['/etc/cinder/cinder.conf'], '/etc/cinder',
                          ['/var/log/cinder/cinder-volume.log', '/var/log/cinder/volume.log'],
                          'systemd', ['cinder-volume', 'openstack-cinder-volume'],
                          source='rdo-packages/cinder-distgit openstack-cinder-volume.service:13 '
                                 '(--logfile /var/log/cinder/volume.log); Debian/Ubuntu '
                                 'cinder-volume package (cinder-volume.service)'),
    # Debian/Ubuntu tgt (tgt.service, /etc/tgt/targets.conf); fujita/tgt scripts/tgtd.service.
    'tgt': _svc(['/etc/tgt/targets.conf'], '/etc/tgt', [], 'systemd', ['tgt', 'tgtd'],
                targets_conf='/etc/tgt/targets.conf', conf_d='/etc/tgt/conf.d', path_map={},
                config_view='host', config_containers=[],
                source='Debian tgt package file list (tgt.service, /etc/tgt/targets.conf); '
                       'fujita/tgt scripts/tgtd.service'),
    'nova-compute': _svc(['/etc/nova/nova.conf'], '/etc/nova',
                         ['/var/log/nova/nova-compute.log'], 'systemd',
                         ['nova-compute', 'openstack-nova-compute'],
                         source='rdo-packages/nova-distgit openstack-nova-compute.service '
                                '(ExecStart), nova-dist.conf:2; Ubuntu nova-compute package'),
    'nova-api': _svc(['/etc/nova/nova.conf'], '/etc/nova',
                     ['/var/log/nova/nova-api.log', '/var/log/nova/nova-api-wsgi.log'],
                     'systemd', ['nova-api', 'openstack-nova-api', 'apache2', 'httpd'],
                     source='rdo-packages/nova-distgit openstack-nova-api.service; Ubuntu jammy '
                            'nova-api package (nova-api.service)'),
    'nova-conductor': _svc(['/etc/nova/nova.conf'], '/etc/nova',
                           ['/var/log/nova/nova-conductor.log'], 'systemd',
                           ['nova-conductor', 'openstack-nova-conductor'],
                           source='rdo-packages/nova-distgit openstack-nova-conductor.service'),
    'nova-scheduler': _svc(['/etc/nova/nova.conf'], '/etc/nova',
                           ['/var/log/nova/nova-scheduler.log'], 'systemd',
                           ['nova-scheduler', 'openstack-nova-scheduler'],
                           source='rdo-packages/nova-distgit openstack-nova-scheduler.service'),
    # RDO runs placement in httpd (placement-api.conf:12 ErrorLog placement-api.log, spec:65,169);
    # Debian ships placement-api.service, Ubuntu an apache2 site.
    'placement-api': _svc(['/etc/placement/placement.conf'], '/etc/placement',
                          ['/var/log/placement/placement-api.log'], 'systemd',
                          ['placement-api', 'openstack-placement-api', 'apache2', 'httpd'],
                          source='rdo-packages/placement-distgit placement-api.conf:12, '
                                 'openstack-placement.spec:65,169; Debian placement-api package'),
    # No packaging source was checked for the monolithic libvirtd's log file.
    'libvirt': _svc(['/etc/libvirt/libvirtd.conf', '/etc/libvirt/qemu.conf'], '/etc/libvirt',
                    ['/var/log/libvirt/libvirtd.log'], 'systemd',
                    ['libvirtd', 'virtqemud', 'libvirt-bin'],
                    source='libvirt docs/daemons.rst (libvirtd.service, /etc/libvirt/libvirtd.conf)',
                    assumption_fields=['log_files']),
    'neutron-l3-agent': _svc(['/etc/neutron/neutron.conf', '/etc/neutron/l3_agent.ini'],
                             '/etc/neutron',
                             ['/var/log/neutron/neutron-l3-agent.log',
                              '/var/log/neutron/l3-agent.log'],
                             'systemd', ['neutron-l3-agent'],
                             source='rdo-packages/neutron-distgit neutron-l3-agent.service:8 '
                                    '(l3-agent.log), openstack-neutron.spec:493 (l3_agent.ini)'),
    'glance-api': _svc(['/etc/glance/glance-api.conf'], '/etc/glance',
                       ['/var/log/glance/glance-api.log', '/var/log/glance/api.log'],
                       'systemd', ['glance-api', 'openstack-glance-api'],
                       source='rdo-packages/glance-distgit openstack-glance-api.service:10, '
                              'glance-api-dist.conf:4 (api.log)'),
    # No packaging source was checked for rabbitmq-server's paths.
    'rabbitmq': _svc(['/etc/rabbitmq/rabbitmq.conf', '/etc/rabbitmq/rabbitmq-env.conf'],
                     '/etc/rabbitmq', ['/var/log/rabbitmq/rabbit@*.log'], 'systemd',
                     ['rabbitmq-server'], assumption=True),
    # open-iscsi: iscsid.service and /etc/iscsi/iscsid.conf (not checked against a file list).
    'iscsid': _svc(['/etc/iscsi/iscsid.conf'], '/etc/iscsi', [], 'systemd', ['iscsid'],
                   assumption=True),
}
# mistral (packages: Debian/Ubuntu mistral-api, mistral-engine, mistral-executor units; RDO
# openstack-mistral-*; /etc/mistral/mistral.conf): not checked against a file list.
# `mistral-db-manage` runs where mistral-api runs (fix_mistral_actions).
for _m in ('api', 'engine', 'executor'):
    _PACKAGED['mistral-%s' % _m] = _svc(['/etc/mistral/mistral.conf'], '/etc/mistral',
                                        ['/var/log/mistral/mistral-%s.log' % _m, '/var/log/mistral/%s.log' % _m],
                                        'systemd', ['mistral-%s' % _m, 'openstack-mistral-%s' % _m],
                                        container_config_file='/etc/mistral/mistral.conf', assumption=True)
# Modular libvirt daemons: one unit and one /etc/libvirt/<daemon>.conf each
# (libvirt docs/daemons.rst); their log destination was not checked (journald assumed).
for _d in LIBVIRT_MODULAR:
    _PACKAGED[_d] = _svc(['/etc/libvirt/%s.conf' % _d], '/etc/libvirt', [], 'systemd', [_d],
                         source='libvirt docs/daemons.rst (%s.service, /etc/libvirt/%s.conf)'
                                % (_d, _d),
                         assumption_fields=['log_files'])


# ---------------------------------------------------------------------------
# kolla (kolla-ansible; KA = openstack/kolla-ansible, K = openstack/kolla)
# ---------------------------------------------------------------------------
def _kolla(svc, files, project, log_name, container, source=None, **extra):
    cdir = '/etc/kolla/%s' % svc
    return _svc(['%s/%s' % (cdir, f) for f in files], cdir,
                ['/var/log/kolla/%s/%s' % (project, log_name)], 'container',
                containers=[container], source=source, **extra)


_KOLLA = {
    # cinder_volume mounts the named volume cinder at /var/lib/cinder
    # (KA ansible/roles/cinder/defaults/main.yml:194,208); its host path depends on the engine.
    'cinder-volume': _kolla('cinder-volume', ['cinder.conf'], 'cinder', 'cinder-volume.log',
                            'cinder_volume',
                            host_paths={'/var/lib/cinder': '{engine_volumes}/cinder/_data'},
                            source='openstack/kolla-ansible ansible/roles/cinder/defaults/main.yml:42-43,194,208; '
                                   'ansible/roles/cinder/tasks/config.yml:85; templates/cinder.conf.j2:4'),
    # tgt's config is inside the images, not on the host:
    #   K kolla/docker/cinder/cinder-volume/Dockerfile.j2:41 and kolla/docker/tgtd/Dockerfile.j2:19
    #     `RUN sed -i '1 i include /var/lib/cinder/volumes/*' /etc/tgt/targets.conf`;
    #   KA ansible/roles/iscsi/defaults/main.yml:48-53 mount /etc/kolla/tgtd/ at
    #     /var/lib/kolla/config_files (ro), nothing at /etc/tgt; templates/tgtd.json.j2:2-3
    #     `"command": "tgtd -d 1 -f ..."`, `"config_files": []` (no log file: `<cli> logs tgtd`);
    #   cinder (cinder/volume/targets/tgt.py) runs `tgt-admin --update` in cinder_volume.
    # enable_tgtd needs LVM and cinder_target_helper tgtadm (KA iscsi/defaults/main.yml:74-77),
    # and cinder_target_helper is lioadm on RedHat (KA group_vars/all/cinder.yml:82).
    'tgt': _svc(['/etc/kolla/tgtd/config.json'], '/etc/kolla/tgtd', [], 'container',
                containers=['tgtd'],
                targets_conf='/etc/tgt/targets.conf', conf_d='/etc/tgt/conf.d', path_map={},
                config_view='container', config_containers=['cinder_volume', 'tgtd'],
                log_via='container',
                present_by_default={'os_family': ['Debian']},
                source='openstack/kolla kolla/docker/cinder/cinder-volume/Dockerfile.j2:41, '
                       'kolla/docker/tgtd/Dockerfile.j2:19; openstack/kolla-ansible '
                       'ansible/roles/iscsi/defaults/main.yml:48-53,74-77, '
                       'ansible/roles/iscsi/templates/tgtd.json.j2:2-3, '
                       'ansible/group_vars/all/cinder.yml:82'),
    # KA iscsi/defaults/main.yml:3-7,40-47 (/etc/iscsi is the named volume iscsi_info);
    # templates/iscsid.json.j2 `"command": "iscsid -d 8 -f"`, `"config_files": []`.
    'iscsid': _svc(['/etc/kolla/iscsid/config.json'], '/etc/kolla/iscsid', [], 'container',
                   containers=['iscsid'], log_via='container',
                   host_paths={'/etc/iscsi': '{engine_volumes}/iscsi_info/_data'},
                   source='openstack/kolla-ansible ansible/roles/iscsi/defaults/main.yml:3-7,40-47, '
                          'ansible/roles/iscsi/templates/iscsid.json.j2'),
    'nova-compute': _kolla('nova-compute', ['nova.conf'], 'nova', 'nova-compute.log',
                           'nova_compute',
                           source='openstack/kolla-ansible ansible/roles/nova-cell/defaults/main.yml:55-56; '
                                  'nova-cell/tasks/config.yml:139; nova-cell/templates/nova.conf.j2:5'),
    'nova-api': _kolla('nova-api', ['nova.conf'], 'nova', 'nova-api.log', 'nova_api',
                       source='openstack/kolla-ansible ansible/roles/nova/defaults/main.yml:3-4; '
                              'nova/tasks/config.yml:68; nova/templates/nova.conf.j2:8'),
    # nova_super_conductor when enable_cells (KA nova/defaults/main.yml:74-77)
    'nova-conductor': _kolla('nova-conductor', ['nova.conf'], 'nova', 'nova-conductor.log',
                             'nova_conductor',
                             source='openstack/kolla-ansible ansible/roles/nova-cell/defaults/main.yml:47-48'),
    'nova-scheduler': _kolla('nova-scheduler', ['nova.conf'], 'nova', 'nova-scheduler.log',
                             'nova_scheduler',
                             source='openstack/kolla-ansible ansible/roles/nova/defaults/main.yml:66-67; '
                                    'nova/templates/nova.conf.j2:12'),
    'placement-api': _kolla('placement-api', ['placement.conf'], 'placement',
                            'placement-api.log', 'placement_api',
                            source='openstack/kolla-ansible ansible/roles/placement/defaults/main.yml:3-4; '
                                   'placement/tasks/config.yml:47,55; templates/placement.conf.j2:4'),
    # Monolithic libvirtd in nova_libvirt (kolla has no modular daemons), only when
    # enable_nova_libvirt_container (KA group_vars/all/nova.yml:4).
    'libvirt': _kolla('nova-libvirt', ['libvirtd.conf', 'qemu.conf'], 'libvirt',
                      'libvirtd.log', 'nova_libvirt',
                      source='openstack/kolla-ansible ansible/roles/nova-cell/defaults/main.yml:5-8; '
                             'nova-cell/tasks/config.yml:173,189; templates/libvirtd.conf.j2:18,21'),
    'neutron-l3-agent': _kolla('neutron-l3-agent', ['neutron.conf', 'l3_agent.ini'],
                               'neutron', 'neutron-l3-agent.log', 'neutron_l3_agent',
                               source='openstack/kolla-ansible ansible/roles/neutron/defaults/main.yml:100-105; '
                                      'neutron/tasks/config.yml:91,245; templates/neutron.conf.j2:8'),
    'glance-api': _kolla('glance-api', ['glance-api.conf'], 'glance', 'glance-api.log',
                         'glance_api',
                         source='openstack/kolla-ansible ansible/roles/glance/defaults/main.yml:3-4; '
                                'glance/tasks/config.yml:82; templates/glance-api.conf.j2:6'),
    'rabbitmq': _kolla('rabbitmq', ['rabbitmq.conf'], 'rabbitmq', 'rabbit@*.log', 'rabbitmq',
                       source='openstack/kolla-ansible ansible/roles/rabbitmq/defaults/main.yml:4, '
                              'vars/main.yml:2; tasks/config.yml:40; templates/rabbitmq-env.conf.j2:2'),
    # KA mariadb/defaults/main.yml (container_name mariadb; healthcheck `healthcheck.sh
    # --defaults-file /etc/[mysql/]healthcheck.cnf --connect --galera_online`);
    # templates/mariadb.json.j2 (galera.cnf -> /etc/[mysql/]my.cnf, healthcheck.cnf -> /etc/[mysql/]
    # healthcheck.cnf: /etc/mysql on Debian/Ubuntu images); templates/healthcheck.cnf.j2 (the
    # monitor user's client config); templates/galera.cnf.j2 (log-error /var/log/kolla/mariadb/mariadb.log).
    'galera': _kolla('mariadb', ['galera.cnf'], 'mariadb', 'mariadb.log', 'mariadb',
                     client_defaults_files=['/etc/mysql/healthcheck.cnf', '/etc/healthcheck.cnf'],
                     source='openstack/kolla-ansible ansible/roles/mariadb/defaults/main.yml, '
                            'templates/mariadb.json.j2, templates/healthcheck.cnf.j2, templates/galera.cnf.j2'),
}
# KA ansible/roles/mistral/defaults/main.yml (mistral_services: containers mistral_api,
# mistral_engine, mistral_executor; config_validation /etc/mistral/mistral.conf in the container;
# node_config_directory/mistral-<svc>/ mounted as the config source); the log file name is the
# kolla convention, not checked.
for _m in ('api', 'engine', 'executor'):
    _KOLLA['mistral-%s' % _m] = _kolla('mistral-%s' % _m, ['mistral.conf'], 'mistral', 'mistral-%s.log' % _m,
                                       'mistral_%s' % _m, container_config_file='/etc/mistral/mistral.conf',
                                       source='openstack/kolla-ansible ansible/roles/mistral/defaults/main.yml',
                                       assumption_fields=['log_files'])


# ---------------------------------------------------------------------------
# tripleo (THT = openstack-archive/tripleo-heat-templates stable/wallaby,
#          PT = openstack/puppet-tripleo stable/wallaby)
# ---------------------------------------------------------------------------
def _tripleo(volume, files, log_files, unit, container, method='systemd', resource=None,
             fallback=None, containers=None, units=None, source=None, **extra):
    base = '%s/%s' % (PG, volume)
    return _svc(['%s%s' % (base, f) for f in files], '%s%s' % (base, os.path.dirname(files[0])),
                log_files, method,
                units if units is not None else ([unit] if unit else []),
                containers if containers is not None else ([container] if container else []),
                resource, fallback, source=source, **extra)


def _bundle(name, fallback_unit, fallback_container):
    """A pacemaker bundle: pacemaker names its replicas ``<bundle>-podman-<n>``."""
    return dict(method='pacemaker', resource=name, units=[],
                containers=['%s-podman-*' % name],
                fallback={'method': 'systemd', 'units': [fallback_unit],
                          'containers': [fallback_container]})


_TRIPLEO = {
    'cinder-volume': _tripleo(
        'cinder', ['/etc/cinder/cinder.conf'], ['/var/log/containers/cinder/cinder-volume.log'],
        None, 'openstack-cinder-volume-podman-0', method='pacemaker',
        resource='openstack-cinder-volume', units=[],
        fallback={'method': 'systemd', 'units': ['tripleo_cinder_volume'],
                  'containers': ['cinder_volume']},
        source='openstack-archive/tripleo-heat-templates stable/wallaby '
               'deployment/cinder/cinder-volume-pacemaker-puppet.yaml:74,149,191-193, '
               'cinder-volume-container-puppet.yaml:344; openstack/puppet-tripleo '
               'manifests/profile/pacemaker/cinder/volume_bundle.pp:235-237 (replicas 1)'),
    # THT deploys no tgt (nothing in deployment/; CinderISCSIHelper lioadm,
    # cinder-volume-container-puppet.yaml:88-89) and cinder_volume mounts no /etc/tgt: a host
    # tgt, if any, is the site's own, so these paths are an assumption.
    'tgt': _svc(['/etc/tgt/targets.conf'], '/etc/tgt', [], 'systemd', ['tgtd', 'tgt'],
                targets_conf='/etc/tgt/targets.conf', conf_d='/etc/tgt/conf.d', path_map={},
                config_view='host', config_containers=[],
                present_by_default=False, assumption=True,
                source='openstack-archive/tripleo-heat-templates stable/wallaby '
                       'deployment/cinder/cinder-volume-container-puppet.yaml:88-89 '
                       '(CinderISCSIHelper lioadm; no tgt deployed)'),
    'iscsid': _tripleo('iscsid', ['/etc/iscsi/iscsid.conf'], [], 'tripleo_iscsid', 'iscsid',
                       assumption_fields=['log_files'],
                       source='openstack-archive/tripleo-heat-templates stable/wallaby '
                              'deployment/iscsid/iscsid-container-puppet.yaml:115,141,157'),
    'nova-compute': _tripleo('nova_libvirt', ['/etc/nova/nova.conf'],
                             ['/var/log/containers/nova/nova-compute.log'],
                             'tripleo_nova_compute', 'nova_compute',
                             source='openstack-archive/tripleo-heat-templates stable/wallaby '
                                    'deployment/nova/nova-compute-container-puppet.yaml:25,1275,1392,1415,1593'),
    'nova-api': _tripleo('nova', ['/etc/nova/nova.conf'],
                         ['/var/log/containers/nova/nova-api.log'], 'tripleo_nova_api',
                         'nova_api',
                         source='openstack-archive/tripleo-heat-templates stable/wallaby '
                                'deployment/nova/nova-api-container-puppet.yaml:21,495,597'),
    'nova-conductor': _tripleo('nova', ['/etc/nova/nova.conf'],
                               ['/var/log/containers/nova/nova-conductor.log'],
                               'tripleo_nova_conductor', 'nova_conductor',
                               source='openstack-archive/tripleo-heat-templates stable/wallaby '
                                      'deployment/nova/nova-conductor-container-puppet.yaml:21,155,212'),
    'nova-scheduler': _tripleo('nova', ['/etc/nova/nova.conf'],
                               ['/var/log/containers/nova/nova-scheduler.log'],
                               'tripleo_nova_scheduler', 'nova_scheduler',
                               source='openstack-archive/tripleo-heat-templates stable/wallaby '
                                      'deployment/nova/nova-scheduler-container-puppet.yaml:21,260,286'),
    'placement-api': _tripleo('placement', ['/etc/placement/placement.conf'],
                              ['/var/log/containers/placement/placement.log'],
                              'tripleo_placement_api', 'placement_api',
                              source='openstack-archive/tripleo-heat-templates stable/wallaby '
                                     'deployment/placement/placement-api-container-puppet.yaml:256,320; '
                                     'deployment/logging/files/placement-api.yaml:38'),
    # Modular libvirt is Wallaby's default (THT overcloud-resource-registry-puppet.j2.yaml:191;
    # monolithic moved to deployment/deprecated/): virtqemud reads virtqemud.conf
    # (nova-modular-libvirt-container-puppet.yaml:520), libvirtd.conf is only read by a
    # monolithic libvirtd; tripleo_nova_libvirt is a .target there (:909).
    'libvirt': _tripleo('nova_libvirt', ['/etc/libvirt/virtqemud.conf', '/etc/libvirt/qemu.conf',
                                         '/etc/libvirt/libvirtd.conf'],
                        ['/var/log/containers/libvirt/virtqemud.log',
                         '/var/log/containers/libvirt/libvirtd.log'],
                        None, None, units=['tripleo_nova_virtqemud', 'tripleo_nova_libvirt'],
                        containers=['nova_virtqemud', 'nova_libvirt'],
                        source='openstack-archive/tripleo-heat-templates stable/wallaby '
                               'deployment/nova/nova-modular-libvirt-container-puppet.yaml:493,520,670,909; '
                               'overcloud-resource-registry-puppet.j2.yaml:191; '
                               'deployment/logging/files/nova-libvirt.yaml:72,120,156'),
    'neutron-l3-agent': _tripleo('neutron', ['/etc/neutron/neutron.conf',
                                             '/etc/neutron/l3_agent.ini'],
                                 ['/var/log/containers/neutron/l3-agent.log'],
                                 'tripleo_neutron_l3_agent', 'neutron_l3_agent',
                                 source='openstack-archive/tripleo-heat-templates stable/wallaby '
                                        'deployment/neutron/neutron-l3-container-puppet.yaml:30,254,301'),
    'glance-api': _tripleo('glance_api', ['/etc/glance/glance-api.conf'],
                           ['/var/log/containers/glance/api.log'], 'tripleo_glance_api',
                           'glance_api',
                           source='openstack-archive/tripleo-heat-templates stable/wallaby '
                                  'deployment/glance/glance-api-container-puppet.yaml:71,718,838'),
    # replicas => $rabbitmq_nodes_count (PT rabbitmq_bundle.pp:229,269,307-309): a controller
    # holds rabbitmq-bundle-podman-<n> for any n.
    'rabbitmq': _tripleo('rabbitmq', ['/etc/rabbitmq/rabbitmq.config'],
                         ['/var/log/containers/rabbitmq/rabbit@*.log'], None, None,
                         source='openstack/puppet-tripleo stable/wallaby '
                                'manifests/profile/pacemaker/rabbitmq_bundle.pp:229,269,307-309; '
                                'openstack-archive/tripleo-heat-templates stable/wallaby '
                                'deployment/rabbitmq/rabbitmq-messaging-rpc-pacemaker-puppet.yaml:148,285, '
                                'rabbitmq-messaging-rpc-container-puppet.yaml:247',
                         **_bundle('rabbitmq-bundle', 'tripleo_rabbitmq', 'rabbitmq')),
    # PT mysql_bundle.pp:556-558 (galera-bundle, replicas => $galera_nodes_count);
    # PT base/database/mysql.pp:164 (galera.cnf); THT mysql-pacemaker-puppet.yaml:218
    # (config_volume mysql), :589-591 (log /var/log/containers/mysql/mysqld.log);
    # non-HA: mysql-container-puppet.yaml:208 (container mysql).
    'galera': _tripleo('mysql', ['/etc/my.cnf.d/galera.cnf'],
                       ['/var/log/containers/mysql/mysqld.log'], None, None,
                       source='openstack/puppet-tripleo stable/wallaby '
                              'manifests/profile/pacemaker/database/mysql_bundle.pp:556-558, '
                              'manifests/profile/base/database/mysql.pp:164; '
                              'openstack-archive/tripleo-heat-templates stable/wallaby '
                              'deployment/database/mysql-pacemaker-puppet.yaml:218,589-591, '
                              'mysql-container-puppet.yaml:208; openstack-archive/tripleo-common '
                              'healthcheck/mariadb (the container\'s own client config: `mysql -e` with no credentials)',
                       client_defaults_files=[],
                       **_bundle('galera-bundle', 'tripleo_mysql', 'mysql')),
    # PT haproxy_bundle.pp:294-296 (haproxy-bundle, replicas => $haproxy_nodes_count);
    # THT haproxy-pacemaker-puppet.yaml:92 (log), :238 (config_volume haproxy), :257
    # (haproxy -f /etc/haproxy/haproxy.cfg); non-HA haproxy-container-puppet.yaml:280.
    'haproxy': _tripleo('haproxy', ['/etc/haproxy/haproxy.cfg'],
                        ['/var/log/containers/haproxy/haproxy.log'], None, None,
                        source='openstack/puppet-tripleo stable/wallaby '
                               'manifests/profile/pacemaker/haproxy_bundle.pp:294-296; '
                               'openstack-archive/tripleo-heat-templates stable/wallaby '
                               'deployment/haproxy/haproxy-pacemaker-puppet.yaml:92,238,257, '
                               'haproxy-container-puppet.yaml:280',
                        **_bundle('haproxy-bundle', 'tripleo_haproxy', 'haproxy')),
}
# THT deployment/mistral/mistral-api-container-puppet.yaml (the undercloud up to Wallaby):
# config_volume mistral, kolla_config `mistral-server --config-file=/etc/mistral/mistral.conf
# --log-file=/var/log/mistral/api.log --server=api`, logs /var/log/containers/mistral, step_5
# mistral_db_populate `mistral-db-manage --config-file /etc/mistral/mistral.conf populate` in the
# mistral_api image; engine and executor alike (mistral-engine-/mistral-executor-container-puppet.yaml).
for _m in ('api', 'engine', 'executor'):
    _TRIPLEO['mistral-%s' % _m] = _tripleo('mistral', ['/etc/mistral/mistral.conf'],
                                           ['/var/log/containers/mistral/%s.log' % _m],
                                           'tripleo_mistral_%s' % _m, 'mistral_%s' % _m,
                                           container_config_file='/etc/mistral/mistral.conf',
                                           source='openstack-archive/tripleo-heat-templates '
                                                  'deployment/mistral/mistral-%s-container-puppet.yaml' % _m)
# THT stable/wallaby deployment/nova/nova-modular-libvirt-container-puppet.yaml: containers
# nova_virtsecretd (:594), nova_virtnodedevd (:622), nova_virtstoraged (:646),
# nova_virtqemud (:670), nova_virtproxyd (:695), nova_virtlogd_wrapper (:571); each daemon
# runs with --config /etc/libvirt/<daemon>.conf (:504-524) from config_volume nova_libvirt
# (:493); units tripleo_nova_<container> (:611-612, 915-924); logs
# deployment/logging/files/nova-libvirt.yaml:84-156 (/var/log/containers/libvirt/<daemon>.log).
for _d in LIBVIRT_MODULAR:
    _c = 'nova_virtlogd_wrapper' if _d == 'virtlogd' else 'nova_%s' % _d
    _TRIPLEO[_d] = _tripleo('nova_libvirt', ['/etc/libvirt/%s.conf' % _d],
                            ['/var/log/containers/libvirt/%s.log' % _d],
                            'tripleo_%s' % _c, _c,
                            source='openstack-archive/tripleo-heat-templates stable/wallaby '
                                   'deployment/nova/nova-modular-libvirt-container-puppet.yaml:493-524,571-695; '
                                   'deployment/logging/files/nova-libvirt.yaml:84-156')


# ---------------------------------------------------------------------------
# juju (the charms install the Ubuntu packages: the packaged paths, restarted on the unit)
# ---------------------------------------------------------------------------
def _juju_from_packaged():
    out = {}
    for name, entry in _PACKAGED.items():
        if name in LIBVIRT_MODULAR:
            continue  # the nova-compute charm runs the monolithic libvirtd
        e = copy.deepcopy(entry)
        e['restart']['method'] = 'juju_unit'
        e['restart']['units'] = [u for u in e['restart']['units']
                                 if not u.startswith('openstack-') and u not in ('httpd',)]
        out[name] = e
    out['cinder-volume'].update(
        log_files=['/var/log/cinder/cinder-volume.log'],
        source='openstack/charm-cinder cinder_utils.py:150,167,243')
    # charm-cinder-lvm installs no tgt since Wallaby (cinder_lvm_handlers.py:53-67,
    # cinder_lvm.py:393-396); clouds upgraded from <= Victoria keep tgtadm and tgt.
    out['tgt'].update(present_by_default=False,
                      source='openstack/charm-cinder-lvm cinder_lvm_handlers.py:53-67, '
                             'cinder_lvm.py:393-396')
    # LIBVIRTD_DAEMON (nova_compute_utils.py:192-196,278-279,350-357); templates/libvirtd.conf:335
    # leaves log_outputs commented out: libvirtd logs to journald.
    out['libvirt'].update(log_files=[], log_via='journald', assumption=False,
                          source='openstack/charm-nova-compute nova_compute_utils.py:192-196,'
                                 '278-279,350-357; templates/libvirtd.conf:335')
    out['libvirt'].pop('assumption_fields', None)
    out['libvirt']['restart']['units'] = ['libvirtd', 'libvirt-bin']
    # nova-api-os-compute runs in apache2 since Rocky (charm-nova-cloud-controller
    # nova_cc_utils.py:86-94,325-334); charmhelpers wsgi-openstack-api.conf:34 logs to
    # /var/log/apache2/<service>_error.log.
    out['nova-api']['log_files'] = ['/var/log/nova/nova-api-os-compute.log',
                                    '/var/log/apache2/nova-api-os-compute_error.log',
                                    '/var/log/nova/nova-api.log']
    out['nova-api']['restart']['units'] = ['apache2', 'nova-api-os-compute', 'nova-api']
    out['nova-api']['source'] = ('openstack/charm-nova-cloud-controller nova_cc_utils.py:'
                                 '86-94,325-334; charmhelpers '
                                 'wsgi-openstack-api.conf:34')
    # charm-placement templates/train/placement.conf:3 `use_syslog = true`;
    # templates/placement-api.conf:15 (apache ErrorLog placement_error.log).
    out['placement-api'].update(
        log_files=['/var/log/syslog', '/var/log/apache2/placement_error.log'], log_via='syslog',
        source='openstack/charm-placement placement.py:23,50; '
               'templates/train/placement.conf:3; templates/placement-api.conf:15')
    # rabbitmq.conf for RabbitMQ >= 3.7, rabbitmq.config before (rabbit_utils.py:119-121,153,177-180)
    out['rabbitmq'].update(
        config_files=['/etc/rabbitmq/rabbitmq.conf', '/etc/rabbitmq/rabbitmq.config',
                      '/etc/rabbitmq/rabbitmq-env.conf'],
        source='openstack/charm-rabbitmq-server rabbit_utils.py:119-121,153,177-180',
        assumption_fields=['log_files'])
    return out


TABLE = {
    'packaged': _PACKAGED,
    'kolla': _KOLLA,
    'tripleo': _TRIPLEO,
    'juju': _juju_from_packaged(),
}
"""flavour -> logical service -> entry (see the module docstring)."""


def _fs(root, path):
    if not root or root == '/':
        return path
    return os.path.join(root, path.lstrip('/'))


def _default_runner(argv, timeout=30):
    """Run ``argv`` and return ``(rc, stdout, stderr)`` (rc 127 when not found)."""
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return 127, '', str(exc)
    return (proc.returncode, proc.stdout.decode('utf-8', 'replace'),
            proc.stderr.decode('utf-8', 'replace'))


def find_binary(name, root='/', extra_dirs=BIN_DIRS):
    """Node path of executable ``name`` on ``$PATH`` or in the usual bin dirs, else ``None``."""
    dirs = []
    for d in (os.environ.get('PATH', '').split(os.pathsep) if root in (None, '', '/') else []):
        if d and d not in dirs:
            dirs.append(d)
    for d in extra_dirs:
        if d not in dirs:
            dirs.append(d)
    for d in dirs:
        candidate = os.path.join(d, name)
        real = _fs(root, candidate)
        if os.path.isfile(real) and os.access(real, os.X_OK):
            return candidate
    return None


def all_candidate_units():
    """Every unit name any table entry may use (to keep unit facts small)."""
    names = set()
    for flavour in TABLE.values():
        for entry in flavour.values():
            names.update(entry['restart']['units'])
            fb = entry['restart'].get('fallback') or {}
            names.update(fb.get('units') or [])
    return names


def _kolla_service_dirs(root):
    base = _fs(root, '/etc/kolla')
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    return [n for n in names
            if os.path.isfile(os.path.join(base, n, 'config.json'))]


def _juju_units(root):
    """Names of the juju unit agents on the host (``/var/lib/juju/agents/unit-*`` dirs).

    A machine agent alone (``machine-N``) does not make the host a charm-deployed service
    host; the unit agent directories do.
    """
    base = _fs(root, '/var/lib/juju/agents')
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(base, 'unit-*'))
                  if os.path.isdir(p))


def os_family(root='/'):
    """Ansible-style OS family (``Debian``, ``RedHat``, ``Suse``) from /etc/os-release, or None."""
    try:
        with open(_fs(root, '/etc/os-release')) as handle:
            text = handle.read()
    except (IOError, OSError):
        return None
    words = []
    for line in text.splitlines():
        key, _sep, value = line.partition('=')
        if key.strip() in ('ID', 'ID_LIKE'):
            words.extend(value.strip().strip('"\'').lower().split())
    for word in words:
        if word in OS_FAMILIES:
            return OS_FAMILIES[word]
    return None


def _list_unit_files_from_dirs(root, wanted):
    found = {}
    for d in SYSTEMD_DIRS:
        real = _fs(root, d)
        try:
            names = os.listdir(real)
        except OSError:
            continue
        for n in names:
            if not n.endswith('.service'):
                continue
            unit = n[:-len('.service')]
            if wanted is None or unit in wanted:
                target = os.path.join(real, n)
                state = 'masked' if os.path.realpath(target) == '/dev/null' else 'present'
                found.setdefault(unit, state)
    return found


def _list_unit_files_systemctl(runner, wanted):
    # With the wanted names as patterns systemctl reads the enablement of those units only:
    # ~20 ms instead of ~1 s for every unit file of a node (systemd 252). No unit file matching
    # any pattern is rc 1 with no output.
    names = ['%s.service' % u for u in sorted(wanted)] if wanted is not None else []
    rc, out, err = runner(['systemctl', 'list-unit-files', '--no-pager', '--plain',
                           '--no-legend', '--type=service'] + names)
    if rc == 1 and names and not (out or '').strip() and not (err or '').strip():
        return {}
    if rc != 0:
        raise RuntimeError('systemctl list-unit-files failed (rc=%s): %s' % (rc, err.strip()))
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if not parts or not parts[0].endswith('.service'):
            continue
        unit = parts[0][:-len('.service')]
        if wanted is None or unit in wanted:
            found[unit] = parts[1] if len(parts) > 1 else 'unknown'
    return found


def parse_container_ps(text):
    """Parse ``docker ps -a --format json`` (one object per line) or ``podman ps -a
    --format json`` (one array) into ``{name: {state, running, image}}``."""
    text = (text or '').strip()
    if not text:
        return {}
    items = []
    if text.startswith('['):
        items = json.loads(text)
    else:
        for line in text.splitlines():
            line = line.strip()
            if line:
                items.append(json.loads(line))
    out = {}
    for item in items:
        names = item.get('Names') or item.get('Name') or []
        if isinstance(names, str):
            names = [n.strip().lstrip('/') for n in names.split(',')]
        state = item.get('State')
        if isinstance(state, dict):  # very old podman
            state = state.get('Status') or ''
        state = (state or item.get('Status') or '').lower()
        running = state.startswith('running') or state.startswith('up')
        for n in names:
            out[n] = {'state': state, 'running': running, 'image': item.get('Image')}
    return out


def detect(root='/', runner=None, wanted_units=None):
    """Inspect a host and return what :func:`resolve` needs.

    ``runner(argv) -> (rc, out, err)`` runs commands (default: subprocess); with a
    ``root`` other than ``/`` no command is run unless a runner is given, and unit
    files are read from the systemd directories under ``root``. Returns::

        {flavour, detected_by, os_family, container_cli, container_cli_path, unit_files:
         {unit: state}, units_source, containers: {name: {state, running, image}}|None,
         errors: [message, ...]}
    """
    errors = []
    real_root = root in (None, '', '/')
    if runner is None and real_root:
        runner = _default_runner
    kolla_dirs = _kolla_service_dirs(root)
    if kolla_dirs:
        flavour, by = 'kolla', '/etc/kolla service dirs: %s' % ', '.join(kolla_dirs[:5])
    elif os.path.isdir(_fs(root, PG)):
        flavour, by = 'tripleo', '%s exists' % PG
    elif _juju_units(root):
        flavour, by = 'juju', 'juju unit agents: %s' % ', '.join(_juju_units(root)[:5])
    else:
        flavour, by = 'packaged', 'no kolla, tripleo or juju marker'

    clis = dict((c, find_binary(c, root)) for c in CONTAINER_CLIS)
    order = ('podman', 'docker') if flavour == 'tripleo' else ('docker', 'podman')
    available = [c for c in order if clis[c]]
    cli = available[0] if available else None

    wanted = set(wanted_units) if wanted_units is not None else all_candidate_units()
    unit_files, units_source = {}, 'dirs'
    if runner is not None:
        try:
            unit_files = _list_unit_files_systemctl(runner, wanted)
            units_source = 'systemctl'
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(str(exc))
            unit_files = _list_unit_files_from_dirs(root, wanted)
    else:
        unit_files = _list_unit_files_from_dirs(root, wanted)

    # One ``ps -a`` per CLI, in preference order, until one answers (a docker binary
    # without a daemon must not hide podman's containers).
    containers = None
    if runner is not None:
        for candidate in available:
            rc, out, err = runner([clis[candidate], 'ps', '-a', '--format', 'json'])
            if rc != 0:
                errors.append('%s ps -a failed (rc=%s): %s'
                              % (candidate, rc, (err or '').strip()[:300]))
                continue
            try:
                containers = parse_container_ps(out)
            except ValueError as exc:
                errors.append('%s ps: unparsable output: %s' % (candidate, exc))
                continue
            cli = candidate
            break

    return {
        'flavour': flavour,
        'detected_by': by,
        'os_family': os_family(root),
        'container_cli': cli or 'none',
        'container_cli_path': clis[cli] if cli else None,
        'unit_files': unit_files,
        'units_source': units_source,
        'containers': containers,
        'errors': errors,
    }


def deep_merge(base, override):
    """Return ``base`` updated recursively by ``override`` (dicts merged, the rest replaced)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _is_glob(name):
    return any(ch in (name or '') for ch in '*?[')


def _pick(candidates, existing):
    """First candidate present in ``existing``; a glob candidate picks its first match."""
    for c in candidates or []:
        if _is_glob(c):
            hits = sorted(n for n in existing if fnmatch.fnmatchcase(n, c))
            if hits:
                return hits[0]
        elif c in existing:
            return c
    return None


def _first_concrete(candidates):
    """The first candidate that is a name rather than a pattern (``None`` if none)."""
    for c in candidates or []:
        if not _is_glob(c):
            return c
    return None


def _resolve_restart(restart, detected):
    """Pick the unit/container to act on; returns ``(restart dict, target exists)``.

    ``unit`` is the first candidate with a unit file on the host, else the first
    candidate (``unit_exists`` false: e.g. tgt not installed yet). ``container`` works
    the same way from ``<cli> ps -a``; when the container list is unavailable the first
    candidate is used with ``container_state: unknown``.
    """
    units_known = detected.get('unit_files') or {}
    containers = detected.get('containers')
    method = restart.get('method')
    units = list(restart.get('units') or [])
    cands = list(restart.get('containers') or [])
    unit = _pick(units, units_known)
    unit_exists = unit is not None
    if unit is None and units:
        unit = units[0]
    container, container_state, container_exists = None, None, False
    if containers is not None:
        container = _pick(cands, containers)
        if container:
            container_state = containers[container]['state']
            container_exists = True
        elif cands:
            container = _first_concrete(cands)
    elif cands:
        container, container_state = _first_concrete(cands), 'unknown'
    out = {'method': method, 'unit': unit, 'unit_exists': unit_exists, 'units': units,
           'container': container, 'container_exists': container_exists,
           'containers': cands, 'container_state': container_state,
           'resource': restart.get('resource'), 'via_fallback': False}
    if restart.get('commands'):
        # overrides only: argv per state (started, stopped, restarted, reloaded) for a service the
        # site runs under its own supervisor (method pidfile); restart_service runs them as given
        out['commands'] = dict(restart['commands'])
    if method in ('container', 'pacemaker'):
        found = container_exists
    else:
        found = unit_exists
    fallback = restart.get('fallback')
    if not found and fallback:
        fb = dict(fallback, fallback=None, resource=None)
        alt, alt_found = _resolve_restart(fb, detected)
        if alt_found:
            alt['via_fallback'] = True
            return alt, True
    return out, found


def _resolve_extras(entry, detected):
    """Per-host values of an entry: OS-dependent defaults, engine paths, container views."""
    cli = detected.get('container_cli') or 'none'
    pbd = entry.get('present_by_default', True)
    if isinstance(pbd, dict):
        family = detected.get('os_family')
        entry['present_by_default_when'] = pbd
        entry['present_by_default'] = (None if family is None
                                       else family in (pbd.get('os_family') or []))
    volumes = ENGINE_VOLUMES.get(cli)
    if entry.get('host_paths'):
        entry['host_paths'] = dict(
            (k, v.replace('{engine_volumes}', volumes) if volumes else None)
            for k, v in entry['host_paths'].items())
    if entry.get('log_via') == 'container':
        container = entry['restart'].get('container')
        entry['log_command'] = [cli, 'logs', container] if cli != 'none' and container else None
    cands = entry.get('config_containers')
    if cands:
        containers = detected.get('containers')
        chosen = _pick(cands, containers) if containers is not None else None
        state = containers[chosen]['state'] if chosen else None
        if chosen is None:
            chosen = _first_concrete(cands)
            state = 'unknown' if containers is None else None
        entry['config_container'] = chosen
        entry['config_container_exists'] = bool(containers) and chosen in containers
        entry['config_container_state'] = state


def resolve(flavour='auto', overrides=None, detected=None, root='/'):
    """The per-host layout.

    ``flavour`` ``auto`` takes ``detected['flavour']``; ``overrides`` is
    ``{service: {...}}`` deep-merged into the table entries (a new service name adds
    one). Returns ``{flavour, detected_by, container_cli, config_change, services:
    {name: {config_files, config_dir, log_files, log_via, present_by_default, source,
    assumption, ..., restart: {method, unit, unit_exists, units, container,
    container_exists, containers, container_state, resource, via_fallback}, present,
    config_present}}, errors}``. Entries with ``config_containers`` also get
    ``config_container`` (the first of them that exists), ``config_container_exists`` and
    ``config_container_state``; ``log_via: container`` entries get ``log_command``;
    ``host_paths`` values are filled in for the host's container engine.
    """
    detected = detected or detect(root)
    chosen = detected.get('flavour', 'packaged') if flavour in (None, '', 'auto') else flavour
    if chosen not in TABLE:
        raise ValueError('unknown layout flavour %r (expected one of %s)'
                         % (chosen, ', '.join(FLAVOURS)))
    overrides = overrides or {}
    services = {}
    for name in sorted(set(TABLE[chosen]) | set(overrides)):
        entry = deep_merge(TABLE[chosen].get(name) or _svc([], None, [], 'systemd'),
                           overrides.get(name) or {})
        restart, found = _resolve_restart(entry.get('restart') or {}, detected)
        entry['restart'] = restart
        entry['present'] = bool(found)
        _resolve_extras(entry, detected)
        entry['config_present'] = any(os.path.exists(_fs(root, f))
                                      for f in entry.get('config_files') or [])
        services[name] = entry
    by = detected.get('detected_by') if flavour in (None, '', 'auto') else 'layout_flavour=%s' % flavour
    return {
        'flavour': chosen,
        'detected_by': by,
        'detected_flavour': detected.get('flavour'),
        'container_cli': detected.get('container_cli', 'none'),
        'config_change': CONFIG_CHANGE[chosen],
        'units_source': detected.get('units_source'),
        'services': services,
        'errors': list(detected.get('errors') or []),
    }
