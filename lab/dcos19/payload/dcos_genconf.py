# DC/OS 1.9.10 config generator stand-in (the lab's replacement for the
# dcos-genconf docker image run by dcos_generate_config.sh).
#
# The wrapper execs this file from memory with PAYLOAD (the tar payload as
# bytes) and ARGV set. It checks genconf/config.yaml with the rules of DC/OS
# 1.9.10 (gen/calc.py, dcos_installer/config.py) and writes genconf/serve in
# the documented layout. It is written independently of the project's Go
# genconf package so that tests do not have the code checking itself.

import hashlib
import io
import ipaddress
import json
import os
import socket
import sys
import tarfile
import urllib.parse

import yaml

DCOS_VERSION = '1.9.10'
DCOS_VARIANT = ''
DCOS_IMAGE_COMMIT = 'afa41d022b61a1b6e5723799ec6617c90621cf8a'
# Fixed for the stand-in: the real id comes from the installer image.
BOOTSTRAP_ID = '4b9d5c3e1f0a8e7d6c5b4a39281706f5e4d3c2b1'
SECRET_KEYS = ('cluster_docker_credentials', 'exhibitor_admin_password',
               'aws_secret_access_key', 'exhibitor_azure_account_key')
HIDDEN = '**HIDDEN**'

# Calculated parameters: setting one is an error in 1.9.
CALCULATED = (
    'master_quorum', 'provider', 'dcos_version', 'dcos_variant', 'config_id',
    'cluster_packages', 'cluster_packages_json', 'exhibitor_static_ensemble',
    'bootstrap_id', 'bootstrap_variant', 'dcos_image_commit', 'template_filenames',
    'ip_detect_contents', 'ip_detect_public_contents', 'no_proxy_final',
    'master_dns_bindall_final', 'mesos_dns_resolvers_str', 'dcos_version_json',
    'package_names', 'cluster_package_list_id', 'exhibitor_azure_account_key_final',
    'user_arguments', 'expanded_config', 'dcos_gen_resolvconf_search_str',
    'master_external_loadbalancer_final', 'resolvers_str', 'ui_branding',
    'mesos_hooks', 'mesos_isolation', 'has_master_external_loadbalancer',
)

DEFAULTS = {
    'resolvers': '["8.8.8.8", "8.8.4.4"]',
    'dns_search': '',
    'ip_detect_filename': 'genconf/ip-detect',
    'ip_detect_public_filename': '',
    'platform': 'onprem',
    'oauth_enabled': 'true',
    'oauth_available': 'true',
    'telemetry_enabled': 'true',
    'check_time': 'true',
    'docker_remove_delay': '1hrs',
    'docker_stop_timeout': '20secs',
    'gc_delay': '2days',
    'enable_docker_gc': 'false',
    'use_proxy': 'false',
    'cluster_docker_credentials': '{}',
    'cluster_docker_credentials_enabled': 'false',
    'cluster_docker_credentials_write_to_etc': 'false',
    'cluster_docker_registry_url': '',
    'dcos_overlay_enable': 'true',
    'dcos_overlay_mtu': '1420',
    'dcos_overlay_config_attempts': '4',
    'dcos_overlay_network': json.dumps({
        'vtep_subnet': '44.128.0.0/20', 'vtep_mac_oui': '70:B3:D5:00:00:00',
        'overlays': [{'name': 'dcos', 'subnet': '9.0.0.0/8', 'prefix': 24}]}),
    'dcos_overlay_network_default_name': 'dcos',
    'dns_forward_zones': '[]',
    'dns_bind_ip_blacklist': '[]',
    'master_dns_bindall': 'true',
    'mesos_dns_ip_sources': '["host", "netinfo"]',
    'mesos_log_retention_mb': '4000',
    'mesos_container_log_sink': 'logrotate',
    'enable_gpu_isolation': 'true',
    'gpus_are_scarce': 'true',
    'enable_lb': 'true',
    'weights': '',
    'minuteman_min_named_ip': '11.0.0.0',
    'minuteman_max_named_ip': '11.255.255.255',
    'dcos_remove_dockercfg_enable': 'false',
    'cosmos_config': '{}',
    'exhibitor_admin_password': '',
    'master_external_loadbalancer': '',
    'bootstrap_tmp_dir': 'tmp',
}

