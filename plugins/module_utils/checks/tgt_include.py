# -*- coding: utf-8 -*-
# Copyright: stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""check_tgt_include: LVM backends whose tgt cannot export volumes (declaration + evaluate).

Pure function: facts in, results out. Every LVM backend whose effective target helper is
tgtadm needs tgt installed, running, and an include that covers the backend's volumes_dir.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils import tgt_conf
from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_tgt_include',
    'title': 'cinder LVM backends whose tgt target daemon cannot export volumes',
    'scope': 'host',
    'groups': ['storage'],
    'subsets': ['layout', 'cinder', 'tgt', 'cinder_volume_log'],
    'apis': [],
    'fix': 'fix_tgt_include',
    'params': {'log_limit': {'var': 'check_tgt_include_log_lines', 'default': 5}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'cinder.tgt_include_missing': {
            'severity': 'critical', 'identity': ['backend'],
            'title': "tgt's configuration does not include <volumes_dir>/*: cinder's targets are never created"},
        'cinder.tgt_not_installed': {
            'severity': 'critical', 'identity': ['backend'],
            'title': 'target_helper is tgtadm but tgt (tgtadm, tgt-admin) is not installed'},
        'cinder.tgt_not_running': {
            'severity': 'critical', 'identity': ['backend'],
            'title': 'target_helper is tgtadm but the tgt daemon is not running'},
        'cinder.default_backend_option_ignored': {
            'severity': 'warning', 'fixable': False, 'identity': ['option', 'line'],
            'title': 'a backend option set in [DEFAULT] has no effect: with enabled_backends, cinder reads each '
                     'backend section, then [backend_defaults]',
            'references': ['cinder/volume/configuration.py (BackendGroupConfiguration, SHARED_CONF_GROUP = '
                           'backend_defaults)']},
        'cinder.iscsi_helper_ignored': {
            'severity': 'warning', 'fixable': False, 'identity': ['section'],
            'title': 'iscsi_helper is set but ignored since Stein (cinder 14.0.0): target_helper applies'},
    },
    'references': [
        'https://docs.openstack.org/cinder/latest/install/cinder-storage-install-ubuntu.html',
        'https://docs.openstack.org/cinder/latest/admin/ts-cinder-config.html',
        'https://docs.openstack.org/cinder/latest/admin/multi-backend.html',
        'cinder/volume/targets/tgt.py (TgtAdm.create_iscsi_target)',
        'https://docs.openstack.org/releasenotes/cinder/stein.html (deprecated iscsi_* options removed)',
        'https://bugs.launchpad.net/charm-cinder-lvm/+bug/1949074',
    ],
    'runbook': {
        'symptom': (
            "Volumes create but cannot be attached: nova reports the attach failed, cinder-volume logs "
            "\"Failed to create iscsi target for Volume ID: volume-<uuid>. ... please ensure your tgtd "
            "config file contains 'include /var/lib/cinder/volumes/*'\" followed by \"Create export of "
            "volume failed (Resource could not be found.)\", or FileNotFoundError for tgtadm."),
        'cause': (
            "With target_helper = tgtadm (the default), cinder writes one file per volume into "
            "volumes_dir and runs tgt-admin --update; tgt only reads that file when its configuration "
            "includes <volumes_dir>/*. The install guide adds the include in /etc/tgt/conf.d/cinder.conf; "
            "a rebuilt or hand-edited targets.conf often loses it. Since Wallaby the Ubuntu packages and "
            "the cinder-lvm charm default to lioadm and no longer pull in tgt (LP#1949074)."),
        'reads': (
            "cinder.conf through the host's layout (enabled_backends, each backend section then "
            "[backend_defaults], never [DEFAULT]; volumes_dir with $state_path expanded), tgt's "
            "targets.conf with every include expanded as tgt-admin does, whether tgt is installed and "
            "running, and the tail of the cinder-volume log for the lines above."),
        'fix': (
            "fix_tgt_include installs tgt where missing (packaged and juju hosts), adds "
            "include <volumes_dir>/* to tgt's conf.d (or targets.conf), runs tgt-admin --update ALL "
            "(does not drop sessions), starts tgt and restarts cinder-volume through the layout. "
            "Opt-in: fix_tgt_include_prevent_with_lioadm=true switches the backends to lioadm instead."),
        'verify': (
            "tgt-admin --dump | grep include shows the volumes_dir; create a volume and attach it "
            "(openstack server add volume) or call os-initialize_connection; tgtadm --lld iscsi --op show "
            "--mode target lists iqn.2010-10.org.openstack:volume-<uuid>."),
    },
}
CHECK = DECLARATION['name']
FIX = DECLARATION['fix']
TGT_LOG_SIGNATURES = ('1a', '1b', '1c', '1d', '1e', '1f', '1g', '1h')


