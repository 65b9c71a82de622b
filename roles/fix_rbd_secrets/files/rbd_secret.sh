#!/bin/sh
# rbd_secret.sh UUID USAGE_NAME KEYRING USER PERSIST_DIR TIMEOUT [EXEC PREFIX...]
# Define libvirt secret UUID (usage type ceph) if it is missing and set its value to client.USER's
# key from KEYRING, the way kolla-ansible (nova-cell/templates/secret.xml.j2) and charm-nova-compute
# (create_libvirt_secret) do it. The key is read here and handed to virsh on stdin
# (secret-set-value --file /dev/stdin): it is never an argument, never printed. Prints DEFINED,
# VALUE_SET, UNCHANGED lines; errors on stderr. PERSIST_DIR (kolla: /etc/kolla/nova-libvirt/secrets,
# loaded by nova_libvirt when it starts) gets <uuid>.xml and <uuid>.base64 too; "-" for none.
# EXEC PREFIX: empty for the host's virsh, else e.g. "podman exec -i nova_libvirt".
set -u
uuid=$1 usage=$2 keyring=$3 user=$4 persist=$5 seconds=$6
shift 6
run_virsh() { timeout "$seconds" "$@"; }
[ -r "$keyring" ] || { echo "cannot read keyring $keyring" >&2; exit 3; }
key=$(awk -v s="[client.$user]" '
  { line=$0; gsub(/^[ \t]+|[ \t]+$/, "", line) }
  line == s { f=1; next }
  line ~ /^\[/ { f=0 }
  f && line ~ /^key[ \t]*=/ { sub(/^key[ \t]*=[ \t]*/, "", line); print line; exit }' "$keyring")
[ -n "$key" ] || { echo "no key for client.$user in $keyring" >&2; exit 3; }
printf '%s' "$key" | base64 -d >/dev/null 2>&1 || { echo "the key of client.$user in $keyring is not base64" >&2; exit 3; }
xml="<secret ephemeral='no' private='no'>
  <uuid>$uuid</uuid>
  <usage type='ceph'>
    <name>$usage</name>
  </usage>
</secret>"
if ! run_virsh "$@" virsh -c qemu:///system secret-dumpxml "$uuid" >/dev/null 2>&1; then
  printf '%s\n' "$xml" | run_virsh "$@" virsh -c qemu:///system secret-define --file /dev/stdin >/dev/null || exit 4
  echo "DEFINED"
fi
want=$(printf '%s' "$key" | base64 -d | sha256sum | cut -d' ' -f1)
have=$(run_virsh "$@" virsh -c qemu:///system secret-get-value "$uuid" 2>/dev/null | base64 -d 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ "$want" != "$have" ]; then
  printf '%s' "$key" | run_virsh "$@" virsh -c qemu:///system secret-set-value --secret "$uuid" --file /dev/stdin >/dev/null || exit 5
  echo "VALUE_SET"
else
  echo "UNCHANGED"
fi
if [ "$persist" != "-" ]; then
  umask 077
  mkdir -p "$persist"
  if [ ! -f "$persist/$uuid.xml" ]; then printf '%s\n' "$xml" > "$persist/$uuid.xml"; echo "PERSISTED_XML"; fi
  old=$(cat "$persist/$uuid.base64" 2>/dev/null | base64 -d 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ "$old" != "$want" ]; then printf '%s' "$key" > "$persist/$uuid.base64"; echo "PERSISTED_VALUE"; fi
fi
exit 0
