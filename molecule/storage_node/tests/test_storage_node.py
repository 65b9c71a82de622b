"""Testinfra: what fix_qemu_img and fix_target_address left on the live node (molecule/storage_node)."""


def test_qemu_img_runs(host):
    assert host.package('qemu-utils').is_installed
    out = host.check_output('qemu-img --version')
    assert out.startswith('qemu-img version')


def test_target_address_is_the_nodes_own(host):
    conf = host.file('/etc/cinder/cinder.conf')
    assert conf.contains(r'^target_ip_address = 127\.0\.0\.1$')
    assert not conf.contains('203.0.113.10')
    assert host.file('/etc/cinder').listdir() != ['cinder.conf']   # ini_file's backup is there too


def test_cinder_volume_was_restarted_through_the_layout(host):
    before = host.file('/root/cinder-volume.pid.before').content_string.strip()
    now = host.check_output('systemctl show -p MainPID --value cinder-volume.service').strip()
    assert host.service('cinder-volume').is_running
    assert now not in (before, '0')


def test_glance_api_servers_keeps_only_what_answers(host):
    conf = host.file('/etc/cinder/cinder.conf')
    assert conf.contains(r'^glance_api_servers = 127\.0\.0\.1:9292$')


def test_debug_is_off_and_the_old_file_is_kept(host):
    conf = host.file('/etc/cinder/cinder.conf')
    assert conf.contains(r'^debug = false$')
    assert not conf.contains(r'^debug = True')
    backups = host.run("grep -l '^debug = True' /etc/cinder/cinder.conf.*")
    assert backups.rc == 0 and backups.stdout.strip()      # ini_file's backup holds the file as it was
