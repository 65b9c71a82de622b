#!/usr/bin/env bash
# A real OpenStack control plane on 127.0.0.1 (ports BASE..BASE+99, BASE=15000 by default), from
# PyPI in its own venv:
#   keystone :BASE+0, placement :BASE+1, nova-api :BASE+2 (gunicorn + argv shim), neutron-server
#   :BASE+3 (API under gunicorn + neutron-rpc-server: ML2 flat/vlan, router service plugin; its L3
#   agent runs in the network node container sd-lab-network1, tests/lab/nodes.yml),
#   glance-api :BASE+4, cinder-api :BASE+5 (gunicorn, one worker each), cinder-scheduler,
#   cinder-volume (LVM driver on a sparse-file volume group, target_helper tgtadm; its tgt
#   commands run in the volume node container sd-lab-volume1, whose real tgtd exports the volumes),
#   nova-conductor, nova-scheduler, nova-compute x2 (fake driver, hosts compute-1/compute-2),
#   mistral-api :BASE+6 (gunicorn, mistral.wsgi), mistral-engine, mistral-executor (mistral-server
#   --server engine|executor; mistral-extra's OpenStack actions loaded),
#   rabbitmq (Debian) AMQP :BASE+72, epmd :BASE+69, Erlang distribution :BASE+73,
#   MariaDB (Debian's mariadbd, own datadir and socket under the lab dir) :BASE+50: one database
#   and one user per service, PyMySQL. keystone, placement and nova-api: gunicorn, N workers.
# Usage: tests/lab/lab.sh up|down|status|env|stop SERVICE|start SERVICE|restart SERVICE
#   STACKDOCTOR_LAB_DIR        state (configs, dbs, logs, pids); default /var/tmp/stackdoctor-lab
#   STACKDOCTOR_LAB_PORT_BASE  first port of the lab's block of 100; default 15000
#   STACKDOCTOR_LAB_CLOUDS     clouds.yaml to write; default inventories/lab/clouds.yaml
#   STACKDOCTOR_LAB_DATA_CACHE prepared data dir to restore instead of the default cache entry
#                              (read only: a cold start still fills the default entry)
#   STACKDOCTOR_LAB_API_WORKERS  worker processes per API (keystone, placement, nova-api); default 2
#   STACKDOCTOR_LAB_KEEP_DATA  1: `down` keeps data/ (MariaDB datadir, keys); default: removed
#   XDG_CACHE_HOME             cache root; venv and prepared data dirs go to .../stackdoctor/
# Several labs can run side by side with different LAB dirs and port bases. Each lab dir gets
# etc/lab.env (LAB, PORT_BASE, ports, CLOUDS) for labctl.py, scenarios.py and other tools.
# See tests/lab/README.md.
set -euo pipefail
# Close every inherited fd above 2 (except the one bash reads this script from): the daemons
# started here must not keep a caller's lock (flock /tmp/stackdoctor-heavy.lock make ...) held
# for as long as they run.
# (no redirection on the loop: bash would park the real stderr on a high fd that the loop closes)
for _fd in $(ls /proc/$$/fd); do
  if [ "$_fd" -gt 2 ] && [ -e /proc/$$/fd/$_fd ] && [ "$(readlink /proc/$$/fd/$_fd)" != "$(readlink -f "$0")" ]; then
    eval "exec $_fd>&-"
  fi
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LAB=${STACKDOCTOR_LAB_DIR:-/var/tmp/stackdoctor-lab}
PORT_BASE=${STACKDOCTOR_LAB_PORT_BASE:-15000}
case $PORT_BASE in ''|*[!0-9]*) echo "lab: STACKDOCTOR_LAB_PORT_BASE must be a number" >&2; exit 2;; esac
[ "$PORT_BASE" -ge 1024 ] && [ "$PORT_BASE" -le 65400 ] || { echo "lab: port base out of range" >&2; exit 2; }
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/stackdoctor
REQ=$HERE/requirements-lab.txt
REQ_HASH=$(sha256sum "$REQ" | cut -c1-12)
VENV=${STACKDOCTOR_LAB_VENV:-$CACHE/lab-venv-$REQ_HASH}
# bump DATA_FORMAT when anything that ends up inside the prepared databases changes
DATA_FORMAT=7
# the lab dir and the port base are in the key: cell mappings store the database URLs
# (host:port) and the rabbit URL, keystone's catalog the endpoint URLs
DATA_KEY_IN="$LAB|$DATA_FORMAT|ports=$PORT_BASE"
DATA_KEY=$REQ_HASH-$(printf '%s' "$DATA_KEY_IN" | sha256sum | cut -c1-8)
DATA_CACHE=$CACHE/lab-data-$DATA_KEY
RESTORE_FROM=${STACKDOCTOR_LAB_DATA_CACHE:-$DATA_CACHE}
CLOUDS=${STACKDOCTOR_LAB_CLOUDS:-$REPO/inventories/lab/clouds.yaml}
case $CLOUDS in /*) ;; *) CLOUDS=$PWD/$CLOUDS;; esac
B=$VENV/bin
IP=127.0.0.1
KS_PORT=$PORT_BASE PL_PORT=$((PORT_BASE + 1)) NOVA_PORT=$((PORT_BASE + 2)) NET_PORT=$((PORT_BASE + 3))
GL_PORT=$((PORT_BASE + 4)) CI_PORT=$((PORT_BASE + 5)) MI_PORT=$((PORT_BASE + 6))
EPMD_PORT=$((PORT_BASE + 69)) RABBIT_PORT=$((PORT_BASE + 72)) DIST_PORT=$((PORT_BASE + 73))
DB_PORT=$((PORT_BASE + 50)) DB_SOCK=$LAB/run/mariadb.sock DB_DATA=$LAB/data/mysql
API_WORKERS=${STACKDOCTOR_LAB_API_WORKERS:-2}
case $API_WORKERS in ''|*[!0-9]*|0) echo "lab: STACKDOCTOR_LAB_API_WORKERS must be a number >= 1" >&2; exit 2;; esac
export STACKDOCTOR_LAB_DIR=$LAB STACKDOCTOR_LAB_PORT_BASE=$PORT_BASE STACKDOCTOR_LAB_CLOUDS=$CLOUDS
TRANSPORT=rabbit://guest:guest@$IP:$RABBIT_PORT/
# lab-only credentials (loopback-only services); written to files, never printed
ADMIN_PASS=sd-lab-admin-pw NOVA_PASS=sd-lab-nova-pw PLACEMENT_PASS=sd-lab-placement-pw
GLANCE_PASS=sd-lab-glance-pw CINDER_PASS=sd-lab-cinder-pw NEUTRON_PASS=sd-lab-neutron-pw MISTRAL_PASS=sd-lab-mistral-pw
# order matters for down: computes and cinder-volume first; mariadb once every client is gone; epmd last
SERVICES="volume-relay nova-compute-1 nova-compute-2 cinder-volume cinder-volume-kolla mistral-executor mistral-engine mistral_api cinder-scheduler cinder_api glance_api nova-scheduler nova-conductor nova_api neutron-rpc neutron_api placement keystone rabbitmq mariadb"
# cinder-volume (on this machine, as in shared/docs/lab-recipe/cinder-glance/): LVM on a volume
# group over a loop device of a sparse file, with a private LVM config; its tgt commands
# (tgt-admin, tgtadm) run inside the volume node container, where the real tgtd runs
VG=cinder-volumes-$PORT_BASE VG_SIZE=5G
VOLUME_NODE=${STACKDOCTOR_LAB_VOLUME_NODE:-sd-lab-volume1}
# cinder's volumes_dir as cinder-volume and the node's tgt see it (cinder-volume has it in a
# private mount namespace, bind-mounted from $LAB/data/cinder/volumes; the node has the same)
VOLUMES_DIR=/var/lib/cinder/volumes
# cinder-volume-kolla: a second real cinder-volume (host kolla-1, backend lvm-kolla, availability
# zone "kolla", same VG) for the kolla volume node: its tgt commands run inside that node's
# cinder_volume sibling container, as kolla runs them (tgt-admin reads the image's
# /etc/tgt/targets.conf there and reaches the tgtd sibling through /run/tgtd); its volumes_dir is
# the node's cinder-volumes dir (tests/hosts/nodes-create.yml) and it logs where kolla's would
# (/var/log/kolla/cinder/cinder-volume.log in the node)
KOLLA_NODE=${STACKDOCTOR_LAB_KOLLA_NODE:-sd-lab-kolla1}
KOLLA_STATE=${STACKDOCTOR_LAB_NODES_DIR:-/var/tmp/stackdoctor-lab-nodes}/$KOLLA_NODE
KOLLA_LOG=$KOLLA_STATE/kolla-logs/cinder/cinder-volume.log
export PYTHONWARNINGS=ignore

T0=$EPOCHREALTIME
el() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}'; }
ts() { printf '[%5ss] %s\n' "$(el)" "$*"; }
die() { echo "lab: $*" >&2; exit 1; }

pidof_svc() { [ -s "$LAB/run/$1.pid" ] && cat "$LAB/run/$1.pid" || true; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
descendants() {  # pid -> pid and all its descendants
  local p=$1 c; echo "$p"
  for c in $(pgrep -P "$p" 2>/dev/null || true); do descendants "$c"; done
}
rss_kb() { local s=0 p r; for p in "$@"; do r=$(awk '/^VmRSS/{print $2}' /proc/$p/status 2>/dev/null || echo 0); s=$((s + ${r:-0})); done; echo $s; }
port_of() { case $1 in keystone) echo $KS_PORT;; placement) echo $PL_PORT;; nova_api) echo $NOVA_PORT;; neutron_api) echo $NET_PORT;;
  glance_api) echo $GL_PORT;; cinder_api) echo $CI_PORT;; mistral_api) echo $MI_PORT;;
  rabbitmq) echo $RABBIT_PORT;; epmd) echo $EPMD_PORT;; mariadb) echo $DB_PORT;; *) echo -;; esac; }
tcp_open() { (exec 3<>/dev/tcp/$IP/$1) 2>/dev/null; }
http_ok() { curl -s -m 3 -o /dev/null "http://$IP:$1/"; }

# ------------------------------------------------------------------------------ venv
ensure_venv() {
  [ -f "$VENV/.complete" ] && return 0
  local py=${STACKDOCTOR_LAB_PYTHON:-python3}
  "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
    || die "$py is not Python 3.11 (set STACKDOCTOR_LAB_PYTHON)"
  ts "building lab venv $VENV"
  rm -rf "$VENV"; mkdir -p "$CACHE"
  "$py" -m venv "$VENV"
  "$B/pip" install -q --disable-pip-version-check -r "$REQ" 2>&1 | grep -v '^WARNING: Location' || true
  "$B/python" -c 'import keystone, nova, placement, glance, cinder, neutron, mistral, mistral_extra, gunicorn, openstack' || die "venv install failed"
  touch "$VENV/.complete"
  ts "lab venv ready ($(du -sm "$VENV" | cut -f1) MB)"
}

# rabbitmq-server, mariadb-server, lvm2 (cinder-volume's LVM driver) and qemu-utils (lab images) in one apt call, under the
# project's apt lock (make test runs the lab's start beside other phases that may also call apt).
# The distro's own services must not start (the lab runs its own rabbit and mariadbd): a policy-rc.d
# that says "no" for the time of the install, unless the machine already has one.
ensure_host_pkgs() {
  local missing=""
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing="$missing rabbitmq-server"
  { [ -x /usr/sbin/mariadbd ] && [ -x /usr/bin/mariadb-install-db ] && [ -x /usr/bin/mariadb ]; } || missing="$missing mariadb-server"
  { [ -x /sbin/lvcreate ] && [ -x /sbin/losetup ]; } || missing="$missing lvm2"
  command -v qemu-img >/dev/null || missing="$missing qemu-utils"  # tests/lab/lab_images.py makes images
  [ -z "$missing" ] && return 0
  ts "installing$missing (apt)"
  local prc=/usr/sbin/policy-rc.d ours=0 rc=0
  if [ ! -e $prc ]; then printf '#!/bin/sh\nexit 101\n' > $prc; chmod 755 $prc; ours=1; fi
  # shellcheck disable=SC2086
  "$REPO/tests/tools/apt-install.sh" --no-install-recommends $missing || rc=1
  [ $ours = 1 ] && rm -f $prc
  [ $rc = 0 ] || die "apt-get install$missing failed"
}

# ------------------------------------------------------------------------------ LVM
# This kernel has no device-mapper (lvcreate: "Failure to communicate with kernel
# device-mapper driver"), so, as in shared/docs/lab-recipe/cinder-glance/: the VG lives on a loop
# device of a sparse file, with a private LVM config (LVM_SYSTEM_DIR) and activation off, and
# wrappers around lvcreate/lvremove/lvextend/lvrename give each LV a sparse file, linked at
# /dev/VG/LV and /dev/mapper/VG-LV (cinder checks the mapper path). The node container has
# $LAB/data/lvfiles at /dev/VG, so its tgtd opens the same files at the same paths.
lvm_env() { export LVM_SYSTEM_DIR=$LAB/etc/lvm LVM_SUPPRESS_FD_WARNINGS=1; }
lvm_setup() {
  local loop
  mkdir -p "$LAB/etc/lvm" "$LAB/data/lvm/backup" "$LAB/data/lvm/archive" "$LAB/run/lvm-lock" "$LAB/data/lvfiles"
  # leftovers of a lab whose host was restored or killed mid-run (its run/ files gone): loop devices
  # still on this lab's image file (shown "(deleted)" once it was removed) and a /dev/VG of links;
  # both are this lab's own (the VG name carries the lab's port), so they go before vgcreate
  local stale
  for stale in $(losetup -a 2>/dev/null | grep -F "($LAB/data/cinder-volumes.img" | cut -d: -f1); do
    losetup -d "$stale" 2>/dev/null || true
  done
  rm -rf "/dev/$VG"; rm -f /dev/mapper/"${VG//-/--}"-*
  truncate -s $VG_SIZE "$LAB/data/cinder-volumes.img"
  loop=$(losetup --show -f "$LAB/data/cinder-volumes.img") || die "losetup failed"
  echo "$loop" > "$LAB/run/loopdev"
  cat > "$LAB/etc/lvm/lvm.conf" <<EOF
devices { filter = [ "a|^$loop\$|", "r|.*|" ] obtain_device_list_from_udev = 0 external_device_info_source = "none" use_devicesfile = 0 scan = [ "/dev" ] }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
global { activation = 0 locking_dir = "$LAB/run/lvm-lock" use_lvmlockd = 0 event_activation = 0 }
backup { backup = 1 backup_dir = "$LAB/data/lvm/backup" archive = 1 archive_dir = "$LAB/data/lvm/archive" }
EOF
  ( lvm_env; /sbin/pvcreate -q "$loop" && /sbin/vgcreate -q $VG "$loop" ) > "$LAB/log/lvm-setup.log" 2>&1 \
    || die "pvcreate/vgcreate failed, see $LAB/log/lvm-setup.log"
  mkdir -p "/dev/$VG"
}
lvm_teardown() {  # the VG, its loop device and the /dev links (after cinder-volume is gone)
  local loop; loop=$(cat "$LAB/run/loopdev" 2>/dev/null || true)
  [ -n "$loop" ] || return 0
  if losetup "$loop" 2>/dev/null | grep -qF "$LAB/data/cinder-volumes.img"; then
    ( lvm_env; /sbin/vgremove -q -f $VG; /sbin/pvremove -q -f "$loop" ) >> "$LAB/log/lvm-setup.log" 2>&1 || true
    losetup -d "$loop" || true
  fi
  rm -rf "/dev/$VG"; rm -f /dev/mapper/"${VG//-/--}"-* "$LAB/run/loopdev"
}
write_tgt_wrappers() {  # DIR CONTAINER: tgt-admin and tgtadm in DIR run in CONTAINER
  mkdir -p "$1"
  local c
  for c in tgt-admin tgtadm; do
    cat > "$1/$c" <<EOF
#!/bin/sh
# cinder-volume runs on the lab host; its target helper runs in $2, against that container's
# own tgt config and tgtd, where a real cinder-volume would run it (tests/lab/README.md)
exec podman exec $2 /usr/sbin/$c "\$@"
EOF
  done
  chmod +x "$1"/*
}
write_cinder_bin() {  # wrappers cinder-volume finds first on its PATH ($LAB/bin; $LAB/bin-kolla for cinder-volume-kolla)
  mkdir -p "$LAB/bin"
  write_tgt_wrappers "$LAB/bin" "$VOLUME_NODE"
  write_tgt_wrappers "$LAB/bin-kolla" "${KOLLA_NODE}-cinder_volume"
  local c
  cat > "$LAB/bin/lv-sync" <<EOF
#!/bin/bash
# one sparse file per LV (no device-mapper here), linked at /dev/VG/LV and /dev/mapper/VG-LV
VG=$VG; D=$LAB/data/lvfiles; mkdir -p \$D /dev/\$VG /dev/mapper
export LVM_SYSTEM_DIR=$LAB/etc/lvm LVM_SUPPRESS_FD_WARNINGS=1
names=\$(/sbin/lvs --noheadings --units b --nosuffix -o lv_name,lv_size \$VG 2>/dev/null)
echo "\$names" | while read -r n s; do [ -z "\$n" ] && continue
  [ -e \$D/\$n ] || truncate -s \$s \$D/\$n; [ \$(stat -c %s \$D/\$n) -lt \$s ] && truncate -s \$s \$D/\$n
  [ -L /dev/\$VG/\$n ] || ln -s \$D/\$n /dev/\$VG/\$n
  m=/dev/mapper/\${VG//-/--}-\${n//-/--}; [ -L \$m ] || ln -s \$D/\$n \$m; done
for f in \$D/*; do [ -e "\$f" ] || continue; b=\$(basename \$f)
  echo "\$names" | awk '{print \$1}' | grep -qx "\$b" || rm -f \$f /dev/\$VG/\$b /dev/mapper/\${VG//-/--}-\${b//-/--}; done
EOF
  for c in lvremove lvextend lvrename; do
    printf '#!/bin/bash\n/sbin/%s "$@"; rc=$?; %s/bin/lv-sync; exit $rc\n' $c "$LAB" > "$LAB/bin/$c"
  done
  # lvcreate --snapshot (cinder's LVM create_snapshot) needs device-mapper's snapshot target: the
  # stand-in creates a plain LV of the same size and copies the origin's sparse file into it, the
  # snapshot's content at that instant (no copy-on-write afterwards; tests/lab/README.md)
  cat > "$LAB/bin/lvcreate" <<EOF
#!/bin/bash
args=("\$@"); origin=; name=; size=
while [ \$# -gt 0 ]; do case \$1 in
  --snapshot|-s) origin=\$2; shift;; --name|-n) name=\$2; shift;; -L|--size) size=\$2; shift;; esac; shift; done
if [ -z "\$origin" ]; then /sbin/lvcreate "\${args[@]}"; rc=\$?; $LAB/bin/lv-sync; exit \$rc; fi
/sbin/lvcreate --name "\$name" -L "\$size" "\${origin%%/*}" || exit \$?
$LAB/bin/lv-sync && cp --sparse=always "$LAB/data/lvfiles/\${origin#*/}" "$LAB/data/lvfiles/\$name"
EOF
  chmod +x "$LAB"/bin/*
}

# ------------------------------------------------------------------------------ configs
# lab_db NAME: prints the connection URL of database NAME for user NAME. The user's password is
# generated the first time and kept in $LAB/data/db-passwords (0600), so it travels with the
# prepared data (the databases and nova's cell mappings hold it); etc/secrets.json lists it too.
# A new service needs one line: `connection = $(lab_db glance)`; db_grant creates its database
# and user at the next up.
lab_db() {
  local f=$LAB/data/db-passwords pw
  pw=$(awk -v n="$1" '$1 == n {print $2}' "$f" 2>/dev/null || true)
  if [ -z "$pw" ]; then
    pw=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
    (umask 077; echo "$1 $pw" >> "$f")
  fi
  printf 'mysql+pymysql://%s:%s@%s:%s/%s?charset=utf8' "$1" "$pw" "$IP" "$DB_PORT" "$1"
}

write_configs() {
  mkdir -p "$LAB"/{etc/keystone,etc/placement,etc/nova,data,log,run,wsgi}
  touch "$LAB/.stackdoctor-lab"
  CELL0_DB=$(lab_db nova_cell0)
  cat > "$LAB/etc/keystone/keystone.conf" <<EOF
[DEFAULT]
log_file = $LAB/log/keystone.log
[database]
connection = $(lab_db keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $LAB/data/fernet-keys
[credential]
key_repository = $LAB/data/credential-keys
[identity]
# LAB ONLY (tests/lab/README.md): bcrypt cost 4, not keystone's default 12. Every token request
# (each service, each probe of check_service_credentials from every node) verifies a bcrypt hash;
# at cost 12 that is ~0.25 s of CPU each, and the lab has 2 keystone workers on 2 cores.
password_hash_rounds = 4
EOF
  authtoken() { cat <<EOF
[keystone_authtoken]
www_authenticate_uri = http://$IP:$KS_PORT/v3
auth_url = http://$IP:$KS_PORT/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $2
region_name = RegionOne
service_token_roles_required = true
EOF
  }
  ksauth() { cat <<EOF
[$1]
auth_url = http://$IP:$KS_PORT/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $3
region_name = RegionOne
EOF
  }
  { cat <<EOF
[DEFAULT]
log_file = $LAB/log/placement.log
[placement_database]
connection = $(lab_db placement)
[api]
auth_strategy = keystone
EOF
    authtoken placement "$PLACEMENT_PASS"; } > "$LAB/etc/placement/placement.conf"

  common() { cat <<EOF
transport_url = $TRANSPORT
my_ip = $IP
graceful_shutdown_timeout = 5
report_interval = 2
service_down_time = 10
EOF
  }
  { cat <<EOF
[DEFAULT]
log_file = $LAB/log/nova-api.log
state_path = $LAB/data/nova-state
host = controller
rpc_response_timeout = 5
EOF
    common; cat <<EOF
[api]
auth_strategy = keystone
[api_database]
connection = $(lab_db nova_api)
[database]
connection = $(lab_db nova)
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 10
[oslo_concurrency]
lock_path = $LAB/data/nova-locks
[oslo_messaging_notifications]
driver = noop
[glance]
api_servers =
EOF
    authtoken nova "$NOVA_PASS"
    ksauth placement placement "$PLACEMENT_PASS"; echo "valid_interfaces = public"
    ksauth service_user nova "$NOVA_PASS"; echo "send_service_user_token = true"
    ksauth neutron nova "$NOVA_PASS"; } > "$LAB/etc/nova/nova.conf"
  cp "$VENV/etc/nova/api-paste.ini" "$LAB/etc/nova/"

  local n
  for n in 1 2; do
    mkdir -p "$LAB/data/compute-$n/instances"
    { cat <<EOF
[DEFAULT]
host = compute-$n
compute_driver = fake.FakeDriverWithoutFakeNodes
rpc_response_timeout = 10
state_path = $LAB/data/compute-$n
instances_path = $LAB/data/compute-$n/instances
EOF
      common; cat <<EOF
[oslo_concurrency]
lock_path = $LAB/data/compute-$n/locks
[oslo_messaging_notifications]
driver = noop
[glance]
api_servers =
EOF
      ksauth placement placement "$PLACEMENT_PASS"; echo "valid_interfaces = public"
      # nova-compute binds the ports of the servers it builds (admin calls with these credentials)
      ksauth neutron nova "$NOVA_PASS"
      # and sends a service token with its cinder calls: since OSSA-2023-003 (CVE-2023-2088) cinder
      # refuses nova's attachment deletes without one (ConflictNovaUsingAttachment, HTTP 409), and a
      # deleted server's volume stays in-use (https://security.openstack.org/ossa/OSSA-2023-003.html)
      ksauth service_user nova "$NOVA_PASS"; echo "send_service_user_token = true"; } \
      > "$LAB/etc/nova/nova-compute-$n.conf"
  done

  # glance-api (file store under data/glance) and cinder (api, scheduler, volume: one cinder.conf,
  # as on a single controller; cinder-volume adds cinder-volume.conf for its own host name)
  mkdir -p "$LAB"/etc/glance "$LAB"/etc/cinder
  { cat <<EOF
[DEFAULT]
log_file = $LAB/log/glance-api.log
enabled_backends = fs:file
workers = 1
image_cache_dir = $LAB/data/glance/cache
[database]
connection = $(lab_db glance)
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $LAB/data/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $LAB/data/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $LAB/data/glance/tasks
[paste_deploy]
flavor = keystone
[oslo_concurrency]
lock_path = $LAB/data/glance/locks
EOF
    authtoken glance "$GLANCE_PASS"; } > "$LAB/etc/glance/glance-api.conf"
  cp "$VENV/etc/glance/glance-api-paste.ini" "$LAB/etc/glance/"
  { cat <<EOF
[DEFAULT]
log_file = $LAB/log/cinder-api.log
host = controller
# cinder-api waits for cinder-volume's answer to initialize_connection, which runs tgt-admin and
# tgtadm in the node (podman exec) up to three times: 10 s was too short on a busy 2-core machine
rpc_response_timeout = 60
auth_strategy = keystone
state_path = $LAB/data/cinder
api_paste_config = $LAB/etc/cinder/api-paste.ini
enabled_backends = lvm-1
periodic_interval = 10
osapi_volume_workers = 1
EOF
    common; cat <<EOF
[database]
connection = $(lab_db cinder)
[oslo_concurrency]
lock_path = $LAB/data/cinder/locks
[oslo_messaging_notifications]
driver = noop
[coordination]
backend_url = file://$LAB/data/cinder/coord
[cinder_sys_admin]
helper_command = $B/privsep-helper --config-file $LAB/etc/cinder/cinder.conf
[privsep_osbrick]
helper_command = $B/privsep-helper --config-file $LAB/etc/cinder/cinder.conf
[lvm-1]
volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver
volume_backend_name = lvm-1
volume_group = $VG
lvm_type = default
lvm_conf_file = $LAB/etc/lvm/lvm.conf
volume_clear = none
target_helper = tgtadm
target_protocol = iscsi
volumes_dir = $VOLUMES_DIR
EOF
    authtoken cinder "$CINDER_PASS"
    ksauth nova cinder "$CINDER_PASS"; } > "$LAB/etc/cinder/cinder.conf"
  printf '[DEFAULT]\nhost = volume-1\n' > "$LAB/etc/cinder/cinder-volume.conf"
  # the kolla node's cinder-volume: its own host, zone and backend section (the lvm-1 one renamed)
  { printf '[DEFAULT]\nhost = kolla-1\nstorage_availability_zone = kolla\nenabled_backends = lvm-kolla\n[lvm-kolla]\n'
    sed -n '/^\[lvm-1\]/,/^\[/p' "$LAB/etc/cinder/cinder.conf" | sed -e '1d' -e '/^\[/d' \
      -e 's/^volume_backend_name = .*/volume_backend_name = lvm-kolla/'; } > "$LAB/etc/cinder/cinder-volume-kolla.conf"
  cp "$VENV/etc/cinder/api-paste.ini" "$LAB/etc/cinder/"
  write_cinder_bin

  # mistral: the API under gunicorn (WSGI shim below), engine and executor as mistral-server runs
  # them; one config for all three
  mkdir -p "$LAB/etc/mistral"
  { cat <<EOF
[DEFAULT]
transport_url = $TRANSPORT
log_file = $LAB/log/mistral-api.log
[database]
connection = $(lab_db mistral)
[pecan]
auth_enable = true
[oslo_messaging_notifications]
driver = noop
EOF
    authtoken mistral "$MISTRAL_PASS"; } > "$LAB/etc/mistral/mistral.conf"

  # neutron-server as the WSGI/uWSGI deployment runs it (neutron/wsgi/api.py: the API under
  # gunicorn; neutron-rpc-server for the agents' RPC: state reports, router syncs), ML2 with flat
  # (external, physnet "public") and vlan (tenant, physnet "private") networks. The lab has no L2
  # agent; the stand-in mechanism driver sd_lab_tap (tests/lab/neutron-ml2/sd_lab_ml2.py, on
  # neutron's PYTHONPATH) binds ports as tap devices so nova can boot a server (playbooks/smoke.yml);
  # they stay DOWN (tests/lab/README.md). The L3 agent in the network node writes its own
  # namespaces and NAT rules.
  mkdir -p "$LAB/etc/neutron/plugins/ml2"
  { cat <<EOF
[DEFAULT]
log_file = $LAB/log/neutron-api.log
core_plugin = ml2
service_plugins = router
transport_url = $TRANSPORT
auth_strategy = keystone
allow_overlapping_ips = true
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
state_path = $LAB/data/neutron-state
host = controller
api_workers = $API_WORKERS
rpc_workers = 1
rpc_state_report_workers = 0
# an agent is dead after 15 s without a state report (its report_interval is 5 s: node_configs.py)
agent_down_time = 15
l3_ha = false
[database]
connection = $(lab_db neutron)
[oslo_concurrency]
lock_path = $LAB/data/neutron-locks
[oslo_messaging_notifications]
driver = noop
EOF
    authtoken neutron "$NEUTRON_PASS"
    ksauth nova neutron "$NEUTRON_PASS"; } > "$LAB/etc/neutron/neutron.conf"
  cat > "$LAB/etc/neutron/plugins/ml2/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,vlan
