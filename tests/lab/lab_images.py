"""Tiny real images in the lab's glance, for check_images / fix_images (tests/lab/README.md).

    python tests/lab/lab_images.py ensure fault|good   # print JSON {images: [{name, id, existing}]}
    python tests/lab/lab_images.py drop fault|good     # delete them and their raw copies

Images are made with qemu-img (Debian qemu-utils) in a temporary directory and uploaded through
glance's API (openstacksdk, cloud stackdoctor-lab of OS_CLIENT_CONFIG_FILE):
  fault: sd-lab-img-qcow2  qcow2, 8 MiB virtual (about 200 KiB), no properties at all
         sd-lab-img-raw    raw, 4 MiB, its properties stripped but a wrong os_distro (ubuntu-22.04;
                           the osinfo short id is ubuntu22.04)
  good:  sd-lab-img-good   raw, 4 MiB, hw_scsi_model=virtio-scsi, hw_disk_bus=scsi, os_type=linux,
                           os_distro=debian11
"""
import json
import os
import subprocess
import sys
import tempfile

import openstack

CONVERTED_FROM = 'stackdoctor_converted_from'
SETS = {
    'fault': [
        {'name': 'sd-lab-img-qcow2', 'disk_format': 'qcow2', 'size': '8M', 'properties': {}},
        {'name': 'sd-lab-img-raw', 'disk_format': 'raw', 'size': '4M',
         'properties': {'os_distro': 'ubuntu-22.04'}},
    ],
    'good': [
        {'name': 'sd-lab-img-good', 'disk_format': 'raw', 'size': '4M',
         'properties': {'hw_scsi_model': 'virtio-scsi', 'hw_disk_bus': 'scsi', 'os_type': 'linux',
                        'os_distro': 'debian11'}},
    ],
}


def connect():
    return openstack.connect(cloud=os.environ.get('OS_CLOUD', 'stackdoctor-lab'), api_timeout=60)


def ensure(conn, which):
    out = []
    with tempfile.TemporaryDirectory(prefix='sd-lab-img-') as tmp:
        for spec in SETS[which]:
            found = [i for i in conn.image.images(name=spec['name']) if i.status == 'active']
            if found:
                out.append({'name': spec['name'], 'id': found[0].id, 'existing': True})
                continue
            path = os.path.join(tmp, spec['name'])
            subprocess.run(['qemu-img', 'create', '-q', '-f', spec['disk_format'], path, spec['size']],
                           check=True, timeout=60)
            img = conn.image.create_image(name=spec['name'], filename=path, disk_format=spec['disk_format'],
                                          container_format='bare', visibility='public', wait=True, timeout=120,
                                          allow_duplicates=True, **spec['properties'])
            out.append({'name': spec['name'], 'id': img.id, 'existing': False})
    return {'images': out}


def drop(conn, which):
    names = set(s['name'] for s in SETS[which])
    ids = set()
    dropped = []
    images = list(conn.image.images())
    for img in images:
        if img.name in names:
            ids.add(img.id)
    for img in images:
        props = img.properties or {}
        if img.id in ids or props.get(CONVERTED_FROM) in ids:
            conn.image.delete_image(img.id, ignore_missing=True)
            dropped.append({'name': img.name, 'id': img.id})
    return {'dropped': dropped}


def main(argv):
    if len(argv) != 3 or argv[1] not in ('ensure', 'drop') or argv[2] not in SETS:
        sys.stderr.write(__doc__)
        return 2
    conn = connect()
    out = ensure(conn, argv[2]) if argv[1] == 'ensure' else drop(conn, argv[2])
    print(json.dumps(out))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