def _result(rid, status, summary, evidence=None, fix=FIX):
    """A result through the framework's builder (``critical``/``warning`` = the declared severity)."""
    del fix  # the declaration says which findings the fix acts on
    if status in ('critical', 'warning'):
        status = base.FAULT
    return base.result(DECLARATION, rid, status, summary, evidence)


def include_covers(includes, volumes_dir):
    """True when one of tgt's includes (facts ``tgt.includes``) covers ``volumes_dir``/*.

    One implementation: :func:`tgt_conf.covering_include` (glob per component, as tgt-admin).
    """
    return tgt_conf.covering_include(includes, volumes_dir) is not None


def _log_evidence(log_facts, limit):
    if not isinstance(log_facts, dict):
        return []
    out = []
    for m in log_facts.get('matches') or []:
        if m.get('signature') in TGT_LOG_SIGNATURES:
            out.append({'line': m.get('line_no'), 'signature': m.get('signature'), 'text': m.get('text')})
    return out[-limit:]


def _ignored_default_results(cinder, conf):
    """One warning per backend option set in [DEFAULT] that cinder ignores (enabled_backends set).

    cinder builds each backend's configuration from its own group, then [backend_defaults]
    (cinder/volume/configuration.py); [DEFAULT] is not consulted, so the value there has no
    effect, whatever the operator meant by it.
    """
    seen = {}
    for name in sorted(cinder.get('backends') or {}):
        for item in (cinder['backends'][name] or {}).get('ignored_options') or []:
            key = (item.get('option'), item.get('line'))
            entry = seen.setdefault(key, dict(item, backends={}))
            entry['backends'][name] = {'value': item.get('effective'), 'source': item.get('effective_source')}
    out = []
    for (option, line), item in sorted(seen.items(), key=lambda kv: (kv[0][1] or 0, str(kv[0][0]))):
        uses = ', '.join('%s uses %s (%s)' % (b, u.get('value'), _source_words(u.get('source'), b))
                         for b, u in sorted(item['backends'].items()))
        result = _result(
            'cinder.default_backend_option_ignored', 'warning',
            '%s = %s in [DEFAULT] line %s is ignored (enabled_backends is set: cinder reads backend'
            ' sections, then [backend_defaults]); %s' % (option, item.get('value'), line, uses),
            {'file': item.get('file') or conf, 'line': line, 'section': 'DEFAULT', 'option': option,
             'value': item.get('value'), 'backends': item['backends'],
             'move_to': '[backend_defaults] or each [<backend>] section',
             'why': item.get('reason')},
            fix=None)
        out.append(result)
    return out


def _source_words(source, backend):
    return {'backend': 'set in [%s]' % backend, 'backend_defaults': 'from [backend_defaults]',
            'default': "cinder's default", 'DEFAULT': 'from [DEFAULT]'}.get(source, source or '?')


def _ignored_note(be, option):
    """Evidence note for a backend result when [DEFAULT] sets ``option`` to no effect."""
    for item in be.get('ignored_options') or []:
        if item.get('option') == option:
            return '%s = %s in [DEFAULT] (line %s) is ignored; see cinder.default_backend_option_ignored' % (
                option, item.get('value'), item.get('line'))
    return None


def _tgt_config_where(tgt):
    """tgt's config file and, when it was read inside a container, which one."""
    where = tgt.get('config_file') or 'targets.conf'
    if tgt.get('config_side') == 'container' and tgt.get('read_in'):
        where += ' in container %s' % tgt['read_in']
    return where


def _problems_summary(cinder, conf):
    """(summary, evidence) for a cinder.conf oslo.config refuses, naming every problem seen."""
    err = cinder.get('error') or {}
    problems = cinder.get('problems') or []
    first = '%s line %s: %s' % (err.get('file') or conf, err.get('line', '?'), err.get('message', 'unreadable'))
    others = [p for p in problems if (p.get('line'), p.get('message')) != (err.get('line'), err.get('message'))]
    summary = 'cannot evaluate: %s' % first
    if others:
        summary += ' (and %d more problem%s, see evidence)' % (len(others), '' if len(others) == 1 else 's')
    evidence = {'file': err.get('file') or conf, 'line': err.get('line'), 'message': err.get('message')}
    if problems:
        evidence['problems'] = ['%s:%s: %s: %s' % (p.get('file'), p.get('line'), p.get('kind'), p.get('message'))
                                for p in problems]
    return summary, evidence


