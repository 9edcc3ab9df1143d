# dcos_standin -- the long-running DC/OS 1.9 lab stand-in services (Exhibitor,
# Mesos master, Mesos agent, 3dt) in one stdlib-only module.
#
# The scripts in packages/*/bin/ import it from /opt/mesosphere/active/mesos/lib
# (every node activates every package). A steady round starts no process: HTTP
# goes over plain sockets, the agent's source-address check is a UDP
# connect()+getsockname(), files are replaced with a temp file + os.replace,
# and 3dt reads the systemctl stand-in's run state instead of running
# `systemctl is-active` (the lab's stand-in for 3dt asking systemd over D-Bus).
# Only ip-detect runs as a process, once when a service starts.
#
# Behaviour, file formats and messages match the former bash loops (they used
# /opt/mesosphere/lib/dcos-standin.sh); see lab/dcos19/README.md.
import json
import os
import re
import signal
import socket
import sys
import time

STATE = '/var/lib/dcos/standin'
WWW = STATE + '/www'
HEALTH = STATE + '/health'
AGENTS = STATE + '/agents'
UNITS_DIR = '/etc/systemd/system'
# Run state of the systemctl stand-ins (lab/personality/systemctl and the
# dcos19 tests' testdata/systemctl): <unit>.pid, <unit>.result, <unit>.ok.
SYSTEMD_RUN = '/run/standin-systemd'
DETECT_IP = '/opt/mesosphere/bin/detect_ip'
MASTER_LIST = '/opt/mesosphere/etc/master_list'
ROLES_DIR = '/etc/mesosphere/roles'
DCOS_VERSION = '1.9.10'
# Ports the services ask each other on (names for the unit tests).
EXHIBITOR_PORT = 8181
MASTER_PORT = 5050
MASTER_3DT_PORT = 1050

# ip-detect and anything it runs see /opt/mesosphere/bin first, as before.
os.environ['PATH'] = '/opt/mesosphere/bin:' + os.environ.get(
    'PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')

_IPV4 = re.compile(r'[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}')
_IPV4_ANY = re.compile(r'[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+')


def _env_number(name, default, kind):
    try:
        return kind(os.environ.get(name, '') or default)
    except ValueError:
        return kind(default)


def interval():
    """Seconds between two rounds (STANDIN_INTERVAL, default 1)."""
    return _env_number('STANDIN_INTERVAL', 1, float)


def max_iterations():
    """The bound on every service loop (STANDIN_MAX_ITERATIONS, about a day)."""
    return _env_number('STANDIN_MAX_ITERATIONS', 100000, int)


def stale_seconds():
    """A heartbeat older than this is unhealthy (STANDIN_STALE_SECONDS, 20)."""
    return _env_number('STANDIN_STALE_SECONDS', 20, int)


def log(msg):
    sys.stdout.write('%s %s\n' % (time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), msg))
    sys.stdout.flush()


def err(msg):
    sys.stderr.write(msg + '\n')
    sys.stderr.flush()


def json_escape(s):
    """Escapes backslashes and double quotes, as standin_json_escape did."""
    return s.replace('\\', '\\\\').replace('"', '\\"')


def role():
    """master, slave or slave_public from /etc/mesosphere/roles, else None."""
    for r in ('master', 'slave', 'slave_public'):
        if os.path.exists(os.path.join(ROLES_DIR, r)):
            return r
    return None


def masters():
    """master_list of the cluster config (every dotted quad, in file order)."""
    try:
        with open(MASTER_LIST, encoding='utf-8', errors='replace') as f:
            return _IPV4_ANY.findall(f.read())
    except OSError:
        return []


def valid_ipv4(ip):
    """A dotted quad with every octet <= 255 (check_ip of dcos-config)."""
    return _IPV4.fullmatch(ip) is not None and all(int(o) <= 255 for o in ip.split('.'))


def detect_ip():
    """Runs the node's ip-detect once (30 s bound) and returns its validated
    output, or None after printing why on stderr."""
    import subprocess
    try:
        p = subprocess.run([DETECT_IP], stdout=subprocess.PIPE, timeout=30)
        ok = p.returncode == 0
    except (OSError, subprocess.SubprocessError) as e:
        err('%s: %s' % (DETECT_IP, e))
        ok = False
    if not ok:
        err('ip-detect script %s failed (exit status non-zero)' % DETECT_IP)
        return None
    out = b''.join(p.stdout.split()).decode('utf-8', 'replace')
    if not valid_ipv4(out):
        err("ip-detect script %s printed '%s', not an IPv4 address" % (DETECT_IP, out))
        return None
    return out