tenant_network_types = vlan
mechanism_drivers = sd_lab_tap
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public
[ml2_type_vlan]
network_vlan_ranges = private:100:199
EOF
  cp "$VENV/etc/neutron/api-paste.ini" "$LAB/etc/neutron/"

  # WSGI shims: oslo.config would otherwise parse gunicorn's own argv
  local m
  for m in "keystone keystone.wsgi.api" "placement placement.wsgi.api" "nova_api nova.wsgi.osapi_compute" \
           "glance_api glance.wsgi.api" "neutron_api neutron.wsgi.api"; do
    set -- $m
    printf 'import sys\nsys.argv = sys.argv[:1]\nfrom %s import application  # noqa\n' "$2" > "$LAB/wsgi/${1}_app.py"
  done
  # cinder's WSGI app reads the config files named on its argv
  printf 'import os, sys\nsys.argv = sys.argv[:1] + ["--config-file", os.environ["CINDER_CONF"]]\nfrom cinder.wsgi.api import application  # noqa\n' \
    > "$LAB/wsgi/cinder_api_app.py"
  # mistral.wsgi parses no config file but the default ones (/etc/mistral/mistral.conf): the same
  # steps as its init_wsgi() (mistral/api/app.py), with the lab's file
  cat > "$LAB/wsgi/mistral_api_app.py" <<'EOF'
