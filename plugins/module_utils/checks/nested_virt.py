# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_nested_virt: KVM nested virtualisation on computes (declaration + evaluate).

Facts: the ``nested_virt`` node facts subset (CPU flags, kvm_intel / kvm_amd ``nested``
parameter and refcount, modprobe.d lines, qemu processes, nova.conf [libvirt] cpu_mode).
Whether a host wants nested virt is the site's choice (``check_nested_virt_wanted_on``);
the role passes ``wanted`` for the host.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_nested_virt',
    'title': 'KVM nested virtualisation off where the site wants it, pending a module reload, or hidden from guests',
    'scope': 'host',
    'groups': ['computes'],
    'subsets': ['layout', 'nested_virt'],
    'apis': [],
    'fix': 'fix_nested_virt',
    'facts_only': False,   # the role decides per host whether nested virt is wanted (groups)
    'params': {'wanted_groups': {'var': 'check_nested_virt_wanted_on', 'default': []}},
    'profiles': ['post-deploy', 'periodic'],
    'findings': {
        'nova.nested_virt_off': {
            'severity': 'warning', 'identity': ['module'],
            'title': 'nested virtualisation is wanted on this compute but the loaded KVM module runs with nested off'},
        'nova.nested_virt_reload_pending': {
            'severity': 'warning', 'identity': ['module'],
            'title': 'modprobe.d enables nested but the running KVM module has it off: a module reload or reboot is '
                     'pending'},
        'nova.nested_virt_hidden_by_cpu_mode': {
            'severity': 'warning', 'fixable': False, 'identity': ['file'],
            'title': '[libvirt] cpu_mode hides vmx/svm from guests: nested virtualisation cannot be used inside them'},
        'nova.nested_virt_unreadable': {
            'severity': 'error', 'fixable': False, 'identity': ['file'],
            'title': 'a file the check reads is unreadable or malformed'},
    },
    'references': [
        'https://docs.openstack.org/nova/latest/admin/configuration/hypervisor-kvm.html#nested-guest-support',
        'https://docs.kernel.org/virt/kvm/x86/running-nested-guests.html',
        'arch/x86/kvm/vmx/vmx.c and arch/x86/kvm/svm/svm.c (module_param nested, 0444)',
        'nova/doc/source/contributor/testing/libvirt-numa.rst (rmmod kvm-intel, modprobe.d, modprobe kvm-intel)',
    ],
    'runbook': {
        'symptom': (
            "Guests that should run their own VMs (CI runners, nested OpenStack) see no vmx/svm flag, or "
            "their KVM fails with \"KVM: disabled by BIOS\" / \"/dev/kvm not found\"; "
            "cat /sys/module/kvm_intel/parameters/nested prints N (AMD: /sys/module/kvm_amd/parameters/"
            "nested prints 0)."),
        'cause': (
            "The nested parameter of kvm_intel / kvm_amd is read-only at runtime (0444): it is set when the "
            "module loads, from modprobe.d (options kvm_intel nested=1; kvm-intel and kvm_intel are the same "
            "module) or the kernel default (on since Linux 4.20, distributions may override). A modprobe.d "
            "line written while the module is loaded only applies after a reload or reboot, and a reload is "
            "refused while guests hold the module (\"modprobe: FATAL: Module kvm_intel is in use\"). Even with "
            "nested on, [libvirt] cpu_mode = custom or none without vmx/svm hides it from guests."),
        'reads': (
            "/proc/cpuinfo flags, /sys/module/kvm_intel and /sys/module/kvm_amd (parameters/nested, refcnt), "
            "every /etc/modprobe.d/*.conf line 'options kvm_intel|kvm-intel|kvm_amd|kvm-amd ... nested=', "
            "qemu-kvm / qemu-system-* processes in /proc (by comm or by the binary of their command line, "
            "with the guest's -name and -uuid), and nova.conf [libvirt] cpu_mode and "
            "cpu_model_extra_flags through the layout. Wanted on: check_nested_virt_wanted_on."),
        'fix': (
            "fix_nested_virt writes /etc/modprobe.d/kvm-nested.conf (options <module> nested=1, backup kept) "
            "on computes that want it, then reloads the module (modprobe -r, modprobe) only when no guest "
            "runs (refcount 0, no qemu process); otherwise it reports \"drain or reboot needed\" with the "
            "guests' processes and leaves the module alone. After a reload it restarts libvirt through the "
            "layout. cpu_mode is reported, never changed."),
        'verify': (
            "cat /sys/module/kvm_intel/parameters/nested prints Y (AMD: 1); inside a guest started afterwards "
            "grep -c -E 'vmx|svm' /proc/cpuinfo is non-zero."),
    },
}
CHECK = DECLARATION['name']
ENABLED = ('Y', 'y', '1')


