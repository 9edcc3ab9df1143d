# mesos_tasks -- the task side of the lab's Mesos 1.2 agent stand-in: what an
# agent does with a task Marathon launched on it, from the agent's own network
# namespace (stdlib only).
#
# Each round the agent loop calls Tasks.round(): one POST of every task's
# status to Marathon on a master (:8080/standin/agent/<ip>; a standby Marathon
# passes it to the leader), whose answer lists the tasks this agent should run
# or kill (the stand-in for the Mesos master's task routing). A new task is
# launched in a thread, as the Docker containerizer does:
#   1. the URIs: 'Illegal characters in URI' for \ ' NUL, then the fetcher,
#      as the task's user (root by default): a file:// URI (or a bare path)
#      must be absolute ('File URI only supports absolute paths'), exist and be
#      readable by that user; it is copied into the sandbox and an archive is
#      unpacked there with tar -C <sandbox> -xf, like mesos-fetcher. A failure
#      fails the task with "Failed to launch container: Failed to fetch all URIs
#      for container '<id>' with exit status: 256".
#   2. the image: DOCKER runs `docker -H unix:///var/run/docker.sock pull IMAGE`
#      (skipped when forcePullImage is off and `docker inspect` finds it) with
#      HOME = the sandbox when it holds .docker/config.json or .dockercfg, else a
#      fresh HOME with the agent's --docker_config, else the sandbox (Mesos
#      1.2 src/docker/docker.cpp); MESOS (UCR) asks the registry itself with
#      only --docker_config and needs a "token" field in the token answer.
#      A failure: "Failed to launch container: Failed to run 'docker ... pull
#      IMAGE': exited with status 1; stderr='...'".
#   3. TASK_RUNNING (no container runs) with the digest that was pulled.
# Limits: lab/dcos19/README.md.
import base64
import hashlib
import json
import os
import pwd
import re
import shutil
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import dcos_standin as d

MARATHON_PORT = 8080
SANDBOXES = '/var/lib/mesos/slave/standin-sandboxes'
DOCKER_SOCKET = 'unix:///var/run/docker.sock'
CERTS_D = '/etc/docker/certs.d'
PULL_TIMEOUT = 120
ARCHIVES = ('.tar', '.tgz', '.tar.gz', '.tbz2', '.tar.bz2', '.txz', '.tar.xz')
ACTIVE = ('TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING')


class LaunchError(Exception):
    """A failed launch: the TASK_FAILED message."""


def illegal(uri):
    return any(c in uri for c in ('\\', "'", '\0'))


def local_path(uri):
    """(path, None) for a local URI, (None, error) otherwise (uriToLocalPath)."""
    path, file_uri = uri, False
    if path.startswith('file://localhost'):
        path, file_uri = path[len('file://localhost'):], True
    elif path.startswith('file://'):
        path, file_uri = path[len('file://'):], True
    elif '://' in path:
        return None, 'the lab stand-in fetches local files only (file:// URIs and absolute paths)'
    if not path.startswith('/'):
        if file_uri:
            return None, 'File URI only supports absolute paths'
        return None, ('A relative path was passed for the resource but the Mesos framework home was not '
                      'specified. Please either provide this config option or avoid using a relative path')
    return path, None


def readable_by(path, user):
    """Whether user may open path for reading (root reads everything); the
    fetcher runs as the task's user."""
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return False
    if pw.pw_uid == 0:
        return True
    try:
        st = os.stat(path)
    except OSError:
        return False
    groups = set(os.getgrouplist(user, pw.pw_gid))
    if st.st_uid == pw.pw_uid:
        return bool(st.st_mode & 0o400)
    if st.st_gid in groups:
        return bool(st.st_mode & 0o040)
    return bool(st.st_mode & 0o004)


