"""Make `ansible_collections.stackdoctor.openstack` importable from this checkout.

`make deps` links .cache/collections/ansible_collections/stackdoctor/openstack to the repo root.
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / '.cache' / 'collections'
link = COLLECTIONS / 'ansible_collections' / 'stackdoctor' / 'openstack'
if not link.exists():
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to('../../../..')
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
