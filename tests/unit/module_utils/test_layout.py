# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Layout table, detection on a fake root and resolution."""
import json

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout

REQUIRED = ('cinder-volume', 'tgt', 'nova-compute', 'nova-api', 'nova-conductor',
            'nova-scheduler', 'libvirt', 'neutron-l3-agent', 'glance-api', 'rabbitmq')


def touch(root, path, text='', mode=None):
    real = root / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(text)
    if mode:
        real.chmod(mode)
    return real


class FakeRunner:
    """Records argv; answers from a dict keyed by argv[0] basename + argv[1]."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        key = '%s %s' % (argv[0].rsplit('/', 1)[-1], argv[1])
        return self.answers.get(key, (127, '', 'not found'))


@pytest.mark.parametrize('flavour', layout.FLAVOURS)
def test_table_complete(flavour):
    for name in REQUIRED:
        entry = layout.TABLE[flavour][name]
        assert isinstance(entry['config_files'], list)
        assert 'config_dir' in entry and isinstance(entry['log_files'], list)
        assert entry['restart']['method'] in ('systemd', 'container', 'pacemaker', 'juju_unit')
        assert None not in entry['restart']['units']
        assert None not in entry['restart']['containers']
    tgt = layout.TABLE[flavour]['tgt']
    assert tgt['targets_conf'] and tgt['conf_d']


def test_table_values():
    t = layout.TABLE
    assert t['packaged']['tgt']['restart']['units'] == ['tgt', 'tgtd']
    assert t['packaged']['tgt']['targets_conf'] == '/etc/tgt/targets.conf'
    assert t['packaged']['tgt']['conf_d'] == '/etc/tgt/conf.d'
    assert t['packaged']['tgt']['config_view'] == 'host'
    assert t['packaged']['cinder-volume']['restart']['units'] == ['cinder-volume',
                                                                  'openstack-cinder-volume']
    assert t['kolla']['tgt']['config_dir'] == '/etc/kolla/tgtd'
    assert t['kolla']['tgt']['restart']['containers'] == ['tgtd']
    assert t['kolla']['cinder-volume']['config_files'] == ['/etc/kolla/cinder-volume/cinder.conf']
    assert t['kolla']['nova-compute']['log_files'] == ['/var/log/kolla/nova/nova-compute.log']
    assert t['tripleo']['tgt']['present_by_default'] is False
    assert t['tripleo']['cinder-volume']['restart']['resource'] == 'openstack-cinder-volume'
    assert t['tripleo']['nova-compute']['config_files'] == [
        '/var/lib/config-data/puppet-generated/nova_libvirt/etc/nova/nova.conf']
    assert t['tripleo']['nova-compute']['restart']['units'] == ['tripleo_nova_compute']
    assert t['juju']['tgt']['present_by_default'] is False
    assert t['juju']['cinder-volume']['restart'] == dict(
        t['juju']['cinder-volume']['restart'], method='juju_unit', units=['cinder-volume'])


def _entries():
    for flavour, services in layout.TABLE.items():
        for name, entry in services.items():
            yield flavour, name, entry


def test_every_entry_has_a_public_source_or_says_it_is_an_assumption():
    for flavour, name, entry in _entries():
        assert entry['source'] or entry['assumption'] is True, (flavour, name)
        assert 'seed 0' not in (entry['source'] or '') and 'openstack-facts' not in (entry['source'] or ''), \
            (flavour, name)
        if entry.get('assumption_fields'):
            assert entry['assumption'] is True
            assert set(entry['assumption_fields']) <= set(entry), (flavour, name)


def test_assumption_marker_reaches_the_resolved_layout(tmp_path):
    res = layout.resolve('tripleo', {}, layout.detect(str(tmp_path)), str(tmp_path))
    assert res['services']['tgt']['assumption'] is True
    assert res['services']['tgt']['source']
    assert res['services']['nova-compute']['assumption'] is False
    res = layout.resolve('packaged', {}, layout.detect(str(tmp_path)), str(tmp_path))
    assert res['services']['libvirt']['assumption_fields'] == ['log_files']


# --- the ten entries corrected against the deployment tools' sources ----------------------

def test_kolla_tgt_config_is_inside_the_cinder_volume_image_not_on_the_host():
    # kolla docker/cinder/cinder-volume/Dockerfile.j2:41, docker/tgtd/Dockerfile.j2:19;
    # kolla-ansible iscsi/templates/tgtd.json.j2 "config_files": []
    tgt = layout.TABLE['kolla']['tgt']
    assert tgt['config_view'] == 'container'
    assert tgt['config_containers'] == ['cinder_volume', 'tgtd']
    assert tgt['targets_conf'] == '/etc/tgt/targets.conf'
    assert tgt['conf_d'] == '/etc/tgt/conf.d'
    assert '/etc/tgt' not in tgt['path_map']
    assert tgt['config_files'] == ['/etc/kolla/tgtd/config.json']
    assert 'kolla/docker/cinder/cinder-volume/Dockerfile.j2' in tgt['source']


def test_kolla_cinder_volume_path_follows_the_container_engine(tmp_path):
    # kolla-ansible group_vars/all/common.yml:72-74
    assert '/var/lib/cinder' not in layout.TABLE['kolla']['tgt']['path_map']
    for cli, path in (('podman', '/var/lib/containers/storage/volumes/cinder/_data'),
                      ('docker', '/var/lib/docker/volumes/cinder/_data')):
        res = layout.resolve('kolla', {}, {'flavour': 'kolla', 'container_cli': cli,
                                           'containers': {}}, str(tmp_path))
        assert res['services']['cinder-volume']['host_paths'] == {'/var/lib/cinder': path}


def test_kolla_tgtd_logs_to_the_container_engine(tmp_path):
    # kolla-ansible iscsi/templates/tgtd.json.j2: tgtd -d 1 -f, no log file
    tgt = layout.TABLE['kolla']['tgt']
    assert tgt['log_files'] == [] and tgt['log_via'] == 'container'
    res = layout.resolve('kolla', {}, {'flavour': 'kolla', 'container_cli': 'podman',
                                       'containers': {'tgtd': {'state': 'running'}}},
                         str(tmp_path))
    assert res['services']['tgt']['log_command'] == ['podman', 'logs', 'tgtd']


@pytest.mark.parametrize('os_release, expected', [
    ('ID=ubuntu\nID_LIKE=debian\n', True),
    ('ID=debian\n', True),
    ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', False),
    (None, None)])
def test_kolla_tgtd_present_by_default_only_on_debian_family(tmp_path, os_release, expected):
    # kolla-ansible group_vars/all/cinder.yml:82 (lioadm on RedHat), iscsi/defaults:74-77
    if os_release is not None:
        touch(tmp_path, '/etc/os-release', os_release)
    det = layout.detect(str(tmp_path))
    res = layout.resolve('kolla', {}, det, str(tmp_path))
    assert res['services']['tgt']['present_by_default'] is expected
    assert res['services']['tgt']['present_by_default_when'] == {'os_family': ['Debian']}
    assert layout.TABLE['kolla']['tgt']['present_by_default'] == {'os_family': ['Debian']}


def test_tripleo_wallaby_libvirt_reads_virtqemud_conf_first():
    # THT stable/wallaby nova-modular-libvirt-container-puppet.yaml:520
    lv = layout.TABLE['tripleo']['libvirt']
    assert lv['config_files'][0] == layout.PG + '/nova_libvirt/etc/libvirt/virtqemud.conf'
    assert lv['restart']['units'][0] == 'tripleo_nova_virtqemud'
    assert lv['restart']['containers'][0] == 'nova_virtqemud'


@pytest.mark.parametrize('replica', [0, 1, 2])
def test_tripleo_rabbitmq_bundle_replica_of_any_index(replica):
    # puppet-tripleo rabbitmq_bundle.pp: replicas => $rabbitmq_nodes_count
    name = 'rabbitmq-bundle-podman-%d' % replica
    det = {'flavour': 'tripleo', 'container_cli': 'podman', 'unit_files': {},
           'containers': {name: {'state': 'running'}, 'nova_api': {'state': 'running'}}}
    res = layout.resolve('auto', {}, det)
    rb = res['services']['rabbitmq']
    assert rb['present'] is True
    assert rb['restart']['container'] == name and rb['restart']['via_fallback'] is False
    assert rb['restart']['method'] == 'pacemaker' and rb['restart']['resource'] == 'rabbitmq-bundle'


def test_tripleo_bundle_pattern_never_used_as_a_container_name():
    res = layout.resolve('tripleo', {}, {'flavour': 'tripleo', 'containers': None})
    assert res['services']['rabbitmq']['restart']['container'] is None
    res = layout.resolve('tripleo', {}, {'flavour': 'tripleo', 'containers': {}})
    assert res['services']['galera']['restart']['container'] is None


def test_rdo_cinder_volume_logs_to_volume_log():
    # rdo-packages/cinder-distgit openstack-cinder-volume.service:13
    assert '/var/log/cinder/volume.log' in layout.TABLE['packaged']['cinder-volume']['log_files']


def test_juju_placement_logs_to_syslog_and_apache():
    # charm-placement templates/train/placement.conf:3 use_syslog = true; placement-api.conf:15
    pl = layout.TABLE['juju']['placement-api']
    assert pl['log_files'] == ['/var/log/syslog', '/var/log/apache2/placement_error.log']
    assert '/var/log/placement/placement-api.log' not in pl['log_files']
    assert pl['log_via'] == 'syslog'


def test_juju_nova_api_apache_log():
    # charm-nova-cloud-controller nova_cc_utils.py:325-334; wsgi-openstack-api.conf:34
    api = layout.TABLE['juju']['nova-api']
    assert '/var/log/apache2/nova-api-os-compute_error.log' in api['log_files']
    assert api['restart']['units'][0] == 'apache2'


def test_juju_marker_needs_a_unit_agent(tmp_path):
    (tmp_path / 'var/lib/juju/agents/machine-0').mkdir(parents=True)
    assert layout.detect(str(tmp_path))['flavour'] == 'packaged'
    (tmp_path / 'var/lib/juju/agents/unit-cinder-0').mkdir(parents=True)
    det = layout.detect(str(tmp_path))
    assert det['flavour'] == 'juju' and 'unit-cinder-0' in det['detected_by']


def test_juju_libvirt_logs_to_journald_and_rabbitmq_config_for_old_releases():
    assert layout.TABLE['juju']['libvirt']['log_files'] == []
    assert layout.TABLE['juju']['libvirt']['log_via'] == 'journald'
    assert '/etc/rabbitmq/rabbitmq.config' in layout.TABLE['juju']['rabbitmq']['config_files']


# --- entries the next pairs need -----------------------------------------------------------

@pytest.mark.parametrize('name, resource, config', [
    ('galera', 'galera-bundle', '/mysql/etc/my.cnf.d/galera.cnf'),
    ('haproxy', 'haproxy-bundle', '/haproxy/etc/haproxy/haproxy.cfg')])
def test_tripleo_pacemaker_bundles(name, resource, config):
    e = layout.TABLE['tripleo'][name]
    assert e['restart']['method'] == 'pacemaker' and e['restart']['resource'] == resource
    assert e['restart']['containers'] == [resource + '-podman-*']
    assert e['config_files'] == [layout.PG + config]
    det = {'flavour': 'tripleo', 'containers': {resource + '-podman-1': {'state': 'running'}}}
    assert layout.resolve('tripleo', {}, det)['services'][name]['restart']['container'] == \
        resource + '-podman-1'
    # without a bundle (no pacemaker): the plain tripleo_<container> unit
    det = {'flavour': 'tripleo', 'containers': {}, 'unit_files': {
        e['restart']['fallback']['units'][0]: 'enabled'}}
    rs = layout.resolve('tripleo', {}, det)['services'][name]['restart']
    assert rs['via_fallback'] and rs['method'] == 'systemd'


@pytest.mark.parametrize('daemon', layout.LIBVIRT_MODULAR)
def test_modular_libvirt_daemons(daemon):
    t = layout.TABLE['tripleo'][daemon]
    container = 'nova_virtlogd_wrapper' if daemon == 'virtlogd' else 'nova_' + daemon
    assert t['restart']['containers'] == [container]
    assert t['restart']['units'] == ['tripleo_' + container]
    assert t['config_files'] == [layout.PG + '/nova_libvirt/etc/libvirt/%s.conf' % daemon]
    assert t['log_files'] == ['/var/log/containers/libvirt/%s.log' % daemon]
    p = layout.TABLE['packaged'][daemon]
    assert p['restart']['units'] == [daemon]
    assert p['config_files'] == ['/etc/libvirt/%s.conf' % daemon]
    assert daemon not in layout.TABLE['kolla'] and daemon not in layout.TABLE['juju']


def test_iscsid_entries():
    assert layout.TABLE['kolla']['iscsid']['restart']['containers'] == ['iscsid']
    assert layout.TABLE['kolla']['iscsid']['log_via'] == 'container'
    assert layout.TABLE['tripleo']['iscsid']['restart']['units'] == ['tripleo_iscsid']
    assert layout.TABLE['tripleo']['iscsid']['config_files'] == [
        layout.PG + '/iscsid/etc/iscsi/iscsid.conf']
    assert layout.TABLE['packaged']['iscsid']['restart']['units'] == ['iscsid']
    assert layout.TABLE['juju']['iscsid']['restart']['method'] == 'juju_unit'


def test_dead_helpers_are_gone():
    assert not hasattr(layout, 'SERVICES') and not hasattr(layout, '_systemd')


def test_packaged_ubuntu(tmp_path):
    touch(tmp_path, '/lib/systemd/system/tgt.service')
    touch(tmp_path, '/lib/systemd/system/cinder-volume.service')
    touch(tmp_path, '/etc/cinder/cinder.conf', '[DEFAULT]\n')
    det = layout.detect(str(tmp_path))
    assert det['flavour'] == 'packaged' and det['container_cli'] == 'none'
    assert det['units_source'] == 'dirs' and det['containers'] is None
    res = layout.resolve('auto', {}, det, str(tmp_path))
    tgt = res['services']['tgt']
    assert tgt['present'] is True
    assert tgt['restart']['method'] == 'systemd' and tgt['restart']['unit'] == 'tgt'
    cv = res['services']['cinder-volume']
    assert cv['restart']['unit'] == 'cinder-volume' and cv['config_present'] is True
    nc = res['services']['nova-compute']
    assert nc['present'] is False
    assert nc['restart']['unit'] == 'nova-compute' and nc['restart']['unit_exists'] is False
    assert res['flavour'] == 'packaged' and res['detected_by']


def test_packaged_rhel_prefers_existing_candidate(tmp_path):
    touch(tmp_path, '/usr/lib/systemd/system/tgtd.service')
    touch(tmp_path, '/usr/lib/systemd/system/openstack-cinder-volume.service')
    res = layout.resolve('auto', {}, layout.detect(str(tmp_path)), str(tmp_path))
    assert res['services']['tgt']['restart']['unit'] == 'tgtd'
    assert res['services']['cinder-volume']['restart']['unit'] == 'openstack-cinder-volume'


def test_kolla(tmp_path):
    touch(tmp_path, '/etc/kolla/cinder-volume/config.json', '{}')
    touch(tmp_path, '/etc/kolla/tgtd/config.json', '{}')
    touch(tmp_path, '/usr/bin/docker', '#!/bin/sh\n', 0o755)
    touch(tmp_path, '/usr/bin/podman', '#!/bin/sh\n', 0o755)
    ps = '\n'.join(json.dumps(c) for c in [
        {'Names': 'cinder_volume', 'State': 'running', 'Image': 'kolla/cinder-volume'},
        {'Names': 'tgtd', 'State': 'exited', 'Image': 'kolla/tgtd'}])
    runner = FakeRunner({'docker ps': (0, ps, ''), 'systemctl list-unit-files': (1, '', 'no')})
    det = layout.detect(str(tmp_path), runner=runner)
    assert det['flavour'] == 'kolla' and 'cinder-volume' in det['detected_by']
    assert det['container_cli'] == 'docker'
    assert ['/usr/bin/docker', 'ps', '-a', '--format', 'json'] in runner.calls
    res = layout.resolve('auto', {}, det, str(tmp_path))
    tgt = res['services']['tgt']
    assert tgt['restart']['method'] == 'container'
    assert tgt['restart']['container'] == 'tgtd' and tgt['restart']['container_state'] == 'exited'
    assert tgt['present'] is True
    assert res['services']['cinder-volume']['restart']['container_state'] == 'running'
    assert tgt['config_container'] == 'cinder_volume' and tgt['config_container_state'] == 'running'
    assert tgt['config_container_exists'] is True
    assert res['services']['nova-compute']['present'] is False
    assert res['container_cli'] == 'docker'
    assert det['errors'] and 'systemctl' in det['errors'][0]


def test_kolla_docker_daemon_down_falls_back_to_podman(tmp_path):
    touch(tmp_path, '/etc/kolla/tgtd/config.json', '{}')
    touch(tmp_path, '/usr/bin/docker', '', 0o755)
    touch(tmp_path, '/usr/bin/podman', '', 0o755)
    runner = FakeRunner({'docker ps': (1, '', 'Cannot connect to the Docker daemon'),
                         'podman ps': (0, json.dumps([{'Names': ['tgtd'], 'State': 'running'}]),
                                       ''),
                         'systemctl list-unit-files': (0, '', '')})
    det = layout.detect(str(tmp_path), runner=runner)
    assert det['container_cli'] == 'podman'
    assert det['containers'] == {'tgtd': {'state': 'running', 'running': True, 'image': None}}


def test_unit_files_asked_by_name_and_none_matching(tmp_path):
    # systemctl reads the enablement of the named units only (~20 ms, not ~1 s for all of them);
    # nothing matching is rc 1 with no output (systemd 252), not a failure
    touch(tmp_path, '/etc/nova/nova.conf', '[DEFAULT]\n')
    runner = FakeRunner({'systemctl list-unit-files': (1, '', '')})
    det = layout.detect(str(tmp_path), runner=runner)
    argv = [c for c in runner.calls if c[:2] == ['systemctl', 'list-unit-files']][0]
    assert 'nova-compute.service' in argv and 'tgt.service' in argv
    assert det['units_source'] == 'systemctl' and det['unit_files'] == {} and not det['errors']


def test_tripleo(tmp_path):
    (tmp_path / 'var/lib/config-data/puppet-generated/cinder/etc/cinder').mkdir(parents=True)
    touch(tmp_path, '/usr/bin/podman', '', 0o755)
    touch(tmp_path, '/usr/bin/docker', '', 0o755)
    podman = json.dumps([
        {'Names': ['openstack-cinder-volume-podman-0'], 'State': 'running'},
        {'Names': ['nova_compute'], 'State': 'running'},
        {'Names': ['rabbitmq'], 'State': 'running'}])
    units = ('tripleo_nova_compute.service enabled enabled\n'
             'tripleo_rabbitmq.service enabled enabled\n'
             'sshd.service enabled enabled\n')
    runner = FakeRunner({'podman ps': (0, podman, ''),
                         'systemctl list-unit-files': (0, units, '')})
    det = layout.detect(str(tmp_path), runner=runner)
    assert det['flavour'] == 'tripleo' and det['container_cli'] == 'podman'
    assert det['units_source'] == 'systemctl'
    assert det['unit_files'] == {'tripleo_nova_compute': 'enabled', 'tripleo_rabbitmq': 'enabled'}
    res = layout.resolve('auto', {}, det, str(tmp_path))
    s = res['services']
    cv = s['cinder-volume']['restart']
    assert cv['method'] == 'pacemaker' and cv['resource'] == 'openstack-cinder-volume'
    assert cv['container'] == 'openstack-cinder-volume-podman-0'
    assert s['nova-compute']['restart']['unit'] == 'tripleo_nova_compute'
    # no rabbitmq-bundle replica: the non-HA fallback is used
    rb = s['rabbitmq']['restart']
    assert rb['via_fallback'] and rb['method'] == 'systemd' and rb['unit'] == 'tripleo_rabbitmq'
    assert s['tgt']['present_by_default'] is False and s['tgt']['present'] is False
    assert s['cinder-volume']['config_files'][0].startswith(layout.PG + '/cinder/')


def test_juju(tmp_path):
    (tmp_path / 'var/lib/juju/agents/unit-cinder-0').mkdir(parents=True)
    touch(tmp_path, '/etc/systemd/system/cinder-volume.service')
    res = layout.resolve('auto', {}, layout.detect(str(tmp_path)), str(tmp_path))
    assert res['flavour'] == 'juju'
    cv = res['services']['cinder-volume']
    assert cv['restart']['method'] == 'juju_unit' and cv['restart']['unit'] == 'cinder-volume'
    assert cv['present'] is True
    assert res['services']['tgt']['present_by_default'] is False
    assert 'juju config' in res['config_change']


def test_forced_flavour_and_overrides(tmp_path):
    det = layout.detect(str(tmp_path))
    res = layout.resolve('kolla', {'tgt': {'restart': {'containers': ['my_tgtd']},
                                           'conf_d': '/srv/tgt/conf.d'},
                                   'my-svc': {'config_files': ['/etc/my.conf']}},
                         det, str(tmp_path))
    assert res['flavour'] == 'kolla' and res['detected_flavour'] == 'packaged'
    assert res['detected_by'] == 'layout_flavour=kolla'
    tgt = res['services']['tgt']
    assert tgt['restart']['containers'] == ['my_tgtd']
    assert tgt['restart']['method'] == 'container'      # merged, not replaced
    assert tgt['conf_d'] == '/srv/tgt/conf.d'
    assert tgt['config_dir'] == '/etc/kolla/tgtd'
    assert res['services']['my-svc']['config_files'] == ['/etc/my.conf']
    # the table itself is not modified by overrides
    assert layout.TABLE['kolla']['tgt']['restart']['containers'] == ['tgtd']


def test_unknown_flavour():
    with pytest.raises(ValueError):
        layout.resolve('openshift', {}, {'flavour': 'packaged'})


def test_container_state_unknown_when_no_listing():
    res = layout.resolve('kolla', {}, {'flavour': 'kolla', 'containers': None})
    tgt = res['services']['tgt']['restart']
    assert tgt['container'] == 'tgtd' and tgt['container_state'] == 'unknown'
    assert res['services']['tgt']['present'] is False


def test_parse_container_ps_formats():
    docker = '{"Names":"a,b","State":"running","Image":"i"}\n{"Names":"c","State":"exited"}'
    assert layout.parse_container_ps(docker) == {
        'a': {'state': 'running', 'running': True, 'image': 'i'},
        'b': {'state': 'running', 'running': True, 'image': 'i'},
        'c': {'state': 'exited', 'running': False, 'image': None}}
    podman = '[{"Names":["x"],"State":"running"}]'
    assert layout.parse_container_ps(podman)['x']['running'] is True
    old_docker = '{"Names":"y","Status":"Up 3 hours"}'
    assert layout.parse_container_ps(old_docker)['y']['running'] is True
    assert layout.parse_container_ps('') == {}


def test_deep_merge():
    assert layout.deep_merge({'a': {'b': 1, 'c': [1]}}, {'a': {'c': [2]}, 'd': 3}) == \
        {'a': {'b': 1, 'c': [2]}, 'd': 3}


def test_pidfile_override_keeps_its_commands(tmp_path):
    """A service the site runs under its own supervisor: known by its pid file, started, stopped
    and restarted with the argv of restart.commands (restart_service runs them as given)."""
    det = layout.detect(str(tmp_path))
    cmds = {'restarted': ['/opt/site/svc', 'restart', 'nova-api'], 'started': ['/opt/site/svc', 'start', 'nova-api']}
    res = layout.resolve('packaged', {'nova-api': {'pidfile': '/run/nova-api.pid',
                                                   'restart': {'method': 'pidfile', 'commands': cmds}}},
                         det, str(tmp_path))
    api = res['services']['nova-api']
    assert api['pidfile'] == '/run/nova-api.pid'
    assert api['restart']['method'] == 'pidfile' and api['restart']['commands'] == cmds
    # without commands there is no commands key: restart_service refuses anything but reloaded
    plain = layout.resolve('packaged', {'nova-api': {'restart': {'method': 'pidfile'}}}, det, str(tmp_path))
    assert 'commands' not in plain['services']['nova-api']['restart']
    assert 'commands' not in res['services']['nova-conductor']['restart']
