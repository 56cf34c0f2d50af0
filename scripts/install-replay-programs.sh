#!/usr/bin/env bash
# The Debian programs the podman replay (scripts/replay.py, ADR 0048) runs on: installed only
# when missing, so a machine that has them is not touched. podman needs runc (crun refuses this
# machine kind's cgroup layout), netavark with iptables for its networks and catatonit as the
# containers' init; mmdebstrap builds the stand-ins' Debian base, which no image registry
# provides here.
set -euo pipefail

declare -A package_of=(
  [podman]=podman [runc]=runc [netavark]=netavark [aardvark-dns]=aardvark-dns
  [iptables]=iptables [catatonit]=catatonit [mmdebstrap]=mmdebstrap [skopeo]=skopeo
  [newuidmap]=uidmap [fuse-overlayfs]=fuse-overlayfs [slirp4netns]=slirp4netns
)
missing=()
for program in "${!package_of[@]}"; do
  if ! command -v "$program" >/dev/null 2>&1 && [ ! -x "/usr/lib/podman/$program" ]; then
    missing+=("${package_of[$program]}")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "installing the replay's Debian packages: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "the replay needs Debian's ${missing[*]} and this machine has no apt-get" >&2
  exit 1
fi
sudo_if_needed=()
[ "$(id -u)" -eq 0 ] || sudo_if_needed=(sudo)
"${sudo_if_needed[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_if_needed[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
