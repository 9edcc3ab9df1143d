# Unit tests of the Marathon stand-in (packages/marathon/lib/dcos_marathon.py)
# and the agent's task side (packages/mesos/lib/mesos_tasks.py), run by
# marathon_py_test.go: python3 -IS marathon_test.py MESOS_LIB MARATHON_LIB TMP.
# No root, no lab: the Marathon runs in this process on 127.0.0.1, docker is
# a fake script, the registry for the UCR puller is a local HTTPS server.
import base64
import http.server
import io
import json
import os
import ssl
import subprocess
import sys
import tarfile
import threading
import time
import unittest
import urllib.request

MESOS_LIB, MARATHON_LIB, TMP = sys.argv[1:4]
sys.dont_write_bytecode = True
sys.path[:0] = [MARATHON_LIB, MESOS_LIB]
import dcos_standin as d  # noqa: E402
import dcos_marathon as dm  # noqa: E402
import mesos_tasks as mt  # noqa: E402

n = [0]


def tmpdir():
    n[0] += 1
    p = os.path.join(TMP, 't%d' % n[0])
    os.makedirs(p)
    return p


class Clock:
    def __init__(self):
        self.t = 1500000000.0

    def __call__(self):
        return self.t


def app(image='198.18.0.1:5443/myapp@sha256:' + 'a' * 64, instances=1, **kw):
    a = {'id': '/myapp', 'instances': instances, 'container': {'type': 'DOCKER', 'docker': {'image': image}},
         'uris': ['file:///etc/docker.tar.gz']}
    a.update(kw)
    return json.dumps(a).encode()


def read(path):
    with open(path) as f:
        return f.read()


def events(m):
    with open(m.events) as f:
        return [json.loads(line) for line in f]


