"""Unit tests of check_glance_reachability: the cinder_glance subset on fake hosts, evaluate() on facts
plus the role's probes and catalog."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils import log_signatures
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import glance_reachability as gr
from ansible_collections.stackdoctor.openstack.plugins.module_utils.node_facts_subsets import (
    Context, gather)

# the recipe's lines (cinder 29, glance_api_servers on a dead port)
CONTACT = ("2026-11-30 12:01:00.100 4242 ERROR cinder.image.glance [req-3 - - - - -] Error contacting glance server "
           "'127.0.0.1:15199' for 'get_image_locations', retrying.: glanceclient.exc.CommunicationError: Error "
           "finding address for http://127.0.0.1:15199/v2/images/1/locations: ECONNREFUSED")
FAILED = ('2026-11-30 12:01:15.000 4242 ERROR oslo_messaging.rpc.server [req-3 - - - - -] '
          'cinder.exception.GlanceConnectionFailed: Connection to glance failed: Error finding address')


def put(root, path, text):
    real = root / path.lstrip('/')
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(text)


def facts_for(tmp_path, conf, log=None):
    if conf is not None:
        put(tmp_path, '/etc/cinder/cinder.conf', conf)
    if log:
        put(tmp_path, '/var/log/cinder/cinder-volume.log', log)
    detected = {'flavour': 'packaged', 'detected_by': 'test', 'os_family': 'Debian', 'container_cli': 'none',
                'unit_files': {}, 'units_source': 'dirs', 'containers': None, 'errors': []}
    return gather(['cinder_glance', 'cinder_volume_log'],
                  Context(root=str(tmp_path), params={}, runner=None, detected=detected))


def statuses(results):
    return [(r['id'], r['status']) for r in results]


CATALOG = {'services': [{'id': 's1', 'type': 'image', 'name': 'glance'}, {'id': 's2', 'type': 'identity'}],
           'endpoints': [{'service_id': 's1', 'interface': 'public', 'url': 'http://glance.example:9292',
                          'region_id': 'RegionOne'},
                         {'service_id': 's1', 'interface': 'internal', 'url': 'http://10.0.0.5:9292',
                          'region_id': 'RegionOne'},
                         {'service_id': 's1', 'interface': 'public', 'url': 'http://glance.two:9292',
                          'region_id': 'RegionTwo'}]}


def test_signatures():
    res = log_signatures.scan([CONTACT, FAILED, "Failed to parse the configuration option 'glance_catalog_info'"],
                              ['7a', '7b', '7d'])
    assert res['counts'] == {'7a': 1, '7b': 1, '7d': 1}


def test_subset_normalises_servers_as_cinder_does(tmp_path):
    cg = facts_for(tmp_path, '[DEFAULT]\nglance_api_servers = 127.0.0.1:15199, https://g.example:9292\n'
                             'glance_catalog_info = image:glance:internalURL\n[glance]\nregion_name = R2\n')['cinder_glance']
    assert [s['url'] for s in cg['servers']] == ['http://127.0.0.1:15199', 'https://g.example:9292']
    assert (cg['servers_line'], cg['interface'], cg['region_name']) == (2, 'internal', 'R2')


def test_dead_server_is_critical_with_log_lines_and_line(tmp_path):
    facts = facts_for(tmp_path, '[DEFAULT]\nglance_api_servers = 127.0.0.1:15199,127.0.0.1:9292\n',
                      CONTACT + '\n' + FAILED + '\n')
    probes = [{'item': 'http://127.0.0.1:15199', 'status': -1,
               'msg': 'Status code was -1 and not [200]: Request failed: <urlopen error [Errno 111] Connection refused>'},
              {'item': 'http://127.0.0.1:9292', 'status': 300, 'msg': 'OK'}]
    results = gr.evaluate(facts, {'probes': probes})
    assert statuses(results) == [('cinder.glance_unreachable', 'critical'), ('cinder.glance_unreachable', 'ok')]
    ev = results[0]['evidence']
    assert (ev['url'], ev['line'], ev['value'], ev['configured']) == (
        'http://127.0.0.1:15199', 2, '127.0.0.1:15199', ['127.0.0.1:15199', '127.0.0.1:9292'])
    assert [l['signature'] for l in ev['log_lines']] == ['7a', '7b']
    assert 'Connection refused' in results[0]['summary'] and '/etc/cinder/cinder.conf line 2' in results[0]['summary']
    assert results[0]['fix'] == 'fix_glance_api_servers'


def test_catalog_fallback_uses_interface_and_region(tmp_path):
    facts = facts_for(tmp_path, '[DEFAULT]\n[glance]\nregion_name = RegionOne\n')
    probes = [{'item': 'http://glance.example:9292', 'status': 300}]
    results = gr.evaluate(facts, {'probes': probes, 'catalog': CATALOG})
    assert statuses(results) == [('cinder.glance_unreachable', 'ok')]
    assert results[0]['evidence']['source'] == 'catalog'


def test_catalog_without_glance_is_skipped_and_without_endpoint_is_critical(tmp_path):
    facts = facts_for(tmp_path, '[DEFAULT]\nglance_api_servers =\n')
    assert statuses(gr.evaluate(facts, {'catalog': {'services': [], 'endpoints': []}})) == [
        ('cinder.glance_unreachable', 'skipped')]
    facts = facts_for(tmp_path / 'b', '[DEFAULT]\nglance_catalog_info = image:glance:adminURL\n')
    assert statuses(gr.evaluate(facts, {'catalog': CATALOG})) == [('cinder.glance_unreachable', 'critical')]
    assert statuses(gr.evaluate(facts, {'catalog': {'error': 'keystone timed out'}})) == [
        ('cinder.glance_unreachable', 'error')]
    assert statuses(gr.evaluate(facts, {})) == [('cinder.glance_unreachable', 'skipped')]


def test_invalid_catalog_info(tmp_path):
    facts = facts_for(tmp_path, '[DEFAULT]\nglance_catalog_info = image-publicURL\n')
    results = gr.evaluate(facts, {'catalog': CATALOG})
    assert statuses(results) == [('cinder.glance_catalog_info_invalid', 'critical')]
    assert results[0]['fix'] is None


def test_http_500_is_not_reachable_and_unprobed_is_skipped(tmp_path):
    facts = facts_for(tmp_path, '[DEFAULT]\nglance_api_servers = http://g:9292\n')
    assert statuses(gr.evaluate(facts, {'probes': [{'item': 'http://g:9292', 'status': 503}]})) == [
        ('cinder.glance_unreachable', 'critical')]
    assert statuses(gr.evaluate(facts, {'probes': []})) == [('cinder.glance_unreachable', 'skipped')]


def test_malformed_missing_and_absent(tmp_path):
    facts = facts_for(tmp_path, '[DEFAULT]\nnot an option\n')
    results = gr.evaluate(facts, {})
    assert statuses(results) == [('cinder.glance_unreachable', 'error')]
    assert '/etc/cinder/cinder.conf line 2' in results[0]['summary']
    assert statuses(gr.evaluate(facts_for(tmp_path / 'b', None), {})) == [('cinder.glance_unreachable', 'skipped')]
    assert statuses(gr.evaluate({}, {})) == [('cinder.glance_unreachable', 'error')]
