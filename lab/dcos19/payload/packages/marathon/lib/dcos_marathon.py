# dcos_marathon -- the lab's Marathon 1.4 stand-in on DC/OS masters (stdlib
# only): the REST API the tool and the DC/OS CLI use, a scheduler that places
# tasks on the agents the local Mesos master lists, and the task routing the
# Mesos master would do (agents ask for their tasks and report states).
#
#   GET  /v2/info, /ping
#   PUT  /v2/apps/<id>[?force=true]   create, or update (top-level fields of the
#        body replace the app's, as Marathon 1.4's partialUpdate); a changed
#        definition rolls every task (new ones started before old ones are
#        killed, upgradeStrategy minimumHealthCapacity / maximumOverCapacity,
#        default 1 and 1); 409 "App is locked by one or more deployments"
#        while a deployment holds the app unless force=true
#   GET  /v2/apps, /v2/apps/<id> (tasks, deployments, lastTaskFailure),
#        /v2/apps/<id>/tasks, /v2/apps/<id>/versions[/<version>], /v2/deployments
#   POST /standin/agent/<ip>   an agent's task states in, its tasks out
#
# Only the leader schedules: the Exhibitor leader (vSphere lab) or the first
# master (ACS lab); a standby passes every request to it, as Marathon does.
# Every task state change is a JSON line in <state dir>/task-events.log (with
# the app's running count after it), so that a test can replay a rolling
# update. Limits: lab/dcos19/README.md.
import http.server
import json
import math
import os
import re
import socketserver
import sys
import threading
import time
import uuid

import dcos_standin as d

PORT = 8080
STATE_DIR = os.environ.get('MARATHON_STANDIN_DIR', '/var/lib/dcos/standin/marathon')
VERSION = os.environ.get('MARATHON_STANDIN_VERSION', '1.4.12')
LEADER_MODE = os.environ.get('MARATHON_STANDIN_LEADER', 'exhibitor')  # or first-master
MESOS = ('127.0.0.1', 5050)
UNIT = 'dcos-marathon.service'
TICK = 0.25
# An agent that has not asked for its tasks this long is gone: its tasks are
# TASK_LOST (Mesos removes an agent after about 75 s of silence).
AGENT_LOST_SECONDS = 60
BACKOFF, BACKOFF_FACTOR, MAX_LAUNCH_DELAY = 1.0, 1.15, 3600.0
ACTIVE = ('TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING')
TERMINAL = ('TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_FINISHED', 'TASK_ERROR')
ARCHIVES = ('.tar', '.tgz', '.tar.gz', '.tbz2', '.tar.bz2', '.txz', '.tar.xz', '.zip', '.gz')
_ID_PART = re.compile(r'^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$')


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.%03dZ' % int((t % 1) * 1000)


class Invalid(Exception):
    """A 422 with Marathon's details."""

    def __init__(self, path, error):
        super().__init__(error)
        self.path, self.error = path, error


def app_id(path):
    parts = [p for p in path.strip('/').split('/')]
    if not parts or not all(_ID_PART.match(p) for p in parts):
        raise Invalid('/id', "path contains invalid characters (allowed: lowercase letters, digits, hyphen, '.', '..')")
    return '/' + '/'.join(parts)


def validate(app):
    c = app.get('container')
    if c is not None and not isinstance(c, dict):
        raise Invalid('/container', 'error.expected.jsobject')
    docker = (c or {}).get('docker')
    if c and c.get('type', 'DOCKER') not in ('DOCKER', 'MESOS'):
        raise Invalid('/container/type', 'error.expected.validenumvalue')
    if c and (c.get('type', 'DOCKER') == 'DOCKER' or docker is not None) and not (docker or {}).get('image'):
        raise Invalid('/container/docker/image', 'must not be empty')
    if not c and not app.get('cmd') and not app.get('args'):
        raise Invalid('/', "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.")
    n = app.get('instances', 1)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise Invalid('/instances', 'error.min')
    if 'uris' in app and 'fetch' in app:
        raise Invalid('/fetch', 'fetch and uris are mutually exclusive')


def fetch_uris(app):
    """The app's files to fetch as Mesos CommandInfo URIs."""
    if isinstance(app.get('fetch'), list):
        return [{'value': f.get('uri', ''), 'extract': f.get('extract', True)} for f in app['fetch'] if isinstance(f, dict)]
    return [{'value': u, 'extract': u.endswith(ARCHIVES)} for u in app.get('uris') or [] if isinstance(u, str)]


