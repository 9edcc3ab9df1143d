#!/usr/bin/env bash
# make demo: start the built-in lab, install DC/OS 1.9 on it unattended
# (1 bootstrap + 3 masters + 2 agents + 1 public agent), print the summary
# and status, and tear the lab down on exit or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] || [ "$(uname -s)" != Linux ]; then
  echo "make demo needs root on Linux: the lab creates network namespaces, a bridge and mounts" >&2
  exit 2
fi
BIN=bin/dcos-vsphere
DIR=${DEMO_DIR:-$(mktemp -d /tmp/dcos-vsphere-demo.XXXXXX)}
# The lab cluster is registered with a DC/OS CLI directory of its own,
# never with yours (~/.dcos).
export DCOS_DIR="$DIR/dcos-cli"
down() { "$BIN" lab down --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap down EXIT
trap 'exit 130' INT TERM

echo "==> lab up (simulated vCenter + namespace hosts) in $DIR"
# DEMO_LAB_ARGS changes the lab, e.g. on a machine where another lab runs at
# the defaults: DEMO_LAB_ARGS="--bridge dvdemo1 --subnet 198.18.1.0/24 --prefix dvdemo1-"
# shellcheck disable=SC2086
"$BIN" lab up --dir "$DIR" --detach --masters 3 --agents 2 --public-agents 1 ${DEMO_LAB_ARGS:-}
echo
echo "==> dcos-vsphere install --config $DIR/cluster.yaml"
start=$(date +%s)
"$BIN" install --config "$DIR/cluster.yaml" --no-tui
echo "(install took $(( $(date +%s) - start ))s)"
echo
echo "==> dcos-vsphere status --config $DIR/cluster.yaml"
"$BIN" status --config "$DIR/cluster.yaml"
echo
echo "==> lab down"