TRUE_FALSE = (
    'oauth_enabled', 'oauth_available', 'telemetry_enabled', 'check_time',
    'enable_docker_gc', 'use_proxy', 'cluster_docker_credentials_enabled',
    'cluster_docker_credentials_dcos_owned', 'cluster_docker_credentials_write_to_etc',
    'dcos_overlay_enable', 'master_dns_bindall', 'enable_gpu_isolation',
    'gpus_are_scarce', 'enable_lb', 'dcos_remove_dockercfg_enable',
)

STORAGE_BACKENDS = ('static', 'zookeeper', 'aws_s3', 'azure', 'shared_filesystem',
                    'agent_only_group_no_exhibitor')


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def one_of(value, choices):
    if value not in choices:
        return 'Must be one of {}. Got {}.'.format(
            ', '.join("'{}'".format(c) for c in choices), "'{}'".format(value))
    return None


def stringify(raw):
    """Stringifies every value as 1.9 does; returns (config, error)."""
    out = {}
    for key, value in raw.items():
        if isinstance(value, bool):
            out[key] = 'true' if value else 'false'
        elif isinstance(value, int):
            out[key] = str(value)
        elif isinstance(value, str):
            out[key] = value
        elif isinstance(value, (list, dict)):
            out[key] = json.dumps(value, sort_keys=True)
        else:
            return None, 'Invalid type for value of {} in config'.format(key)
    return out, None


def is_ipv4(text):
    try:
        socket.inet_pton(socket.AF_INET, text)
        return True
    except (OSError, TypeError):
        return False


def json_list(value):
    try:
        parsed = json.loads(value)
    except ValueError as ex:
        return None, ("Must be a JSON formatted list, but couldn't be parsed the given value "
                      "`{}` as one because of: {}".format(value, ex))
    if not isinstance(parsed, list):
        return None, 'Must be a JSON formatted list. Got a {}'.format(type(parsed).__name__)
    return parsed, None


def json_dict(value):
    try:
        parsed = json.loads(value)
    except ValueError as ex:
        return None, ("Must be a JSON formatted dictionary, but couldn't be parsed the given "
                      "value `{}` as one because of: {}".format(value, ex))
    if not isinstance(parsed, dict):
        return None, 'Must be a JSON formatted dictionary. Got a {}'.format(type(parsed).__name__)
    return parsed, None


def ip_list_error(value):
    items, err = json_list(value)
    if err:
        return None, err
    bad = [str(i) for i in items if not isinstance(i, str) or not is_ipv4(i)]
    if bad:
        return None, ('Only IPv4 values are allowed. The following are invalid IPv4 '
                      'addresses: {}'.format(', '.join(bad)))
    dups = sorted({i for i in items if items.count(i) > 1})
    if dups:
        return None, 'List cannot contain duplicates: {}'.format(', '.join(dups))
    return items, None


def int_range(value, low, high):
    try:
        number = int(value)
    except ValueError:
        return 'Must be an integer but got a str: {}'.format(value)
    if number < low or (high is not None and number > high):
        if high is None:
            return 'Must be at least {}. Got {}'.format(low, number)
        return 'Must be between {} and {} inclusive. Got {}'.format(low, high, number)
    return None


def genconf_path(path):
    # The real generator runs in a container whose cwd is / with genconf
    # mounted at /genconf, so genconf/x and /genconf/x name the same file.
    if path.startswith('/genconf/'):
        return path[1:]
    return path


