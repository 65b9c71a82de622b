"""Testinfra: what fix_pacemaker left on the cluster node (molecule/pacemaker)."""


def test_no_failed_action_and_dummy_started(host):
    status = host.check_output('crm_mon --one-shot --output-as=xml')
    assert '<failure ' not in status
    assert 'id="dummy" resource_agent="ocf:pacemaker:Dummy" role="Started"' in status


def test_pcs_status_clean(host):
    out = host.check_output('pcs status')
    assert 'Failed Resource Actions' not in out
    assert 'Online: [ pcmk1 ]' in out
