#!/usr/bin/env bash
# make compat: the collection's playbooks (diagnose, remediate, health_gate with the test-only fake
# check, the real report writer, filters and action plugins: tests/integration/test_report_playbooks.py)
# run by the OLDEST ansible-core the collection claims (meta/runtime.yml requires_ansible), in a venv
# of its own cached under CACHE (ansible-core X.Y.* from PyPI, ~10 s once). The bundled collections
# (openstack.cloud, community.general, ...) come from the tooling venv's `ansible` package.
#   usage: tests/tools/compat.sh CACHE_DIR TOOLING_VENV
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=$1 VENV=$2
cd "$ROOT"
min=$(sed -n 's/^requires_ansible: *">=\([0-9]*\.[0-9]*\).*/\1/p' meta/runtime.yml)
[ -n "$min" ] || { echo "compat: no requires_ansible \">=X.Y\" in meta/runtime.yml" >&2; exit 1; }
sdk=$(grep -i '^openstacksdk==' requirements.txt)
dir=$CACHE/venv-core-$min
if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q "ansible-core==$min.*" "$sdk"
    touch "$dir/.complete"
fi
ver=$("$dir/bin/ansible-playbook" --version); ver=${ver%%$'\n'*}   # (no pipe to head: pipefail)
case $ver in *"core $min."*) ;; *) echo "compat: expected ansible-core $min, got: $ver" >&2; exit 1;; esac
echo "compat: $ver (requires_ansible >=$min in meta/runtime.yml)"
sp=$(ls -d "$VENV"/lib/python3*/site-packages)
STACKDOCTOR_ANSIBLE_PLAYBOOK=$dir/bin/ansible-playbook ANSIBLE_COLLECTIONS_PATH=$ROOT/.cache/collections:$sp \
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/integration/test_report_playbooks.py \
    --junitxml=.cache/junit-compat.xml
