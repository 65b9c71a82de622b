# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every check declaration looks like, and the one way results are built.

A check lives in ``plugins/module_utils/checks/<short>.py`` (``short`` is the role name
without ``check_``) and defines:

``DECLARATION``
    a dict validated by :func:`validate_declaration` (see ``DECLARATION_KEYS``).
``evaluate(facts, params) -> [result, ...]``
    a pure function: facts in (``stackdoctor_node_facts`` of one host for ``scope: host``, the
    cloud-side inputs for ``scope: cloud``), results out, built with :func:`result`.

Everything else (role defaults that repeat the declaration, ``docs/checks/<check>.md``, the
README table, the registry the playbooks read) is generated from, or tested against, the
declaration.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

SCOPES = ('host', 'cloud')
PROFILES = ('pre-upgrade', 'post-deploy', 'periodic')
SEVERITIES = ('warning', 'error', 'critical')
STATUSES = ('ok', 'warning', 'critical', 'skipped', 'error')
# status meaning "the finding fired": the declared (or site-overridden) severity applies
FAULT = 'fault'
RUNBOOK_KEYS = ('symptom', 'cause', 'reads', 'fix', 'verify')
DOCS_DIR = 'docs/checks'

# key: (type, required)
DECLARATION_KEYS = {
    'name': (str, True),         # check role name, check_<short>
    'title': (str, True),        # one line, what the check finds
    'scope': (str, True),        # host | cloud
    'groups': (list, True),      # inventory groups it applies to ([] = every host)
    'subsets': (list, True),     # node_facts subsets it reads (host scope: on its hosts)
    'apis': (list, True),        # APIs it reads (cloud scope), e.g. "placement GET /allocations/{c}"
    'fix': (type(None), True),   # paired fix role name, or None (str accepted, see below)
    'profiles': (list, True),    # which of PROFILES run it
    'findings': (dict, True),    # finding id -> {severity, title}
    'references': (list, True),  # public sources: upstream docs URLs, source paths, bug numbers
    'runbook': (dict, True),     # RUNBOOK_KEYS -> text
    # optional: parameters of evaluate() -> {var: <check>_<knob> role variable, default: value}
    'params': (dict, False),
    # optional, host scope: evaluate() needs nothing but node facts (default True), so diagnose
    # evaluates it in bulk without including its role; False for checks whose role probes more
    'facts_only': (bool, False),
    # optional: the check runs only when named (stackdoctor_checks), never in the default
    # selection, because it acts on the cloud (check_smoke creates and deletes resources)
    'opt_in': (bool, False),
    # optional: evaluate() also reads OTHER hosts' node facts (hostvars of the play: cinder's RBD
    # backends beside a compute's secrets, every galera node's state, the nodes' image backends).
    # In a sliced run (AWX job slicing) a slice sees only its hosts: the correlation step
    # (playbooks/correlate.yml) runs these checks again over every slice's published facts.
    'cross_host': (bool, False),
}

ID_RE = re.compile(r'^[a-z0-9_]+\.[a-z0-9_.]+$')
NAME_RE = re.compile(r'^check_[a-z0-9_]+$')
FIX_RE = re.compile(r'^fix_[a-z0-9_]+$')


class DeclarationError(ValueError):
    """A check declaration does not follow the shape above."""