class MarathonTest(unittest.TestCase):
    def setUp(self):
        self.clock = Clock()
        self.m = dm.Marathon(state_dir=tmpdir(), now=self.clock)
        self.m.is_leader = True
        self.m.agents = {ip: {'id': 'm-S%d' % i, 'hostname': ip, 'attributes': {}, 'public': False}
                         for i, ip in enumerate(['10.0.0.21', '10.0.0.22'])}
        self.m.agents['10.0.0.31'] = {'id': 'm-S9', 'hostname': '10.0.0.31', 'attributes': {'public_ip': 'true'}, 'public': True}
        for ip in self.m.agents:
            self.m.seen[ip] = self.clock()

    def tick(self, secs=0.3):
        self.clock.t += secs
        for ip in self.m.agents:
            self.m.seen[ip] = self.clock()
        self.m.schedule()

    def report(self, ip, **states):
        code, out = self.m.agent_contact(ip, json.dumps({'statuses': {tid: {'state': s, 'message': 'm ' + s, 'digest': 'sha256:x'}
                                                                      for tid, s in states.items()}}).encode())
        self.assertEqual(code, 200)
        return out['tasks']

    def tasks(self, state=None):
        return [t for t in self.m.tasks.values() if state is None or t['state'] == state]

    def run_all(self):
        """Agents start every staged task and kill what is killing."""
        for t in list(self.m.tasks.values()):
            if t['state'] == 'TASK_STAGING':
                self.report(t['host'], **{t['id']: 'TASK_RUNNING'})
            elif t['state'] == 'TASK_KILLING':
                self.report(t['host'], **{t['id']: 'TASK_KILLED'})

    def test_create_validate_and_read(self):
        code, out = self.m.put_app('myapp', app(), False)
        self.assertEqual(code, 201)
        self.assertIn('deploymentId', out)
        code, got = self.m.get('/v2/apps/myapp')
        self.assertEqual(code, 200)
        a = got['app']
        self.assertEqual((a['id'], a['version'], a['versionInfo']['lastConfigChangeAt']), ('/myapp', out['version'], out['version']))
        self.assertEqual(a['deployments'], [{'id': out['deploymentId']}])
        self.assertEqual(self.m.get('/v2/deployments')[1][0]['currentActions'][0]['action'], 'StartApplication')
        self.assertEqual(self.m.get('/v2/apps/myapp/versions')[1], {'versions': [out['version']]})
        self.assertEqual(self.m.get('/v2/apps/myapp/versions/' + out['version'])[1]['container']['docker']['image'][:26],
                         '198.18.0.1:5443/myapp@sha2')
        self.assertEqual(self.m.get('/v2/apps/nope')[0], 404)
        for body, code, part in ((b'{"id":', 400, 'Invalid JSON'), (b'[1]', 400, 'Invalid JSON'),
                                 (json.dumps({'container': {'type': 'DOCKER', 'docker': {}}}).encode(), 422, '/container/docker/image'),
                                 (json.dumps({'cmd': 'x', 'instances': -1}).encode(), 422, '/instances'),
                                 (json.dumps({'instances': 1}).encode(), 422, "must either contain one of 'cmd'")):
            c, o = self.m.put_app('other', body, False)
            self.assertEqual(c, code, body)
            self.assertIn(part, json.dumps(o))
        self.assertEqual(self.m.put_app('Bad_Id', app(), False)[0], 422)

    def test_first_deployment_and_unchanged_put(self):
        _, out = self.m.put_app('myapp', app(instances=2), False)
        self.tick()
        staged = self.tasks('TASK_STAGING')
        self.assertEqual(sorted(t['host'] for t in staged), ['10.0.0.21', '10.0.0.22'])  # spread, private agents only
        for t in staged:
            self.assertTrue(t['id'].startswith('myapp.'))
        spec = self.report('10.0.0.21')
        self.assertEqual(spec[0]['uris'], [{'value': 'file:///etc/docker.tar.gz', 'extract': True}])
        self.assertEqual((spec[0]['type'], spec[0]['user'], spec[0]['forcePullImage']), ('DOCKER', 'root', False))
        self.run_all()
        self.tick()
        self.assertEqual(self.m.deployments, {})
        a = self.m.get('/v2/apps/myapp')[1]['app']
        self.assertEqual((a['tasksRunning'], len(a['tasks'])), (2, 2))
        code, again = self.m.put_app('myapp', app(instances=2), False)
        self.assertEqual((code, again['version']), (200, out['version']))
        self.assertEqual(self.m.deployments, {})

    def test_rolling_update_never_leaves_no_task(self):
        self.m.put_app('myapp', app(instances=2), False)
        self.tick()
        self.run_all()
        self.tick()
        old = {t['id'] for t in self.tasks()}
        _, out = self.m.put_app('myapp', app(image='198.18.0.1:5443/myapp@sha256:' + 'b' * 64, instances=2), False)
        self.assertEqual(self.m.get('/v2/deployments')[1][0]['currentActions'][0]['action'], 'RestartApplication')
        for _ in range(6):
            self.tick()
            # the agents bring up one new task per round
            staged = self.tasks('TASK_STAGING')
            if staged:
                self.report(staged[0]['host'], **{staged[0]['id']: 'TASK_RUNNING'})
            self.tick()
            for t in self.tasks('TASK_KILLING'):
                self.report(t['host'], **{t['id']: 'TASK_KILLED'})
        self.tick()
        self.assertEqual(self.m.deployments, {})
        now = self.tasks()
        self.assertEqual(len(now), 2)
        self.assertFalse(old & {t['id'] for t in now})
        self.assertTrue(all(t['version'] == out['version'] and t['state'] == 'TASK_RUNNING' for t in now))
        # Replay the log: after the first task ran there were always 2 running.
        evs = [e for e in events(self.m)]
        running, floor, started = set(), None, False
        for e in evs:
            if e['state'] == 'TASK_RUNNING':
                running.add(e['task'])
            elif e['task'] in running:
                running.discard(e['task'])
            if len(running) == 2:
                started = True
            if started:
                floor = len(running) if floor is None else min(floor, len(running))
            self.assertEqual(e['running'], len(running), e)
        self.assertEqual(floor, 2)
        kinds = [e['state'] for e in evs if e['task'] in old]
        self.assertEqual(kinds.count('TASK_KILLING'), 2)
        self.assertEqual(kinds.count('TASK_KILLED'), 2)

    def test_minimum_health_capacity_zero_stops_old_first(self):
        self.m.put_app('myapp', app(), False)
        self.tick()
        self.run_all()
        self.tick()
        self.m.put_app('myapp', app(image='x.test/other:2', upgradeStrategy={'minimumHealthCapacity': 0}), False)
        self.tick()
        self.assertEqual(len(self.tasks('TASK_KILLING')), 1)  # before the new one runs

    def test_lock_and_force(self):
        _, first = self.m.put_app('myapp', app(), False)
        code, out = self.m.put_app('myapp', app(image='x.test/a:2'), False)
        self.assertEqual(code, 409)
        self.assertIn('App is locked by one or more deployments', out['message'])
        self.assertEqual(out['deployments'], [{'id': first['deploymentId']}])
        code, out = self.m.put_app('myapp', app(image='x.test/a:2'), True)
        self.assertEqual(code, 200)
        self.assertEqual(list(self.m.deployments), [out['deploymentId']])

    def test_failures_back_off_and_are_reported(self):
        _, out = self.m.put_app('myapp', app(constraints=[['hostname', 'CLUSTER', '10.0.0.22']]), False)
        self.tick()
        t = self.tasks('TASK_STAGING')[0]
        self.assertEqual(t['host'], '10.0.0.22')
        self.report('10.0.0.22', **{t['id']: 'TASK_STARTING'})
        msg = "Failed to launch container: Failed to fetch all URIs for container 'c1' with exit status: 256"
        self.m.agent_contact('10.0.0.22', json.dumps({'statuses': {t['id']: {'state': 'TASK_FAILED', 'message': msg}}}).encode())
        f = self.m.get('/v2/apps/myapp')[1]['app']['lastTaskFailure']
        self.assertEqual((f['taskId'], f['host'], f['message'], f['state'], f['version']), (t['id'], '10.0.0.22', msg, 'TASK_FAILED', out['version']))
        self.assertEqual(self.tasks(), [])
        self.clock.t += 0.1
        self.m.schedule()
        self.assertEqual(self.tasks(), [])  # backoff: 1 s
        self.tick(1.0)
        self.assertEqual(len(self.tasks('TASK_STAGING')), 1)
        self.assertEqual(self.tasks()[0]['host'], '10.0.0.22')
        self.assertEqual(list(self.m.deployments.values())[0]['version'], out['version'])  # still deploying

    def test_roles_constraints_and_lost_agents(self):
        self.m.put_app('web', app(acceptedResourceRoles=['slave_public'], id='/web'), False)
        self.m.put_app('uniq', app(instances=3, constraints=[['hostname', 'UNIQUE']], id='/uniq'), False)
        self.tick()
        self.assertEqual([t['host'] for t in self.tasks() if t['app'] == '/web'], ['10.0.0.31'])
        self.assertEqual(sorted(t['host'] for t in self.tasks() if t['app'] == '/uniq'), ['10.0.0.21', '10.0.0.22'])
        self.run_all()
        # 10.0.0.22 stops asking for tasks: after 60 s its task is lost and
        # started again where UNIQUE allows (nowhere new: it waits).
        self.clock.t += 61
        for ip in ('10.0.0.21', '10.0.0.31'):
            self.m.seen[ip] = self.clock()
        self.m.schedule()
        lost = [e for e in events(self.m) if e['state'] == 'TASK_LOST']
        self.assertEqual([e['agent'] for e in lost], ['10.0.0.22'])
        self.assertEqual(self.m.get('/v2/apps/uniq')[1]['app']['lastTaskFailure']['state'], 'TASK_LOST')

    def test_agent_gets_told_to_kill_unknown_tasks(self):
        tasks = self.report('10.0.0.21', **{'stray.1': 'TASK_RUNNING'})
        self.assertEqual(tasks, [{'id': 'stray.1', 'kill': True}])

    def test_state_survives_a_restart(self):
        self.m.put_app('myapp', app(), False)
        self.tick()
        m2 = dm.Marathon(state_dir=self.m.dir, now=self.clock)
        self.assertEqual(set(m2.apps), {'/myapp'})
        self.assertEqual(len(m2.tasks), 1)


