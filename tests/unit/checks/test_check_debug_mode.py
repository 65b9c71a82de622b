"""check_debug_mode: the debug subset on a node root (real files, the packaged layout) and evaluate() on its facts."""
from ansible_collections.stackdoctor.openstack.plugins.module_utils import layout as layout_mod
from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

CHECK = 'check_debug_mode'


def _node(tmp_path, files, present=()):
    """A packaged node under tmp_path: ``files`` {path: text}; ``present`` services deployed (units)."""
    for path, text in files.items():
        real = tmp_path / path.lstrip('/')
        real.parent.mkdir(parents=True, exist_ok=True)
        real.write_text(text)
    ctx = nfs.Context(root=str(tmp_path))
    lay = layout_mod.resolve('packaged', {}, {'flavour': 'packaged', 'units': []}, str(tmp_path))
    for name in lay['services']:
        lay['services'][name]['present'] = name in present
    ctx.layout = lay
    return {'layout': lay, 'debug': nfs.gather_debug(ctx)}


def _ev(facts, **params):
    return registry.evaluate(CHECK, facts, params)


def test_debug_on_in_cinder_conf_is_a_warning_naming_file_line_service_and_log_size(tmp_path):
    facts = _node(tmp_path, {'/etc/cinder/cinder.conf': '[DEFAULT]\nenabled_backends = lvm-1\ndebug = True\n',
                             '/var/log/cinder/cinder-volume.log': 'x' * (3 * 1024 * 1024)},
                  present=['cinder-volume'])
    res = _ev(facts)
    assert [(r['id'], r['status']) for r in res] == [('logging.debug_enabled', 'warning')]
    r = res[0]
    assert r['fix'] == 'fix_debug_mode'
    assert r['evidence']['file'] == '/etc/cinder/cinder.conf' and r['evidence']['line'] == 3
    assert r['evidence']['services'] == ['cinder-volume'] and r['evidence']['deployed'] is True
    assert r['evidence']['logs']['cinder-volume'] == {'file': '/var/log/cinder/cinder-volume.log', 'bytes': 3 * 1024 * 1024}
    assert 'debug = True in /etc/cinder/cinder.conf line 3: cinder-volume logs at DEBUG' in r['summary']
    assert '3.0 MiB' in r['summary']
    assert r['reference'].startswith('docs/checks/check_debug_mode.md')


def test_oslo_boolean_words_and_unset_is_off(tmp_path):
    for value, on in (('1', True), ('yes', True), ('On', True), ('false', False), ('0', False), ('no', False)):
        facts = _node(tmp_path / value, {'/etc/nova/nova.conf': '[DEFAULT]\ndebug = %s\n' % value},
                      present=['nova-compute'])
        assert [r['status'] for r in _ev(facts)] == (['warning'] if on else ['ok']), value
    facts = _node(tmp_path / 'unset', {'/etc/nova/nova.conf': '[DEFAULT]\nmy_ip = 10.0.0.5\n[libvirt]\ndebug = true\n'},
                  present=['nova-compute'])
    res = _ev(facts)
    assert [r['status'] for r in res] == ['ok']           # debug outside [DEFAULT] is not oslo.log's
    assert 'not set (off)' in res[0]['summary']


def test_shared_nova_conf_is_one_result_naming_only_deployed_services(tmp_path):
    facts = _node(tmp_path, {'/etc/nova/nova.conf': '[DEFAULT]\ndebug = true\n'},
                  present=['nova-api', 'nova-scheduler', 'nova-conductor'])
    res = _ev(facts)
    assert len(res) == 1
    assert res[0]['evidence']['services'] == ['nova-api', 'nova-conductor', 'nova-scheduler']
    assert 'nova-api, nova-conductor, nova-scheduler log at DEBUG' in res[0]['summary']
    # a compute whose nova-compute runs elsewhere (the lab's compute nodes): said, nothing to restart
    facts = _node(tmp_path / 'none', {'/etc/nova/nova.conf': '[DEFAULT]\ndebug = true\n'}, present=[])
    r = _ev(facts)[0]
    assert r['status'] == 'warning' and r['evidence']['deployed'] is False
    assert 'none of them deployed here' in r['summary']


def test_expected_window_debug_on_is_ok_debug_off_is_open(tmp_path):
    on = _node(tmp_path / 'on', {'/etc/cinder/cinder.conf': '[DEFAULT]\ndebug = true\n'}, present=['cinder-volume'])
    res = _ev(on, expected=['cinder-volume'])
    assert [(r['id'], r['status']) for r in res] == [('logging.debug_enabled', 'ok')]
    assert 'as check_debug_mode_expected asks' in res[0]['summary']
    off = _node(tmp_path / 'off', {'/etc/cinder/cinder.conf': '[DEFAULT]\n'}, present=['cinder-volume'])
    res = _ev(off, expected=['cinder-volume'])
    assert [(r['id'], r['status'], r['fix']) for r in res] == [('logging.debug_not_enabled', 'warning', 'fix_debug_mode')]
    # expecting another service changes nothing for this file
    assert [r['status'] for r in _ev(on, expected=['nova-compute'])] == ['warning']


def test_log_config_append_is_said(tmp_path):
    facts = _node(tmp_path, {'/etc/glance/glance-api.conf': '[DEFAULT]\ndebug = true\n'
                                                            'log_config_append = /etc/glance/logging.conf\n'},
                  present=['glance-api'])
    r = _ev(facts)[0]
    assert r['status'] == 'warning'
    assert r['evidence']['log_config_append'] == {'value': '/etc/glance/logging.conf', 'line': 3}
    assert 'the logging config file decides the levels' in r['summary']


def test_site_severity_applies(tmp_path):
    facts = _node(tmp_path, {'/etc/cinder/cinder.conf': '[DEFAULT]\ndebug = true\n'}, present=['cinder-volume'])
    assert _ev(facts, severity={'logging.debug_enabled': 'critical'})[0]['status'] == 'critical'


def test_malformed_or_non_boolean_config_is_an_error_naming_file_and_line(tmp_path):
    facts = _node(tmp_path / 'syntax', {'/etc/cinder/cinder.conf': '[DEFAULT]\nnot an option line\n'},
                  present=['cinder-volume'])
    res = _ev(facts)
    assert [r['status'] for r in res] == ['error']
    assert '/etc/cinder/cinder.conf line 2' in res[0]['summary']
    facts = _node(tmp_path / 'word', {'/etc/cinder/cinder.conf': '[DEFAULT]\ndebug = verbose\n'},
                  present=['cinder-volume'])
    res = _ev(facts)
    assert [r['status'] for r in res] == ['error']
    assert 'not a boolean' in res[0]['summary'] and 'line 2' in res[0]['summary']


def test_no_config_is_skipped_and_missing_facts_an_error(tmp_path):
    facts = _node(tmp_path, {}, present=[])
    assert [r['status'] for r in _ev(facts)] == ['skipped']
    res = _ev({})
    assert [r['status'] for r in res] == ['error'] and 'subset "debug" missing' in res[0]['summary']


def test_no_secret_in_results(tmp_path):
    facts = _node(tmp_path, {'/etc/nova/nova.conf': '[DEFAULT]\ndebug = true\ntransport_url = rabbit://nova:S3cretPw@h/\n'
                                                    '[database]\nconnection = mysql+pymysql://nova:S3cretPw@db/nova\n'},
                  present=['nova-compute'])
    assert 'S3cretPw' not in repr(_ev(facts))