class Checker:
    """Collects `key: message` errors like gen's resolver does."""

    def __init__(self, user, with_ssh):
        self.user = user
        self.cfg = dict(DEFAULTS)
        self.cfg.update(user)
        self.with_ssh = with_ssh
        self.errors = {}

    def err(self, key, message):
        self.errors.setdefault(key, message)

    def need(self, key):
        if key not in self.cfg:
            self.err(key, 'Must set {}, no way to calculate value.'.format(key))
            return None
        return self.cfg[key]

    def check(self):
        cfg = self.cfg
        for key in CALCULATED:
            if key in self.user:
                self.err(key, '{} must be calculated, but was explicitly set in the '
                              'configuration. Remove it from the configuration.'.format(key))
        url = self.need('bootstrap_url')
        if url is not None:
            if len(url) <= 1:
                self.err('bootstrap_url', 'Should be a url (http://example.com/bar or '
                                          'file:///path/to/local/cache)')
            elif url.endswith('/'):
                self.err('bootstrap_url', "Must not end in a '/'")
        self.need('cluster_name')
        discovery = self.need('master_discovery')
        backend = self.need('exhibitor_storage_backend')
        if discovery is not None:
            msg = one_of(discovery, ('static', 'master_http_loadbalancer'))
            if msg:
                self.err('master_discovery', msg)
        if backend is not None:
            msg = one_of(backend, STORAGE_BACKENDS)
            if msg:
                self.err('exhibitor_storage_backend', msg)
        self.check_masters(discovery, backend)
        self.check_backend(backend)
        for key in TRUE_FALSE:
            if key in cfg:
                msg = one_of(cfg[key], ('true', 'false'))
                if msg:
                    self.err(key, msg)
        self.check_network()
        self.check_misc()
        self.check_ip_detect()
        if self.with_ssh:
            self.check_ssh()

    def check_masters(self, discovery, backend):
        cfg = self.cfg
        if discovery == 'static':
            if 'num_masters' in self.user:
                self.err('num_masters', 'num_masters must be calculated, but was explicitly set '
                                        'in the configuration. Remove it from the configuration.')
            masters = self.need('master_list')
            if masters is not None:
                items, msg = ip_list_error(masters)
                if msg:
                    self.err('master_list', msg)
                elif len(items) not in (1, 3, 5, 7, 9):
                    self.err('num_masters', 'Must have 1, 3, 5, 7, or 9 masters. '
                                            'Found {}'.format(len(items)))
        elif discovery == 'master_http_loadbalancer':
            self.need('exhibitor_address')
            num = self.need('num_masters')
            if num is not None:
                if num not in ('1', '3', '5', '7', '9'):
                    self.err('num_masters', 'Must have 1, 3, 5, 7, or 9 masters. Found {}'.format(num))
            if backend == 'static':
                msg = ('When master_discovery is not static, exhibitor_storage_backend must be '
                       'non-static. Having a variable list of master which are discovered by '
                       'agents using the master_http_loadbalancer means that the '
                       'exhibitor_storage_backend can\'t be static.')
                self.err('master_discovery', msg)
                self.err('exhibitor_storage_backend', msg)
            if 'master_list' in cfg:
                items, msg = ip_list_error(cfg['master_list'])
                if msg:
                    self.err('master_list', msg)

    def check_backend(self, backend):
        cfg = self.cfg
        if backend == 'zookeeper':
            hosts = self.need('exhibitor_zk_hosts')
            if hosts is not None and hosts.startswith('zk://'):
                self.err('exhibitor_zk_hosts', 'Must be of the form `host:port,host:port\', '
                                               'not start with `zk://\'')
            path = self.need('exhibitor_zk_path')
            if path is not None and not path.startswith('/'):
                self.err('exhibitor_zk_path', 'Must be of the form /path/to/znode')
        elif backend == 'aws_s3':
            for key in ('aws_region', 's3_bucket', 's3_prefix'):
                self.need(key)
            explicit = self.need('exhibitor_explicit_keys')
            if explicit is not None:
                msg = one_of(explicit, ('true', 'false'))
                if msg:
                    self.err('exhibitor_explicit_keys', msg)
                elif explicit == 'true':
                    self.need('aws_access_key_id')
                    self.need('aws_secret_access_key')
        elif backend == 'azure':
            for key in ('exhibitor_azure_account_name', 'exhibitor_azure_account_key',
                        'exhibitor_azure_prefix'):
                self.need(key)
        elif backend == 'shared_filesystem':
            self.need('exhibitor_fs_config_dir')
        if cfg.get('use_proxy') == 'true':
            self.need('http_proxy')
            self.need('https_proxy')
            _, msg = json_list(cfg.get('no_proxy', ''))
            if msg:
                self.err('no_proxy_final', msg)

    def check_network(self):
        cfg = self.cfg
        items, msg = json_list(cfg['resolvers'])
        if msg:
            self.err('resolvers', msg)
        else:
            bad = []
            for item in items:
                text = str(item)
                host, _, port = text.partition(':')
                ok = isinstance(item, str) and is_ipv4(host)
                if ok and port:
                    ok = port.isdigit() and 1 <= int(port) <= 65535
                if not ok:
                    bad.append(text)
            if bad:
                self.err('resolvers', 'Only IPv4 values are allowed. The following are invalid '
                                      'IPv4 addresses: {}'.format(', '.join(bad)))
            elif len(set(items)) != len(items):
                dups = sorted({i for i in items if items.count(i) > 1})
                self.err('resolvers', 'List cannot contain duplicates: {}'.format(', '.join(dups)))
        search = cfg['dns_search']
        if '\n' in search:
            self.err('dns_search', 'Newlines are not allowed')
        elif ',' in search:
            self.err('dns_search', 'Commas are not allowed. Use spaces to separate domains')
        elif len(search) >= 256:
            self.err('dns_search', 'Must be less than 256 characters long')
        elif len(search.split()) > 6:
            self.err('dns_search', 'Must contain no more than 6 domains')
        _, msg = ip_list_error(cfg['dns_bind_ip_blacklist'])
        if msg:
            self.err('dns_bind_ip_blacklist', msg)
        for key in ('minuteman_min_named_ip', 'minuteman_max_named_ip'):
            if not is_ipv4(cfg[key]):
                self.err(key, 'Only IPv4 values are allowed. The following are invalid IPv4 '
                              'addresses: {}'.format(cfg[key]))
        msg = int_range(cfg['dcos_overlay_mtu'], 552, None)
        if msg:
            self.err('dcos_overlay_mtu', msg)
        msg = int_range(cfg['dcos_overlay_config_attempts'], 0, 10)
        if msg:
            self.err('dcos_overlay_config_attempts', msg)
        net, msg = json_dict(cfg['dcos_overlay_network'])
        if msg:
            self.err('dcos_overlay_network', msg)
        else:
            self.check_overlay(net)
        zones, msg = json_list(cfg['dns_forward_zones'])
        if msg:
            self.err('dns_forward_zones', msg)
        else:
            for zone in zones:
                ok = isinstance(zone, list) and len(zone) == 2 and isinstance(zone[1], list)
                if ok:
                    for server in zone[1]:
                        ok = ok and isinstance(server, list) and len(server) == 2 and \
                            isinstance(server[0], str) and is_ipv4(server[0]) and \
                            str(server[1]).isdigit() and 1 <= int(server[1]) <= 65535
                if not ok:
                    self.err('dns_forward_zones', 'Invalid forward zone: {}'.format(json.dumps(zone)))
                    break

    def check_overlay(self, net):
        if 'vtep_subnet' not in net:
            self.err('dcos_overlay_network', 'Missing key `vtep_subnet` in value for dcos_overlay_network')
            return
        try:
            ipaddress.IPv4Network(net['vtep_subnet'])
        except ValueError:
            self.err('dcos_overlay_network', 'Incorrect value for vtep_subnet: {}. Only IPv4 '
                                             'values are allowed'.format(net['vtep_subnet']))
            return
        if 'vtep_mac_oui' not in net:
            self.err('dcos_overlay_network', 'Missing key `vtep_mac_oui` in value for dcos_overlay_network')
            return
        overlays = net.get('overlays')
        if not isinstance(overlays, list) or not overlays:
            self.err('dcos_overlay_network', 'Missing key `overlays` in value for dcos_overlay_network')
            return
        names = []
        for overlay in overlays:
            name = overlay.get('name', '') if isinstance(overlay, dict) else ''
            if not name or len(name) > 13:
                self.err('dcos_overlay_network', 'Overlay name cannot exceed 13 characters:{}'.format(name))
                return
            names.append(name)
        if self.cfg['dcos_overlay_network_default_name'] not in names:
            self.err('dcos_overlay_network_default_name',
                     'Default overlay network name does not reference a defined overlay network: {}'
                     .format(self.cfg['dcos_overlay_network_default_name']))

    def check_misc(self):
        cfg = self.cfg
        msg = int_range(cfg['mesos_log_retention_mb'], 1024, None)
        if msg:
            self.err('mesos_log_retention_mb', msg)
        for key in ('rexray_config', 'cluster_docker_credentials', 'cosmos_config'):
            if key in cfg:
                _, msg = json_dict(cfg[key])
                if msg:
                    self.err(key, msg)
        _, msg = json_list(cfg['mesos_dns_ip_sources'])
        if msg:
            self.err('mesos_dns_ip_sources', msg)
        cosmos, msg = json_dict(cfg['cosmos_config'])
        if not msg:
            has = ['package_storage_uri' in cosmos, 'staged_package_storage_uri' in cosmos]
            if any(has) and not all(has):
                self.err('cosmos_config', 'Either neither or both of package_storage_uri and '
                                          'staged_package_storage_uri must be set.')
            elif all(has):
                for key in ('package_storage_uri', 'staged_package_storage_uri'):
                    try:
                        urllib.parse.urlparse(cosmos[key])
                    except (ValueError, AttributeError, TypeError):
                        self.err('cosmos_config', "Couldn't parse given value `{}` as an URL".format(cosmos[key]))
        if cfg.get('rexray_config_preset', '') == 'aws' and 'rexray_config' in self.user:
            self.err('rexray_config', 'rexray_config must be calculated, but was explicitly set in the '
                                      'configuration. Remove it from the configuration.')

    def check_ip_detect(self):
        path = genconf_path(self.cfg['ip_detect_filename'])
        if not os.path.isfile(path):
            self.err('ip_detect_contents', 'ip-detect script `{}` must exist'.format(
                self.cfg['ip_detect_filename']))
        public = self.cfg['ip_detect_public_filename']
        if public and not os.path.isfile(genconf_path(public)):
            self.err('ip_detect_public_contents', 'ip-detect script `{}` must exist'.format(public))

    def check_ssh(self):
        cfg = self.cfg
        self.need('ssh_user')
        key_path = genconf_path(cfg.get('ssh_key_path', 'genconf/ssh_key'))
        if not os.path.isfile(key_path):
            self.err('ssh_key_path', 'could not find ssh private key: {}'.format(key_path))
        elif os.stat(key_path).st_mode & 0o077:
            self.err('ssh_key_path', 'ssh_key_path must be only read / write / executable by the '
                                     'owner. It may not be read / write / executable by group, or other.')
        else:
            with open(key_path, errors='replace') as fh:
                if 'ENCRYPTED' in fh.read():
                    self.err('ssh_key_path', 'Encrypted SSH keys (which contain passphrases) are '
                                             'not allowed. Use a key without a passphrase.')
        msg = int_range(cfg.get('ssh_port', '22'), 1, 32000)
        if msg:
            self.err('ssh_port', msg)
        msg = int_range(cfg.get('ssh_parallelism', '20'), 1, 100)
        if msg:
            self.err('ssh_parallelism', msg)
        lists = {}
        for key in ('master_list', 'agent_list', 'public_agent_list'):
            items, msg = ip_list_error(cfg.get(key, '[]'))
            if msg:
                self.err(key, msg)
            lists[key] = items or []
        every = lists['master_list'] + lists['agent_list'] + lists['public_agent_list']
        dups = sorted({i for i in every if every.count(i) > 1})
        if dups:
            self.err('agent_list', 'master_list and agent_list cannot contain duplicates {}'.format(
                ', '.join(dups)))