import os, sys
import oslo_service.backend as service_backend
service_backend.init_backend(service_backend.BackendType.THREADING)
from oslo_config import cfg
from oslo_log import log as logging
from mistral import config as m_config
from mistral.api import app
sys.argv = sys.argv[:1]
m_config.parse_args(args=["--config-file", os.environ["MISTRAL_CONF"]])
logging.setup(cfg.CONF, "Mistral")
application = app.setup_app()
EOF

  umask 077
  cat > "$LAB/adminrc" <<EOF
export OS_CLIENT_CONFIG_FILE=$CLOUDS
export OS_CLOUD=stackdoctor-lab
export PYTHONWARNINGS=ignore
EOF
  mkdir -p "$(dirname "$CLOUDS")"
  cat > "$CLOUDS" <<EOF
# Generated by tests/lab/lab.sh up; lab-only credentials for services bound to 127.0.0.1.
clouds:
  stackdoctor-lab:
    auth:
      auth_url: http://$IP:$KS_PORT/v3
      username: admin
      password: $ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
  umask 022
  echo "$VENV" > "$LAB/venv"
  umask 077   # the lab's secrets file: keystone users' and databases' passwords (never printed)
  { printf '{"admin": "%s", "nova": "%s", "placement": "%s", "glance": "%s", "cinder": "%s", "neutron": "%s", "mistral": "%s", "db": {' \
      "$ADMIN_PASS" "$NOVA_PASS" "$PLACEMENT_PASS" "$GLANCE_PASS" "$CINDER_PASS" "$NEUTRON_PASS" "$MISTRAL_PASS"
    awk '{printf "%s\"%s\": \"%s\"", (NR > 1 ? ", " : ""), $1, $2}' "$LAB/data/db-passwords"; echo '}}'
  } > "$LAB/etc/secrets.json"
  umask 022
  cat > "$LAB/etc/lab.env" <<EOF
