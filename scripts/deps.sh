#!/usr/bin/env bash
# Installs the Debian packages the lab and the tests need. Safe to re-run:
# it only calls apt-get when something is missing.
set -euo pipefail
# docker-registry (distribution 2.8) is the lab registry's backend; the lab
# runs it with its own config on 127.0.0.1, never as the package's service.
pkgs=(openssh-server openssh-client iproute2 nginx-light curl xz-utils unzip ipset iputils-ping tar procps psmisc sudo python3 python3-yaml openssl util-linux passwd nftables tmux docker-registry)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing ${missing[*]}; run as root (or install them) to enable the lab tests" >&2
  exit 0
fi
registry=0
for p in "${missing[@]}"; do [ "$p" = docker-registry ] && registry=1; done
# The package would start its own registry on :5000 on all interfaces: keep
# its service from starting (a policy-rc.d for that service only, unless the
# machine has one already) and disable it afterwards.
policy=/usr/sbin/policy-rc.d
ours=0
if [ $registry = 1 ] && [ ! -e $policy ]; then
  printf '#!/bin/sh\n# dcos-vsphere deps.sh: no docker-registry service\n[ "$1" = docker-registry ] && exit 101\nexit 0\n' > $policy
  chmod 755 $policy
  ours=1
fi
cleanup() { if [ $ours = 1 ]; then rm -f $policy; fi; }
trap cleanup EXIT
echo "deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ $registry = 1 ] && [ -d /run/systemd/system ]; then
  systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
fi
