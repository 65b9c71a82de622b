"""check_pacemaker: crm_mon --output-as=xml recorded from Debian 12's pacemaker 2.1.5 on a single-node cluster
(tests/unit/fixtures/pacemaker/README.md), where crm_mon runs, and evaluate()."""
import os

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import ha_facts
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import pacemaker, registry

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'pacemaker')


def _read(name):
    with open(os.path.join(FIX, 'crm_mon-2.1.5-%s.xml' % name)) as handle:
        return handle.read()


def _facts(name):
    return {'pacemaker': {'present': True, 'config': '/etc/corosync/corosync.conf', 'rc': 0, 'error': None,
                          'command': 'crm_mon --one-shot --inactive --output-as=xml',
                          'status': ha_facts.parse_crm_mon_xml(_read(name))}}


def _bad(results):
    return [(r['id'], r['status'], r['summary']) for r in results if r['status'] not in ('ok', 'skipped')]


def test_healthy():
    results = registry.evaluate('check_pacemaker', _facts('healthy'))
    assert _bad(results) == []
    assert [r['summary'] for r in results] == ['partition with quorum, DC pcmk1', 'all 1 nodes online',
                                               'every resource runs (1)', 'no failed resource action']


def test_failed_monitor_after_recovery():
    results = registry.evaluate('check_pacemaker', _facts('monitor-failed-recovered'))
    assert _bad(results) == [('pacemaker.failed_action', 'warning',
                              "failed action: dummy monitor (interval 5000 ms) on pcmk1 returned not running at "
                              "2026-12-01 19:37:20Z")]
    failed = [r for r in results if r['id'] == 'pacemaker.failed_action'][0]
    assert failed['fix'] == 'fix_pacemaker'
    assert (failed['evidence']['resource'], failed['evidence']['node'], failed['evidence']['operation']) == (
        'dummy', 'pcmk1', 'dummy_monitor_5000')


def test_start_failed_disabled_unmanaged():
    results = registry.evaluate('check_pacemaker', _facts('start-failed-disabled-unmanaged'))
    assert sorted(_bad(results)) == sorted([
        ('pacemaker.resource_unmanaged', 'warning',
         'resource dummy is unmanaged: pacemaker neither monitors nor recovers it'),
        ('pacemaker.resource_stopped', 'critical', 'resource dummy2 is Stopped'),
        ('pacemaker.resource_disabled', 'warning', 'resource dummy3 is disabled (target-role Stopped)'),
        ('pacemaker.failed_action', 'warning',
         'failed action: dummy2 start on pcmk1 returned error at 2026-12-01 19:37:36Z'),
    ])
    # stopped resources are not the fix's (cleanup is for failed actions only)
    assert [r['fix'] for r in results if r['id'] == 'pacemaker.resource_stopped'] == [None]
    # a site that ignores dummy2
    results = registry.evaluate('check_pacemaker', _facts('start-failed-disabled-unmanaged'), {'ignore': ['dummy2']})
    assert not [r for r in results if r['evidence'].get('resource') == 'dummy2']


def test_standby_node_stops_clone_and_group():
    results = registry.evaluate('check_pacemaker', _facts('node-standby-clone-group'))
    bad = _bad(results)
    assert ('pacemaker.node_offline', 'critical', 'node pcmk1 is standby') in bad
    stopped = [s for i, _st, s in bad if i == 'pacemaker.resource_stopped']
    assert stopped == ['resource dummy is Stopped', 'resource dclone (clone dclone-clone) is Stopped',
                       'resource g1 (group grp) is Stopped']


def test_no_quorum_and_no_dc():
    assert _bad(registry.evaluate('check_pacemaker', _facts('no-quorum')))[0] == (
        'pacemaker.no_quorum', 'critical', 'cluster: partition WITHOUT quorum (DC pcmk1)')
    bad = _bad(registry.evaluate('check_pacemaker', _facts('no-dc-node-unclean')))
    assert bad[:2] == [('pacemaker.no_quorum', 'critical', 'cluster: no DC elected'),
                       ('pacemaker.node_offline', 'critical', 'node node1 is offline, unclean')]