LAB=$LAB
PORT_BASE=$PORT_BASE
KS_PORT=$KS_PORT
PL_PORT=$PL_PORT
NOVA_PORT=$NOVA_PORT
NET_PORT=$NET_PORT
GL_PORT=$GL_PORT
CI_PORT=$CI_PORT
MI_PORT=$MI_PORT
VG=$VG
VOLUME_NODE=$VOLUME_NODE
EPMD_PORT=$EPMD_PORT
RABBIT_PORT=$RABBIT_PORT
DIST_PORT=$DIST_PORT
DB_PORT=$DB_PORT
DB_SOCK=$DB_SOCK
API_WORKERS=$API_WORKERS
CLOUDS=$CLOUDS
EOF
}

# ------------------------------------------------------------------------------ rabbit
start_rabbit() {  # runs in a subshell
  export HOME=$LAB/rabbitmq/home RABBITMQ_NODENAME=rabbit@localhost
  export RABBITMQ_NODE_IP_ADDRESS=$IP RABBITMQ_NODE_PORT=$RABBIT_PORT RABBITMQ_DIST_PORT=$DIST_PORT
  export ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=$IP
  export RABBITMQ_MNESIA_BASE=$LAB/rabbitmq/mnesia RABBITMQ_LOG_BASE=$LAB/log/rabbitmq
  export RABBITMQ_PID_FILE=$LAB/run/rabbitmq.pid
  export RABBITMQ_ENABLED_PLUGINS_FILE=$LAB/rabbitmq/enabled_plugins
  export RABBITMQ_CONFIG_FILE=$LAB/etc/rabbitmq RABBITMQ_ADVANCED_CONFIG_FILE=$LAB/etc/rabbitmq-advanced.config
  export RABBITMQ_CONF_ENV_FILE=$LAB/etc/rabbitmq-env.conf
  mkdir -p "$HOME" "$RABBITMQ_LOG_BASE"
  echo '[].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"; : > "$LAB/etc/rabbitmq.conf"; : > "$RABBITMQ_CONF_ENV_FILE"
  echo '[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].' > "$RABBITMQ_ADVANCED_CONFIG_FILE"
  /usr/lib/rabbitmq/bin/rabbitmq-server -detached
  # readiness = AMQP port open (rabbitmqctl would open ports outside the range)
  local i
  for i in $(seq 1 300); do tcp_open $RABBIT_PORT && [ -s "$RABBITMQ_PID_FILE" ] && break; sleep 0.2; done
  tcp_open $RABBIT_PORT || { echo "rabbit did not open $RABBIT_PORT"; exit 1; }
  # record the epmd daemon rabbit caused to start (not our child otherwise)
  ss -ltnpH "sport = :$EPMD_PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 > "$LAB/run/epmd.pid"
}