def config_of(app):
    """What a rolling restart depends on: everything but instances."""
    return json.dumps({k: v for k, v in app.items() if k not in ('instances', 'id')}, sort_keys=True)


class Marathon:
    def __init__(self, state_dir=STATE_DIR, mesos=MESOS, now=time.time):
        self.dir, self.mesos, self.now = state_dir, mesos, now
        self.lock = threading.RLock()
        self.apps, self.tasks, self.deployments = {}, {}, {}
        self.agents = {}  # ip -> {'id', 'hostname', 'public', 'attributes'}
        self.seen = {}    # ip -> time of the agent's last request
        self.framework_id = str(uuid.uuid4()) + '-0000'
        self.last_version = 0.0
        self.leader = None  # IP, or None when unknown
        self.is_leader = False
        os.makedirs(self.dir, exist_ok=True)
        self.events = os.path.join(self.dir, 'task-events.log')
        self._load()

    # --- persistence ---------------------------------------------------------

    def _load(self):
        try:
            with open(os.path.join(self.dir, 'state.json')) as f:
                st = json.load(f)
            self.apps, self.tasks, self.deployments = st['apps'], st['tasks'], st['deployments']
            self.framework_id = st.get('frameworkId', self.framework_id)
            self.last_version = st.get('lastVersion', 0.0)
        except (OSError, ValueError, KeyError):
            pass

    def _save(self):
        d.write(os.path.join(self.dir, 'state.json'), json.dumps({
            'apps': self.apps, 'tasks': self.tasks, 'deployments': self.deployments,
            'frameworkId': self.framework_id, 'lastVersion': self.last_version}))

    def _event(self, task, state, message=''):
        running = sum(1 for t in self.tasks.values() if t['app'] == task['app'] and t['state'] == 'TASK_RUNNING')
        line = json.dumps({'time': iso(self.now()), 'app': task['app'], 'task': task['id'], 'version': task['version'],
                           'agent': task['host'], 'state': state, 'message': message, 'digest': task.get('digest', ''),
                           'running': running}, sort_keys=True)
        with open(self.events, 'a') as f:
            f.write(line + '\n')

    def _set_state(self, task, state, message=''):
        task['state'] = state
        if message:
            task['message'] = message
        self._event(task, state, message)

    def _version(self):
        t = max(self.now(), self.last_version + 0.001)
        self.last_version = t
        return iso(t)

    # --- the API -------------------------------------------------------------

    def put_app(self, aid, body, force):
        """(status, answer) of PUT /v2/apps/<aid>."""
        try:
            upd = json.loads(body or b'null')
        except ValueError as e:
            return 400, {'message': 'Invalid JSON', 'details': str(e)}
        if not isinstance(upd, dict):
            return 400, {'message': 'Invalid JSON', 'details': 'an app definition is a JSON object'}
        with self.lock:
            try:
                aid = app_id(aid)
                old = self.apps.get(aid)
                new = dict(old['def']) if old else {}
                new.update({k: v for k, v in upd.items() if k not in ('version', 'versionInfo', 'tasks', 'deployments')})
                new['id'] = aid
                validate(new)
            except Invalid as e:
                return 422, {'message': 'Object is not valid', 'details': [{'path': e.path, 'errors': [e.error]}]}
            holding = [x for x in self.deployments.values() if x['app'] == aid]
            if holding and not force:
                return 409, {'message': "App is locked by one or more deployments. Override with the option '?force=true'. "
                                        "View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
                             'deployments': [{'id': x['id']} for x in holding]}
            for x in holding:
                del self.deployments[x['id']]
            dep_id = str(uuid.uuid4())
            if old and config_of(old['def']) == config_of(new) and old['def'].get('instances', 1) == new.get('instances', 1):
                return 200, {'version': old['version'], 'deploymentId': dep_id}
            v = self._version()
            action = 'StartApplication'
            app = {'def': new, 'version': v, 'configVersion': v, 'scalingVersion': v, 'versions': {}, 'failures': 0,
                   'launchAt': 0.0, 'lastFailure': None}
            if old:
                app.update({k: old[k] for k in ('versions', 'lastFailure', 'configVersion', 'failures', 'launchAt')})
                if config_of(old['def']) != config_of(new):
                    app['configVersion'], app['failures'], app['launchAt'], action = v, 0, 0.0, 'RestartApplication'
                else:
                    action = 'ScaleApplication'
            app['versions'][v] = new
            self.apps[aid] = app
            self.deployments[dep_id] = {'id': dep_id, 'app': aid, 'version': v, 'action': action}
            self._save()
            return (200 if old else 201), {'version': v, 'deploymentId': dep_id}

    def _task_json(self, t):
        out = {'id': t['id'], 'appId': t['app'], 'host': t['host'], 'slaveId': t['slaveId'], 'state': t['state'],
               'version': t['version'], 'stagedAt': t['stagedAt'], 'ports': [], 'ipAddresses': [{'ipAddress': t['host'], 'protocol': 'IPv4'}]}
        if t.get('startedAt'):
            out['startedAt'] = t['startedAt']
        return out

    def app_json(self, aid, embed=True):
        a = self.apps[aid]
        out = dict(a['def'])
        out.setdefault('instances', 1)
        out['version'] = a['version']
        out['versionInfo'] = {'lastScalingAt': a['scalingVersion'], 'lastConfigChangeAt': a['configVersion']}
        tasks = [t for t in self.tasks.values() if t['app'] == aid and t['state'] in ACTIVE]
        out['tasksStaged'] = sum(1 for t in tasks if t['state'] in ('TASK_STAGING', 'TASK_STARTING'))
        out['tasksRunning'] = sum(1 for t in tasks if t['state'] == 'TASK_RUNNING')
        out['tasksHealthy'] = out['tasksUnhealthy'] = 0
        out['deployments'] = [{'id': x['id']} for x in self.deployments.values() if x['app'] == aid]
        if embed:
            out['tasks'] = [self._task_json(t) for t in sorted(tasks, key=lambda t: t['stagedAt'])]
            if a.get('lastFailure'):
                out['lastTaskFailure'] = a['lastFailure']
        return out

    def deployments_json(self):
        out = []
        for x in self.deployments.values():
            action = {'action': x['action'], 'app': x['app'], 'readinessCheckResults': []}
            out.append({'id': x['id'], 'version': x['version'], 'affectedApps': [x['app']], 'affectedPods': [],
                        'steps': [{'actions': [{'action': x['action'], 'app': x['app']}]}],
                        'currentActions': [action], 'currentStep': 1, 'totalSteps': 1})
        return out

    def get(self, path):
        """(status, answer) of a GET."""
        with self.lock:
            if path == '/v2/info':
                leader = '%s:%d' % (self.leader, PORT) if self.leader else None
                return 200, {'name': 'marathon', 'version': VERSION, 'leader': leader, 'elected': self.is_leader,
                             'frameworkId': self.framework_id, 'marathon_config': {'mesos_user': 'root', 'task_launch_timeout': 300000},
                             'http_config': {'http_port': PORT}}
            if path == '/v2/deployments':
                return 200, self.deployments_json()
            if path == '/v2/apps':
                return 200, {'apps': [self.app_json(a, embed=False) for a in sorted(self.apps)]}
            if not path.startswith('/v2/apps/'):
                return 404, {'message': 'URI not found: ' + path}
            rest = path[len('/v2/apps'):]
            sub = ''
            for marker in ('/versions', '/tasks'):
                i = rest.find(marker)
                if i >= 0:
                    rest, sub = rest[:i], rest[i:]
                    break
            try:
                aid = app_id(rest)
            except Invalid:
                return 404, {'message': 'URI not found: ' + path}
            if aid not in self.apps:
                return 404, {'message': "App '%s' does not exist" % aid}
            a = self.apps[aid]
            if sub == '':
                return 200, {'app': self.app_json(aid)}
            if sub == '/tasks':
                return 200, {'tasks': self.app_json(aid)['tasks']}
            if sub == '/versions':
                return 200, {'versions': sorted(a['versions'], reverse=True)}
            v = sub[len('/versions/'):]
            if v in a['versions']:
                out = dict(a['versions'][v])
                out['version'] = v
                return 200, out
            return 404, {'message': "Version '%s' of app '%s' does not exist" % (v, aid)}

    def agent_contact(self, ip, body):
        """An agent's task states in, the tasks it should run or kill out."""
        try:
            statuses = json.loads(body or b'{}').get('statuses', {})
        except (ValueError, AttributeError):
            return 400, {'message': 'Invalid JSON'}
        with self.lock:
            self.seen[ip] = self.now()
            changed = False
            for tid, st in statuses.items():
                t = self.tasks.get(tid)
                if t is None or t['host'] != ip or t['state'] in TERMINAL:
                    continue
                state = st.get('state', '')
                if t['state'] == 'TASK_KILLING' and state != 'TASK_KILLED':
                    continue
                if state == t['state'] or state not in ACTIVE + TERMINAL:
                    continue
                if st.get('digest'):
                    t['digest'] = st['digest']
                if state == 'TASK_RUNNING':
                    t['startedAt'] = iso(self.now())
                    a = self.apps.get(t['app'])
                    if a and t['version'] == a['configVersion']:
                        a['failures'] = 0
                self._set_state(t, state, st.get('message', ''))
                if state in TERMINAL:
                    self._terminal(t, st.get('message', ''))
                changed = True
            out = []
            for t in self.tasks.values():
                if t['host'] != ip or t['state'] not in ACTIVE:
                    continue
                if t['state'] == 'TASK_KILLING':
                    out.append({'id': t['id'], 'kill': True})
                    continue
                a = self.apps[t['app']]['versions'][t['version']]
                c = a.get('container') or {}
                out.append({'id': t['id'], 'app': t['app'], 'type': c.get('type', 'DOCKER'),
                            'image': (c.get('docker') or {}).get('image', ''),
                            'forcePullImage': bool((c.get('docker') or {}).get('forcePullImage', False)),
                            'uris': fetch_uris(a), 'user': a.get('user') or 'root'})
            for tid in statuses:
                t = self.tasks.get(tid)
                if (t is None or t['host'] != ip) and statuses[tid].get('state') in ACTIVE:
                    out.append({'id': tid, 'kill': True})  # not ours (any more)
            if changed:
                self._save()
            return 200, {'tasks': out}

    def _terminal(self, t, message):
        """A task ended: remember a failure, back off relaunches, forget it."""
        a = self.apps.get(t['app'])
        if a and t['state'] in ('TASK_FAILED', 'TASK_LOST', 'TASK_ERROR'):
            a['lastFailure'] = {'appId': t['app'], 'host': t['host'], 'message': message, 'state': t['state'],
                                'taskId': t['id'], 'timestamp': iso(self.now()), 'version': t['version'], 'slaveId': t['slaveId']}
            if t['version'] == a['configVersion']:
                a['failures'] += 1
                delay = min(BACKOFF * BACKOFF_FACTOR ** (a['failures'] - 1), MAX_LAUNCH_DELAY)
                a['launchAt'] = self.now() + delay
        del self.tasks[t['id']]

    # --- scheduling ----------------------------------------------------------

    def refresh_agents(self):
        body = d.get(self.mesos[0], self.mesos[1], '/master/slaves')
        if body is None:
            return
        try:
            slaves = json.loads(body).get('slaves', [])
        except (ValueError, AttributeError):
            return
        agents = {}
        for s in slaves:
            ip = (s.get('pid', '').partition('@')[2].partition(':')[0]) or s.get('hostname', '')
            if not d.valid_ipv4(ip) or not s.get('active', True):
                continue
            attrs = {k: str(v) for k, v in (s.get('attributes') or {}).items()}
            agents[ip] = {'id': s.get('id', ''), 'hostname': s.get('hostname', ip), 'attributes': attrs,
                          'public': attrs.get('public_ip') == 'true'}
        with self.lock:
            self.agents = agents

    def _candidates(self, app, tasks_of_app):
        roles = app.get('acceptedResourceRoles') or ['*']
        now = self.now()
        out = []
        for ip, ag in sorted(self.agents.items(), key=lambda kv: [int(x) for x in kv[0].split('.')]):
            if now - self.seen.get(ip, -1e9) > d.stale_seconds():
                continue  # it does not ask for tasks: no Mesos agent runs there
            if ag['public'] and 'slave_public' not in roles or not ag['public'] and '*' not in roles:
                continue
            here = [t for t in tasks_of_app if t['host'] == ip]
            if all(self._meets(c, ip, ag, here) for c in app.get('constraints') or []):
                out.append(ip)
        return out

    @staticmethod
    def _meets(c, ip, ag, here):
        if not isinstance(c, list) or len(c) < 2:
            return False
        field, op, value = c[0], c[1], (c[2] if len(c) > 2 else '')
        have = ag['hostname'] if field == 'hostname' else ag['attributes'].get(field)
        if have is None:
            return False
        if op == 'UNIQUE':
            return not here
        if op == 'CLUSTER':
            return have == value
        if op == 'LIKE':
            return re.fullmatch(value, have) is not None
        if op == 'UNLIKE':
            return re.fullmatch(value, have) is None
        if op == 'MAX_PER':
            return len(here) < int(value or 0)
        return op == 'GROUP_BY'

    def _launch(self, aid, a, tasks_of_app):
        cands = self._candidates(a['def'], tasks_of_app)
        if not cands:
            return False
        load = lambda ip: (sum(1 for t in tasks_of_app if t['host'] == ip), sum(1 for t in self.tasks.values() if t['host'] == ip))
        ip = min(cands, key=load)
        t = {'id': '%s.%s' % (aid.strip('/').replace('/', '_'), uuid.uuid4()), 'app': aid, 'version': a['configVersion'],
             'host': ip, 'slaveId': self.agents[ip]['id'], 'state': 'TASK_STAGING', 'stagedAt': iso(self.now()), 'message': ''}
        self.tasks[t['id']] = t
        tasks_of_app.append(t)
        self._event(t, 'TASK_STAGING')
        return True

    def schedule(self):
        """One scheduling round (leader only)."""
        with self.lock:
            now, changed = self.now(), False
            for t in list(self.tasks.values()):
                if t['state'] in ACTIVE and now - self.seen.get(t['host'], now) > AGENT_LOST_SECONDS:
                    self._set_state(t, 'TASK_LOST', 'Agent %s removed: health check timed out' % t['host'])
                    self._terminal(t, t['message'])
                    changed = True
            for aid, a in self.apps.items():
                changed |= self._schedule_app(aid, a, now)
            if changed:
                self._save()

    def _schedule_app(self, aid, a, now):
        n = a['def'].get('instances', 1)
        strategy = a['def'].get('upgradeStrategy') or {}
        min_healthy = math.ceil(n * float(strategy.get('minimumHealthCapacity', 1)))
        over = math.ceil(n * float(strategy.get('maximumOverCapacity', 1)))
        tasks = [t for t in self.tasks.values() if t['app'] == aid and t['state'] in ACTIVE]
        live = [t for t in tasks if t['state'] != 'TASK_KILLING']
        new = [t for t in live if t['version'] == a['configVersion']]
        old = [t for t in live if t['version'] != a['configVersion']]
        changed = False
        # Start the new version's tasks, within maximumOverCapacity.
        room = min(n - len(new), n + over - len(live))
        if not old:
            room = n - len(new)
        while room > 0 and now >= a['launchAt'] and self._launch(aid, a, tasks):
            room, changed = room - 1, True
            new = [t for t in tasks if t['state'] != 'TASK_KILLING' and t['version'] == a['configVersion']]
        # Kill old tasks while enough tasks run (minimumHealthCapacity):
        # those not running first, then one per replacement that runs.
        running = sum(1 for t in live if t['state'] == 'TASK_RUNNING')
        for t in sorted(old, key=lambda t: (t['state'] == 'TASK_RUNNING', t['stagedAt'])):
            if t['state'] == 'TASK_RUNNING':
                if running - 1 < min(min_healthy, n):
                    break
                running -= 1
            self._set_state(t, 'TASK_KILLING')
            changed = True
        # Scale down: the newest extra tasks go.
        for t in sorted(new, key=lambda t: t['stagedAt'], reverse=True)[:max(0, len(new) - n)]:
            self._set_state(t, 'TASK_KILLING')
            changed = True
        # The deployment is done when exactly n tasks of the new version run.
        for x in list(self.deployments.values()):
            if x['app'] != aid:
                continue
            active = [t for t in self.tasks.values() if t['app'] == aid and t['state'] in ACTIVE]
            if len(active) == n and all(t['state'] == 'TASK_RUNNING' and t['version'] == a['configVersion'] for t in active):
                del self.deployments[x['id']]
                changed = True
        return changed

    # --- leadership ----------------------------------------------------------

    def elect(self, my_ip, masters):
        leader = None
        if LEADER_MODE == 'first-master':
            leader = sorted(masters)[0] if masters else my_ip
        else:
            status = d.get(my_ip, d.EXHIBITOR_PORT, '/exhibitor/v1/cluster/status') or ''
            m = re.search(r'"hostname": "([0-9.]+)", "isLeader": true', status)
            leader = m.group(1) if m else None
        with self.lock:
            self.leader, self.is_leader = leader, leader == my_ip


