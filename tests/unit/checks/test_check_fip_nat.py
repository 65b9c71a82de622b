"""Unit tests of check_fip_nat's evaluate() (recorded facts in, results out)."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import fip_nat


def test_fip_nat_reports_the_fault():
    # TODO: recorded facts of a broken host -> the finding fires with its evidence
    results = fip_nat.evaluate({}, {})
    assert [r['status'] for r in results] == ['critical']


def test_fip_nat_passes_a_healthy_host():
    # TODO: recorded facts of a healthy host -> ok
    results = fip_nat.evaluate({}, {})
    assert [r['status'] for r in results] == ['ok']