# ------------------------------------------------------------------------------ mariadb
# Debian's mariadbd run directly (no distro service, no /etc/mysql: --no-defaults), bound to
# 127.0.0.1:DB_PORT, socket and pid under run/, datadir data/mysql. root is socket-only.
MARIADB_OPTS=(--no-defaults --user=root --datadir="$DB_DATA" --bind-address=$IP --port=$DB_PORT
  --socket="$DB_SOCK" --pid-file="$LAB/run/mariadb.pid" --log-error="$LAB/log/mariadb.log"
  --skip-name-resolve --max-connections=1000 --character-set-server=utf8mb4
  --collation-server=utf8mb4_general_ci --innodb-buffer-pool-size=128M --innodb-log-file-size=32M
  --innodb-flush-log-at-trx-commit=2)
sql() { /usr/bin/mariadb --no-defaults --socket="$DB_SOCK" -uroot -N -B "$@"; }
mariadb_init() {  # fresh datadir
  rm -rf "$DB_DATA"
  /usr/bin/mariadb-install-db --no-defaults --user=root --datadir="$DB_DATA" --skip-test-db \
    --auth-root-authentication-method=socket > "$LAB/log/mariadb-install-db.log" 2>&1 \
    || die "mariadb-install-db failed, see $LAB/log/mariadb-install-db.log"
}
mariadb_start() {
  rm -f "$DB_SOCK"
  setsid /usr/sbin/mariadbd "${MARIADB_OPTS[@]}" > "$LAB/log/mariadb.out" 2>&1 < /dev/null &
  echo $! > "$LAB/run/mariadb.pid"   # mariadbd writes the same PID there itself
  local i p=$!
  for i in $(seq 1 300); do sql -e 'select 1' >/dev/null 2>&1 && return 0; alive $p || break; sleep 0.1; done
  die "mariadb did not start, see $LAB/log/mariadb.log"
}
mariadb_stop() {  # TERM the recorded PID, wait for InnoDB's shutdown (KILL after 60 s)
  local p i; p=$(pidof_svc mariadb); alive "$p" || return 0
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 1 600); do alive "$p" || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null && echo "SIGKILLed mariadbd $p"
}
db_grant() {  # every database and user of data/db-passwords (idempotent; passwords via stdin)
  awk -v ip=$IP '{ printf "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8;\n", $1
    printf "CREATE USER IF NOT EXISTS '\''%s'\''@'\''%s'\'';\n", $1, ip
    printf "ALTER USER '\''%s'\''@'\''%s'\'' IDENTIFIED BY '\''%s'\'';\n", $1, ip, $2
    printf "GRANT ALL PRIVILEGES ON `%s`.* TO '\''%s'\''@'\''%s'\'';\n", $1, $1, ip }' \
    "$LAB/data/db-passwords" | sql || die "creating the databases and users failed"
}