def validate_declaration(decl, short=None):
    """Raise DeclarationError naming the check and the key when ``decl`` is malformed."""
    where = 'check declaration %s' % (short or (decl or {}).get('name') or '?')
    if not isinstance(decl, dict):
        raise DeclarationError('%s: DECLARATION must be a dict' % where)
    unknown = sorted(set(decl) - set(DECLARATION_KEYS))
    if unknown:
        raise DeclarationError('%s: unknown key(s) %s' % (where, ', '.join(unknown)))
    for key, (typ, required) in DECLARATION_KEYS.items():
        if required and key not in decl:
            raise DeclarationError('%s: missing key %r' % (where, key))
        if key not in decl:
            continue
        value = decl.get(key)
        if key == 'fix':
            if value is not None and not (isinstance(value, str) and FIX_RE.match(value)):
                raise DeclarationError('%s: fix must be None or fix_<name>, got %r' % (where, value))
            continue
        if not isinstance(value, typ):
            raise DeclarationError('%s: %r must be a %s, got %r' % (where, key, typ.__name__, value))
    if not NAME_RE.match(decl['name']):
        raise DeclarationError('%s: name must be check_<name>, got %r' % (where, decl['name']))
    if short is not None and decl['name'] != 'check_' + short:
        raise DeclarationError('%s: name %r does not match its module checks/%s.py' % (where, decl['name'], short))
    if decl['scope'] not in SCOPES:
        raise DeclarationError('%s: scope must be one of %s' % (where, ', '.join(SCOPES)))
    bad = [p for p in decl['profiles'] if p not in PROFILES]
    if bad or not decl['profiles']:
        raise DeclarationError('%s: profiles must be a non-empty subset of %s, got %r' % (where, PROFILES, decl['profiles']))
    if not decl['findings']:
        raise DeclarationError('%s: declares no finding' % where)
    for fid, spec in decl['findings'].items():
        if not ID_RE.match(fid):
            raise DeclarationError('%s: finding id %r must be <service>.<fault>' % (where, fid))
        if not isinstance(spec, dict) or spec.get('severity') not in SEVERITIES or not spec.get('title'):
            raise DeclarationError('%s: finding %s needs severity (%s) and title' % (where, fid, '|'.join(SEVERITIES)))
    if not decl['references'] or not all(isinstance(r, str) and r.strip() for r in decl['references']):
        raise DeclarationError('%s: references must list at least one public source' % where)
    for ref in decl['references']:
        if re.search(r'\bseed\b|openstack-facts|shared/docs', ref, re.I):
            raise DeclarationError('%s: reference %r is not a public source' % (where, ref))
    for pname, spec in (decl.get('params') or {}).items():
        if (pname == 'severity' or not isinstance(spec, dict) or 'default' not in spec
                or not str(spec.get('var') or '').startswith(decl['name'] + '_')):
            raise DeclarationError('%s: param %r needs var (%s_<knob>) and default' % (where, pname, decl['name']))
    missing = [k for k in RUNBOOK_KEYS if not str(decl['runbook'].get(k) or '').strip()]
    if missing:
        raise DeclarationError('%s: runbook misses %s' % (where, ', '.join(missing)))
    return decl


def doc_path(decl):
    """The runbook page of a check, relative to the collection root."""
    return '%s/%s.md' % (DOCS_DIR, decl['name'])


def reference(decl, finding_id=None):
    """The ``reference`` string of a result: the runbook page first, then the public sources."""
    refs = [doc_path(decl)]
    spec = decl['findings'].get(finding_id) or {}
    refs += list(spec.get('references') or [])
    refs += [r for r in decl['references'] if r not in refs]
    return '; '.join(refs)


def severity(decl, finding_id, params=None):
    """Declared severity of a finding, or the site's override from ``params['severity']``."""
    overrides = (params or {}).get('severity') or {}
    value = overrides.get(finding_id)
    if value in SEVERITIES:
        return value
    spec = decl['findings'].get(finding_id)
    if spec is None:
        raise DeclarationError('%s: finding %s is not declared' % (decl['name'], finding_id))
    return spec['severity']


def result(decl, finding_id, status, summary, evidence=None, params=None):
    """One result in the contract of ``stackdoctor.openstack.finding``.

    ``status``: ``fault`` (the finding fired: declared severity, site override applies), or one
    of ok, skipped, error, warning, critical (a fixed status). ``fix`` is set only when the
    result is a fault that the paired fix can act on (warning or critical).
    """
    if finding_id not in decl['findings']:
        raise DeclarationError('%s: finding %s is not declared' % (decl['name'], finding_id))
    fault = status == FAULT
    if fault:
        status = severity(decl, finding_id, params)
    if status not in STATUSES:
        raise DeclarationError('%s: status %r is not one of %s or %s' % (decl['name'], status, STATUSES, FAULT))
    out = {
        'id': finding_id,
        'check': decl['name'],
        'status': status,
        'summary': summary,
        'evidence': evidence or {},
        'fix': _fix_for(decl, finding_id, status),
        'reference': reference(decl, finding_id),
    }
    if fault:
        out[FAULT_MARK] = True
    return out


# Marks a result built with status ``fault`` until finish() applies the site's severities.
FAULT_MARK = '_fault'


def config_error(decl, finding_id, item, **evidence):
    """The ``error`` result for a config file a node_facts subset could not read or parse:
    ``item`` carries ``file`` and ``error`` ({file, line, message}); ``evidence`` adds fields."""
    err = item.get('error') or {}
    path = err.get('file') or item.get('file')
    ev = {'file': path, 'line': err.get('line'), 'section': None, 'message': err.get('message')}
    ev.update(evidence)
    return result(decl, finding_id, 'error',
                  'cannot evaluate %s line %s: %s' % (path, err.get('line', '?'), err.get('message')), ev)


def _fix_for(decl, finding_id, status):
    fixable = decl['findings'][finding_id].get('fixable', True)
    return decl['fix'] if (decl['fix'] and fixable and status in ('warning', 'critical')) else None


def finish(decl, results, params=None):
    """Apply the site's severities (``params['severity']``) to the faults; drop the marks."""
    out = []
    for r in results or []:
        r = dict(r)
        if r.pop(FAULT_MARK, False) and r.get('id') in decl['findings']:
            r['status'] = severity(decl, r['id'], params)
            r['fix'] = _fix_for(decl, r['id'], r['status'])
        out.append(r)
    return out
