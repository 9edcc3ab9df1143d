# Runs the real DC/OS 1.9.10 config generator (gen/ and dcos_installer/ of
# github.com/dcos/dcos at tag 1.9.10, which is not shipped here) on
# directories that each hold genconf/config.yaml and genconf/ip-detect, the
# way `dcos_generate_config.sh --genconf` does: load config.yaml, validate
# it (Config.do_validate), then gen.generate and the dcos_install.sh of
# gen/build_deploy/bash.py. Prints one JSON line per directory:
#   {"dir": D, "validate": {key: message} | "crash: ...",
#    "generate": "ok" | "crash: ..." (absent when validation failed),
#    "json": [problems of the rendered .json files of the config package]}
# Used by genconf's TestAgainstDCOS1910 (DCOS_VSPHERE_DCOS1910=<checkout>).
#
# Stand-ins for what the generator needs from its docker image: the
# modules py, requests and teamcity (imported, unused by --genconf), the
# BOOTSTRAP_ID / BOOTSTRAP_VARIANT / DCOS_IMAGE_COMMIT environment, and
# the artifact list of installer_latest_complete_artifact.
import collections
import collections.abc
import json
import logging
import os
import sys
import tempfile
import traceback

collections.Iterable = collections.abc.Iterable  # removed in Python 3.10; pkgpanda imports it

src = sys.argv[1]
stubs = tempfile.mkdtemp(prefix='dcos1910-stubs-')
os.makedirs(os.path.join(stubs, 'teamcity'))
for name, text in {
    'py.py': '',
    'requests.py': '',
    'teamcity/__init__.py': 'def is_running_under_teamcity():\n    return False\n',
    'teamcity/messages.py': ('class TeamcityServiceMessages:\n'
                             '    def __init__(self, *a, **k):\n        pass\n'
                             '    def __getattr__(self, n):\n        return lambda *a, **k: None\n'),
}.items():
    with open(os.path.join(stubs, name), 'w') as fh:
        fh.write(text)
sys.path[:0] = [stubs, src]
os.environ.setdefault('BOOTSTRAP_ID', '4b9d5c3e1f0a8e7d6c5b4a39281706f5e4d3c2b1')
os.environ.setdefault('BOOTSTRAP_VARIANT', '')
os.environ.setdefault('DCOS_IMAGE_COMMIT', 'afa41d022b61a1b6e5723799ec6617c90621cf8a')
logging.disable(logging.CRITICAL)

import dcos_installer.config_util as config_util  # noqa: E402
config_util.installer_latest_complete_artifact = lambda variant: {
    'bootstrap': os.environ['BOOTSTRAP_ID'], 'packages': ['mesos--0123456789abcdef0123456789abcdef01234567']}
import gen  # noqa: E402
import gen.build_deploy.bash as bash  # noqa: E402
from dcos_installer.config import Config  # noqa: E402


def one_line(ex):
    return '{}: {}'.format(type(ex).__name__, str(ex).replace('\n', ' ')[:300])


def run(directory):
    os.chdir(directory)
    out = {}
    try:
        cfg = Config('genconf/config.yaml')
        out['validate'] = cfg.do_validate(include_ssh=False)
    except Exception as ex:
        out['validate'] = 'crash: ' + one_line(ex)
        return out
    if out['validate']:
        return out
    try:
        gen_out = gen.generate(cfg.as_gen_format(), extra_sources=[bash.onprem_source])
        bash.make_bash(gen_out)
    except Exception as ex:
        out['generate'] = 'crash: ' + one_line(ex)
        return out
    out['generate'] = 'ok'
    problems = []
    for template in gen_out.templates.values():
        if isinstance(template, dict):
            for f in template.get('package', []):
                if f['path'].endswith('.json'):
                    try:
                        json.loads(f['content'])
                    except ValueError as ex:
                        problems.append('{}: {}'.format(f['path'], ex))
    if problems:
        out['json'] = problems
    return out


for d in sys.argv[2:]:
    here = os.getcwd()
    try:
        result = run(os.path.abspath(d))
    except Exception:
        result = {'harness': traceback.format_exc()[-800:]}
    os.chdir(here)
    result['dir'] = d
    print(json.dumps(result, default=str), flush=True)
