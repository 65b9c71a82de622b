"""Testinfra: what fix_services_running left on the live node (molecule/services_running)."""


def test_tgt_runs_and_is_enabled(host):
    tgt = host.service('tgt')
    assert tgt.is_running
    assert tgt.is_enabled


def test_tgtd_answers(host):
    assert host.run('tgtadm --lld iscsi --op show --mode sys').rc == 0
