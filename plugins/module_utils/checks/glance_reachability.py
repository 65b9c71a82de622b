# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_glance_reachability: glance as cinder-volume finds it, reachable from the volume host.

Pure function: the host's ``cinder_glance`` facts (glance_api_servers, or the catalog entry
glance_catalog_info names), the role's probes from this host (``params['probes']``), the
catalog the role read (``params['catalog']``) and cinder-volume's log rows 7a/7b/7d in, one
result per glance URL cinder would use out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackdoctor.openstack.plugins.module_utils.checks import base

DECLARATION = {
    'name': 'check_glance_reachability',
    'title': "glance, as cinder-volume finds it (glance_api_servers or the catalog), unreachable from the volume host",
    'scope': 'host',
    'groups': ['storage'],
    'subsets': ['layout', 'cinder_glance', 'cinder_volume_log'],
    'apis': ['keystone GET /v3/services?type=<glance_catalog_info type>', 'keystone GET /v3/endpoints?service_id='],
    'fix': 'fix_glance_api_servers',
    'facts_only': False,
    'params': {'log_limit': {'var': 'check_glance_reachability_log_lines', 'default': 5}},
    'profiles': ['pre-upgrade', 'post-deploy', 'periodic'],
    'findings': {
        'cinder.glance_unreachable': {
            'severity': 'critical', 'identity': ['url'],
            'title': 'a glance URL cinder-volume uses does not answer from this host: volumes from images fail '
                     '(GlanceConnectionFailed)'},
        'cinder.glance_catalog_info_invalid': {
            'severity': 'critical', 'fixable': False, 'identity': ['option'],
            'title': 'glance_catalog_info is not <service_type>:<service_name>:<endpoint_type>: '
                     'cinder cannot look glance up in the catalog'},
    },
    'references': [
        'https://docs.openstack.org/cinder/latest/configuration/block-storage/samples/cinder.conf.html '
        '(glance_api_servers, glance_catalog_info, glance_num_retries)',
        'https://docs.openstack.org/cinder/latest/install/cinder-storage-install-ubuntu.html '
        '(glance_api_servers = http://controller:9292)',
        'cinder/image/glance.py (GlanceClientWrapper.call, get_api_servers)',
        'cinder/common/config.py (glance_api_servers ListOpt, default None: catalog lookup since Mitaka)',
    ],
    'runbook': {
        'symptom': (
            "Creating a volume from an image goes to error after some seconds; cinder-volume logs "
            "\"Error contacting glance server '<host:port>' for 'get_image_locations', retrying.\" once "
            "per attempt (1 + glance_num_retries), then \"... done trying.\" and GlanceConnectionFailed "
            "(\"Connection to glance failed: ...\"); the scheduler ends with \"No valid backend was found. "
            "Exceeded max scheduling attempts\". With cinder-api wrong too: 400 \"Invalid image identifier or "
            "unable to access requested image.\""),
        'cause': (
            "cinder-volume contacts glance at [DEFAULT] glance_api_servers, or, when that is unset, at the "
            "catalog entry glance_catalog_info names (image:glance:publicURL by default, filtered by "
            "[glance] region_name). A stale address after glance moved, a wrong port, an endpoint type the "
            "volume host cannot route to, or a firewall leaves cinder-volume unable to read images."),
        'reads': (
            "cinder.conf through the host's layout ([DEFAULT] glance_api_servers, glance_catalog_info, "
            "glance_num_retries, [glance] region_name); when glance_api_servers is unset, glance's endpoints "
            "from keystone (on the API host, bounded by a timeout); then an HTTP GET of each URL from the "
            "volume host itself (bounded by a timeout: any HTTP answer below 500 counts as reachable); and "
            "cinder-volume's log tail for the lines above."),
        'fix': (
            "fix_glance_api_servers drops the unreachable entries from glance_api_servers; with none left it "
            "removes the option, so cinder looks glance up in the catalog (or, opt-in "
            "fix_glance_api_servers_from_catalog, sets it to the catalog URLs that answer from this host), "
            "then restarts cinder-volume through the layout. Catalog entries themselves are not changed "
            "(say so, fix them with openstack endpoint set). On kolla/TripleO/juju make the change in the "
            "deployment too."),
        'verify': (
            "curl -s -o /dev/null -w '%{http_code}' <url>/ from the volume host answers 300; openstack volume "
            "create --image <image> --size 1 v becomes available; no new \"Error contacting glance server\" line."),
    },
}
CHECK = DECLARATION['name']
LOG_SIGNATURES = ('7a', '7b', '7d')
RID = 'cinder.glance_unreachable'


def _log_evidence(log_facts, limit):
    if not isinstance(log_facts, dict):
        return []
    out = []
    for m in log_facts.get('matches') or []:
        if m.get('signature') in LOG_SIGNATURES:
            out.append({'line': m.get('line_no'), 'signature': m.get('signature'), 'text': m.get('text')})
    return out[-limit:]


def catalog_urls(catalog, facts):
    """The URLs cinder would take from ``catalog`` (``{services, endpoints}`` as the role read
    them): endpoints of the services of glance_catalog_info's type (and name), on its interface,
    in ``[glance] region_name`` when set."""
    services = [s for s in (catalog or {}).get('services') or []
                if s.get('type') == facts.get('service_type')
                and (not facts.get('service_name') or s.get('name') in (None, facts.get('service_name')))]
    ids = set(s.get('id') for s in services)
    urls = []
    for ep in (catalog or {}).get('endpoints') or []:
        if ep.get('service_id') not in ids or ep.get('interface') != facts.get('interface'):
            continue
        region = ep.get('region_id') or ep.get('region')
        if facts.get('region_name') and region not in (None, facts.get('region_name')):
            continue
        if ep.get('url') and ep['url'] not in urls:
            urls.append(ep['url'])
    return services, urls


