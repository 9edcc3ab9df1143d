#!/usr/bin/env bash
# ip-detect-public for three-masters-explicit.yaml: the address on ens224.
set -o nounset -o errexit
ip -4 -o addr show dev ens224 | awk '{split($4, a, "/"); print a[1]; exit}'
