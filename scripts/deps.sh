#!/usr/bin/env bash
# Installs the Debian packages the lab and the tests need. Safe to re-run:
# it only calls apt-get when something is missing.
set -euo pipefail
pkgs=(openssh-server openssh-client iproute2 nginx-light curl xz-utils unzip ipset iputils-ping tar procps psmisc sudo python3 python3-yaml util-linux passwd nftables tmux)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing ${missing[*]}; run as root (or install them) to enable the lab tests" >&2
  exit 0
fi
echo "deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