def evaluate(facts, params=None):
    """One result per glance URL cinder-volume on this host would use."""
    facts = facts or {}
    params = params or {}
    log_limit = int(params.get('log_limit') or 5)
    cg = facts.get('cinder_glance')
    if not isinstance(cg, dict):
        return [base.result(DECLARATION, RID, 'error',
                            'cinder_glance facts were not gathered on this host (node_facts subset missing)')]
    conf = cg.get('config_file')
    if cg.get('error'):
        err = cg['error']
        return [base.result(DECLARATION, RID, 'error',
                            'cannot evaluate: %s line %s: %s' % (
                                err.get('file') or conf, err.get('line', '?'), err.get('message', 'unreadable')),
                            {'file': err.get('file') or conf, 'line': err.get('line'), 'message': err.get('message')})]
    if not cg.get('found'):
        return [base.result(DECLARATION, RID, 'skipped', 'no cinder.conf at %s: not a cinder-volume host' % conf,
                            {'file': conf})]
    logs = _log_evidence(facts.get('cinder_volume_log'), log_limit)
    # the role's ansible.builtin.uri results ({item: url, status, msg}) or {url, status, msg}
    probes = dict((p.get('url') or p.get('item'), p) for p in params.get('probes') or [] if isinstance(p, dict))
    results = []
    base_ev = {'file': conf}
    if logs:
        base_ev['log_file'] = (facts.get('cinder_volume_log') or {}).get('file')
        base_ev['log_lines'] = logs
    if cg.get('servers'):
        targets = [(s['url'], dict(base_ev, source='glance_api_servers', option='glance_api_servers',
                                   line=s.get('line'), value=s.get('value'),
                                   configured=[x.get('value') for x in cg['servers']]))
                   for s in cg['servers']]
    else:
        if not cg.get('catalog_info_valid', True):
            return [base.result(
                DECLARATION, 'cinder.glance_catalog_info_invalid', base.FAULT,
                "glance_api_servers is unset and glance_catalog_info = %s (%s line %s) is not "
                "<service_type>:<service_name>:<endpoint_type>: cinder cannot find glance"
                % (cg.get('catalog_info'), conf, cg.get('catalog_info_line')),
                dict(base_ev, option='glance_catalog_info', value=cg.get('catalog_info'),
                     line=cg.get('catalog_info_line')))]
        catalog = params.get('catalog')
        how = 'glance_catalog_info %s%s' % (cg.get('catalog_info'),
                                            ', region %s' % cg['region_name'] if cg.get('region_name') else '')
        if not isinstance(catalog, dict):
            return [base.result(DECLARATION, RID, 'skipped',
                                'glance_api_servers is unset (cinder uses the catalog: %s); the catalog was '
                                'not read (check_glance_reachability_read_catalog)' % how,
                                dict(base_ev, source='catalog'))]
        if catalog.get('error'):
            return [base.result(DECLARATION, RID, 'error',
                                'glance_api_servers is unset and the catalog could not be read: %s'
                                % catalog['error'], dict(base_ev, source='catalog'))]
        services, urls = catalog_urls(catalog, cg)
        if not services:
            return [base.result(DECLARATION, RID, 'skipped',
                                'glance_api_servers is unset and the catalog has no %s service: this cloud '
                                'has no glance for cinder to reach' % cg.get('service_type'),
                                dict(base_ev, source='catalog', catalog_info=cg.get('catalog_info')))]
        if not urls:
            return [base.result(DECLARATION, RID, base.FAULT,
                                'glance_api_servers is unset and the catalog has no %s endpoint for %s: '
                                'cinder cannot find glance' % (cg.get('interface'), how),
                                dict(base_ev, source='catalog', url=None, catalog_info=cg.get('catalog_info'),
                                     region_name=cg.get('region_name')))]
        targets = [(u, dict(base_ev, source='catalog', catalog_info=cg.get('catalog_info'),
                            region_name=cg.get('region_name'))) for u in urls]
    for url, ev in targets:
        ev = dict(ev, url=url)
        probe = probes.get(url)
        if probe is None:
            results.append(base.result(DECLARATION, RID, 'skipped', '%s was not probed from this host' % url, ev))
            continue
        status = probe.get('status')
        ev['http_status'] = status
        reachable = isinstance(status, int) and 100 <= status < 500
        if reachable:
            results.append(base.result(DECLARATION, RID, 'ok', 'glance at %s (%s) answers from this host (HTTP %s)'
                                       % (url, ev['source'], status), ev))
            continue
        ev['error'] = str(probe.get('msg') or '')[:300]
        where = ('%s line %s' % (conf, ev.get('line'))) if ev['source'] == 'glance_api_servers' else 'the catalog'
        summary = ('glance at %s (from %s) does not answer from this host: %s'
                   % (url, where, 'HTTP %s' % status if isinstance(status, int) and status > 0 else ev['error']))
        if logs:
            summary += ' (%d "Error contacting glance server" line%s in %s)' % (
                len(logs), '' if len(logs) == 1 else 's', base_ev.get('log_file'))
        results.append(base.result(DECLARATION, RID, base.FAULT, summary, ev))
    return results
