"""check_nested_virt: the nested_virt node facts subset on prepared file trees (the /proc,
/sys/module, /etc/modprobe.d and nova.conf a compute has; no machine here loads KVM modules) and
evaluate() over them: every finding id, both vendors' renderings (Y/N, 1/0), both modprobe.d
spellings (kvm_intel, kvm-intel), guests, malformed input."""
import os

import pytest

from ansible_collections.stackdoctor.openstack.plugins.module_utils import node_facts_subsets as nfs
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import registry

CHECK = 'check_nested_virt'


def put(root, path, text):
    p = root / path.lstrip('/')
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def node(tmp_path, module='kvm_intel', nested='N', refcnt='0', modprobe=None, nova=None, guest=False):
    root = tmp_path / 'root'
    put(root, '/proc/cpuinfo', 'processor\t: 0\nflags\t\t: fpu vme %s hypervisor\n' % ('svm' if module == 'kvm_amd' else 'vmx'))
    if module:
        put(root, '/sys/module/%s/parameters/nested' % module, nested + '\n')
        put(root, '/sys/module/%s/refcnt' % module, refcnt + '\n')
    for name, text in (modprobe or {}).items():
        put(root, '/etc/modprobe.d/%s' % name, text)
    if nova is not None:
        put(root, '/etc/nova/nova.conf', nova)
    if guest:
        put(root, '/proc/4242/comm', 'qemu-system-x86\n')
    put(root, '/proc/1/comm', 'systemd\n')
    return str(root)


def facts(root):
    ctx = nfs.Context(root=root, params={'layout_flavour': 'packaged'}) if hasattr(nfs, 'Context') else None
    if ctx is None:
        pytest.skip('no node_facts context class')
    return nfs.gather(['nested_virt'], ctx)


def run(root, wanted=False):
    return sorted((r['id'], r['status']) for r in registry.evaluate(CHECK, facts(root), {'wanted': wanted})), \
        registry.evaluate(CHECK, facts(root), {'wanted': wanted})


def test_intel_off_wanted_and_not_wanted(tmp_path):
    root = node(tmp_path)
    got, res = run(root, wanted=True)
    assert got == [('nova.nested_virt_off', 'warning')]
    assert res[0]['fix'] == 'fix_nested_virt' and 'no guest runs' in res[0]['summary']
    assert res[0]['evidence']['nested'] == 'N' and res[0]['evidence']['module'] == 'kvm_intel'
    got, _ = run(root, wanted=False)
    assert got == [('nova.nested_virt_off', 'ok')]


def test_amd_reload_pending_with_the_dash_spelling(tmp_path):
    root = node(tmp_path, module='kvm_amd', nested='0', modprobe={'kvm.conf': '# nested\noptions kvm-amd nested=1\n'})
    got, res = run(root)
    assert got == [('nova.nested_virt_reload_pending', 'warning')]
    assert '/etc/modprobe.d/kvm.conf:2' in res[0]['summary']
    root = node(tmp_path / 'on', module='kvm_amd', nested='1')
    assert run(root, wanted=True)[0] == [('nova.nested_virt_off', 'ok')]


def test_guests_block_the_reload(tmp_path):
    root = node(tmp_path, refcnt='1', guest=True, modprobe={'kvm.conf': 'options kvm_intel nested=0\n'})
    got, res = run(root, wanted=True)
    assert got == [('nova.nested_virt_off', 'warning')]
    assert 'drain or reboot needed' in res[0]['summary'] and res[0]['evidence']['guests'][0]['comm'] == 'qemu-system-x86'