class Fake:
    """A fake docker on PATH: records its arguments and HOME, answers like
    the lab's docker stand-in."""

    def __init__(self):
        self.dir = tmpdir()
        self.log = os.path.join(self.dir, 'calls')
        with open(os.path.join(self.dir, 'docker'), 'w') as f:
            f.write('''#!/bin/bash
echo "$* HOME=$HOME" >> %s
case "$3" in
  inspect) [ -e %s/have ] && { echo '[{"RepoDigests": ["r/a@sha256:cached"]}]'; exit 0; }; echo '[]'; exit 1 ;;
  pull) if [ -e %s/refuse ]; then echo "Error response from daemon: Get https://r/v2/a/manifests/1: unauthorized: authentication required" >&2; exit 1; fi
        [ -e "$HOME/.docker/config.json" ] && echo "config: $(cat "$HOME/.docker/config.json")" >> %s
        echo "Digest: sha256:$(printf %%064d 7)"; echo "Status: Downloaded newer image for $4" ;;
esac
''' % (self.log, self.dir, self.dir, self.log))
        os.chmod(os.path.join(self.dir, 'docker'), 0o755)
        os.environ['PATH'] = self.dir + ':' + os.environ['PATH']

    def calls(self):
        try:
            return read(self.log)
        except OSError:
            return ''


