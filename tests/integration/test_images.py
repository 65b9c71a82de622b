"""check_images / fix_images against the lab's real glance-api (and nova-api, cinder-api for image use).

No Ceph in the lab: glance runs its file store; the lab inventory declares the stores rbd
(check_images_backends), which is what the check reads. The fault `images` uploads two tiny real
images made with qemu-img (tests/lab/lab_images.py): a qcow2 one without properties and a raw one with
a wrong os_distro. remediate --check --diff shows the plan and changes nothing; remediate (with the
conversion opted in on the command line) sets the properties the lab opts in to and makes a raw copy
of the qcow2 image (the original stays); a second remediate changes nothing. The images and the copy
are always deleted (finally). A clean lab (with one well-formed raw image) gives no finding.
"""
import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

from labplay import play as _play  # tests/integration/labplay.py

ROOT = pathlib.Path(__file__).resolve().parents[2]
SABOTAGE = str(ROOT / 'tests' / 'lab' / 'sabotage' / 'lab_sabotage.yml')  # absolute: joins over playbooks/
LAB_IMAGES = str(ROOT / 'tests' / 'lab' / 'lab_images.py')
CLOUDS = ROOT / 'inventories' / 'lab' / 'clouds.yaml'
CHECK = 'check_images'
NOT_OK = ('warning', 'error', 'critical')
QCOW2, RAW = 'sd-lab-img-qcow2', 'sd-lab-img-raw'


def _env():
    return dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), OS_CLIENT_CONFIG_FILE=str(CLOUDS))


def _run(playbook, out, *extra):
    t0 = time.monotonic()
    stdout = _play(playbook, '--limit', 'localhost', '-e', 'stackdoctor_checks=%s' % CHECK,
                   '-e', 'stackdoctor_report_dir=%s' % out, *extra)
    with open(out / 'report.json') as f:
        return json.load(f), time.monotonic() - t0, stdout