def fetch(uris, sandbox, user):
    """mesos-fetcher: returns None, or the fetcher's log lines of the failure."""
    log = []
    for u in uris:
        value, extract = u.get('value', ''), u.get('extract', True)
        path, problem = local_path(value.lstrip())
        name = os.path.basename(value.rstrip('/')) or 'resource'
        if problem:
            return log + ["Failed to fetch '%s': %s" % (value, problem)]
        if not os.path.exists(path):
            return log + ["cp: cannot stat '%s': No such file or directory" % path,
                          "Failed to fetch '%s': Failed to copy '%s': exited with status 1" % (value, path)]
        if not readable_by(path, user):
            return log + ["cp: cannot open '%s' for reading: Permission denied" % path,
                          "Failed to fetch '%s': Failed to copy '%s': exited with status 1" % (value, path)]
        dst = os.path.join(sandbox, name)
        try:
            shutil.copyfile(path, dst)
        except OSError as e:
            return log + ["cp: %s" % e, "Failed to fetch '%s': Failed to copy '%s': exited with status 1" % (value, path)]
        log.append("Copied resource '%s' to '%s'" % (path, dst))
        if extract and dst.endswith(ARCHIVES):
            cmd = ['tar', '-C', sandbox, '-xf', dst]
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            if p.returncode != 0:
                return log + [p.stderr.decode('utf-8', 'replace').strip(),
                              "Failed to fetch '%s': Failed to extract '%s': '%s' failed: exited with status %d"
                              % (value, dst, ' '.join(cmd), p.returncode)]
            log.append("Extracted '%s' into '%s'" % (dst, sandbox))
    return None