class Payload:
    """Read access to the files shipped after the #EOF# line."""

    def __init__(self, data):
        self.tar = tarfile.open(fileobj=io.BytesIO(data), mode='r:gz')
        self.members = {m.name: m for m in self.tar.getmembers() if m.isfile()}

    def read(self, name):
        return self.tar.extractfile(self.members[name]).read()

    def under(self, prefix):
        return sorted(n for n in self.members if n.startswith(prefix))


def file_mode(path):
    base = os.path.basename(path)
    if path.startswith('bin/') or '/bin/' in path or base.endswith('.sh') or base in ('detect_ip', 'detect_ip_public'):
        return 0o755
    return 0o644


def write_tar_xz(dest, files):
    """files: list of (path, bytes, mode). Deterministic output."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w:xz', format=tarfile.GNU_FORMAT) as tar:
        dirs = set()
        for path, _, _ in files:
            parts = path.split('/')[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add('/'.join(parts[:i]))
        for d in sorted(dirs):
            info = tarfile.TarInfo('./' + d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = 0
            tar.addfile(info)
        for path, data, mode in sorted(files, key=lambda f: f[0]):
            info = tarfile.TarInfo('./' + path)
            info.size = len(data)
            info.mode = mode
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    tmp = dest + '.tmp'
    with open(tmp, 'wb') as fh:
        fh.write(buf.getvalue())
    os.replace(tmp, dest)


def write_text(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def content_id(files):
    digest = hashlib.sha1()
    for path, data, mode in sorted(files, key=lambda f: f[0]):
        digest.update(path.encode() + b'\0' + oct(mode).encode() + b'\0' + data + b'\0')
    return digest.hexdigest()


def masked(user):
    return {k: (HIDDEN if k in SECRET_KEYS and v not in ('', '{}') else v) for k, v in user.items()}


def generate(payload, user, checker):
    cfg = checker.cfg
    ip_detect = open(genconf_path(cfg['ip_detect_filename']), 'rb').read()
    public_name = cfg['ip_detect_public_filename']
    ip_detect_public = open(genconf_path(public_name), 'rb').read() if public_name else ip_detect

    digest = hashlib.sha1()
    digest.update(DCOS_IMAGE_COMMIT.encode())
    digest.update(json.dumps(user, sort_keys=True).encode())
    digest.update(b'\0ip-detect\0' + ip_detect + b'\0ip-detect-public\0' + ip_detect_public)
    config_id = digest.hexdigest()

    creds = json.loads(cfg['cluster_docker_credentials'])
    dcos_owned = cfg.get('cluster_docker_credentials_dcos_owned', 'true' if creds else 'false')
    masters = json.loads(cfg['master_list']) if 'master_list' in cfg else []
    expanded = dict(cfg)
    expanded.update({
        'config_id': config_id, 'bootstrap_id': BOOTSTRAP_ID, 'dcos_version': DCOS_VERSION,
        'dcos_image_commit': DCOS_IMAGE_COMMIT, 'provider': 'onprem',
        'cluster_docker_credentials_dcos_owned': dcos_owned,
        'ip_detect_contents': ip_detect.decode('utf-8', 'replace'),
        'ip_detect_public_contents': ip_detect_public.decode('utf-8', 'replace'),
    })
    if cfg.get('master_discovery') == 'static':
        expanded['num_masters'] = str(len(masters))
        expanded['master_quorum'] = str(len(masters) // 2 + 1)
        expanded['exhibitor_static_ensemble'] = ','.join(
            '{}:{}'.format(i + 1, ip) for i, ip in enumerate(sorted(masters)))
    version_json = json.dumps({'version': DCOS_VERSION, 'dcos-image-commit': DCOS_IMAGE_COMMIT,
                               'bootstrap-id': BOOTSTRAP_ID}, sort_keys=True) + '\n'

    serve = 'genconf/serve'
    packages = {}
    for name in sorted({n.split('/')[1] for n in payload.under('packages/')}):
        files = [(n[len('packages/' + name + '/'):], payload.read(n), 0)
                 for n in payload.under('packages/' + name + '/')]
        files = [(p, d, file_mode(p)) for p, d, _ in files]
        pkg_id = '{}--{}'.format(name, content_id(files))
        write_tar_xz('{}/packages/{}/{}.tar.xz'.format(serve, name, pkg_id), files)
        packages[name] = pkg_id

    config_files = [
        ('bin/detect_ip', ip_detect, 0o755),
        ('bin/detect_ip_public', ip_detect_public, 0o755),
        ('etc/master_list', (json.dumps(masters) + '\n').encode(), 0o644),
        ('etc/dcos-standin.env', ''.join('{}={}\n'.format(k, v) for k, v in (
            ('DCOS_CLUSTER_NAME', cfg.get('cluster_name', '')),
            ('DCOS_CONFIG_ID', config_id), ('DCOS_BOOTSTRAP_ID', BOOTSTRAP_ID),
            ('DCOS_VERSION', DCOS_VERSION))).encode(), 0o644),
        ('user.config.yaml', yaml.safe_dump(masked(user), default_flow_style=False).encode(), 0o644),
        ('user.config.full.yaml', yaml.safe_dump(user, default_flow_style=False).encode(), 0o600),
        ('expanded.config.json', (json.dumps(masked(expanded), indent=2, sort_keys=True) + '\n').encode(), 0o644),
    ]
    if creds and dcos_owned == 'true':
        config_files.append(('etc/docker_credentials', (json.dumps(creds) + '\n').encode(), 0o600))
    # The agents' Mesos flags (gen/dcos-config.yaml writes them to
    # /opt/mesosphere/etc/mesos-slave-common); the stand-in only has the
    # registry ones.
    slave_common = '# Mesos agent flags (DC/OS 1.9 lab stand-in)\n'
    if cfg['cluster_docker_credentials_enabled'] == 'true':
        path = '/opt/mesosphere/etc/docker_credentials' if dcos_owned == 'true' else '/etc/mesosphere/docker_credentials'
        slave_common += 'MESOS_DOCKER_CONFIG=file://{}\n'.format(path)
    if cfg.get('cluster_docker_registry_url'):
        slave_common += 'MESOS_DOCKER_REGISTRY={}\n'.format(cfg['cluster_docker_registry_url'])
    config_files.append(('etc/mesos-slave-common', slave_common.encode(), 0o644))
    metadata_files = [('etc/dcos-version.json', version_json.encode(), 0o644)]
    for name, files in (('dcos-config', config_files), ('dcos-metadata', metadata_files)):
        pkg_id = '{}--setup_{}'.format(name, config_id)
        write_tar_xz('{}/packages/{}/{}.tar.xz'.format(serve, name, pkg_id), files)
        packages[name] = pkg_id

    boot_files = [(n[len('bootstrap/'):], payload.read(n), 0) for n in payload.under('bootstrap/')]
    boot_files = [(p, d, file_mode(p)) for p, d, _ in boot_files]
    pkgpanda_id = 'pkgpanda--{}'.format(content_id(boot_files))
    active = json.dumps([pkgpanda_id]) + '\n'
    boot_files.append(('active.json', active.encode(), 0o644))
    write_tar_xz('{}/bootstrap/{}.bootstrap.tar.xz'.format(serve, BOOTSTRAP_ID), boot_files)
    write_text('{}/bootstrap/{}.active.json'.format(serve, BOOTSTRAP_ID), active)
    write_text('{}/bootstrap.latest'.format(serve), BOOTSTRAP_ID)

    info = {name: {'id': pkg_id, 'filename': 'packages/{}/{}.tar.xz'.format(name, pkg_id)}
            for name, pkg_id in packages.items()}
    info_json = json.dumps(info, indent=2, sort_keys=True) + '\n'
    write_text('genconf/cluster_packages.json', info_json)
    write_text('{}/cluster-package-info.json'.format(serve), info_json)

    etc_creds = ''
    if creds and dcos_owned == 'false' and cfg['cluster_docker_credentials_write_to_etc'] == 'true':
        etc_creds = json.dumps(creds).replace("'", "'\\''")  # inside '...' in bash
    template = payload.read('dcos_install.sh.in').decode()
    script = (template
              .replace('@@BOOTSTRAP_URL@@', cfg['bootstrap_url'])
              .replace('@@BOOTSTRAP_ID@@', BOOTSTRAP_ID)
              .replace('@@CLUSTER_PACKAGES@@', json.dumps(sorted(packages.values())))
              .replace('@@DOCKER_CREDENTIALS@@', etc_creds)
              .replace('@@CONFIG_ID@@', config_id))
    write_text('{}/dcos_install.sh'.format(serve), script, 0o755)
    return config_id


# What the real generator's PyYAML 3.12 cannot take once gen substitutes a
# value into its YAML templates: a line break ends the `content: |` block
# early, and its reader refuses non-printable characters (and, in 3.12,
# characters beyond U+FFFF).
LINE_BREAKS = '\n\r\x85\u2028\u2029'


def yaml_printable(ch):
    return ch in '\t\n\r\x85' or '\x20' <= ch <= '\x7e' or '\xa0' <= ch <= '\ud7ff' or '\ue000' <= ch <= '\ufffd'


def render_crash(config):
    """The key whose value would crash rendering the templates, or None."""
    for key in sorted(config):
        value = config[key]
        if any(ch in LINE_BREAKS or not yaml_printable(ch) for ch in value):
            return key
    return None


def load_config(path):
    try:
        with open(path) as fh:
            raw = yaml.safe_load(fh)
    except FileNotFoundError:
        log('Configuration file not found: {}'.format(path))
        return None
    except yaml.YAMLError as ex:
        log('Unable to parse {} as YAML: {}'.format(path, ex))
        return None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        log('{}: the top level of the config must be a mapping'.format(path))
        return None
    config, error = stringify(raw)
    if error:
        log(error)
        return None
    return config


def main(payload_bytes, argv):
    actions = ('--genconf', '--validate-config', '--version')
    unsupported = ('--preflight', '--install-prereqs', '--deploy', '--postflight', '--web',
                   '--aws-cloudformation', '--hash-password', '--set-superuser-password',
                   '--generate-node-upgrade-script', '--uninstall')
    chosen = [a for a in argv if a in actions or a in unsupported]
    for arg in argv:
        if arg.startswith('-') and arg not in actions and arg not in unsupported and \
                arg not in ('-v', '--verbose', '--offline', '--cli-telemetry-disabled'):
            log('usage: dcos_generate_config.sh [--genconf | --validate-config | --version] [-v]')
            log('unrecognized argument: {}'.format(arg))
            return 2
    if len(chosen) > 1:
        log('argument {}: not allowed with argument {}'.format(chosen[1], chosen[0]))
        return 2
    action = chosen[0] if chosen else '--genconf'
    if action in unsupported:
        log('{} is not supported by the lab stand-in of dcos_generate_config.sh'.format(action))
        return 1
    if action == '--version':
        print(json.dumps({'version': DCOS_VERSION, 'variant': DCOS_VARIANT}))
        return 0
    config = load_config('genconf/config.yaml')
    if config is None:
        return 1
    checker = Checker(config, with_ssh=(action == '--validate-config'))
    checker.check()
    if checker.errors:
        for key in sorted(checker.errors):
            log('{}: {}'.format(key, checker.errors[key]))
        return 1
    if action == '--validate-config':
        log('Configuration is valid')
        return 0
    log('====> EXECUTING CONFIGURATION GENERATION')
    crash = render_crash(config)
    if crash is not None:
        log('Traceback (most recent call last):')
        log('yaml.scanner.ScannerError: the value of {} cannot be rendered into the '
            'configuration templates'.format(crash))
        return 1
    config_id = generate(Payload(payload_bytes), config, checker)
    log('Generating configuration files...')
    log('Final configuration id: {}'.format(config_id))
    log('Package filename: packages/dcos-config/dcos-config--setup_{}.tar.xz'.format(config_id))
    log('Package filename: packages/dcos-metadata/dcos-metadata--setup_{}.tar.xz'.format(config_id))
    log('Bootstrap id: {}'.format(BOOTSTRAP_ID))
    return 0


sys.exit(main(PAYLOAD, ARGV))  # noqa: F821 -- provided by the wrapper
