"""Testinfra: what fix_tgt_include left on the live nodes (molecule/tgt_include)."""
IQN = 'iqn.2010-10.org.openstack:volume-5d1e8a0c-0000-4000-8000-000000000001'
SHOW = 'tgtadm --lld iscsi --op show --mode target'


def name(host):
    return host.backend.get_hostname()


def test_include_added_the_install_guide_way(host):
    n = name(host)
    if n in ('vol-broken', 'vol-juju'):
        f = host.file('/etc/tgt/conf.d/cinder.conf')
        assert f.exists and f.contains(r'^include /var/lib/cinder/volumes/\*$')
        assert host.file('/etc/tgt/targets.conf').contains(r'^include /etc/tgt/conf.d/\*\.conf')
    elif n == 'vol-kolla':
        # kolla: the include is in /etc/tgt/targets.conf inside cinder_volume (where cinder runs
        # tgt-admin), line 1 as kolla's image puts it; the host's /etc/kolla/tgtd keeps only
        # config.json and /etc/tgt stays untouched on the host
        conf = host.check_output('podman exec cinder_volume cat /etc/tgt/targets.conf')
        assert conf.splitlines()[0] == 'include /var/lib/cinder/volumes/*'
        assert sorted(host.check_output('ls -A /etc/kolla/tgtd').split()) == ['config.json']
        assert not host.file('/etc/tgt/conf.d/cinder.conf').exists
    else:
        assert not host.file('/etc/tgt/conf.d/cinder.conf').exists


def test_live_tgt_daemon_exports_cinder_target(host):
    n = name(host)
    if n in ('vol-broken', 'vol-juju'):
        out = host.check_output(SHOW)
    elif n == 'vol-kolla':
        out = host.check_output('podman exec tgtd ' + SHOW)
    else:
        return
    assert IQN in out
    assert 'S3cretChapPassw0rd' not in out or 'incominguser' not in out.lower()


def test_cinder_volume_was_restarted_through_the_layout(host):
    if name(host) not in ('vol-broken', 'vol-juju'):
        return
    before = host.file('/root/cinder-volume.pid.before').content_string.strip()
    now = host.check_output('systemctl show -p MainPID --value cinder-volume.service').strip()
    assert host.service('cinder-volume').is_running
    assert now != before and now != '0'


def test_untouched_nodes_kept_their_config(host):
    n = name(host)
    if n == 'vol-lioadm':
        assert host.file('/etc/cinder/cinder.conf').contains('target_helper = lioadm')
    if n == 'vol-malformed':
        assert host.file('/etc/cinder/cinder.conf').contains('this line is not an option')
        assert not host.file('/etc/tgt/conf.d/cinder.conf').exists


def test_tgt_installed_where_the_charm_left_it_out(host):
    if name(host) != 'vol-juju':
        return
    assert host.package('tgt').is_installed
    assert host.service('tgt').is_running
    assert host.exists('tgtadm') and host.exists('tgt-admin')
