# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The result contract of stackdoctor.openstack: schema, validation, severity, merging.

Pure Python, standard library only; used by the ``finding`` and ``report`` action plugins
(controller side) and by unit tests.

A result::

    id: cinder.tgt_include_missing   # <service>.<fault>
    check: check_tgt_include         # role that produced it
    host: volume-1                   # inventory_hostname, filled in by the finding action
    status: ok | warning | critical | skipped | error
    summary: one sentence
    evidence: {...}                  # masked
    fix: fix_tgt_include             # or None
    reference: docs/checks/<check>.md; <public sources>   # or None
    time: 2026-01-01T00:00:00Z       # UTC, stamped by the finding action

An action (what a fix role did)::

    fix: fix_tgt_include
    summary: one sentence
    changed: true
    details: {...}                   # masked
    host / time                      # filled in by the finding action
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re

try:
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import mask as _mask
except ImportError:  # older masking helper: same behaviour under another name
    from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import mask_data as _mask
from ansible_collections.stackdoctor.openstack.plugins.module_utils.masking import mask_string

SCHEMA_VERSION = 1

STATUSES = ('ok', 'warning', 'critical', 'skipped', 'error')
SEVERITY = {'ok': 0, 'skipped': 0, 'warning': 1, 'error': 2, 'critical': 3}
GATE_SEVERITIES = ('warning', 'error', 'critical')
# Most severe first: the order findings are shown in.
STATUS_ORDER = ('critical', 'error', 'warning', 'skipped', 'ok')

ID_RE = re.compile(r'^[a-z0-9_]+\.[a-z0-9_.]+$')
NAME_RE = re.compile(r'^[a-z0-9_]+(\.[a-z0-9_]+)*$')

# Fields a caller may set; the action fills the rest.
RESULT_INPUT_FIELDS = ('id', 'check', 'host', 'status', 'summary', 'evidence', 'fix', 'reference')
# Fields the report adds; accepted when a stored result is validated again.
RESULT_REPORT_FIELDS = ('time', 'waived', 'waiver')
ACTION_FIELDS = ('fix', 'summary', 'changed', 'details')

# A summary is one line of at most this many characters; the full text goes to evidence.
SUMMARY_MAX = 200

# Results the collection itself produces (not a check role).
INTERNAL_CHECK = 'stackdoctor'


CLOUD_PREFIX = 'cloud:'


def cloud_target(variables):
    """The name cloud-scope results are recorded under: ``cloud:<cloud name>``.

    ``stackdoctor_cloud_target`` when set; else the cloud name of ``stackdoctor_cloud`` (a
    clouds.yaml name, or a dict with ``name``/``cloud``), else ``OS_CLOUD`` of
    ``stackdoctor_os_environment`` or of the controller's environment, else the one cloud of
    the ``OS_CLIENT_CONFIG_FILE`` clouds.yaml (what AWX's OpenStack credential injects, without
    OS_CLOUD), else ``cloud:default``.
    """
    variables = variables or {}
    explicit = variables.get('stackdoctor_cloud_target')
    if isinstance(explicit, str) and explicit.strip():
        return explicit.strip()
    cloud = variables.get('stackdoctor_cloud')
    name = None
    if isinstance(cloud, str) and cloud.strip():
        name = cloud.strip()
    elif hasattr(cloud, 'get'):
        name = cloud.get('name') or cloud.get('cloud')
    env = variables.get('stackdoctor_os_environment')
    env = env if hasattr(env, 'get') else {}
    if not name:
        name = env.get('OS_CLOUD') or os.environ.get('OS_CLOUD')
    if not name:
        name = _single_cloud_name(env.get('OS_CLIENT_CONFIG_FILE') or os.environ.get('OS_CLIENT_CONFIG_FILE'))
    return CLOUD_PREFIX + str(name or 'default')


def _single_cloud_name(path):
    """The cloud name of a clouds.yaml that holds exactly one cloud, else None (never raises)."""
    if not path or not isinstance(path, str):
        return None
    try:
        import yaml
        with open(path) as f:
            clouds = (yaml.safe_load(f) or {}).get('clouds') or {}
    except Exception:  # pylint: disable=broad-except
        return None
    return list(clouds)[0] if isinstance(clouds, dict) and len(clouds) == 1 else None


def is_cloud_target(host):
    return str(host or '').startswith(CLOUD_PREFIX)


class ResultError(ValueError):
    """A result or action does not follow the contract."""