def archive(path, config):
    """A docker.tar.gz like registry.Archive's: .docker/ and .docker/config.json."""
    with tarfile.open(path, 'w:gz') as tf:
        info = tarfile.TarInfo('.docker/')
        info.type, info.mode = tarfile.DIRTYPE, 0o700
        tf.addfile(info)
        data = config.encode()
        info = tarfile.TarInfo('.docker/config.json')
        info.size, info.mode = len(data), 0o600
        tf.addfile(info, io.BytesIO(data))
    os.chmod(path, 0o600)


class TasksTest(unittest.TestCase):
    def setUp(self):
        self.root = tmpdir()
        d.STATE = os.path.join(self.root, 'state')
        os.makedirs(d.STATE)
        self.fake = Fake()
        self.arch = os.path.join(self.root, 'docker.tar.gz')
        archive(self.arch, '{"auths": {"r": {"auth": "dTpw"}}}\n')

    def sandbox(self):
        return os.path.join(tmpdir(), 'sandbox')

    def launch(self, **spec):
        spec.setdefault('image', 'r/a:1')
        spec.setdefault('uris', [{'value': 'file://' + self.arch, 'extract': True}])
        s = self.sandbox()
        try:
            return mt.launch(spec, s, 'cid-1'), s
        except mt.LaunchError as e:
            return e, s

    def test_uri_rules_like_the_mesos_fetcher(self):
        for value, want in (("file:///etc/it's", 'Could not fetch: Illegal characters in URI'),
                            ('file:///etc/a\\b', 'Could not fetch: Illegal characters in URI')):
            got, _ = self.launch(uris=[{'value': value}])
            self.assertIsInstance(got, mt.LaunchError)
            self.assertEqual(str(got), want)
        for value, line in (('file://etc/docker.tar.gz', "Failed to fetch 'file://etc/docker.tar.gz': File URI only supports absolute paths"),
                            ('file://' + self.root + '/missing.tar.gz', "cp: cannot stat '%s/missing.tar.gz': No such file or directory" % self.root),
                            ('https://example.invalid/x.tgz', 'fetches local files only')):
            got, s = self.launch(uris=[{'value': value}])
            self.assertEqual(str(got), "Failed to fetch all URIs for container 'cid-1' with exit status: 256")
            self.assertIn(line, read(os.path.join(s, 'stderr')))
        got, s = self.launch(user='nobody')  # root 0600: the fetcher, as nobody, cannot read it
        self.assertIn("cp: cannot open '%s' for reading: Permission denied" % self.arch, read(os.path.join(s, 'stderr')))
        self.assertTrue(mt.readable_by(self.arch, 'root'))
        os.chmod(self.arch, 0o644)
        self.assertTrue(mt.readable_by(self.arch, 'nobody'))
        self.assertEqual(mt.local_path('file://localhost/etc/x'), ('/etc/x', None))
        self.assertEqual(mt.local_path('/etc/x'), ('/etc/x', None))

    def test_docker_pull_with_the_fetched_config(self):
        got, s = self.launch()
        self.assertEqual(got, 'sha256:' + '0' * 63 + '7')
        self.assertEqual(json.loads(read(os.path.join(s, '.docker', 'config.json'))), {'auths': {'r': {'auth': 'dTpw'}}})
        calls = self.fake.calls()
        self.assertIn('-H unix:///var/run/docker.sock inspect r/a:1', calls)
        self.assertIn('-H unix:///var/run/docker.sock pull r/a:1 HOME=' + s, calls)
        self.assertIn('config: {"auths": {"r": {"auth": "dTpw"}}}', calls)
        open(os.path.join(self.fake.dir, 'refuse'), 'w').close()
        got, _ = self.launch(forcePullImage=True)
        self.assertEqual(str(got), "Failed to run 'docker -H unix:///var/run/docker.sock pull r/a:1': exited with status 1; "
                                   "stderr='Error response from daemon: Get https://r/v2/a/manifests/1: unauthorized: authentication required\n'")
        open(os.path.join(self.fake.dir, 'have'), 'w').close()  # image present, no force: no pull
        got, _ = self.launch()
        self.assertEqual(got, 'sha256:cached')

    def test_docker_home_falls_back_to_the_agents_docker_config(self):
        s = self.sandbox()
        os.makedirs(s)
        self.assertEqual(mt.docker_home(s), (s, None))  # nothing anywhere: the sandbox
        with open(d.docker_config_snapshot(), 'w') as f:
            f.write('{"auths": {"r": {"auth": "YWdlbnQ6cHc="}}}')
        home, tmp = mt.docker_home(s)
        self.assertEqual(home, tmp)
        self.assertEqual(json.loads(read(os.path.join(home, '.docker', 'config.json')))['auths']['r']['auth'], 'YWdlbnQ6cHc=')
        with open(d.docker_config_snapshot(), 'w') as f:
            f.write('{"r": {"auth": "b2xkOnB3"}}')  # the old .dockercfg form
        home, _ = mt.docker_home(s)
        self.assertTrue(os.path.exists(os.path.join(home, '.dockercfg')))
        os.makedirs(os.path.join(s, '.docker'))
        with open(os.path.join(s, '.docker', 'config.json'), 'w') as f:
            f.write('{}')
        self.assertEqual(mt.docker_home(s), (s, None))  # a fetched config wins

    def test_tasks_round_with_a_marathon(self):
        clock = Clock()
        m = dm.Marathon(state_dir=tmpdir(), now=time.time)
        m.is_leader, m.leader = True, '127.0.0.1'
        srv = dm.Server(('127.0.0.1', 0), dm.make_handler(m))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        port = srv.server_address[1]
        try:
            m.agents = {'127.0.0.1': {'id': 'm-S1', 'hostname': '127.0.0.1', 'attributes': {}, 'public': False}}
            body = json.loads(app(image='r/a:1', uris=['file://' + self.arch]))
            req = urllib.request.Request('http://127.0.0.1:%d/v2/apps/myapp' % port, data=json.dumps(body).encode(), method='PUT',
                                         headers={'Content-Type': 'application/json'})
            with urllib.request.urlopen(req, timeout=5) as r:
                self.assertEqual(r.status, 201)
                self.assertTrue(r.headers['Marathon-Deployment-Id'])
            tasks = mt.Tasks('127.0.0.1', ['127.0.0.1'], port=port, sandboxes=os.path.join(self.root, 'sb'))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                self.assertEqual(tasks.round(), '127.0.0.1')
                m.schedule()
                with urllib.request.urlopen('http://127.0.0.1:%d/v2/apps/myapp' % port, timeout=5) as r:
                    a = json.load(r)['app']
                if a['tasksRunning'] == 1 and not a['deployments']:
                    break
                time.sleep(0.05)
            self.assertEqual(a['tasksRunning'], 1)
            ev = events(m)
            states = [e['state'] for e in ev]  # TASK_STARTING when the pull outlasts a round
            self.assertIn(states, (['TASK_STAGING', 'TASK_RUNNING'], ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING']))
            self.assertEqual(ev[-1]['digest'], 'sha256:' + '0' * 63 + '7')
            with urllib.request.urlopen('http://127.0.0.1:%d/v2/info' % port, timeout=5) as r:
                self.assertEqual(json.load(r)['leader'], '127.0.0.1:8080')
        finally:
            srv.shutdown()
            srv.server_close()
        del clock


def self_signed(dir, ip='127.0.0.1'):
    key, crt = os.path.join(dir, 'key.pem'), os.path.join(dir, 'ca.crt')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
                    '-subj', '/CN=lab', '-addext', 'subjectAltName=IP:' + ip, '-keyout', key, '-out', crt],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return key, crt


class ACRLike(http.server.BaseHTTPRequestHandler):
    """A registry whose token answer has only access_token, as ACR's."""
    seen = []

    def log_message(self, *a):
        pass

    def do_GET(self):
        ACRLike.seen.append((self.path, self.headers.get('Authorization')))
        if self.path.startswith('/oauth2/token'):
            body, code = b'{"access_token": "t0k"}', 200
            if self.headers.get('Authorization') != 'Basic ' + base64.b64encode(b'labacr:pw').decode():
                body, code = b'{"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}', 401
        else:
            body, code = b'{"errors": [{"code": "UNAUTHORIZED"}]}', 401
        self.send_response(code)
        if code == 401 and not self.path.startswith('/oauth2'):
            self.send_header('Www-Authenticate', 'Bearer realm="https://%s/oauth2/token",service="%s",scope="repository:a:pull"'
                             % (self.headers['Host'], self.headers['Host']))
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class UCRTest(unittest.TestCase):
    def test_ucr_needs_a_token_field(self):
        if subprocess.run(['openssl', 'version'], stdout=subprocess.DEVNULL).returncode != 0:
            self.skipTest('needs openssl')
        root = tmpdir()
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), ACRLike)
        host = '127.0.0.1:%d' % srv.server_address[1]
        os.makedirs(os.path.join(root, 'certs.d', host))
        key, crt = self_signed(os.path.join(root, 'certs.d', host))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        mt.CERTS_D = os.path.join(root, 'certs.d')
        d.STATE = os.path.join(root, 'state')
        os.makedirs(d.STATE)
        try:
            with open(d.docker_config_snapshot(), 'w') as f:
                f.write(json.dumps({'auths': {'https://' + host: {'auth': base64.b64encode(b'labacr:pw').decode()}}}))
            with self.assertRaises(mt.LaunchError) as e:
                mt.ucr_pull(host + '/a:1')
            self.assertEqual(str(e.exception), 'Failed to find token in JSON object')
            self.assertIn(('/oauth2/token?service=%s&scope=repository:a:pull' % host, 'Basic ' + base64.b64encode(b'labacr:pw').decode()), ACRLike.seen)
            os.unlink(d.docker_config_snapshot())  # no --docker_config: no Basic header
            with self.assertRaises(mt.LaunchError) as e:
                mt.ucr_pull(host + '/a:1')
            self.assertIn("Unexpected HTTP response '401 Unauthorized' when trying to GET 'https://%s/oauth2/token" % host, str(e.exception))
        finally:
            srv.shutdown()
            srv.server_close()


if __name__ == '__main__':
    r = unittest.main(argv=['marathon_test'], exit=False, verbosity=2).result
    sys.exit(0 if r.wasSuccessful() else 1)