# ------------------------------------------------------------------------------ data
prepare_data() {  # schema steps, in two parallel lanes; then snapshot into the cache
  mariadb_init; mariadb_start; db_grant
  (
    KM="$B/keystone-manage --config-file $LAB/etc/keystone/keystone.conf"
    $KM db_sync
    $KM fernet_setup --keystone-user root --keystone-group root
    $KM credential_setup --keystone-user root --keystone-group root
    $KM bootstrap --bootstrap-password "$ADMIN_PASS" --bootstrap-region-id RegionOne \
      --bootstrap-admin-url http://$IP:$KS_PORT/v3 --bootstrap-public-url http://$IP:$KS_PORT/v3 \
      --bootstrap-internal-url http://$IP:$KS_PORT/v3
  ) > "$LAB/log/keystone-setup.log" 2>&1 &
  local ks=$!
  (
    $B/placement-manage --config-file "$LAB/etc/placement/placement.conf" db sync
    NM="$B/nova-manage --config-file $LAB/etc/nova/nova.conf"
    $NM api_db sync
    $NM cell_v2 map_cell0 --database_connection "$CELL0_DB"
    $NM cell_v2 create_cell --name cell1 --transport-url "$TRANSPORT"
    $NM db sync
  ) > "$LAB/log/db-setup.log" 2>&1 &
  local db=$!
  (
    $B/glance-manage --config-file "$LAB/etc/glance/glance-api.conf" db_sync
    $B/cinder-manage --config-file "$LAB/etc/cinder/cinder.conf" db sync
    # mistral's schema, then its pre-installed definitions (std.wait_ssh, mistral-extra's
    # std.create_instance / std.delete_instance): what `populate` writes and check_mistral_actions reads
    $B/mistral-db-manage --config-file "$LAB/etc/mistral/mistral.conf" upgrade head
    $B/mistral-db-manage --config-file "$LAB/etc/mistral/mistral.conf" populate
  ) > "$LAB/log/storage-db-setup.log" 2>&1 &
  local st=$!
  # on MariaDB the normal migration path works (on sqlite it does not: the recipe's workaround)
  $B/neutron-db-manage --config-file "$LAB/etc/neutron/neutron.conf" \
    --config-file "$LAB/etc/neutron/plugins/ml2/ml2_conf.ini" upgrade heads > "$LAB/log/neutron-db-setup.log" 2>&1 &
  local nt=$!
  wait $ks || die "keystone setup failed, see $LAB/log/keystone-setup.log"
  wait $db || die "db setup failed, see $LAB/log/db-setup.log"
  wait $st || die "glance/cinder/mistral db setup failed, see $LAB/log/storage-db-setup.log"
  wait $nt || die "neutron db setup failed, see $LAB/log/neutron-db-setup.log"
  # a consistent copy of the datadir needs a clean shutdown; then serve on
  mariadb_stop
  rm -rf "$DATA_CACHE.tmp"; mkdir -p "$CACHE"
  cp -a "$LAB/data" "$DATA_CACHE.tmp" && rm -rf "$DATA_CACHE" && mv "$DATA_CACHE.tmp" "$DATA_CACHE"
  mariadb_start
}

# ------------------------------------------------------------------------------ processes
serve() {  # name port confdir-var confdir [threads [workers]]: API_WORKERS processes, gthread
  env "$3=$4" "$B/gunicorn" -b $IP:$2 -w "${6:-$API_WORKERS}" -k gthread --threads "${5:-4}" --graceful-timeout 5 \
    --no-control-socket --chdir "$LAB/wsgi" --daemon --pid "$LAB/run/$1.pid" \
    --error-logfile "$LAB/log/$1-gunicorn.log" "${1}_app:application"
}
wait_http() {  # port seconds [service]: with a service, a gunicorn master that exits (its workers
  # failed to boot, e.g. nova-api's TooOldComputeService) fails at once instead of after the wait
  local i p; for i in $(seq 1 $(($2 * 5))); do
    http_ok "$1" && return 0
    if [ -n "${3:-}" ]; then
      p=$(pidof_svc "$3")
      [ $i -gt 25 ] && ! alive "$p" && die "$3 exited before it answered on port $1 (see $LAB/log/$3*.log)"
    fi
    sleep 0.2
  done
  die "port $1 did not answer (see $LAB/log)"
}
spawn() {  # name binary conf [conf...]
  local n=$1 b=$2; shift 2
  setsid "$B/$b" $(printf -- '--config-file %s ' "$@") --log-file "$LAB/log/$n.log" > "$LAB/log/$n.out" 2>&1 < /dev/null &
  echo $! > "$LAB/run/$n.pid"
}
# volume-relay: the volume node's cinder-volume.service (tests/roles/stackdoctor_testnode, lab
# only) writes "start|stop TOKEN" to $LAB/relay/cinder-volume.request (the node has $LAB/relay at
# /var/lib/stackdoctor-lab-relay); this loop starts or stops the real cinder-volume here accordingly
# and answers "TOKEN done" in cinder-volume.done, so systemctl restart|stop|start in the node
# act on the real service (a fix's restart "through the layout")
relay_loop() {
  local req=$LAB/relay/cinder-volume.request cur last=
  [ -f "$req" ] && last=$(cat "$req")
  while sleep 0.3; do
    cur=$(cat "$req" 2>/dev/null || true)
    [ -n "$cur" ] && [ "$cur" != "$last" ] || continue
    last=$cur
    case $cur in
      stop\ *) "$HERE/lab.sh" stop cinder-volume;;
      start\ *) "$HERE/lab.sh" start cinder-volume;;
    esac >> "$LAB/log/volume-relay.log" 2>&1
    echo "${cur#* } done" > "$LAB/relay/cinder-volume.done"
  done
}
spawn_relay() {
  mkdir -p "$LAB/relay"
  setsid "$HERE/lab.sh" relay-loop > /dev/null 2>&1 < /dev/null &
  echo $! > "$LAB/run/volume-relay.pid"
}
serve_glance() { serve glance_api $GL_PORT OS_GLANCE_CONFIG_DIR "$LAB/etc/glance" 4 1; }
serve_cinder() { serve cinder_api $CI_PORT CINDER_CONF "$LAB/etc/cinder/cinder.conf" 4 1; }
serve_mistral() { serve mistral_api $MI_PORT MISTRAL_CONF "$LAB/etc/mistral/mistral.conf" 4 1; }
spawn_mistral() {  # mistral-engine | mistral-executor: mistral-server --server engine|executor
  setsid "$B/mistral-server" --server "${1#mistral-}" --config-file "$LAB/etc/mistral/mistral.conf" \
    --log-file "$LAB/log/$1.log" > "$LAB/log/$1.out" 2>&1 < /dev/null &
  echo $! > "$LAB/run/$1.pid"
}
NEUTRON_CONFS=("$LAB/etc/neutron/neutron.conf" "$LAB/etc/neutron/plugins/ml2/ml2_conf.ini")
NEUTRON_PYTHONPATH=$HERE/neutron-ml2  # the stand-in mechanism driver sd_lab_tap and its entry point
serve_neutron() {
  PYTHONPATH=$NEUTRON_PYTHONPATH OS_NEUTRON_CONFIG_FILES="neutron.conf;plugins/ml2/ml2_conf.ini" \
    serve neutron_api $NET_PORT OS_NEUTRON_CONFIG_DIR "$LAB/etc/neutron"
}
spawn_neutron_rpc() { PYTHONPATH=$NEUTRON_PYTHONPATH spawn neutron-rpc neutron-rpc-server "${NEUTRON_CONFS[@]}"; }
# cinder-volume in a private mount namespace where $LAB/data/cinder/volumes is at VOLUMES_DIR (the
# node has the same bind mount: cinder and tgt-admin name the same path, as on one host), with
# the LVM wrappers first on its PATH and the private LVM config; privsep helpers are its children
cv_log() {  # SERVICE: its log file
  if [ "$1" = cinder-volume-kolla ]; then echo "$KOLLA_LOG"; else echo "$LAB/log/cinder-volume.log"; fi
}
spawn_cinder_volume() {  # [SERVICE]: cinder-volume (default) or cinder-volume-kolla (above)
  local name=${1:-cinder-volume} vols=$LAB/data/cinder/volumes path=$LAB/bin:$PATH log
  [ "$name" = cinder-volume-kolla ] && { vols=$KOLLA_STATE/cinder-volumes path=$LAB/bin-kolla:$LAB/bin:$PATH; }
  log=$(cv_log "$name")
  mkdir -p "$vols" "$VOLUMES_DIR" "$(dirname "$log")"
  setsid env LVM_SYSTEM_DIR="$LAB/etc/lvm" LVM_SUPPRESS_FD_WARNINGS=1 PATH="$path" \
    unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh \
    "$vols" "$VOLUMES_DIR" "$B/cinder-volume" --config-file "$LAB/etc/cinder/cinder.conf" \
    --config-file "$LAB/etc/cinder/$name.conf" --log-file "$log" \
    > "$LAB/log/$name.out" 2>&1 < /dev/null &
  echo $! > "$LAB/run/$name.pid"
}