def utc_now():
    """UTC time as ISO 8601 with a Z suffix, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def severity(status):
    """Severity of a status (unknown statuses count as ``error``)."""
    return SEVERITY.get(status, SEVERITY['error'])


def to_plain(obj, _depth=0):
    """Deep copy into plain dict/list/str/int/float/bool/None (drops Ansible's wrapper types)."""
    if _depth > 100:
        return '<too deep>'
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, bytes):
        return obj.decode('utf-8', 'replace')
    if isinstance(obj, dict) or hasattr(obj, 'items'):
        return dict((str(k), to_plain(v, _depth + 1)) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_plain(v, _depth + 1) for v in obj]
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    return str(obj)


def mask(obj):
    """Mask secrets in nested data (delegates to module_utils.masking)."""
    return _mask(obj)


def one_line(text, limit=SUMMARY_MAX):
    """The first non-empty line of ``text``, whitespace collapsed, at most ``limit`` characters.

    A shortened line ends in ``...`` (cut at a word boundary when one is near). Use it for
    summaries built from an error message (``placement allocation audit failed: <msg>``):
    the result's summary stays one readable line; ``validate_result`` keeps the full text in
    ``evidence.detail`` when anything was cut.
    """
    if text is None:
        return ''
    line = ''
    for raw_line in str(text).splitlines():
        line = ' '.join(raw_line.split())
        if line:
            break
    limit = max(int(limit), 4)
    if len(line) <= limit:
        return line
    cut = line[:limit - 3]
    space = cut.rfind(' ')
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(' ,;:-') + '...'


def _summary_and_detail(summary):
    """(one masked line, the full masked text or None when nothing was cut)."""
    full = mask_string(summary.strip())
    line = one_line(full)
    return line, (None if line == ' '.join(full.split()) else full)


def _keep_detail(evidence, detail):
    """Put the full summary text into evidence (a dict), under ``detail`` when that is free."""
    if detail is None:
        return evidence
    evidence = dict(evidence)
    key = 'detail' if evidence.get('detail') in (None, '', detail) else 'summary_detail'
    evidence[key] = detail
    return evidence


def _where(host, index, raw):
    parts = ['host %s' % (host or '?')]
    if index is not None:
        parts.append('result %d' % index)
    if isinstance(raw, dict) and raw.get('id'):
        parts.append('id %r' % (raw.get('id'),))
    return ', '.join(parts)


def _opt_str(raw, field, where, pattern=None):
    value = raw.get(field)
    if value is None or value == '':
        return None
    if not isinstance(value, str):
        raise ResultError('%s: field %r must be a string or null, got %r' % (where, field, value))
    value = value.strip()
    if pattern is not None and not pattern.match(value):
        raise ResultError('%s: field %r %r must match %s' % (where, field, value, pattern.pattern))
    return value


def validate_result(raw, host=None, index=None, default_check=None, stored=False, stamp=None):
    """Return a normalised copy of one result, or raise ResultError naming host and field.

    ``host``: the inventory host recording it (used when the result has no ``host``).
    ``default_check``: the ``check`` used when the result has none (the caller's ``check``).
    ``stored``: accept the fields added later (``time``, ``waived``, ``waiver``).
    ``stamp``: the ``time`` to set (default: now, or the stored time when ``stored``).
    Evidence is masked.
    """
    where = _where(host, index, raw)
    if not isinstance(raw, dict):
        raise ResultError('%s: a result must be a dict, got %s %r' % (where, type(raw).__name__, raw))
    raw = to_plain(raw)
    allowed = RESULT_INPUT_FIELDS + (RESULT_REPORT_FIELDS if stored else ())
    unknown = sorted(k for k in raw if k not in allowed)
    if unknown:
        raise ResultError('%s: unknown field(s) %s (allowed: %s)' % (where, ', '.join(unknown), ', '.join(allowed)))

    rid = raw.get('id')
    if not isinstance(rid, str) or not ID_RE.match(rid.strip()):
        raise ResultError('%s: field \'id\' %r must match %s (<service>.<fault>)' % (where, rid, ID_RE.pattern))
    rid = rid.strip()

    check = raw.get('check') if raw.get('check') not in (None, '') else default_check
    if not isinstance(check, str) or not NAME_RE.match(check.strip()):
        raise ResultError('%s: field \'check\' %r must be the name of the check role (%s)'
                          % (where, check, NAME_RE.pattern))
    check = check.strip()

    status = raw.get('status')
    if status not in STATUSES:
        raise ResultError('%s: field \'status\' %r must be one of %s' % (where, status, ', '.join(STATUSES)))

    summary = raw.get('summary')
    if not isinstance(summary, str) or not summary.strip():
        raise ResultError('%s: field \'summary\' must be a non-empty string, got %r' % (where, summary))

    evidence = raw.get('evidence')
    if evidence is None:
        evidence = {}
    if not isinstance(evidence, dict):
        raise ResultError('%s: field \'evidence\' must be a dict, got %s %r' % (where, type(evidence).__name__, evidence))

    rhost = raw.get('host') if raw.get('host') not in (None, '') else host
    if not isinstance(rhost, str) or not rhost:
        raise ResultError('%s: field \'host\' must be a non-empty string, got %r' % (where, rhost))
    summary, detail = _summary_and_detail(summary)
    evidence = _keep_detail(evidence, detail)

    result = {
        'id': rid,
        'check': check,
        'host': rhost,
        'status': status,
        'summary': summary,
        'evidence': mask(evidence),
        'fix': _opt_str(raw, 'fix', where, NAME_RE),
        'reference': _opt_str(raw, 'reference', where),
        'time': stamp or (raw.get('time') if stored and raw.get('time') else utc_now()),
    }
    if stored and raw.get('waived'):
        result['waived'] = True
        result['waiver'] = raw.get('waiver')
    return result