def docker_home(sandbox):
    """HOME for `docker pull`: the sandbox when a config was fetched into it,
    else a fresh HOME with the agent's --docker_config (as Mesos writes it),
    else the sandbox. Returns (home, temporary dir to remove or None)."""
    if os.path.exists(os.path.join(sandbox, '.docker', 'config.json')) or os.path.exists(os.path.join(sandbox, '.dockercfg')):
        return sandbox, None
    try:
        with open(d.docker_config_snapshot(), encoding='utf-8') as f:
            cfg = f.read()
    except OSError:
        return sandbox, None
    home = os.path.join(sandbox, '.mesos-docker-home-' + uuid.uuid4().hex[:8])
    try:
        doc = json.loads(cfg)
    except ValueError:
        doc = {}
    path = os.path.join(home, '.docker') if isinstance(doc, dict) and 'auths' in doc else home
    os.makedirs(path, mode=0o700)
    name = 'config.json' if path != home else '.dockercfg'
    fd = os.open(os.path.join(path, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(cfg)
    return home, home


def docker_pull(image, sandbox, force):
    """The Docker containerizer's pull; returns the digest (or '')."""
    env = dict(os.environ)
    if not force:
        p = subprocess.run(['docker', '-H', DOCKER_SOCKET, 'inspect', image], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, env=env, timeout=30)
        if p.returncode == 0:
            try:
                return (json.loads(p.stdout)[0].get('RepoDigests') or [''])[0].partition('@')[2]
            except (ValueError, IndexError, AttributeError):
                return ''
    home, tmp = docker_home(sandbox)
    env['HOME'] = home
    cmd = 'docker -H %s pull %s' % (DOCKER_SOCKET, image)
    try:
        p = subprocess.run(['docker', '-H', DOCKER_SOCKET, 'pull', image], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=PULL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise LaunchError("Failed to run '%s': killed after %ds" % (cmd, PULL_TIMEOUT))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if p.returncode != 0:
        raise LaunchError("Failed to run '%s': exited with status %d; stderr='%s'"
                          % (cmd, p.returncode, p.stderr.decode('utf-8', 'replace')))
    m = re.search(r'^Digest: (sha256:[0-9a-f]{64})$', p.stdout.decode('utf-8', 'replace'), re.M)
    return m.group(1) if m else ''


def parse_image(image):
    host, _, rest = image.partition('/')
    if '@' in rest:
        repo, _, ident = rest.partition('@')
    elif ':' in rest.rsplit('/', 1)[-1]:
        repo, _, ident = rest.rpartition(':')
    else:
        repo, ident = rest, 'latest'
    return host, repo, ident


def auth_url_host(key):
    """Mesos' spec::parseAuthUrl: the key without scheme and path."""
    for scheme in ('http://', 'https://'):
        if key.startswith(scheme):
            key = key[len(scheme):]
    return key.split('/', 1)[0]


def ucr_pull(image):
    """The Mesos containerizer's docker store (UCR puller): only the agent's
    --docker_config, and the token answer must have a "token" field
    (src/uri/fetchers/docker.cpp). Returns the digest."""
    host, repo, ident = parse_image(image)
    ctx = ssl.create_default_context()
    cd = os.path.join(CERTS_D, host)
    if os.path.isdir(cd):  # the lab CA (a real ACR has a public certificate)
        for n in sorted(os.listdir(cd)):
            if n.endswith('.crt'):
                ctx.load_verify_locations(cafile=os.path.join(cd, n))
    auth = None
    try:
        with open(d.docker_config_snapshot(), encoding='utf-8') as f:
            cfg = json.load(f)
        auths = cfg.get('auths', cfg) if isinstance(cfg, dict) else {}
        for key, value in auths.items():
            if auth_url_host(key) == host and isinstance(value, dict) and value.get('auth'):
                auth = value['auth']
                break
    except (OSError, ValueError):
        pass
    accept = 'application/vnd.docker.distribution.manifest.v2+json'

    def get(url, header=None):
        req = urllib.request.Request(url, headers={'Accept': accept, **({'Authorization': header} if header else {})})
        try:
            with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise LaunchError("Failed to perform 'curl': %s" % getattr(e, 'reason', e))

    url = 'https://%s/v2/%s/manifests/%s' % (host, repo, ident)
    status, headers, body = get(url)
    header = None
    if status == 401:
        scheme, _, params = headers.get('Www-Authenticate', '').partition(' ')
        if scheme.upper() != 'BEARER':
            raise LaunchError('Unsupported auth-scheme: ' + scheme.upper())
        p = dict((k.lower(), v.strip('"')) for k, _, v in (x.strip().partition('=') for x in params.split(',')))
        for k in ('realm', 'service', 'scope'):
            if k not in p:
                raise LaunchError("Missing '%s' in WWW-Authenticate header" % k)
        token_uri = p['realm'] + '?service=' + p['service'] + '&scope=' + p['scope']
        s, _, tb = get(token_uri, 'Basic ' + auth if auth else None)
        if s != 200:
            raise LaunchError("Unexpected HTTP response '%d %s' when trying to GET '%s'" % (s, http_reason(s), token_uri))
        try:
            answer = json.loads(tb)
        except ValueError as e:
            raise LaunchError('Parsing the JSON object failed: %s' % e)
        if not isinstance(answer, dict) or not isinstance(answer.get('token'), str):
            raise LaunchError('Failed to find token in JSON object')
        header = 'Bearer ' + answer['token']
        status, headers, body = get(url, header)
    if status != 200:
        raise LaunchError("Unexpected HTTP response '%d %s' when trying to get the manifest" % (status, http_reason(status)))
    digest = 'sha256:' + hashlib.sha256(body).hexdigest()
    manifest = json.loads(body)
    for blob in [manifest['config']] + manifest.get('layers', []):
        s, _, b = get('https://%s/v2/%s/blobs/%s' % (host, repo, blob['digest']), header)
        if s != 200 or 'sha256:' + hashlib.sha256(b).hexdigest() != blob['digest']:
            raise LaunchError('Failed to fetch blob %s' % blob['digest'])
    return digest


def http_reason(status):
    import http.client
    return http.client.responses.get(status, '')


def launch(spec, sandbox, container_id):
    """Runs one launch; returns the digest or raises LaunchError."""
    uris = spec.get('uris') or []
    for u in uris:
        if illegal(u.get('value', '')):
            raise LaunchError('Could not fetch: Illegal characters in URI')
    os.makedirs(sandbox, mode=0o755, exist_ok=True)
    failed = fetch(uris, sandbox, spec.get('user') or 'root')
    if failed:
        with open(os.path.join(sandbox, 'stderr'), 'a') as f:
            f.write('\n'.join(failed) + '\n')
        raise LaunchError("Failed to fetch all URIs for container '%s' with exit status: 256" % container_id)
    if spec.get('type') == 'MESOS':
        return ucr_pull(spec['image'])
    return docker_pull(spec['image'], sandbox, spec.get('forcePullImage', False))


class Tasks:
    """The tasks of this agent, and the one request per round to Marathon."""

    def __init__(self, my_ip, masters, port=MARATHON_PORT, sandboxes=SANDBOXES):
        self.my_ip, self.masters, self.port, self.sandboxes = my_ip, masters, port, sandboxes
        self.tasks = {}  # id -> {'state', 'message', 'digest', 'spec'}
        self.lock = threading.Lock()

    def statuses(self):
        with self.lock:
            return {tid: {'state': t['state'], 'message': t['message'], 'digest': t['digest']}
                    for tid, t in self.tasks.items()}

    def _run(self, tid, spec):
        cid = str(uuid.uuid4())
        sandbox = os.path.join(self.sandboxes, tid, 'runs', cid)
        try:
            digest, state, msg = launch(spec, sandbox, cid), 'TASK_RUNNING', ''
        except LaunchError as e:
            digest, state, msg = '', 'TASK_FAILED', 'Failed to launch container: %s' % e
        except Exception as e:  # a stand-in bug must not look like a running task
            digest, state, msg = '', 'TASK_FAILED', 'Failed to launch container: lab stand-in error: %r' % e
        with self.lock:
            t = self.tasks.get(tid)
            if t and t['state'] == 'TASK_STARTING':
                t.update(state=state, message=msg, digest=digest)
        if state != 'TASK_RUNNING':
            shutil.rmtree(os.path.join(self.sandboxes, tid), ignore_errors=True)

    def apply(self, assigned):
        """Acts on Marathon's answer: launch new tasks, kill the ones asked,
        forget terminal ones Marathon no longer lists."""
        listed = set()
        with self.lock:
            for spec in assigned:
                tid = spec.get('id', '')
                listed.add(tid)
                t = self.tasks.get(tid)
                if spec.get('kill'):
                    if t is None or t['state'] in ACTIVE:
                        self.tasks[tid] = {'state': 'TASK_KILLED', 'message': 'Command terminated with signal Terminated',
                                           'digest': (t or {}).get('digest', ''), 'spec': spec}
                        shutil.rmtree(os.path.join(self.sandboxes, tid), ignore_errors=True)
                    continue
                if t is None:
                    self.tasks[tid] = {'state': 'TASK_STARTING', 'message': '', 'digest': '', 'spec': spec}
                    threading.Thread(target=self._run, args=(tid, spec), daemon=True).start()
            for tid in [x for x, t in self.tasks.items() if x not in listed and t['state'] not in ('TASK_STARTING', 'TASK_RUNNING')]:
                del self.tasks[tid]

    def round(self, masters=None):
        """One exchange with Marathon (on masters, default all); returns the
        master that answered, or None."""
        body = json.dumps({'statuses': self.statuses()}).encode()
        for m in self.masters if masters is None else masters:
            out = d.http('POST', m, self.port, '/standin/agent/' + self.my_ip, body=body, source=self.my_ip, max_time=3.0)
            if out is None:
                continue
            try:
                assigned = json.loads(out.decode('utf-8', 'replace')).get('tasks', [])
            except (ValueError, AttributeError):
                continue
            self.apply(assigned)
            return m
        return None


def acs_agent():
    """The agent side on an ACS lab agent (no Mesos agent process there, no
    --docker_config): only tasks, every round, until SIGTERM."""
    my_ip = d.detect_ip()
    if my_ip is None:
        d.err('mesos-agent tasks: cannot start: ip-detect failed')
        return 1
    ms = sorted(d.masters())
    tasks = Tasks(my_ip, ms)

    def loop():
        d.log('mesos agent task stand-in on %s, masters %s' % (my_ip, ' '.join(ms)))
        pause = d.interval()
        for _ in range(d.max_iterations()):
            tasks.round()
            time.sleep(pause)

    return d._serve(loop, lambda: None)