# ------------------------------------------------------------------------------ commands
state() {  # prints: up | down | partial
  local n p any=0 all=1
  for n in $SERVICES; do p=$(pidof_svc $n); if alive "$p"; then any=1; else all=0; fi; done
  if [ $all = 1 ]; then echo up; elif [ $any = 1 ]; then echo partial; else echo down; fi
}

cmd_status() {
  [ -d "$LAB/run" ] || { echo "lab: not set up ($LAB)"; return 3; }
  local svc="" n p port ans pids all="" total st py h
  # the venv this lab runs from (XDG_CACHE_HOME may differ in the caller's environment)
  py=$(cat "$LAB/venv" 2>/dev/null || echo "$VENV")/bin/python
  [ -S "$DB_SOCK" ] && [ -x "$py" ] && svc=$("$py" "$HERE/labctl.py" svcstate "$LAB" 2>/dev/null || true)
  printf '%-16s %-8s %-6s %-10s %s\n' SERVICE PID PORT ANSWERING RSS_MB
  for n in $SERVICES epmd; do
    p=$(pidof_svc $n); port=$(port_of $n); ans=no
    if alive "$p"; then
      case $n in
        keystone|placement|nova_api|neutron_api|glance_api|cinder_api|mistral_api) http_ok "$port" && ans=yes;;
        volume-relay|neutron-rpc|mistral-engine|mistral-executor) ans=yes;;
        cinder-*) st=$(case $n in cinder-volume) h=volume-1@lvm-1;; cinder-volume-kolla) h=kolla-1@lvm-kolla;; *) h=controller;; esac
                   grep "^${n%-kolla} $h " <<<"$svc" | cut -d' ' -f3- || true); ans=${st:-unregistered};;
        rabbitmq|epmd|mariadb) tcp_open "$port" && ans=yes;;
        nova-compute-*) st=$(grep "^nova-compute compute-${n##*-} " <<<"$svc" | cut -d' ' -f3- || true); ans=${st:-unregistered};;
        nova-*) st=$(grep "^$n controller " <<<"$svc" | cut -d' ' -f3- || true); ans=${st:-unregistered};;
      esac
      pids=$(descendants "$p" | tr '\n' ' '); all="$all $pids"
      printf '%-16s %-8s %-6s %-10s %s\n' "$n" "$p" "$port" "$ans" $(( $(rss_kb $pids) / 1024 ))
    else
      printf '%-16s %-8s %-6s %-10s %s\n' "$n" "${p:--}" "$port" "stopped" 0
    fi
  done
  total=$(rss_kb $all)
  printf 'total RSS: %d MB over %d processes (state: %s, dir %s)\n' $((total / 1024)) $(wc -w <<<"$all") "$(state)" "$LAB"
  [ "$(state)" = up ]
}

