"""Smoke verify: testinfra's native podman backend (podman://node1)."""


def test_file(host):
    f = host.file("/etc/stackdoctor-smoke")
    assert f.exists and f.content_string == "smoke\n"


def test_systemd_is_pid1(host):
    assert host.process.get(pid=1).comm == "systemd"


def test_tgt_running_and_answers(host):
    assert host.service("tgt").is_running
    assert host.run("tgtadm --lld iscsi --op show --mode target").rc == 0


def test_own_network_namespace(host):
    # network none: only lo
    assert host.run("ip -o link").stdout.strip().count("\n") == 0