def test_bundle_shape_from_the_schema():
    xml = """<pacemaker-result api-version="2.25" request="crm_mon">
      <summary><current_dc present="true" name="ctl-0" with_quorum="true"/></summary>
      <nodes><node name="ctl-0" online="true"/></nodes>
      <resources>
        <bundle id="galera-bundle" type="podman" image="cluster.common.tag/mariadb:pcmklatest" unique="false"
                managed="true" failed="false">
          <replica id="0">
            <resource id="galera-bundle-podman-0" resource_agent="ocf:heartbeat:podman" role="Started"
                      active="true" managed="true" failed="false"><node name="ctl-0"/></resource>
            <resource id="galera" resource_agent="ocf:heartbeat:galera" role="Stopped" active="false"
                      managed="true" failed="true"/>
          </replica>
        </bundle>
      </resources>
      <failures>
        <failure op_key="galera_migrate_to_0" node="ctl-0" exitstatus="error" exitreason="no sync" task="migrate_to"/>
      </failures>
      <status code="0" message="OK"/>
    </pacemaker-result>"""
    facts = {'pacemaker': {'present': True, 'status': ha_facts.parse_crm_mon_xml(xml)}}
    bad = _bad(registry.evaluate('check_pacemaker', facts))
    assert bad == [('pacemaker.resource_stopped', 'critical', 'resource galera (bundle galera-bundle) is FAILED'),
                   ('pacemaker.failed_action', 'warning',
                    'failed action: galera migrate_to on ctl-0 returned error (no sync) at None')]
    assert ha_facts.op_key_resource('my_rsc_migrate_to_0') == ('my_rsc', 'migrate_to', '0')
    assert ha_facts.op_key_resource('galera-bundle-podman-0_monitor_60000') == (
        'galera-bundle-podman-0', 'monitor', '60000')


class Runner:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        return self.answers.pop(0)


def _ctx(tmp_path, runner, cluster=True):
    for d in ('usr/sbin', 'etc/corosync'):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
    crm = tmp_path / 'usr/sbin/crm_mon'
    crm.write_text('#!/bin/sh\n')
    crm.chmod(0o755)
    if cluster:
        (tmp_path / 'etc/corosync/corosync.conf').write_text('totem {}\n')
    return nfs.Context(root=str(tmp_path), params={'command_timeout': 7}, runner=runner)


def test_gather_runs_crm_mon_bounded_and_reads_errors(tmp_path):
    runner = Runner([(0, _read('healthy'), '')])
    out = ha_facts.gather_pacemaker(_ctx(tmp_path, runner))
    assert runner.calls == [['timeout', '7', '/usr/sbin/crm_mon', '--one-shot', '--inactive', '--output-as=xml']]
    assert out['present'] and out['status']['dc'] == 'pcmk1' and out['pcs'] is None
    # pacemaker down (recorded: rc 102, the error in the XML)
    out = ha_facts.gather_pacemaker(_ctx(tmp_path, Runner([(102, _read('pacemaker-stopped'), '')])))
    assert out['error']['message'] == ('crm_mon: Not connected (code 102): error: Could not connect to launcher: '
                                       'Connection refused; crm_mon: Connection to cluster failed: Connection refused')
    res = registry.evaluate('check_pacemaker', {'pacemaker': out})
    assert [(r['id'], r['status']) for r in res] == [('pacemaker.status_unavailable', 'critical')]
    # hanging, and pacemaker 1.1 (no --output-as: usage error, then --as-xml)
    out = ha_facts.gather_pacemaker(_ctx(tmp_path, Runner([(124, '', '')])))
    assert out['error']['message'] == 'crm_mon timed out after 7 s'
    runner = Runner([(64, '', 'crm_mon: unrecognized option --output-as=xml'), (0, _read('healthy'), '')])
    out = ha_facts.gather_pacemaker(_ctx(tmp_path, runner))
    assert runner.calls[1][-1] == '--as-xml' and out['status']['quorum'] is True


def test_no_cluster_and_garbage(tmp_path):
    runner = Runner([])
    out = ha_facts.gather_pacemaker(_ctx(tmp_path, runner, cluster=False))
    assert out['present'] is False and runner.calls == []
    assert registry.evaluate('check_pacemaker', {'pacemaker': out})[0]['status'] == 'skipped'
    assert pacemaker.evaluate({})[0]['status'] == 'error'
    with pytest.raises(ValueError):
        ha_facts.parse_crm_mon_xml('Error: cluster is not available on this node')
    with pytest.raises(ValueError):
        ha_facts.parse_crm_mon_xml('<cib/>')