cmd_down() {
  [ -d "$LAB/run" ] || { echo "lab: nothing to stop ($LAB)"; return 0; }
  local n p pids="" epmd
  # record every process of ours now (recorded PIDs and their descendants), then TERM the roots
  for n in $SERVICES; do
    [ $n = mariadb ] && continue   # after its clients
    p=$(pidof_svc $n); alive "$p" || continue
    pids="$pids $(descendants "$p" | tr '\n' ' ')"
    kill -TERM "$p" 2>/dev/null || true
  done
  local i left
  for i in $(seq 1 100); do
    left=""; for p in $pids; do alive "$p" && left="$left $p"; done
    [ -z "$left" ] && break; sleep 0.2
  done
  for p in $left; do kill -KILL "$p" 2>/dev/null && echo "SIGKILLed straggler $p"; done
  lvm_teardown
  mariadb_stop
  # the data dir (MariaDB datadir, fernet keys, compute state) goes; etc/ and log/ stay for a look
  if [ "${STACKDOCTOR_LAB_KEEP_DATA:-0}" = 1 ]; then
    [ -d "$LAB/data" ] && echo "kept $LAB/data with the MariaDB datadir (STACKDOCTOR_LAB_KEEP_DATA=1)"
  else
    rm -rf "$LAB/data" "$DB_SOCK"
  fi
  epmd=$(pidof_svc epmd)   # epmd last: rabbit needs it until it is gone
  if alive "$epmd"; then
    kill -TERM "$epmd" 2>/dev/null || true
    for i in $(seq 1 25); do alive "$epmd" || break; sleep 0.2; done
    alive "$epmd" && kill -KILL "$epmd" 2>/dev/null || true
  fi
  rm -f "$LAB"/run/*.pid
  local busy; busy=$(ss -ltnH | awk -v lo="$PORT_BASE" '{n=split($4,a,":"); p=a[n]+0}
    $4 ~ /^127\.0\.0\.1:/ && p >= lo && p < lo + 100 {print $4}' || true)
  [ -n "$busy" ] && echo "warning: still listening: $busy" >&2
  printf 'lab down in %ss\n' "$(el)"
}

cmd_up() {
  case $(state 2>/dev/null) in
    up) echo "lab already up"
        # brought up from another checkout: give this one the same clouds.yaml
        local rec; rec=$(sed -n 's/^CLOUDS=//p' "$LAB/etc/lab.env" 2>/dev/null)
        if [ ! -f "$CLOUDS" ] && [ -n "$rec" ] && [ -f "$rec" ]; then
          mkdir -p "$(dirname "$CLOUDS")"; (umask 077; cp "$rec" "$CLOUDS"); echo "clouds.yaml: $CLOUDS (copied from $rec)"
        fi
        cmd_status; return 0;;
    partial) echo "lab partially up: stopping it first"; cmd_down;;
  esac
  if [ -e "$LAB" ] && [ ! -e "$LAB/.stackdoctor-lab" ] && [ -n "$(ls -A "$LAB" 2>/dev/null)" ]; then
    die "$LAB exists and is not a lab directory; refusing to wipe it"
  fi
  ensure_host_pkgs
  ensure_venv
  lvm_teardown   # a loop device a killed lab left attached
  rm -rf "$LAB"
  local warm=0
  mkdir -p "$LAB"
  if [ -d "$RESTORE_FROM/mysql" ] && [ -s "$RESTORE_FROM/db-passwords" ]; then
    cp -a "$RESTORE_FROM" "$LAB/data"; warm=1
  fi
  write_configs
  UP_STARTED=1   # from here on, a failed up stops whatever it started (EXIT trap below)
  ( start_rabbit ) > "$LAB/log/rabbit-start.log" 2>&1 &
  local rabbit=$!
  if [ $warm = 1 ]; then
    mariadb_start; db_grant
    ts "prepared data restored from cache ($(basename "$RESTORE_FROM")), mariadb serving on $DB_PORT"
  else
    prepare_data
    ts "mariadb serving on $DB_PORT; schemas synced (keystone, placement, nova api/cell0/cell1), cached"
  fi
  mkdir -p "$LAB/data/nova-state" "$LAB"/data/{neutron-state,neutron-locks} "$LAB"/data/glance/{images,staging,tasks,cache,locks} \
    "$LAB"/data/cinder/{locks,coord,volumes}
  lvm_setup
  serve keystone $KS_PORT OS_KEYSTONE_CONFIG_DIR "$LAB/etc/keystone"
  serve placement $PL_PORT OS_PLACEMENT_CONFIG_DIR "$LAB/etc/placement"
  wait_http $KS_PORT 60; ts "keystone serving on $KS_PORT"
  "$B/python" "$HERE/labctl.py" register "$LAB" || die "registration failed"
  ts "users/services/endpoints registered"
  wait $rabbit || die "rabbitmq failed, see $LAB/log/rabbit-start.log"
  ts "rabbitmq up on $RABBIT_PORT"
  serve nova_api $NOVA_PORT OS_NOVA_CONFIG_DIR "$LAB/etc/nova"
  spawn nova-conductor nova-conductor "$LAB/etc/nova/nova.conf"
  spawn nova-scheduler nova-scheduler "$LAB/etc/nova/nova.conf"
  spawn nova-compute-1 nova-compute "$LAB/etc/nova/nova-compute-1.conf"
  spawn nova-compute-2 nova-compute "$LAB/etc/nova/nova-compute-2.conf"
  serve_glance
  serve_cinder
  serve_neutron
  spawn_neutron_rpc
  spawn cinder-scheduler cinder-scheduler "$LAB/etc/cinder/cinder.conf"
  spawn_cinder_volume
  spawn_cinder_volume cinder-volume-kolla
  spawn_relay
  serve_mistral
  spawn_mistral mistral-engine
  spawn_mistral mistral-executor
  wait_http $PL_PORT 60; ts "placement serving on $PL_PORT"
  wait_http $NOVA_PORT 60; ts "nova-api serving on $NOVA_PORT"
  wait_http $GL_PORT 90; ts "glance-api serving on $GL_PORT"
  wait_http $CI_PORT 90; ts "cinder-api serving on $CI_PORT"
  wait_http $NET_PORT 90 neutron_api; ts "neutron-server serving on $NET_PORT"
  wait_http $MI_PORT 90 mistral_api; ts "mistral-api serving on $MI_PORT"
  # external and tenant networks, a router, a port for a "vm" and its floating IP (the network
  # node's L3 agent hosts the router once the nodes are up: tests/lab/nodes.yml)
  "$B/python" "$HERE/labctl.py" network "$LAB" > "$LAB/log/network-setup.log" 2>&1 \
    || die "network setup failed, see $LAB/log/network-setup.log"
  ts "networks, router and floating IP created"
  # map the compute nodes into cell1 as soon as both registered (the scheduler's periodic
  # discovery would do it within 10 s too)
  local i
  for i in $(seq 1 240); do
    [ "$(sql -e "select count(*) from nova.compute_nodes where deleted = 0 and host in ('compute-1', 'compute-2')" 2>/dev/null)" = 2 ] && break
    sleep 0.5
  done
  "$B/nova-manage" --config-file "$LAB/etc/nova/nova.conf" cell_v2 discover_hosts > "$LAB/log/discover.log" 2>&1
  ts "compute nodes mapped to cell1"
  "$B/python" "$HERE/labctl.py" wait "$LAB" || die "computes or cinder services did not come up, see $LAB/log"
  ts "control plane ready (clouds.yaml: $CLOUDS, cloud stackdoctor-lab)"
  UP_STARTED=0
  cmd_status || true
  printf 'lab up in %ss\n' "$(el)"
}

# One service of a running lab, stopped or started again (lab faults: tests/lab/sabotage/tasks/).
# stop: TERM the recorded PID (and its descendants), KILL what is left after 20 s; the PID file
# stays, so `status` says stopped and `start` knows what to start. start: as `up` starts it.
lab_service() {
  case " $SERVICES " in *" $1 "*) ;; *) die "unknown service '$1' (one of: $SERVICES)";; esac
}
cmd_stop() {
  lab_service "$1"
  local n=$1 p pids i left
  [ $n = mariadb ] && { mariadb_stop; echo "$n stopped"; return 0; }
  p=$(pidof_svc $n); alive "$p" || { echo "$n already stopped"; return 0; }
  pids=$(descendants "$p" | tr '\n' ' ')
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 1 100); do
    left=""; for p in $pids; do alive "$p" && left="$left $p"; done
    [ -z "$left" ] && break; sleep 0.2
  done
  for p in $left; do kill -KILL "$p" 2>/dev/null && echo "SIGKILLed straggler $p"; done
  echo "$n stopped"
}
cmd_start() {
  lab_service "$1"
  local n=$1
  alive "$(pidof_svc $n)" && { echo "$n already running"; return 0; }
  case $n in
    rabbitmq) ( start_rabbit ) > "$LAB/log/rabbit-start.log" 2>&1 || die "rabbitmq failed, see $LAB/log/rabbit-start.log";;
    mariadb) mariadb_start;;
    keystone) serve keystone $KS_PORT OS_KEYSTONE_CONFIG_DIR "$LAB/etc/keystone"; wait_http $KS_PORT 60;;
    placement) serve placement $PL_PORT OS_PLACEMENT_CONFIG_DIR "$LAB/etc/placement"; wait_http $PL_PORT 60;;
    nova_api) serve nova_api $NOVA_PORT OS_NOVA_CONFIG_DIR "$LAB/etc/nova"; wait_http $NOVA_PORT 60 nova_api;;
    nova-conductor|nova-scheduler) spawn $n $n "$LAB/etc/nova/nova.conf";;
    nova-compute-*) spawn $n nova-compute "$LAB/etc/nova/$n.conf";;
    glance_api) serve_glance; wait_http $GL_PORT 90;;
    cinder_api) serve_cinder; wait_http $CI_PORT 90;;
    cinder-scheduler) spawn $n $n "$LAB/etc/cinder/cinder.conf";;
    cinder-volume|cinder-volume-kolla)  # returns once the driver is initialized (the relay's systemctl start waits for it)
      local n0 i log; log=$(cv_log $n); n0=$(stat -c %s "$log" 2>/dev/null || echo 0)
      spawn_cinder_volume $n
      for i in $(seq 1 300); do
        tail -c +$((n0 + 1)) "$log" 2>/dev/null | grep -q "Driver post RPC initialization completed" && break
        sleep 0.2
      done;;
    volume-relay) spawn_relay;;
    neutron_api) serve_neutron; wait_http $NET_PORT 90 neutron_api;;
    neutron-rpc) spawn_neutron_rpc;;
    mistral_api) serve_mistral; wait_http $MI_PORT 90 mistral_api;;
    mistral-engine|mistral-executor) spawn_mistral $n;;
  esac
  echo "$n started"
}

case ${1:-} in
  up) UP_STARTED=0
      trap 'if [ "$UP_STARTED" = 1 ]; then echo "lab up failed: stopping what it started" >&2; UP_STARTED=0; cmd_down >&2; fi' EXIT
      cmd_up;;
  down) cmd_down;;
  status) cmd_status;;
  env) echo "LAB=$LAB"; echo "VENV=$VENV"; echo "DATA_CACHE=$DATA_CACHE"; echo "CLOUDS=$CLOUDS"
       echo "PORT_BASE=$PORT_BASE"; echo "DB_PORT=$DB_PORT"; echo "API_WORKERS=$API_WORKERS";;
  stop) [ -n "${2:-}" ] || die "usage: $0 stop SERVICE"; cmd_stop "$2";;
  start) [ -n "${2:-}" ] || die "usage: $0 start SERVICE"; cmd_start "$2";;
  restart) [ -n "${2:-}" ] || die "usage: $0 restart SERVICE"; cmd_stop "$2"; cmd_start "$2";;
  relay-loop) relay_loop;;   # internal: started by up (spawn_relay)
  *) echo "usage: $0 up|down|status|env|stop SERVICE|start SERVICE" >&2; exit 2;;
esac
