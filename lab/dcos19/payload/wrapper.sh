#!/usr/bin/env bash
# dcos_generate_config.sh -- DC/OS 1.9.10 lab stand-in (dcos-vsphere lab).
# Like the real one: needs a working `docker version`, must run from the
# directory that contains genconf/, creates genconf/state, and carries its
# payload after the #EOF# line. Unlike the real one the payload is not a
# docker image but the python3 generator and the stand-in packages.
set -o errexit -o nounset -o pipefail

if ! docker version >/dev/null 2>&1; then
  echo "dcos_generate_config.sh: 'docker version' failed: Docker must be installed and running to run the DC/OS installer" >&2
  exit 1
fi
if [ ! -d genconf ]; then
  echo "dcos_generate_config.sh: no genconf/ directory in $(pwd); run it from the directory that contains genconf/ (config.yaml, ip-detect)" >&2
  exit 1
fi
PY=
for candidate in /usr/bin/python3 "$(command -v python3 || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import yaml' >/dev/null 2>&1; then
    PY=$candidate
    break
  fi
done
if [ -z "$PY" ]; then
  echo "dcos_generate_config.sh: the lab stand-in needs python3 with PyYAML (Debian: python3 python3-yaml)" >&2
  exit 1
fi
mkdir -p genconf/state

set +o errexit
"$PY" - "$0" "$@" <<'PYEOF'
import io, sys, tarfile
data = open(sys.argv[1], 'rb').read()
marker = b'\n#EOF' + b'#\n'
payload = data[data.index(marker) + len(marker):]
with tarfile.open(fileobj=io.BytesIO(payload), mode='r:gz') as tar:
    source = tar.extractfile('dcos_genconf.py').read()
glb = {'__name__': '__dcos_genconf__', 'PAYLOAD': payload, 'ARGV': sys.argv[2:]}
exec(compile(source, 'dcos_genconf.py', 'exec'), glb)
PYEOF
exit $?
