package dcos19

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStandinServicesPython runs unit tests of the stand-in services'
// shared module (payload/packages/mesos/lib/dcos_standin.py) with the
// machine's python3: no lab, no root; the services talk to a small HTTP
// server on 127.0.0.1 that serves their files as the node's nginx would.
func TestStandinServicesPython(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("needs /usr/bin/python3 (the stand-in services' interpreter)")
	}
	lib, err := filepath.Abs("payload/packages/mesos/lib")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-IS", "-c", standinPyTests, lib, t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("python unit tests:\n%s", out)
	if err != nil {
		t.Fatalf("python unit tests failed: %v", err)
	}
}

const standinPyTests = `
import http.server, io, json, os, re, signal, subprocess, sys, threading, time, unittest
from contextlib import redirect_stdout, redirect_stderr
LIB, TMP = sys.argv[1], sys.argv[2]
sys.dont_write_bytecode = True
sys.path.insert(0, LIB)
import dcos_standin as d

n = [0]
def tmpdir():
    n[0] += 1
    p = os.path.join(TMP, 't%d' % n[0])
    os.makedirs(p)
    return p

def script(path, body):
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n' + body + '\n')
    os.chmod(path, 0o755)

def point_at(root):
    """Moves every path of the module under root (as one node)."""
    d.STATE = root + '/standin'
    d.WWW, d.HEALTH, d.AGENTS = d.STATE + '/www', d.STATE + '/health', d.STATE + '/agents'
    d.UNITS_DIR, d.SYSTEMD_RUN = root + '/systemd', root + '/run'
    d.DETECT_IP, d.MASTER_LIST, d.ROLES_DIR = root + '/detect_ip', root + '/master_list', root + '/roles'
    for p in (d.UNITS_DIR + '/dcos.target.wants', d.SYSTEMD_RUN, d.ROLES_DIR):
        os.makedirs(p, exist_ok=True)

class Nginx(http.server.BaseHTTPRequestHandler):
    """What the node's nginx serves for the stand-ins (one port for all)."""
    routes = {}
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == '/slow':
            time.sleep(1.5)
        f = self.routes.get(self.path)
        if self.path.startswith('/standin/agents/'):
            f = os.path.join(d.AGENTS, self.path.rsplit('/', 1)[1])
        try:
            body = open(f, 'rb').read()
        except (OSError, TypeError):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_PUT(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        if not self.path.startswith('/standin/agents/'):
            self.send_error(405)
            return
        os.makedirs(d.AGENTS, exist_ok=True)
        with open(os.path.join(d.AGENTS, self.path.rsplit('/', 1)[1]), 'wb') as f:
            f.write(body)
        self.send_response(201)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def do_DELETE(self):
        if not self.path.startswith('/standin/agents/'):
            self.send_error(405)
            return
        try:
            os.unlink(os.path.join(d.AGENTS, self.path.rsplit('/', 1)[1]))
        except OSError:
            self.send_error(404)
            return
        self.send_response(204)
        self.end_headers()

srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Nginx)
srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()
PORT = srv.server_address[1]

def wait_for(what, check, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError('not reached within %ds: %s' % (timeout, what))
        time.sleep(0.05)

def quiet_diag():
    with redirect_stdout(io.StringIO()):
        return d.diag()

def read_json(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None

class T(unittest.TestCase):
    def setUp(self):
        point_at(tmpdir())
        d.EXHIBITOR_PORT = d.MASTER_PORT = d.MASTER_3DT_PORT = PORT

    def test_ipv4_and_master_list(self):
        for ip, ok in (('198.18.0.11', True), ('255.255.255.255', True), ('1.2.3.256', False),
                       ('1.2.3', False), ('1.2.3.4.5', False), ('a.b.c.d', False), ('', False), ('1.2.3.4\n', False)):
            self.assertEqual(d.valid_ipv4(ip), ok, ip)
        self.assertEqual(d.masters(), [])
        open(d.MASTER_LIST, 'w').write('["198.18.0.13", "198.18.0.11", "198.18.0.12"]\n')
        self.assertEqual(d.masters(), ['198.18.0.13', '198.18.0.11', '198.18.0.12'])

    def test_detect_ip(self):
        for body, want, msg in (
                ('printf " 198.18.0.21 \\n\\n"', '198.18.0.21', ''),
                ('echo 198.18.0.21; exit 3', None, 'failed (exit status non-zero)'),
                ('echo not-an-address', None, "printed 'not-an-address', not an IPv4 address"),
                ('echo 1.2.3.999', None, "printed '1.2.3.999', not an IPv4 address"),
                ('case "$PATH" in /opt/mesosphere/bin:*) echo 10.0.0.1 ;; esac', '10.0.0.1', '')):
            script(d.DETECT_IP, body)
            e = io.StringIO()
            with redirect_stderr(e):
                self.assertEqual(d.detect_ip(), want, body)
            self.assertIn(msg, e.getvalue())
            if msg:
                self.assertIn('ip-detect script ' + d.DETECT_IP, e.getvalue())
        os.unlink(d.DETECT_IP)
        with redirect_stderr(io.StringIO()):
            self.assertIsNone(d.detect_ip())

    def test_http(self):
        f = os.path.join(TMP, 'hello.json')
        open(f, 'w').write('{"a": 1}\n')
        Nginx.routes['/hello'] = f
        self.assertEqual(d.get('127.0.0.1', PORT, '/hello'), '{"a": 1}\n')
        self.assertEqual(d.get('127.0.0.1', PORT, '/hello', source='127.0.0.1'), '{"a": 1}\n')
        self.assertIsNone(d.get('127.0.0.1', PORT, '/nothing'))  # 404 fails, as curl -f
        self.assertIsNone(d.get('127.0.0.1', PORT, '/hello', source='198.18.255.254'))  # not ours: bind fails
        self.assertIsNone(d.get('127.0.0.1', 1, '/'))  # refused
        start = time.monotonic()
        self.assertIsNone(d.http('GET', '127.0.0.1', PORT, '/slow', max_time=0.3))
        self.assertLess(time.monotonic() - start, 1.0)
        self.assertEqual(d.http('PUT', '127.0.0.1', PORT, '/standin/agents/10.0.0.9', body=b'rec\n'), b'')
        self.assertEqual(open(os.path.join(d.AGENTS, '10.0.0.9')).read(), 'rec\n')
        self.assertIsNone(d.http('PUT', '127.0.0.1', PORT, '/elsewhere', body=b'x'))

    def test_route_source(self):
        self.assertEqual(d.route_source('127.0.0.1'), '127.0.0.1')
        self.assertEqual(d.route_source('127.0.0.2'), '127.0.0.1')

    def test_write(self):
        p = os.path.join(d.WWW, 'x.json')
        self.assertTrue(d.write(p, '{"x": 1}'))  # creates the missing directory
        self.assertTrue(d.write(p, '{"x": 2}'))
        self.assertEqual(open(p).read(), '{"x": 2}\n')
        self.assertEqual(os.listdir(d.WWW), ['x.json'])
        self.assertFalse(d.write('/proc/nonexistent/x', 'y'))

    def test_unit_state(self):
        base = os.path.join(d.SYSTEMD_RUN, 'u.service')
        self.assertFalse(d.unit_active('u.service'))
        open(base + '.pid', 'w').write('%d\n' % os.getpid())
        self.assertTrue(d.unit_active('u.service'))
        open(base + '.result', 'w').write('running\n')  # --no-block oneshot: activating
        self.assertFalse(d.unit_active('u.service'))
        p = subprocess.Popen(['true'])
        p.wait()
        open(base + '.pid', 'w').write('%d\n' % p.pid)
        self.assertFalse(d.unit_active('u.service'))
        open(base + '.result', 'w').write('success\n')  # finished oneshot (lab systemctl)
        self.assertTrue(d.unit_active('u.service'))
        os.unlink(base + '.result')
        open(base + '.ok', 'w').close()  # finished oneshot (test systemctl)
        self.assertTrue(d.unit_active('u.service'))
        open(base + '.pid', 'w').write('garbage\n')
        os.unlink(base + '.ok')
        self.assertFalse(d.unit_active('u.service'))

    def test_unit_health_and_diag(self):
        wants = os.path.join(d.UNITS_DIR, 'dcos.target.wants')
        e = io.StringIO()
        with redirect_stdout(e):
            self.assertEqual(d.diag(), 1)
        self.assertIn('no DC/OS units found in ' + wants, e.getvalue())
        for u in ('dcos-a.service', 'dcos-b.service', 'dcos-c.service'):
            open(os.path.join(d.UNITS_DIR, u), 'w').write('[Service]\n')
            os.symlink(os.path.join(d.UNITS_DIR, u), os.path.join(wants, u))
        os.symlink('/nonexistent', os.path.join(wants, 'dcos-gone.service'))  # broken link: ignored
        self.assertEqual(d.dcos_units(), ['dcos-a.service', 'dcos-b.service', 'dcos-c.service'])
        for u in ('dcos-a.service', 'dcos-b.service'):
            open(os.path.join(d.SYSTEMD_RUN, u + '.pid'), 'w').write('%d\n' % os.getpid())
        self.assertEqual(d.unit_health('dcos-a.service', 20), ('0', 'dcos-a.service is active'))
        self.assertEqual(d.unit_health('dcos-c.service', 20), ('1', 'dcos-c.service is not active'))
        d.health('dcos-a.service', 0, 'fine  and dandy ')
        self.assertEqual(d.unit_health('dcos-a.service', 20), ('0', 'fine  and dandy'))
        mtime = int(os.stat(os.path.join(d.HEALTH, 'dcos-a.service')).st_mtime)
        self.assertEqual(d.unit_health('dcos-a.service', 20, now=mtime + 20), ('0', 'fine  and dandy'))
        self.assertEqual(d.unit_health('dcos-a.service', 20, now=mtime + 21), ('1', 'no heartbeat from dcos-a.service for 21s'))
        open(os.path.join(d.HEALTH, 'dcos-b.service'), 'w').write('')
        self.assertEqual(d.unit_health('dcos-b.service', 20), ('1', 'no message'))
        e = io.StringIO()
        with redirect_stdout(e):
            self.assertEqual(d.diag(), 1)
        self.assertEqual(e.getvalue(), 'dcos-b.service: unhealthy: no message\ndcos-c.service: unhealthy: dcos-c.service is not active\n')
        units = json.loads(d.units_json(20))
        self.assertEqual([(u['id'], u['health']) for u in units], [('dcos-a.service', 0), ('dcos-b.service', 1), ('dcos-c.service', 1)])
        for u in ('dcos-b.service', 'dcos-c.service'):
            d.health(u, 0, 'ok')
        open(os.path.join(d.SYSTEMD_RUN, 'dcos-c.service.pid'), 'w').write('%d\n' % os.getpid())
        with redirect_stdout(io.StringIO()):
            self.assertEqual(d.diag(), 0)

    def test_agent_with_wrong_ip_never_registers(self):
        script(d.DETECT_IP, 'echo 127.0.0.2')  # 127.0.0.1 reaches 127.0.0.1 from 127.0.0.1
        open(d.MASTER_LIST, 'w').write('["127.0.0.1"]')
        os.environ.update(STANDIN_MAX_ITERATIONS='2', STANDIN_INTERVAL='0')
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(d.mesos_agent('dcos-mesos-slave.service'), 0)
        self.assertIn('ip-detect prints 127.0.0.2 but this host reaches master 127.0.0.1 from 127.0.0.1', out.getvalue())
        self.assertFalse(os.path.exists(d.AGENTS))
        self.assertEqual(open(os.path.join(d.HEALTH, 'dcos-mesos-slave.service')).read(), '1 mesos agent stopped\n')
        self.assertFalse(os.path.exists(os.path.join(d.WWW, 'mesos-agent-snapshot.json')))

    def test_agent_docker_config(self):
        # Mesos 1.2 loads --docker_config (MESOS_DOCKER_CONFIG) before anything:
        # a missing file:// target or bad JSON keeps the agent from starting.
        script(d.DETECT_IP, 'echo 127.0.0.1')
        open(d.MASTER_LIST, 'w').write('["127.0.0.1"]')
        os.environ.update(STANDIN_MAX_ITERATIONS='1', STANDIN_INTERVAL='0')
        creds = os.path.join(os.path.dirname(d.STATE), 'docker_credentials')
        try:
            os.environ['MESOS_DOCKER_CONFIG'] = 'file://' + creds
            out, errs = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(errs):
                self.assertEqual(d.mesos_agent('dcos-mesos-slave.service'), 1)
            want = ("Failed to load flag 'docker_config': Failed to load value 'file://%s': "
                    "Error reading file '%s': No such file or directory") % (creds, creds)
            self.assertEqual(errs.getvalue().strip(), want)
            self.assertEqual(out.getvalue(), '', 'the agent must not run')
            self.assertEqual(open(os.path.join(d.HEALTH, 'dcos-mesos-slave.service')).read(), '1 ' + want + '\n')
            open(creds, 'w').write('{"auths": ')
            with redirect_stdout(io.StringIO()), redirect_stderr(errs):
                self.assertEqual(d.mesos_agent('dcos-mesos-slave.service'), 1)
            self.assertIn("Failed to load value 'file://%s': syntax error" % creds, errs.getvalue())
            body = '{"auths": {"198.18.0.1:5443": {"auth": "dTpw"}}}\n'
            open(creds, 'w').write(body)
            seen = {}
            real_sleep = d.time.sleep
            def peek(seconds):  # the agent holds what it loaded, 0600, while it runs
                p = d.docker_config_snapshot()
                if 'body' not in seen and os.path.exists(p):  # (subprocess sleeps too)
                    seen['body'], seen['mode'] = open(p).read(), os.stat(p).st_mode & 0o777
                real_sleep(seconds)
            d.time.sleep = peek
            errs = io.StringIO()
            try:
                with redirect_stdout(io.StringIO()), redirect_stderr(errs):
                    self.assertEqual(d.mesos_agent('dcos-mesos-slave.service'), 0, errs.getvalue())
            finally:
                d.time.sleep = real_sleep
            self.assertEqual(seen, {'body': body, 'mode': 0o600})
            self.assertFalse(os.path.exists(d.docker_config_snapshot()), 'left after the agent stopped')
        finally:
            del os.environ['MESOS_DOCKER_CONFIG']

    def test_services_converge_and_stop_cleanly(self):
        root = os.path.dirname(d.STATE)
        script(d.DETECT_IP, 'echo 127.0.0.1')
        open(d.MASTER_LIST, 'w').write('["127.0.0.1"]')
        open(os.path.join(d.ROLES_DIR, 'master'), 'w').close()
        w = d.WWW
        Nginx.routes.update({'/exhibitor/v1/standin/self': w + '/exhibitor-self.json',
                             '/exhibitor/v1/cluster/status': w + '/exhibitor-status.json',
                             '/metrics/snapshot': w + '/mesos-master-snapshot.json',
                             '/system/health/v1': w + '/3dt-health.json'})
        env = dict(os.environ, STANDIN_INTERVAL='0.05', STANDIN_MAX_ITERATIONS='2000')
        setup = '\n'.join(['d.STATE = %r' % d.STATE, 'd.WWW, d.HEALTH, d.AGENTS = %r, %r, %r' % (d.WWW, d.HEALTH, d.AGENTS),
                            'd.UNITS_DIR, d.SYSTEMD_RUN = %r, %r' % (d.UNITS_DIR, d.SYSTEMD_RUN),
                            'd.DETECT_IP, d.MASTER_LIST, d.ROLES_DIR = %r, %r, %r' % (d.DETECT_IP, d.MASTER_LIST, d.ROLES_DIR)])
        procs = {}
        for unit, call in (('dcos-exhibitor.service', 'exhibitor()'), ('dcos-mesos-master.service', 'mesos_master()'),
                           ('dcos-mesos-slave.service', 'mesos_agent("dcos-mesos-slave.service")'),
                           ('dcos-3dt.service', 'threedt(["3dt", "daemon"])')):
            code = ('import sys; sys.dont_write_bytecode = True; sys.path.insert(0, %r); import dcos_standin as d\n'
                    '%s\nd.EXHIBITOR_PORT = d.MASTER_PORT = d.MASTER_3DT_PORT = %d\nsys.exit(d.%s)\n' % (LIB, setup, PORT, call))
            log = open(os.path.join(root, unit + '.log'), 'w')
            procs[unit] = subprocess.Popen([sys.executable, '-IS', '-c', code], env=env, stdout=log, stderr=subprocess.STDOUT)
            open(os.path.join(d.UNITS_DIR, unit), 'w').write('[Service]\n')
            os.symlink(os.path.join(d.UNITS_DIR, unit), os.path.join(d.UNITS_DIR, 'dcos.target.wants', unit))
            open(os.path.join(d.SYSTEMD_RUN, unit + '.pid'), 'w').write('%d\n' % procs[unit].pid)
        try:
            st = wait_for('exhibitor serving with a leader', lambda: (read_json(w + '/exhibitor-status.json') or [{}])[0].get('isLeader') and read_json(w + '/exhibitor-status.json'))
            self.assertEqual(st, [{'code': 3, 'description': 'serving', 'hostname': '127.0.0.1', 'isLeader': True}])
            self.assertEqual(read_json(w + '/exhibitor-self.json'), {'ip': '127.0.0.1', 'sees_all': True})
            wait_for('agent registered', lambda: (read_json(w + '/mesos-agent-snapshot.json') or {}).get('slave/registered') == 1)
            # the master writes the record in its own round: poll it, bounded
            rec = wait_for('agent record at the master', lambda: read_json(d.AGENTS + '/127.0.0.1'))
            self.assertEqual(rec, {'ip': '127.0.0.1', 'hostname': os.uname().nodename, 'role': 'agent'})
            snap = wait_for('master elected, one agent', lambda: (lambda s: s.get('master/slaves_active') == 1 and s)(read_json(w + '/mesos-master-snapshot.json') or {}))
            self.assertEqual((snap['registrar/log/recovered'], snap['master/elected'], snap['master/slaves_connected']), (1, 1, 1))
            # The master's own 3dt turns healthy once its units are (agent registered, leader known).
            nodes = wait_for('3dt nodes all healthy', lambda: (lambda n: len(n) == 2 and all(x['health'] == 0 for x in n) and n)(
                (read_json(w + '/3dt-nodes.json') or {}).get('nodes') or []))
            self.assertEqual(sorted((x['host_ip'], x['role'], x['health']) for x in nodes), [('127.0.0.1', 'agent', 0), ('127.0.0.1', 'master', 0)])
            h = read_json(w + '/3dt-health.json')
            self.assertEqual((h['node_role'], h['ip'], h['dcos_version'], len(h['units'])), ('master', '127.0.0.1', '1.9.10', 4))
            self.assertEqual(read_json(w + '/3dt-units.json')['units'], h['units'])
            wait_for('3dt -diag exits 0', lambda: quiet_diag() == 0)
        finally:
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            codes = {u: p.wait(10) for u, p in procs.items()}
        self.assertEqual(codes, {u: 0 for u in procs}, 'exit codes after SIGTERM')
        self.assertEqual(sorted(f for f in os.listdir(w)), [], 'files left in www')
        for unit, msg in (('dcos-exhibitor.service', '1 exhibitor stopped'), ('dcos-mesos-master.service', '1 mesos master stopped'),
                          ('dcos-mesos-slave.service', '1 mesos agent stopped')):
            self.assertEqual(open(os.path.join(d.HEALTH, unit)).read(), msg + '\n')
        logs = open(os.path.join(root, 'dcos-exhibitor.service.log')).read()
        self.assertRegex(logs, r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ exhibitor stand-in on 127.0.0.1, ensemble 127.0.0.1\n')
        self.assertIn('answered=1 serving=1 leader=127.0.0.1', logs)
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(d.diag(), 1)
        self.assertIn('dcos-mesos-slave.service: unhealthy: dcos-mesos-slave.service is not active', out.getvalue())

class Unregistration(unittest.TestCase):
    """An agent that gets SIGUSR1 unregisters: the leading master drops it
    from /master/slaves and master/slaves_active in its next round. SIGTERM
    ends an agent without that: its record stays until it is stale."""
    def setUp(self):
        point_at(tmpdir())
        d.EXHIBITOR_PORT = d.MASTER_PORT = d.MASTER_3DT_PORT = PORT
        script(d.DETECT_IP, 'echo 127.0.0.1')
        open(d.MASTER_LIST, 'w').write('["127.0.0.1"]')
        open(os.path.join(d.ROLES_DIR, 'slave_public'), 'w').close()
        os.makedirs(d.WWW, exist_ok=True)
        status = os.path.join(d.WWW, 'exhibitor-status.json')
        open(status, 'w').write('[{"code": 3, "description": "serving", "hostname": "127.0.0.1", "isLeader": true}]\n')
        Nginx.routes.update({'/exhibitor/v1/cluster/status': status,
                             '/metrics/snapshot': d.WWW + '/mesos-master-snapshot.json',
                             '/master/slaves': d.WWW + '/mesos-master-slaves.json'})
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)

    def start(self, call):
        setup = '\n'.join(['d.STATE = %r' % d.STATE, 'd.WWW, d.HEALTH, d.AGENTS = %r, %r, %r' % (d.WWW, d.HEALTH, d.AGENTS),
                            'd.UNITS_DIR, d.SYSTEMD_RUN = %r, %r' % (d.UNITS_DIR, d.SYSTEMD_RUN),
                            'd.DETECT_IP, d.MASTER_LIST, d.ROLES_DIR = %r, %r, %r' % (d.DETECT_IP, d.MASTER_LIST, d.ROLES_DIR)])
        code = ('import sys; sys.dont_write_bytecode = True; sys.path.insert(0, %r); import dcos_standin as d\n'
                '%s\nd.EXHIBITOR_PORT = d.MASTER_PORT = d.MASTER_3DT_PORT = %d\nsys.exit(d.%s)\n' % (LIB, setup, PORT, call))
        env = dict(os.environ, STANDIN_INTERVAL='0.05', STANDIN_MAX_ITERATIONS='2000', STANDIN_STALE_SECONDS='3')
        p = subprocess.Popen([sys.executable, '-IS', '-c', code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def listed(self):
        s = read_json(d.WWW + '/mesos-master-slaves.json')
        return None if s is None else [a['pid'] for a in s['slaves']]

    def active(self):
        return (read_json(d.WWW + '/mesos-master-snapshot.json') or {}).get('master/slaves_active')

    def test_sigusr1_unregisters_at_once(self):
        self.start('mesos_master()')
        agent = self.start('mesos_agent("dcos-mesos-slave-public.service")')
        wait_for('the master lists the agent', lambda: self.listed() == ['slave(1)@127.0.0.1:5051'])
        s = read_json(d.WWW + '/mesos-master-slaves.json')
        a = s['slaves'][0]
        self.assertEqual((a['hostname'], a['port'], a['active'], a['attributes']), ('127.0.0.1', 5051, True, {'public_ip': 'true'}))
        self.assertRegex(a['id'], r'^[0-9a-f-]{36}-S0$')
        self.assertEqual(s['recovered_slaves'], [])
        self.assertEqual(self.active(), 1)
        agent.send_signal(signal.SIGUSR1)
        agent.send_signal(signal.SIGTERM)  # systemctl stop follows at once: it must not cut the unregistration
        out = agent.communicate(timeout=10)[0].decode()
        self.assertEqual(agent.returncode, 0, out)
        self.assertIn('received SIGUSR1: unregistering from the masters and shutting down', out)
        self.assertIn('unregistered from 1 of 1 masters (127.0.0.1)', out)
        self.assertFalse(os.path.exists(d.AGENTS + '/127.0.0.1'), 'the record is still at the master')
        # dropped in the master's next round, long before the record would be stale (3 s)
        start = time.monotonic()
        wait_for('the master drops the agent', lambda: self.listed() == [] and self.active() == 0, timeout=2)
        self.assertLess(time.monotonic() - start, 2)
        self.assertEqual(open(os.path.join(d.HEALTH, 'dcos-mesos-slave-public.service')).read(), '1 mesos agent unregistered and stopped\n')
        # it registers again as a new agent (a new id)
        self.start('mesos_agent("dcos-mesos-slave-public.service")')
        wait_for('listed again', lambda: self.listed() == ['slave(1)@127.0.0.1:5051'])
        self.assertRegex(read_json(d.WWW + '/mesos-master-slaves.json')['slaves'][0]['id'], r'-S1$')

    def test_sigterm_does_not_unregister(self):
        self.start('mesos_master()')
        agent = self.start('mesos_agent("dcos-mesos-slave-public.service")')
        wait_for('the master lists the agent', lambda: self.listed() == ['slave(1)@127.0.0.1:5051'])
        agent.send_signal(signal.SIGTERM)
        out = agent.communicate(timeout=10)[0].decode()
        self.assertEqual(agent.returncode, 0, out)
        self.assertNotIn('unregister', out)
        self.assertTrue(os.path.exists(d.AGENTS + '/127.0.0.1'), 'SIGTERM removed the record')
        self.assertEqual(self.listed(), ['slave(1)@127.0.0.1:5051'])
        wait_for('the stale record is dropped', lambda: self.listed() == [] and self.active() == 0, timeout=10)

    def test_a_master_that_does_not_lead_counts_none_active(self):
        open(os.path.join(d.WWW, 'exhibitor-status.json'), 'w').write(
            '[{"code": 3, "description": "serving", "hostname": "127.0.0.9", "isLeader": true}]\n')
        self.start('mesos_master()')
        self.start('mesos_agent("dcos-mesos-slave-public.service")')
        wait_for('the agent registered', lambda: os.path.exists(d.AGENTS + '/127.0.0.1'))
        wait_for('snapshot written', lambda: self.active() is not None)
        # Admin Router's /mesos/ goes to the leader: any master's list is the one clients see.
        wait_for('listed', lambda: self.listed() == ['slave(1)@127.0.0.1:5051'])
        self.assertEqual(self.active(), 0)

unittest.main(argv=['dcos_standin'], verbosity=2, warnings='ignore')
`
