# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Helpers shared by the DC/OS 1.9 lab stand-in services (sourced, not run).
# State lives under /var/lib/dcos/standin, which is private to each lab host.

PATH=/opt/mesosphere/bin:${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
export PATH

STANDIN_STATE=/var/lib/dcos/standin
STANDIN_WWW=$STANDIN_STATE/www
STANDIN_HEALTH=$STANDIN_STATE/health
STANDIN_AGENTS=$STANDIN_STATE/agents
STANDIN_UNITS_DIR=/etc/systemd/system
# Poll interval and the bound on every service loop (about a day by default).
STANDIN_INTERVAL=${STANDIN_INTERVAL:-1}
STANDIN_MAX_ITERATIONS=${STANDIN_MAX_ITERATIONS:-100000}
# A unit whose heartbeat is older than this is reported unhealthy by 3dt.
STANDIN_STALE_SECONDS=${STANDIN_STALE_SECONDS:-20}
STANDIN_DCOS_VERSION=1.9.10

standin_log() {
  local ts
  TZ=UTC0 printf -v ts '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  printf '%s %s\n' "$ts" "$*"
}

# standin_role_var sets STANDIN_ROLE to master, slave or slave_public from
# /etc/mesosphere/roles (standin_role without a subshell); fails if none.
standin_role_var() {
  local r
  STANDIN_ROLE=""
  for r in master slave slave_public; do
    [ -e "/etc/mesosphere/roles/$r" ] && { STANDIN_ROLE=$r; return 0; }
  done
  return 1
}

# standin_role prints master, slave or slave_public from /etc/mesosphere/roles.
standin_role() {
  local r
  for r in master slave slave_public; do
    if [ -e "/etc/mesosphere/roles/$r" ]; then
      echo "$r"
      return 0
    fi
  done
  return 1
}

# standin_masters prints master_list of the cluster config, one IP a line.
standin_masters() {
  grep -oE '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' /opt/mesosphere/etc/master_list
}

# standin_masters_var sets the array STANDIN_MASTERS to master_list, what
# standin_masters prints, without a process (and without a pipe: a reader
# that stops early cannot make it fail); fails when there is none.
standin_masters_var() {
  local s re='[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+'
  STANDIN_MASTERS=()
  { s=$(</opt/mesosphere/etc/master_list); } 2>/dev/null || return 2
  while [[ $s =~ $re ]]; do
    STANDIN_MASTERS+=("${BASH_REMATCH[0]}")
    s=${s#*"${BASH_REMATCH[0]}"}
  done
  [ ${#STANDIN_MASTERS[@]} -gt 0 ]
}

# standin_valid_ipv4 succeeds for a dotted quad with every octet <= 255
# (what check_ip in the dcos-config package demands).
standin_valid_ipv4() {
  local ip=$1 octet
  [[ $ip =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
  IFS=. read -r -a octets <<<"$ip"
  for octet in "${octets[@]}"; do
    (( 10#$octet <= 255 )) || return 1
  done
}

# standin_detect_ip runs the node's ip-detect and prints its validated output.
standin_detect_ip() {
  standin_detect_ip_var || return 1
  echo "$STANDIN_IP"
}

# standin_detect_ip_var is standin_detect_ip setting STANDIN_IP instead of
# printing it (messages on stderr all the same).
standin_detect_ip_var() {
  local out
  STANDIN_IP=""
  if ! out=$(timeout 30 /opt/mesosphere/bin/detect_ip); then
    echo "ip-detect script /opt/mesosphere/bin/detect_ip failed (exit status non-zero)" >&2
    return 1
  fi
  out=${out//[[:space:]]/}
  if ! standin_valid_ipv4 "$out"; then
    echo "ip-detect script /opt/mesosphere/bin/detect_ip printed '$out', not an IPv4 address" >&2
    return 1
  fi
  STANDIN_IP=$out
}

# standin_get fetches a URL with bounded timeouts; extra curl args follow.
standin_get() {
  local url=$1
  shift
  curl -fsS --connect-timeout 1 --max-time 2 "$@" "$url"
}

# standin_write replaces a file atomically with the given content.
standin_write() {
  local file=$1 content=$2
  [ -d "${file%/*}" ] || mkdir -p "${file%/*}"
  printf '%s\n' "$content" >"$file.tmp.$$"
  mv -f "$file.tmp.$$" "$file"
}

# standin_health records a unit's health (0 healthy) and a short message.
standin_health() {
  standin_write "$STANDIN_HEALTH/$1" "$2 $3"
}

# standin_unit_health prints "<code> <message>" for a unit: not active, a
# stale heartbeat or the health its service reported.
standin_unit_health() {
  local unit=$1 file code msg age
  if ! systemctl is-active "$unit" >/dev/null 2>&1; then
    echo "1 $unit is not active"
    return
  fi
  file=$STANDIN_HEALTH/$unit
  if [ ! -f "$file" ]; then
    echo "0 $unit is active"
    return
  fi
  age=$(( $(date +%s) - $(stat -c %Y "$file") ))
  if (( age > STANDIN_STALE_SECONDS )); then
    echo "1 no heartbeat from $unit for ${age}s"
    return
  fi
  read -r code msg <"$file"
  echo "${code:-1} ${msg:-no message}"
}

# standin_json_escape escapes a string for use inside JSON quotes.
standin_json_escape() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '%s' "$s"
}
