"""Testinfra: what fix_nested_virt left on the nodes (molecule/nested_virt).

No machine here can load KVM modules: /sys/module of each node is a prepared host directory
bind-mounted over it, and /usr/local/sbin/modprobe is a stand-in that records its calls in
/var/log/modprobe-standin.log and sets parameters/nested from modprobe.d on load (see
molecule.yml). What is asserted is what the fix wrote, what it called, and what it left alone.
"""


def name(host):
    return host.backend.get_hostname()


def calls(host):
    """The stand-in's calls for KVM modules. Others are left out: the node's container engine
    (run by the layout detection, `podman ps`) probes its storage drivers with `modprobe overlay`
    and `modprobe aufs`, and those reach the stand-in too (seen in this scenario)."""
    f = host.file('/var/log/modprobe-standin.log')
    return [c for c in (f.content_string.splitlines() if f.exists else []) if 'kvm' in c]


def test_nested_parameter(host):
    want = {'nv-intel': 'Y', 'nv-amd': '1', 'nv-busy': 'N', 'nv-on': 'Y'}[name(host)]
    mod = 'kvm_amd' if name(host) == 'nv-amd' else 'kvm_intel'
    assert host.file('/sys/module/%s/parameters/nested' % mod).content_string.strip() == want


def test_modprobe_d(host):
    n = name(host)
    written = host.file('/etc/modprobe.d/kvm-nested.conf')
    if n == 'nv-intel':
        assert written.contains('^options kvm_intel nested=1$')
    else:
        assert not written.exists
    if n == 'nv-busy':
        # the existing line (kvm-intel spelling) was turned on in place, a backup kept
        assert host.file('/etc/modprobe.d/kvm.conf').content_string == 'options kvm-intel nested=1\n'
        assert host.run('ls /etc/modprobe.d/ | grep -c "^kvm.conf\\..*~$"').stdout.strip() == '1'
    if n == 'nv-amd':
        assert host.file('/etc/modprobe.d/kvm.conf').content_string == 'options kvm-amd nested=1\n'


def test_reload_only_without_guests(host):
    n = name(host)
    if n == 'nv-intel':
        assert calls(host) == ['-r kvm_intel', 'kvm_intel']
    elif n == 'nv-amd':
        assert calls(host) == ['-r kvm_amd', 'kvm_amd']
    else:
        # nv-busy: a guest holds kvm_intel, never unloaded; nv-on: nothing to do
        assert calls(host) == []
    if n == 'nv-busy':
        assert host.process.filter(comm='qemu-system-x86')


def test_libvirt_restarted_only_after_a_reload(host):
    restarts = host.run("systemctl show libvirtd -p NRestarts --value; "
                        "journalctl -u libvirtd --no-pager | grep -c 'Started libvirtd'").stdout.split()
    started = int(restarts[-1])
    assert started == (2 if name(host) in ('nv-intel', 'nv-amd') else 1)
