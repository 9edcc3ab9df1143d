#!/usr/bin/env bash
# A user-supplied ip-detect (dcos.ipDetect.method: script), copied verbatim
# into genconf/ip-detect. This one asks a local metadata file.
set -o nounset -o errexit -o pipefail
ip=$(head -n 1 /etc/node-address)
printf '%s\n' "$ip"
