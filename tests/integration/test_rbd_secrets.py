"""check_rbd_secrets / fix_rbd_secrets on the lab's computes (real libvirtd, tests/lab/README.md).

The fault rbd_secret_missing (in the catalog, fault=all) undefines, on sd-lab-compute2, the libvirt
secret of nova's `[libvirt] rbd_secret_uuid`: what nova-compute then fails with on an RBD attach or
boot is "Secret not found: no secret with matching uuid" (libvirt's VIR_ERR_NO_SECRET; nova
nova/virt/libvirt/imagebackend.py get_model). The session's `catalog` fixture (conftest.py) ran
diagnose, remediate and diagnose once over every fault; these tests read their part. The made-up
cephx key of client.nova (tests/lab/node_configs.py) must appear in no report and no output.
Check mode, diff, idempotence, cinder's FSID default and a wrong value: molecule/rbd_secrets.
"""
import json
import subprocess

UUID = '8a4f7c2e-1b3d-4e5f-a6b7-c8d9e0f10001'
HOST = 'sd-lab-compute2'


def _mine(report, host):
    return [r for r in report['results'] if r['host'] == host and r['check'] == 'check_rbd_secrets']


def _key():
    out = subprocess.run(['podman', 'exec', HOST, 'cat', '/etc/ceph/ceph.client.nova.keyring'],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60).stdout
    keys = [ln.split('=', 1)[1].strip() for ln in out.splitlines() if ln.strip().startswith('key')]
    assert keys and len(keys[0]) == 40, 'no cephx key in the lab keyring'
    return keys[0]


def test_missing_secret_found_on_the_one_compute(catalog):
    before = _mine(catalog['before'], HOST)
    bad = [(r['id'], r['status'], r['evidence'].get('uuid')) for r in before if r['status'] != 'ok']
    assert bad == [('libvirt.rbd_secret_missing', 'critical', UUID)], before
    for r in before:
        print('rbd_secret_missing before: %s %s %s' % (r['status'], r['id'], r['summary']))
    # the other compute holds the same secret with the keyring's key: no finding there
    other = _mine(catalog['before'], 'sd-lab-compute1')
    assert other and all(r['status'] == 'ok' for r in other), other


def test_fix_defines_the_secret_from_the_keyring_and_the_recheck_is_clean(catalog):
    actions = [a for a in catalog['remediate'].get('actions', []) if a['fix'] == 'fix_rbd_secrets']
    assert [a['host'] for a in actions] == [HOST], actions
    assert 'defined secret %s' % UUID in actions[0]['summary'], actions[0]['summary']
    print('rbd_secret_missing remediate: %s' % actions[0]['summary'])
    assert UUID in catalog['compute2']['secrets'] and 'client.nova secret' in catalog['compute2']['secrets']
    after = _mine(catalog['after'], HOST)
    assert after and all(r['status'] == 'ok' for r in after), after


def test_the_cephx_key_is_in_no_report_and_no_output(catalog):
    key = _key()
    blob = json.dumps([catalog[k] for k in ('before', 'dry_run', 'remediate', 'after')]) + catalog['dry_out']
    for name in ('before', 'remediate', 'after'):
        blob += (catalog['out'] / name / 'report.md').read_text()
    assert key not in blob