def make_handler(m):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, *a):
            pass

        def _reply(self, code, obj, extra=None):
            body = (json.dumps(obj) + '\n').encode()
            self.send_response(code)
            self.send_header('Content-Type', 'application/json; charset=utf-8')
            self.send_header('Content-Length', str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _body(self):
            n = int(self.headers.get('Content-Length') or 0)
            return self.rfile.read(min(n, 1 << 20)) if n else b''

        def _proxy(self, method, body):
            """A standby passes the request to the leader."""
            if not m.leader:
                self._reply(503, {'message': 'Marathon has no leader yet'})
                return
            import http.client
            try:
                c = http.client.HTTPConnection(m.leader, PORT, timeout=10)
                c.request(method, self.path, body=body or None, headers={'Content-Type': 'application/json'})
                r = c.getresponse()
                data = r.read()
            except OSError as e:
                self._reply(503, {'message': 'the leader %s does not answer: %s' % (m.leader, e)})
                return
            self.send_response(r.status)
            for k in ('Content-Type', 'Marathon-Deployment-Id'):
                if r.getheader(k):
                    self.send_header(k, r.getheader(k))
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method):
            body = self._body() if method in ('PUT', 'POST') else b''
            path, _, query = self.path.partition('?')
            if path == '/ping':
                data = b'pong\n'
                self.send_response(200)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if not m.is_leader and path != '/v2/info':
                self._proxy(method, body)
                return
            if method == 'GET':
                code, out = m.get(path)
                self._reply(code, out)
            elif method == 'PUT' and path.startswith('/v2/apps/'):
                force = 'force=true' in query.split('&')
                code, out = m.put_app(path[len('/v2/apps/'):], body, force)
                self._reply(code, out, {'Marathon-Deployment-Id': out['deploymentId']} if 'deploymentId' in out else None)
            elif method == 'POST' and path.startswith('/standin/agent/'):
                code, out = m.agent_contact(path.rsplit('/', 1)[1], body)
                self._reply(code, out)
            else:
                self._reply(405, {'message': 'HTTP 405 Method Not Allowed'})

        def do_GET(self):
            self._route('GET')

        def do_PUT(self):
            self._route('PUT')

        def do_POST(self):
            self._route('POST')

        def do_DELETE(self):
            self._reply(405, {'message': 'the lab stand-in does not delete (dcos-vsphere never does)'})

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(bind='0.0.0.0', port=PORT):
    """The Marathon stand-in's main: the HTTP API in threads, scheduling and
    leadership in the loop, until SIGTERM."""
    my_ip = d.detect_ip()
    if my_ip is None:
        d.err('marathon: cannot start: ip-detect failed')
        return 1
    ms = d.masters()
    m = Marathon()
    try:
        srv = Server((bind, port), make_handler(m))
    except OSError as e:
        d.err('marathon: cannot listen on %s:%d: %s' % (bind, port, e))
        d.health(UNIT, 1, 'cannot listen on :%d' % port)
        return 1
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    def cleanup():
        srv.shutdown()
        d.health(UNIT, 1, 'marathon stopped')

    def loop():
        d.log('marathon %s stand-in on %s:%d, masters %s, leader by %s' % (VERSION, my_ip, port, ' '.join(ms), LEADER_MODE))
        last, slow = '', 0.0
        for _ in range(d.max_iterations()):
            m.elect(my_ip, ms)
            if m.is_leader:
                m.refresh_agents()
            d.health(UNIT, 0, 'leader' if m.is_leader else 'standby, leader %s' % (m.leader or 'unknown'))
            summary = 'leader=%s' % m.leader
            if summary != last:
                d.log(summary)
                last = summary
            # Scheduling every TICK within the round: a task state an agent
            # reported is acted on at once.
            end = time.monotonic() + d.interval()
            while True:
                if m.is_leader:
                    m.schedule()
                left = end - time.monotonic()
                if left <= 0:
                    break
                time.sleep(min(TICK, left))

    return d._serve(loop, cleanup)


if __name__ == '__main__':
    sys.exit(serve())