def validate_results(raws, host=None, default_check=None, stored=False, stamp=None):
    if raws is None:
        return []
    if not isinstance(raws, (list, tuple)):
        raise ResultError('host %s: \'results\' must be a list of results, got %s' % (host or '?', type(raws).__name__))
    stamp = stamp or (None if stored else utc_now())
    return [validate_result(r, host=host, index=i, default_check=default_check, stored=stored, stamp=stamp)
            for i, r in enumerate(raws)]


def validate_action(raw, host=None, index=None, stamp=None):
    where = 'host %s, action %s' % (host or '?', index if index is not None else 0)
    if not isinstance(raw, dict):
        raise ResultError('%s: an action must be a dict, got %s %r' % (where, type(raw).__name__, raw))
    raw = to_plain(raw)
    unknown = sorted(k for k in raw if k not in ACTION_FIELDS + ('host', 'time'))
    if unknown:
        raise ResultError('%s: unknown field(s) %s (allowed: %s)' % (where, ', '.join(unknown), ', '.join(ACTION_FIELDS)))
    fix = raw.get('fix')
    if not isinstance(fix, str) or not NAME_RE.match(fix.strip()):
        raise ResultError('%s: field \'fix\' %r must be the name of the fix role' % (where, fix))
    summary = raw.get('summary')
    if not isinstance(summary, str) or not summary.strip():
        raise ResultError('%s: field \'summary\' must be a non-empty string, got %r' % (where, summary))
    changed = raw.get('changed', False)
    if isinstance(changed, str) and changed.strip().lower() in ('true', 'yes', 'on', '1', 'false', 'no', 'off', '0', ''):
        changed = changed.strip().lower() in ('true', 'yes', 'on', '1')
    if not isinstance(changed, bool):
        raise ResultError('%s: field \'changed\' must be a boolean, got %r' % (where, changed))
    details = raw.get('details')
    if details is None:
        details = {}
    summary, detail = _summary_and_detail(summary)
    if isinstance(details, dict):
        details = _keep_detail(details, detail)
    return {
        'fix': fix.strip(),
        'host': raw.get('host') or host,
        'summary': summary,
        'changed': changed,
        'details': mask(details),
        'time': stamp or raw.get('time') or utc_now(),
    }


def validate_actions(raws, host=None, stamp=None):
    if raws is None:
        return []
    if not isinstance(raws, (list, tuple)):
        raise ResultError('host %s: \'actions\' must be a list, got %s' % (host or '?', type(raws).__name__))
    stamp = stamp or utc_now()
    return [validate_action(a, host=host, index=i, stamp=stamp) for i, a in enumerate(raws)]


def merge_results(previous, new):
    """Previous results minus those of the checks in ``new``, then ``new``.

    A check recorded again (a fix re-running its check) supersedes all its old results on
    that host; results of other checks are kept in their order.
    """
    previous = [r for r in (previous or []) if isinstance(r, dict)]
    replaced = set((r.get('check'), r.get('host')) for r in new)
    kept = [r for r in previous if (r.get('check'), r.get('host')) not in replaced]
    return kept + list(new)


def merge_actions(previous, new):
    return [a for a in (previous or []) if isinstance(a, dict)] + list(new)


def format_line(result):
    """One readable line: ``critical cinder.tgt_include_missing: summary``."""
    return '%s %s: %s' % (result['status'], result['id'], result['summary'])


def sort_key(result):
    """Most severe first, then id, then host."""
    status = result.get('status')
    rank = STATUS_ORDER.index(status) if status in STATUS_ORDER else 0
    return (rank, str(result.get('id')), str(result.get('host')))