def _lab_images(*args):
    r = subprocess.run([sys.executable, LAB_IMAGES, *args], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def _adhoc(args):
    """The module itself (ansible ad hoc on localhost), its JSON result."""
    r = subprocess.run(['ansible', 'localhost', '-m', 'stackdoctor.openstack.glance_images', '-a',
                        'cloud=stackdoctor-lab ' + args],
                       cwd=ROOT, env=dict(_env(), ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='json'),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:]
    return json.loads(r.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']


def _secrets():
    lab = pathlib.Path(os.environ.get('STACKDOCTOR_LAB_DIR', '/var/tmp/stackdoctor-lab'))
    found = []

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str) and len(x) >= 6:
            found.append(x)
    walk(json.loads((lab / 'etc' / 'secrets.json').read_text()))
    return found


def _glance():
    from openstack import config as os_config
    from openstack import connection
    region = os_config.OpenStackConfig(config_files=[str(CLOUDS)]).get_one(cloud='stackdoctor-lab', api_timeout=30)
    return connection.Connection(config=region)


def _prop(img, key):
    """A property of an openstacksdk Image (known ones are attributes, the others in .properties)."""
    value = getattr(img, key, None)
    return value if value is not None else (img.properties or {}).get(key)


def _mine(report):
    return [r for r in report['results'] if r['check'] == CHECK]


def _bad(report):
    return sorted((r['id'], r['status'], r['evidence'].get('image')) for r in _mine(report) if r['status'] in NOT_OK)


def _summaries(report):
    """Each fix_images action's summary start (would change: / changed:) and its full list of changes
    (the summary itself is cut at 300 characters)."""
    return ' '.join('%s %s' % (a.get('summary', '').split(':')[0] + ':', '; '.join((a.get('details') or {}).get('changes') or []))
                    for a in report.get('actions', []) if a.get('fix') == 'fix_images')


FOUND = [
    ('glance.image_not_raw', 'warning', QCOW2),
    ('glance.image_os_distro_unknown', 'warning', RAW),
    ('glance.image_os_type_missing', 'warning', QCOW2),
    ('glance.image_os_type_missing', 'warning', RAW),
    ('glance.image_scsi_properties', 'warning', QCOW2),
    ('glance.image_scsi_properties', 'warning', RAW),
]


def test_images_found_planned_fixed_and_second_run_changes_nothing(lab, tmp_path):
    t0 = time.monotonic()
    try:
        _play(SABOTAGE, '-e', 'fault=images')
        before, took, _o = _run('diagnose.yml', tmp_path / 'before')
        print('images: fault detected by %s in %.1fs' % (CHECK, took))
        assert _bad(before) == FOUND, _bad(before)
        not_raw = [r for r in _mine(before) if r['id'] == 'glance.image_not_raw' and r['status'] == 'warning'][0]
        assert not_raw['evidence']['disk_format'] == 'qcow2'
        assert not_raw['evidence']['glance_store'] == 'rbd'
        assert 'declared' in not_raw['evidence']['backend_sources']['glance']
        assert not_raw['evidence']['servers'] == 0 and not_raw['evidence']['volumes'] == 0
        distro = [r for r in _mine(before) if r['id'] == 'glance.image_os_distro_unknown' and r['status'] == 'warning'][0]
        assert "'ubuntu-22.04'" in distro['summary']
        # which osinfo database judged it is said: osinfo-query when libosinfo-bin is installed here
        assert ('osinfo-query on localhost' in distro['summary']) or ('shipped list' in distro['summary'])

        dry, _t, dry_out = _run('remediate.yml', tmp_path / 'dry', '--check', '--diff')
        summaries = _summaries(dry)
        assert ('would change: set hw_disk_bus=scsi, hw_scsi_model=virtio-scsi, os_type=linux on image %s' % QCOW2
                in summaries), summaries
        assert 'hw_scsi_model=virtio-scsi, os_distro=ubuntu22.04, os_type=linux on image %s' % RAW in summaries
        # the diff: each image's properties before and after
        assert '+        os_distro: ubuntu22.04' in dry_out and '-        os_distro: ubuntu-22.04' in dry_out, dry_out[-3000:]
        assert _bad(dry) == FOUND
        conn = _glance()
        raw_img = [i for i in conn.image.images(name=RAW)][0]
        assert _prop(raw_img, 'os_distro') == 'ubuntu-22.04', 'check mode changed glance'

        # bounded disk use: a conversion whose work dir lacks room is refused, glance is left alone
        qcow2_id = [i.id for i in conn.image.images(name=QCOW2)][0]
        refused = _adhoc('state=converted images=%s space_margin_mb=%d' % (qcow2_id, 1 << 30))
        assert refused['changed'] is False and 'refused:' in refused['images'][0]['error'], refused
        assert not list(_glance().image.images(name=QCOW2 + '-raw'))

        fixed, _t, fix_out = _run('remediate.yml', tmp_path / 'fix', '-e', 'fix_images_convert=true')
        summaries = _summaries(fixed)
        assert 'changed: set hw_disk_bus=scsi, hw_scsi_model=virtio-scsi, os_type=linux on image %s' % QCOW2 in summaries
        assert 'converted image %s' % QCOW2 in summaries and 'to raw copy %s-raw' % QCOW2 in summaries, summaries
        # what is left: the original, not deleted, with its raw copy waiting for the switch
        assert _bad(fixed) == [('glance.image_raw_copy_pending', 'warning', QCOW2)], _bad(fixed)
        conn = _glance()
        orig = [i for i in conn.image.images(name=QCOW2)]
        copy = [i for i in conn.image.images(name=QCOW2 + '-raw')]
        assert len(orig) == 1 and orig[0].disk_format == 'qcow2' and orig[0].status == 'active'
        assert len(copy) == 1 and copy[0].disk_format == 'raw' and copy[0].status == 'active'
        assert copy[0].size == 8 * 1024 * 1024  # the qcow2 image's virtual size
        assert _prop(copy[0], 'stackdoctor_converted_from') == orig[0].id
        assert _prop(copy[0], 'hw_scsi_model') == 'virtio-scsi'
        raw_img = [i for i in conn.image.images(name=RAW)][0]
        assert _prop(raw_img, 'os_distro') == 'ubuntu22.04' and _prop(raw_img, 'os_type') == 'linux'

        again, _t, again_out = _run('remediate.yml', tmp_path / 'again', '-e', 'fix_images_convert=true')
        # no password of the lab in any output or report
        secrets = _secrets()
        blobs = [dry_out, fix_out, again_out] + [(tmp_path / d / 'report.json').read_text()
                                                 for d in ('before', 'dry', 'fix', 'again')]
        assert secrets and not [s for s in secrets for b in blobs if s in b]
        assert 'changed:' not in _summaries(again), _summaries(again)
        assert [i.id for i in _glance().image.images(name=QCOW2 + '-raw')] == [copy[0].id]
        assert _bad(again) == [('glance.image_raw_copy_pending', 'warning', QCOW2)]
    finally:
        _play(SABOTAGE, '-e', 'fault=images', '-e', 'undo=true')
        print('images: test took %.1fs' % (time.monotonic() - t0))
    assert not [i for i in _glance().image.images() if (i.name or '').startswith('sd-lab-img-')]


def test_clean_lab_gives_no_finding(lab, tmp_path):
    try:
        good = _lab_images('ensure', 'good')['images'][0]
        report, _t, _o = _run('diagnose.yml', tmp_path / 'clean')
        assert _bad(report) == []
        oks = [r for r in _mine(report) if r['status'] == 'ok']
        assert {r['id'] for r in oks} >= {'glance.image_not_raw', 'glance.image_scsi_properties',
                                          'glance.image_os_type_missing', 'glance.image_os_distro_unknown'}
        assert all(r['evidence'].get('images', 1) >= 1 for r in oks), oks
        assert good['name'] == 'sd-lab-img-good'
    finally:
        _lab_images('drop', 'good')