def evaluate(facts, params=None):
    """Return the list of results for one host from its stackdoctor_node_facts.

    ``params``: ``log_limit`` (matching log lines attached, default 5), ``severity`` (finding id
    -> site severity).
    """
    facts = facts or {}
    params = params or {}
    log_limit = int(params.get('log_limit') or 5)
    cinder = facts.get('cinder')
    tgt = facts.get('tgt') or {}
    log = facts.get('cinder_volume_log') or {}
    if not isinstance(cinder, dict):
        return [_result('cinder.tgt_include_missing', 'error',
                        'cinder facts were not gathered on this host (node_facts subset "cinder" missing)', fix=None)]
    conf = cinder.get('config_file')
    if cinder.get('error'):
        summary, evidence = _problems_summary(cinder, conf)
        return [_result('cinder.tgt_include_missing', 'error', summary, evidence, fix=None)]
    if not cinder.get('found'):
        return [_result('cinder.tgt_include_missing', 'skipped',
                        'no cinder.conf at %s: not a cinder-volume host' % conf, {'file': conf})]

    results = []
    for dep in cinder.get('deprecated_options') or []:
        if dep.get('name') == 'iscsi_helper':
            results.append(_result(
                'cinder.iscsi_helper_ignored', 'warning',
                'iscsi_helper = %s in [%s] is ignored since Stein (cinder 14): target_helper applies'
                % (dep.get('value'), dep.get('section')),
                {'file': conf, 'line': dep.get('line'), 'section': dep.get('section'),
                 'option': 'iscsi_helper', 'value': dep.get('value'), 'replacement': 'target_helper'},
                fix=None))
    results.extend(_ignored_default_results(cinder, conf))

    backends = cinder.get('backends') or {}
    if not backends:
        results.append(_result('cinder.tgt_include_missing', 'skipped',
                               '%s enables no volume backend' % conf, {'file': conf}))
        return results

    logs = _log_evidence(log, log_limit)
    includes = tgt.get('includes') or []
    for name in sorted(backends):
        be = backends[name] or {}
        base = {
            'file': conf, 'backend': name,
            'target_helper': be.get('target_helper'),
            'target_helper_source': be.get('target_helper_source'),
            'volumes_dir': be.get('volumes_dir'),
        }
        for option in ('target_helper', 'volumes_dir'):
            note = _ignored_note(be, option)
            if note:
                base['%s_note' % option] = note
        if cinder.get('problems'):
            base['config_problems'] = ['%s:%s: %s' % (p.get('file'), p.get('line'), p.get('message'))
                                       for p in cinder['problems']]
        if not be.get('is_lvm'):
            results.append(_result('cinder.tgt_include_missing', 'skipped',
                                   'backend %s is not LVM (%s)' % (name, be.get('volume_driver')), base))
            continue
        helper = be.get('target_helper') or 'tgtadm'
        if helper != 'tgtadm':
            results.append(_result('cinder.tgt_include_missing', 'ok',
                                   'backend %s uses target_helper %s: tgt is not involved' % (name, helper), base))
            continue
        tgt_ev = dict(base, tgt_config=tgt.get('config_file'), tgt_includes=tgt.get('includes') or [],
                      tgt_installed=tgt.get('installed'), tgt_running=tgt.get('running'),
                      tgt_running_how=tgt.get('running_how'))
        if tgt.get('config_side'):
            # where tgt_config and each include's paths are: host, or inside tgt_read_in
            tgt_ev['tgt_config_side'] = tgt.get('config_side')
            tgt_ev['tgt_read_in'] = tgt.get('read_in')
        # the layout entry tgt's paths come from has no public source (an assumption)
        tgt_ev['tgt_layout_assumption'] = bool(tgt.get('layout_assumption', False))
        if logs:
            tgt_ev['log_file'] = log.get('file')
            tgt_ev['log_lines'] = logs
        failed = False
        if not tgt.get('installed'):
            failed = True
            results.append(_result(
                'cinder.tgt_not_installed', 'critical',
                'backend %s uses target_helper tgtadm but tgt (tgtadm/tgt-admin) is not installed' % name, tgt_ev))
        elif not tgt.get('running'):
            failed = True
            results.append(_result(
                'cinder.tgt_not_running', 'critical',
                'backend %s uses target_helper tgtadm but the tgt daemon is not running' % name, tgt_ev))
        if tgt.get('errors'):
            tgt_ev['tgt_config_errors'] = tgt['errors']
        if not include_covers(includes, be.get('volumes_dir') or '/var/lib/cinder/volumes'):
            failed = True
            results.append(_result(
                'cinder.tgt_include_missing', 'critical',
                "tgt's includes (%s) do not cover %s/* for backend %s: cinder cannot export volumes"
                % (_tgt_config_where(tgt), be.get('volumes_dir'), name), tgt_ev))
        if not failed:
            how = tgt_conf.covering_include(includes, be.get('volumes_dir') or '')
            where = ('%s:%s' % (how.get('file'), how.get('line'))) if how else '?'
            results.append(_result(
                'cinder.tgt_include_missing', 'ok',
                'backend %s: tgt is running and includes %s/* (%s)' % (name, be.get('volumes_dir'), where), base))
    return results