def http(method, host, port, path, body=None, source=None, connect_timeout=1.0, max_time=2.0):
    """One HTTP/1.0 request like `curl -fsS --connect-timeout 1 --max-time 2`
    (with --interface SOURCE when source is set). Returns the response body
    for a status below 400, else None."""
    deadline = time.monotonic() + max_time
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    chunks = []
    try:
        if source:
            s.bind((source, 0))
        s.settimeout(min(connect_timeout, max_time))
        s.connect((host, port))
        head = '%s %s HTTP/1.0\r\nHost: %s:%d\r\nUser-Agent: dcos-standin\r\nAccept: */*\r\n' % (
            method, path, host, port)
        if body is not None:
            head += 'Content-Length: %d\r\n' % len(body)
        s.settimeout(max(deadline - time.monotonic(), 0.001))
        s.sendall(head.encode() + b'\r\n' + (body or b''))
        size = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            s.settimeout(left)
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
            size += len(c)
            if size > 1 << 20:  # the stand-in's files are tiny
                return None
    except OSError:  # includes timeouts and a source address this host lacks
        return None
    finally:
        s.close()
    head, sep, rest = b''.join(chunks).partition(b'\r\n\r\n')
    if not sep:
        return None
    lines = head.split(b'\r\n')
    status = lines[0].split()
    if len(status) < 2 or not status[0].startswith(b'HTTP/') or not status[1].isdigit():
        return None
    if int(status[1]) >= 400:
        return None
    for line in lines[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'content-length' and value.strip().isdigit() \
                and len(rest) < int(value.strip()):
            return None  # cut short, as curl reports a partial transfer
    return rest


def get(host, port, path, source=None):
    b = http('GET', host, port, path, source=source)
    return None if b is None else b.decode('utf-8', 'replace')


def route_source(dst):
    """The source address this host uses towards dst (what `ip -4 route get`
    prints as src); a UDP connect() only looks up the route, it sends nothing."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((dst, 9))
        return s.getsockname()[0]
    except OSError:
        return ''
    finally:
        s.close()


def write(path, text):
    """Replaces path atomically with text and a newline (nginx serves these
    files: never a partial one). Returns False when the file system refuses."""
    tmp = '%s.tmp.%d' % (path, os.getpid())
    data = (text + '\n').encode()
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except FileNotFoundError:  # state dir removed underneath us
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
        return True
    except OSError:
        remove(tmp)
        return False
    except BaseException:  # e.g. SIGTERM's SystemExit: leave no temp file
        remove(tmp)
        raise


def health(unit, code, msg):
    """Records a unit's health (0 healthy) and a short message: its heartbeat."""
    write(os.path.join(HEALTH, unit), '%d %s' % (code, msg))


def remove(*paths):
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass


def _read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except OSError:
        return None


def _pid_alive(text):
    try:
        pid = int((text or '').strip())
    except ValueError:
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def unit_active(unit):
    """What `systemctl is-active UNIT` answers for a DC/OS unit, read from the
    systemctl stand-in's run state: the unit's pid is alive (and it is not a
    --no-block oneshot still running: result "running" = activating), or a
    oneshot finished with result "success" (lab) or left <unit>.ok (tests)."""
    base = os.path.join(SYSTEMD_RUN, unit)
    result = (_read(base + '.result') or '').strip()
    if _pid_alive(_read(base + '.pid')):
        return result != 'running'
    return result == 'success' or os.path.exists(base + '.ok')


def unit_health(unit, stale, now=None):
    """(code, message) of a unit: not active, a stale heartbeat, or the
    health its service reported. code is a string ("0" healthy)."""
    if not unit_active(unit):
        return '1', unit + ' is not active'
    path = os.path.join(HEALTH, unit)
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is None or not (st.st_mode & 0o170000) == 0o100000:
        return '0', unit + ' is active'
    age = int(now if now is not None else time.time()) - int(st.st_mtime)
    if age > stale:
        return '1', 'no heartbeat from %s for %ds' % (unit, age)
    line = (_read(path) or '').split('\n', 1)[0]
    parts = line.strip(' \t').split(None, 1)
    code = parts[0] if parts else ''
    msg = parts[1].rstrip(' \t') if len(parts) > 1 else ''
    return code or '1', msg or 'no message'


def dcos_units():
    """The units in dcos.target.wants (entries whose target exists), sorted."""
    wants = os.path.join(UNITS_DIR, 'dcos.target.wants')
    try:
        names = os.listdir(wants)
    except OSError:
        return []
    return sorted(n for n in names if n.endswith('.service') and not n.startswith('.')
                  and os.path.exists(os.path.join(wants, n)))


def fresh_files(directory, stale, now):
    """Regular files in directory modified in the last `stale` seconds
    (find -maxdepth 1 -type f -newermt @(now-stale)), sorted by name."""
    out = []
    try:
        with os.scandir(directory) as it:
            for e in it:
                try:
                    if e.is_file(follow_symlinks=False) and e.stat(follow_symlinks=False).st_mtime > now - stale:
                        out.append(e)
                except OSError:
                    pass
    except OSError:
        return []
    return sorted(out, key=lambda e: e.name)


def _on_signal(signum, frame):
    raise SystemExit(0)


class Unregister(BaseException):
    """Raised in the Mesos agent's loop by SIGUSR1: what a real Mesos agent
    does on SIGUSR1 (unregister from the master, then shut down)."""


unregistering = []


def _on_usr1(signum, frame):
    # From here on nothing may cut the unregistration short: `systemctl
    # kill -s SIGUSR1` is followed at once by `systemctl stop` (SIGTERM).
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        signal.signal(s, signal.SIG_IGN)
    unregistering.append(True)
    raise Unregister()


def _serve(loop, cleanup):
    """Runs loop() with SIGTERM/SIGINT ending it cleanly (exit 0), then
    cleanup() however it ended, as the bash traps did."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        loop()
    finally:
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
            signal.signal(s, signal.SIG_IGN)
        cleanup()
    return 0


# --- Exhibitor -----------------------------------------------------------

def exhibitor():
    unit = 'dcos-exhibitor.service'
    my_ip = detect_ip()
    if my_ip is None:
        err('exhibitor: cannot start: ip-detect failed')
        return 1
    ms = sorted(masters())
    if not ms:
        err('exhibitor: master_list is empty')
        return 1
    os.makedirs(WWW, exist_ok=True)
    status_file, self_file = WWW + '/exhibitor-status.json', WWW + '/exhibitor-self.json'

    def cleanup():
        remove(status_file, self_file)
        health(unit, 1, 'exhibitor stopped')

    def loop():
        log('exhibitor stand-in on %s, ensemble %s' % (my_ip, ' '.join(ms)))
        last = ''
        pause = interval()
        sees_all_re = re.compile(r'"sees_all": *true')
        for _ in range(max_iterations()):
            state = {}
            answered = 0
            for m in ms:
                out = get(m, EXHIBITOR_PORT, '/exhibitor/v1/standin/self', source=my_ip)
                if out is None:
                    state[m] = 'down'
                else:
                    answered += 1
                    state[m] = 'serving' if sees_all_re.search(out) else 'notserving'
            sees_all = 'true' if answered == len(ms) else 'false'
            write(self_file, '{"ip": "%s", "sees_all": %s}' % (my_ip, sees_all))
            serving = sum(1 for m in ms if state[m] == 'serving')
            leader = ms[0] if serving == len(ms) else ''
            entries = []
            for m in ms:
                if state[m] == 'serving':
                    entries.append('{"code": 3, "description": "serving", "hostname": "%s", "isLeader": %s}'
                                   % (m, 'true' if m == leader else 'false'))
                elif state[m] == 'notserving':
                    entries.append('{"code": 2, "description": "not serving", "hostname": "%s", "isLeader": false}' % m)
                else:
                    entries.append('{"code": 1, "description": "down", "hostname": "%s", "isLeader": false}' % m)
            write(status_file, '[%s]' % ','.join(entries))
            if state.get(my_ip, 'down') == 'serving' and leader:
                health(unit, 0, 'serving, leader %s' % leader)
            else:
                health(unit, 1, 'not serving: %d of %d masters answer on :8181' % (answered, len(ms)))
            summary = 'answered=%d serving=%d leader=%s' % (answered, serving, leader or 'none')
            if summary != last:
                log(summary)
                last = summary
            time.sleep(pause)

    return _serve(loop, cleanup)


# --- Mesos master ----------------------------------------------------------

def mesos_master():
    unit = 'dcos-mesos-master.service'
    my_ip = detect_ip()
    if my_ip is None:
        err('mesos-master: cannot start: ip-detect failed')
        return 1
    os.makedirs(WWW, exist_ok=True)
    os.makedirs(AGENTS, exist_ok=True)
    snapshot, slaves_file = WWW + '/mesos-master-snapshot.json', WWW + '/mesos-master-slaves.json'
    registry = AgentRegistry(mesos_master_id())

    def cleanup():
        remove(snapshot, slaves_file)
        health(unit, 1, 'mesos master stopped')

    def loop():
        started = int(time.time())
        log('mesos master stand-in on %s' % my_ip)
        last = ''
        pause, stale = interval(), stale_seconds()
        leader_re = re.compile(r'"hostname": "([0-9.]+)", "isLeader": true')
        for _ in range(max_iterations()):
            recovered = elected = 0
            leader = ''
            status = get(my_ip, EXHIBITOR_PORT, '/exhibitor/v1/cluster/status')
            for found in leader_re.finditer(status or ''):
                quad = _IPV4_ANY.search(found.group(1))
                if quad:
                    leader = quad.group(0)
                    break
            if leader:
                recovered = 1
                elected = 1 if leader == my_ip else 0
            now = int(time.time())
            # Every master lists the agents it has records of: clients reach
            # /master/slaves through Admin Router's /mesos/, which goes to
            # the leader (leader.mesos), so any master answers with the
            # leader's list. Only the leader counts them as active.
            agents = registry.update(fresh_files(AGENTS, stale, now), now)
            active = len(agents) if elected else 0
            write(slaves_file, slaves_json(agents))
            write(snapshot, '{"registrar/log/recovered": %d, "master/elected": %d, "master/slaves_active": %d, '
                  '"master/slaves_connected": %d, "master/uptime_secs": %d}'
                  % (recovered, elected, active, active, now - started))
            if recovered:
                health(unit, 0, 'registrar recovered, leader %s' % leader)
            else:
                health(unit, 1, 'registrar not recovered: Exhibitor has no leader yet')
            summary = 'recovered=%d elected=%d agents=%d' % (recovered, elected, active)
            if summary != last:
                log(summary)
                last = summary
            time.sleep(pause)

    return _serve(loop, cleanup)


def mesos_master_id():
    """This master's id (a uuid4 kept in the state directory), the prefix of
    its agents' ids."""
    path = os.path.join(STATE, 'mesos-master-id')
    mid = (_read(path) or '').strip()
    if not mid:
        import uuid
        mid = str(uuid.uuid4())
        write(path, mid)
    return mid


class AgentRegistry:
    """The agents the leading master lists: one per fresh record, with an id
    given when it (re)appears (<master id>-S<n>, as Mesos names agents: one
    that re-registers after being dropped is a new agent) and dropped as soon
    as its record is gone (the agent unregistered: it DELETEd its record) or
    stale (it stopped without unregistering: the stand-in for Mesos's
    agent health checks)."""

    def __init__(self, master_id):
        self.master_id = master_id
        self.next = 0
        self.known = {}  # ip -> (id, registered_time)

    def update(self, entries, now):
        """entries: os.DirEntry records (fresh_files). Returns the listed
        agents, sorted by ip: dicts with ip, id, role, registered_time."""
        out = []
        seen = set()
        for e in entries:
            if not valid_ipv4(e.name):
                continue
            seen.add(e.name)
            if e.name not in self.known:
                self.known[e.name] = ('%s-S%d' % (self.master_id, self.next), now)
                self.next += 1
            aid, since = self.known[e.name]
            arole = 'agent_public' if '"agent_public"' in (_read(e.path) or '') else 'agent'
            out.append({'ip': e.name, 'id': aid, 'role': arole, 'registered_time': since})
        for ip in list(self.known):
            if ip not in seen:
                del self.known[ip]
        return sorted(out, key=lambda a: a['ip'])


def slaves_json(agents):
    """/master/slaves of Mesos 1.2 for the listed agents: id, pid
    (slave(1)@IP:5051), hostname (the IP, as DC/OS agents report it), port,
    active, registered_time, resources and, on public agents, the attribute
    public_ip:true DC/OS 1.9 gives them."""
    out = []
    for a in agents:
        attrs = '{"public_ip": "true"}' if a['role'] == 'agent_public' else '{}'
        out.append('{"id": "%s", "pid": "slave(1)@%s:5051", "hostname": "%s", "port": 5051, "active": true, '
                   '"registered_time": %d.0, "attributes": %s, "resources": {"cpus": 4, "mem": 14019, "disk": 35572}}' % (a['id'], a['ip'], a['ip'], a['registered_time'], attrs))
    return '{"slaves": [%s], "recovered_slaves": []}' % ','.join(out)


# --- Mesos agent -----------------------------------------------------------

def docker_config():
    """The agent's --docker_config as Mesos 1.2 loads its flags: the value of
    MESOS_DOCKER_CONFIG (DC/OS writes it to mesos-slave-common when
    cluster_docker_credentials_enabled is true); a file:// value is read once,
    at start. Returns (JSON text or None, error message or None)."""
    value = os.environ.get('MESOS_DOCKER_CONFIG', '')
    if not value:
        return None, None
    failed = "Failed to load flag 'docker_config': Failed to load value '%s': " % value
    text = value
    if value.startswith('file://'):
        path = value[len('file://'):]
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except OSError as e:
            return None, failed + "Error reading file '%s': %s" % (path, e.strerror or e)
    try:
        doc = json.loads(text)
    except ValueError as e:
        return None, failed + 'syntax error: %s' % e
    if not isinstance(doc, dict):
        return None, failed + 'Expecting a JSON object'
    return text, None


def docker_config_snapshot():
    """Where the running agent keeps the --docker_config it loaded (0600): what
    the lab's mesos-docker-pull uses, as Mesos uses the value in its memory."""
    return os.path.join(STATE, 'agent-docker-config.json')


def mesos_agent(unit='dcos-mesos-slave.service'):
    config, problem = docker_config()
    if problem:
        # Mesos prints this (and its usage) and exits: the agent never starts.
        err(problem)
        health(unit, 1, problem)
        return 1
    snapshot_config = docker_config_snapshot()
    remove(snapshot_config)
    my_ip = detect_ip()
    if my_ip is None:
        err('mesos-agent: cannot start: ip-detect failed')
        return 1
    if config is not None:
        os.makedirs(STATE, exist_ok=True)
        fd = os.open(snapshot_config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(config)
    node_role = 'agent_public' if role() == 'slave_public' else 'agent'
    ms = sorted(masters())
    os.makedirs(WWW, exist_ok=True)
    snapshot = WWW + '/mesos-agent-snapshot.json'
    record = ('{"ip": "%s", "hostname": "%s", "role": "%s"}\n'
              % (my_ip, json_escape(socket.gethostname()), node_role)).encode()

    def cleanup():
        remove(snapshot, snapshot_config)
        if not unregistering:
            health(unit, 1, 'mesos agent stopped')
            return
        # Unregister: every master drops this agent at once (its next round).
        done = [m for m in ms if http('DELETE', m, MASTER_PORT, '/standin/agents/' + my_ip, source=my_ip) is not None]
        log('unregistered from %d of %d masters (%s)' % (len(done), len(ms), ' '.join(done) or 'none'))
        health(unit, 1, 'mesos agent unregistered and stopped')

    import mesos_tasks
    tasks = mesos_tasks.Tasks(my_ip, ms)

    def loop():
        try:
            rounds()
        except Unregister:
            log('received SIGUSR1: unregistering from the masters and shutting down')

    def rounds():
        started = int(time.time())
        log('mesos agent stand-in (%s) on %s, masters %s' % (unit, my_ip, ' '.join(ms)))
        last = ''
        pause = interval()
        for _ in range(max_iterations()):
            registered = 0
            answered = []
            reason = 'no master in master_list answers on :5050'
            for m in ms:
                src = route_source(m)
                if src != my_ip:
                    reason = 'ip-detect prints %s but this host reaches master %s from %s' % (my_ip, m, src or 'nowhere')
                    continue
                if http('GET', m, MASTER_PORT, '/metrics/snapshot', source=my_ip) is None:
                    continue
                if http('PUT', m, MASTER_PORT, '/standin/agents/' + my_ip, body=record, source=my_ip) is not None:
                    registered = 1
                    answered.append(m)
                    reason = 'registered with %s' % m
            if registered:
                tasks.round(answered)  # a registered agent runs the tasks Marathon gives it
            write(snapshot, '{"slave/registered": %d, "slave/uptime_secs": %d}'
                  % (registered, int(time.time()) - started))
            if registered:
                health(unit, 0, reason)
            else:
                health(unit, 1, 'not registered: ' + reason)
            if reason != last:
                log(reason)
                last = reason
            time.sleep(pause)

    signal.signal(signal.SIGUSR1, _on_usr1)
    return _serve(loop, cleanup)


# --- 3dt -------------------------------------------------------------------

_UNHEALTHY = re.compile(r'"health": *[1-9]')


def diag():
    """3dt -diag: prints every unhealthy DC/OS unit; 1 if any (or none installed)."""
    stale = stale_seconds()
    units = dcos_units()
    bad = 0
    for u in units:
        code, msg = unit_health(u, stale)
        if code != '0':
            print('%s: unhealthy: %s' % (u, msg))
            bad = 1
    if not units:
        print('no DC/OS units found in %s' % os.path.join(UNITS_DIR, 'dcos.target.wants'))
        return 1
    sys.stdout.flush()
    return bad


def units_json(stale):
    out = []
    for u in dcos_units():
        code, msg = unit_health(u, stale)
        h = int(code) if re.fullmatch(r'-?[0-9]+', code) else 1
        out.append('{"id": "%s", "name": "%s", "health": %d, "output": "%s", '
                   '"description": "DC/OS lab stand-in unit", "help": ""}' % (u, u, h, json_escape(msg)))
    return '[%s]' % ','.join(out)


def threedt_daemon():
    unit = 'dcos-3dt.service'
    my_ip = detect_ip()
    if my_ip is None:
        err('3dt: cannot start: ip-detect failed')
        return 1
    r = role()
    if r is None:
        err('3dt: no role in /etc/mesosphere/roles')
        return 1
    node_role, port = {'master': ('master', 1050), 'slave': ('agent', 61001)}.get(r, ('agent_public', 61001))
    os.makedirs(WWW, exist_ok=True)
    files = [WWW + '/3dt-units.json', WWW + '/3dt-health.json', WWW + '/3dt-nodes.json']

    def cleanup():
        remove(*files)

    def loop():
        log('3dt stand-in for %s %s on :%d' % (node_role, my_ip, port))
        pause, stale = interval(), stale_seconds()
        for _ in range(max_iterations()):
            health(unit, 0, '3dt is running')
            units = units_json(stale)
            write(files[0], '{"units": %s}' % units)
            write(files[1], '{"units": %s, "hostname": "%s", "ip": "%s", "dcos_version": "%s", "node_role": "%s", '
                  '"mesos_id": "", "3dt_version": "0.3.0-standin"}'
                  % (units, json_escape(socket.gethostname()), my_ip, DCOS_VERSION, node_role))
            if r == 'master':
                nodes = []
                for m in sorted(masters()):
                    body = get(m, MASTER_3DT_PORT, '/system/health/v1')
                    h = 1 if body is None or _UNHEALTHY.search(body) else 0
                    nodes.append('{"host_ip": "%s", "health": %d, "role": "master"}' % (m, h))
                # Agents are not polled (the stand-in only talks to master_list
                # IPs): a fresh registration record counts as healthy.
                for e in fresh_files(AGENTS, stale, int(time.time())):
                    if not valid_ipv4(e.name):
                        continue
                    arole = 'agent_public' if '"agent_public"' in (_read(e.path) or '') else 'agent'
                    nodes.append('{"host_ip": "%s", "health": 0, "role": "%s"}' % (e.name, arole))
                write(files[2], '{"nodes": [%s]}' % ','.join(nodes))
            time.sleep(pause)

    return _serve(loop, cleanup)


def threedt(argv):
    arg = argv[1] if len(argv) > 1 else ''
    if arg in ('-diag', '--diag'):
        return diag()
    if arg in ('daemon', ''):
        return threedt_daemon()
    err('usage: 3dt -diag | 3dt daemon (lab stand-in)')
    return 2