def test_guests_found_by_qemu_command_line_and_named(tmp_path):
    """A qemu process is a guest by its comm or by the binary its command line runs (qemu's
    ``-name process=`` changes comm); the guest's name and uuid come from ``-name guest=`` and
    ``-uuid`` (what libvirt passes); any other process, even one naming qemu in an argument, is not."""
    root = node(tmp_path, refcnt='2', modprobe={'kvm.conf': 'options kvm_intel nested=0\n'})
    base = tmp_path / 'root' / 'proc'
    argv = ['/usr/bin/qemu-system-x86_64', '-name', 'guest=instance-0000002a,debug-threads=on',
            '-uuid', '6d1f3c52-2b1e-4c5e-9a55-0b5a3c1f7e01', '-machine', 'pc-q35-7.2,accel=kvm']
    put(tmp_path / 'root', '/proc/5001/comm', 'vm-web1\n')
    (base / '5001' / 'cmdline').write_bytes(b'\0'.join(a.encode() for a in argv) + b'\0')
    put(tmp_path / 'root', '/proc/5002/comm', 'qemu-kvm\n')
    (base / '5002' / 'cmdline').write_bytes(b'/usr/libexec/qemu-kvm\0-name\0plain-guest\0')
    put(tmp_path / 'root', '/proc/5003/comm', 'grep\n')
    (base / '5003' / 'cmdline').write_bytes(b'grep\0qemu-system-x86_64\0')
    nv = facts(root)['nested_virt']
    assert nv['qemu_processes'] == [
        {'pid': 5001, 'comm': 'vm-web1', 'guest': 'instance-0000002a', 'uuid': '6d1f3c52-2b1e-4c5e-9a55-0b5a3c1f7e01'},
        {'pid': 5002, 'comm': 'qemu-kvm', 'guest': 'plain-guest'}]
    got, res = run(root, wanted=True)
    assert got == [('nova.nested_virt_off', 'warning')]
    assert '2 guest process(es)' in res[0]['summary'] and 'instance-0000002a' in res[0]['summary'], res[0]['summary']
    assert not nfs._qemu_guest(['qemu-system-x86_64', '-name'])[0]


def test_cpu_mode_hides_vmx(tmp_path):
    nova = '[DEFAULT]\nhost = c1\n[libvirt]\nvirt_type = kvm\ncpu_mode = custom\ncpu_models = Cascadelake-Server-noTSX\n'
    root = node(tmp_path, nested='Y', nova=nova)
    got, res = run(root, wanted=True)
    assert got == [('nova.nested_virt_hidden_by_cpu_mode', 'warning'), ('nova.nested_virt_off', 'ok')]
    hidden = [r for r in res if r['id'] == 'nova.nested_virt_hidden_by_cpu_mode'][0]
    assert hidden['evidence']['line'] == 5 and hidden['fix'] is None
    # vmx named in the extra flags, or host-passthrough: nothing hidden
    for conf in (nova + 'cpu_model_extra_flags = vmx\n', nova.replace('custom', 'host-passthrough')):
        root = node(tmp_path / str(abs(hash(conf))), nested='Y', nova=conf)
        assert run(root, wanted=True)[0] == [('nova.nested_virt_off', 'ok')]
    # not wanted (no site wish, no modprobe.d line): cpu_mode is not judged
    assert run(node(tmp_path / 'nw', nested='Y', nova=nova))[0] == [('nova.nested_virt_off', 'ok')]


def test_no_kvm_module_is_skipped_but_a_modprobe_wish_still_judges_cpu_mode(tmp_path):
    nova = '[libvirt]\ncpu_mode = custom\n'
    root = node(tmp_path, module=None, nova=nova, modprobe={'kvm.conf': 'options kvm_intel nested=1\n'})
    got, _ = run(root)
    assert got == [('nova.nested_virt_hidden_by_cpu_mode', 'warning'), ('nova.nested_virt_off', 'skipped')]
    assert run(node(tmp_path / 'clean', module=None))[0] == [('nova.nested_virt_off', 'skipped')]


def test_malformed_inputs_name_the_file(tmp_path):
    root = node(tmp_path, nested='Y', nova='[libvirt\ncpu_mode = custom\n', modprobe={'kvm.conf': 'options kvm_intel nested=1\n'})
    got, res = run(root, wanted=True)
    bad = [r for r in res if r['status'] == 'error']
    assert bad and bad[0]['evidence']['file'] == '/etc/nova/nova.conf'
    # a loaded module whose parameter file is unreadable
    root = node(tmp_path / 'np', nested='Y')
    os.unlink(os.path.join(root, 'sys/module/kvm_intel/parameters/nested'))
    got, res = run(root, wanted=True)
    assert got == [('nova.nested_virt_unreadable', 'error')] and 'parameters/nested' in res[0]['summary']
    for f in ({}, {'nested_virt': 'garbage'}, {'nested_virt': {'error': {'file': '/proc/cpuinfo', 'message': 'boom'}}}):
        [r] = registry.evaluate(CHECK, f, {})
        assert r['status'] == 'error'