def evaluate(facts, params=None):
    """``facts``: the host's node facts (``nested_virt`` subset); ``params``: ``wanted`` (bool)."""
    params = params or {}
    nv = (facts or {}).get('nested_virt')
    if not isinstance(nv, dict):
        return [base.result(DECLARATION, 'nova.nested_virt_unreadable', 'error',
                            'nested_virt facts missing or malformed', {'file': None})]
    if nv.get('error'):
        err = nv['error'] if isinstance(nv['error'], dict) else {'message': str(nv['error'])}
        return [base.result(DECLARATION, 'nova.nested_virt_unreadable', 'error',
                            '%s: %s' % (err.get('file') or '?', err.get('message')), dict(err))]
    # wanted: the site says so (check_nested_virt_wanted_on), or the host's own modprobe.d does
    declared = [p for p in nv.get('modprobe') or [] if p.get('enabled')]
    wanted = bool(params.get('wanted')) or bool(declared)
    out = []
    for p in nv.get('modprobe') or []:
        if p.get('error'):
            out.append(base.result(DECLARATION, 'nova.nested_virt_unreadable', 'error',
                                   '%s: %s' % (p.get('file'), p['error']), {'file': p.get('file'), 'message': p['error']}))
    modules = nv.get('modules') or {}
    loaded = [m for m in ('kvm_intel', 'kvm_amd') if (modules.get(m) or {}).get('loaded')]
    guests = nv.get('qemu_processes') or []
    if not loaded:
        out.append(base.result(DECLARATION, 'nova.nested_virt_off', 'skipped',
                               'no kvm_intel or kvm_amd module loaded (CPU flags: %s)'
                               % (', '.join(nv.get('cpu_flags') or []) or 'none'),
                               {'module': None, 'cpu_flags': nv.get('cpu_flags')}))
    for mod in loaded:
        m = modules[mod]
        lines = [p for p in nv.get('modprobe') or [] if p.get('module') == mod and not p.get('error')]
        last = lines[-1] if lines else None
        on_disk = bool(last and last.get('enabled'))
        ev = {'module': mod, 'file': m.get('file'), 'nested': m.get('nested'), 'refcnt': m.get('refcnt'),
              'modprobe': last, 'guests': guests[:20], 'wanted': wanted}
        running = m.get('nested') in ENABLED
        if m.get('nested') is None:
            out.append(base.result(DECLARATION, 'nova.nested_virt_unreadable', 'error',
                                   '%s is loaded but %s cannot be read' % (mod, m.get('file')), dict(ev)))
            continue
        busy = bool(guests) or (m.get('refcnt') or 0) > 0
        named = [g.get('guest') for g in guests if g.get('guest')]
        why = ('; %d guest process(es)%s hold %s (refcount %s): drain or reboot needed'
               % (len(guests), (' (%s%s)' % (', '.join(named[:5]), ', ...' if len(named) > 5 else '')) if named else '',
                  mod, m.get('refcnt'))) if busy else '; no guest runs: a module reload applies it'
        if running:
            out.append(base.result(DECLARATION, 'nova.nested_virt_off', 'ok',
                                   '%s nested=%s' % (mod, m.get('nested')), ev))
        elif on_disk:
            out.append(base.result(DECLARATION, 'nova.nested_virt_reload_pending', base.FAULT,
                                   '%s:%s enables nested for %s but the running module has nested=%s%s'
                                   % (last['file'], last['line'], mod, m.get('nested'), why), ev))
        elif wanted:
            out.append(base.result(DECLARATION, 'nova.nested_virt_off', base.FAULT,
                                   'nested virtualisation wanted but %s runs with nested=%s and no modprobe.d line '
                                   'enables it%s' % (mod, m.get('nested'), why), ev))
        else:
            out.append(base.result(DECLARATION, 'nova.nested_virt_off', 'ok',
                                   '%s nested=%s (not wanted on this host)' % (mod, m.get('nested')), ev))
    nova = nv.get('nova') or {}
    if nova.get('error'):
        err = nova['error'] if isinstance(nova['error'], dict) else {'message': str(nova['error'])}
        out.append(base.result(DECLARATION, 'nova.nested_virt_unreadable', 'error',
                               '%s line %s: %s' % (err.get('file') or nova.get('file'), err.get('line'), err.get('message')),
                               dict(err, file=err.get('file') or nova.get('file'))))
    elif wanted and nova:
        mode = (nova.get('cpu_mode') or '').strip().lower()
        extra = (nova.get('cpu_model_extra_flags') or '').lower().replace(',', ' ').split()
        if mode in ('custom', 'none') and not set(extra) & {'vmx', 'svm', '+vmx', '+svm'}:
            out.append(base.result(DECLARATION, 'nova.nested_virt_hidden_by_cpu_mode', base.FAULT,
                                   '%s line %s: [libvirt] cpu_mode = %s without vmx/svm in cpu_model_extra_flags hides '
                                   'them from guests (use host-passthrough, or host-model)' % (
                                       nova.get('file'), nova.get('cpu_mode_line'), mode),
                                   {'file': nova.get('file'), 'line': nova.get('cpu_mode_line'), 'cpu_mode': mode,
                                    'cpu_model_extra_flags': nova.get('cpu_model_extra_flags')}))
    return out
