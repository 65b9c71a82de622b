"""Verify stackdoctor_testnode's result on each layout flavour."""
import json

import pytest

CONF = {
    "sd-packaged": "/etc/cinder/cinder.conf",
    "sd-juju": "/etc/cinder/cinder.conf",
    "sd-kolla": "/etc/kolla/cinder-volume/cinder.conf",
    "sd-tripleo": "/var/lib/config-data/puppet-generated/cinder/etc/cinder/cinder.conf",
}
LOG = {
    "sd-packaged": "/var/log/cinder/cinder-volume.log",
    "sd-juju": "/var/log/cinder/cinder-volume.log",
    "sd-kolla": "/var/log/kolla/cinder/cinder-volume.log",
    "sd-tripleo": "/var/log/containers/cinder/cinder-volume.log",
}


def name(host):
    return host.backend.get_hostname()


def test_cinder_conf_and_log(host):
    assert "enabled_backends = lvm-1" in host.file(CONF[name(host)]).content_string
    log = host.file(LOG[name(host)]).content_string
    assert "Failed to create iscsi target" in log
    assert "stand-in for cinder-volume starting" in log


def test_tgt(host):
    n = name(host)
    if n == "sd-packaged":
        assert host.service("tgt").is_running
        assert host.run("tgtadm --lld iscsi --op show --mode target").rc == 0
        assert not host.file("/etc/tgt/conf.d/cinder_tgt.conf").exists
        assert "/var/lib/cinder/volumes" not in host.file("/etc/tgt/targets.conf").content_string
    elif n == "sd-tripleo":
        assert not host.service("tgt").is_running
        assert "include /var/lib/cinder/volumes/*" in host.file("/etc/tgt/targets.conf").content_string
    elif n == "sd-juju":
        assert host.run("command -v tgtadm").rc != 0
        assert not host.package("tgt").is_installed
        assert host.file("/var/lib/juju/agents/unit-cinder-0").is_directory
        assert host.run("command -v juju").rc != 0
    elif n == "sd-kolla":
        assert host.run("command -v tgtadm").rc != 0          # no tgt on a kolla host
        # as kolla's images: the include is line 1 of /etc/tgt/targets.conf inside the
        # cinder_volume sibling (where tgt-admin runs); the host's /etc/kolla/tgtd has only config.json
        out = host.check_output("podman exec sdtn-cinder_volume cat /etc/tgt/targets.conf")
        assert out.splitlines()[0] == "include /var/lib/cinder/volumes/*"
        assert sorted(host.check_output("ls -A /etc/kolla/tgtd").split()) == ["config.json"]
        assert host.run("podman exec sdtn-tgtd tgtadm --lld iscsi --op show --mode target").rc == 0


@pytest.mark.parametrize("unit", ["cinder-volume.service", "tripleo_cinder_volume.service"])
def test_standin_restart_changes_mainpid(host, unit):
    n = name(host)
    if (unit == "cinder-volume.service") != (n in ("sd-packaged", "sd-juju")) or n == "sd-kolla":
        pytest.skip("unit not used by this layout")
    assert "STAND-IN" in host.check_output(f"systemctl show -p Description --value {unit}")
    before = host.check_output(f"systemctl show -p MainPID --value {unit}")
    host.check_output(f"systemctl restart {unit}")
    after = host.check_output(f"systemctl show -p MainPID --value {unit}")
    assert before != after and after != "0"


def test_kolla_siblings_through_the_socket(host):
    if name(host) != "sd-kolla":
        pytest.skip("kolla only")
    names = host.check_output("podman ps --format '{{.Names}}'").split()
    assert "sdtn-tgtd" in names and "sdtn-cinder_volume" in names

    def pid(c):
        return json.loads(host.check_output(f"podman container inspect {c}"))[0]["State"]["Pid"]

    before = pid("sdtn-tgtd")
    host.check_output("podman restart sdtn-tgtd")
    assert pid("sdtn-tgtd") != before
    assert host.run("podman exec sdtn-tgtd tgtadm --lld iscsi --op show --mode target").rc == 0

    def nlog():
        return host.file(LOG["sd-kolla"]).content_string.count("stand-in for cinder-volume starting")

    n0 = nlog()
    host.check_output("podman restart sdtn-cinder_volume")
    assert nlog() == n0 + 1
