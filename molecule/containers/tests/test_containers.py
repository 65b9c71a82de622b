"""Testinfra: what fix_containers left on the kolla node (molecule/containers)."""


def test_keystone_restarted_and_healthy(host):
    # the node's podman is a client of the host's engine: the sibling's own state
    out = host.check_output("podman inspect --format '{{.State.Status}} {{.State.Health.Status}}' ctr-kolla-keystone")
    assert out == 'running healthy'


def test_the_server_answers_again(host):
    # the hung (SIGSTOPped) server was replaced by a fresh one: the check passes when run now
    assert host.run('podman healthcheck run ctr-kolla-keystone').rc == 0
