# Writes parameters.tsv and validators.tsv (this directory) from a checkout
# of github.com/dcos/dcos at tag 1.9.10, which is not shipped here:
#   python3 extract.py <checkout>
# The lists are data extracted from the 1.9.10 sources: the variables and
# {% switch %}es of the templates gen reads for --genconf, the
# default/must/conditional/secret entries of gen/calc.py, gen/build_deploy/
# bash.py's onprem_source, ssh/validate.py (the SSH modes), gen's builtins,
# and every validator of gen/calc.py (registered or only defined).
import collections
import collections.abc
import inspect
import json
import os
import sys
import tempfile

collections.Iterable = collections.abc.Iterable  # removed in Python 3.10; pkgpanda imports it

src = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
stubs = tempfile.mkdtemp(prefix='dcos1910-stubs-')
os.makedirs(os.path.join(stubs, 'teamcity'))
for name, text in {
    'py.py': '', 'requests.py': '',
    'teamcity/__init__.py': 'def is_running_under_teamcity():\n    return False\n',
    'teamcity/messages.py': 'class TeamcityServiceMessages:\n    pass\n',
}.items():
    with open(os.path.join(stubs, name), 'w') as fh:
        fh.write(text)
sys.path[:0] = [stubs, src]
os.environ.setdefault('DCOS_IMAGE_COMMIT', 'afa41d022b61a1b6e5723799ec6617c90621cf8a')

import gen  # noqa: E402
import gen.build_deploy.bash as bash  # noqa: E402
import gen.calc  # noqa: E402
import gen.template  # noqa: E402
import ssh.validate  # noqa: E402

TEMPLATES = ['dcos-config.yaml', 'cloud-config.yaml', 'dcos-metadata.yaml', 'dcos-services.yaml']
BUILTINS = ['template_filenames', 'config_package_names', 'user_arguments_full', 'user_arguments',
            'config_yaml_full', 'config_yaml', 'expanded_config', 'expanded_config_full', 'sources_id']
rows = {}


def row(name):
    return rows.setdefault(name, {'sources': set(), 'cases': None, 'conds': set(), 'default': None})


def walk(target, cond):
    for v in target.variables:
        r = row(v)
        r['sources'].add('template')
        if cond:
            r['conds'].add(cond)
    for name, scope in target.sub_scopes.items():
        r = row(name)
        r['sources'].add('switch')
        r['cases'] = sorted(scope.cases)
        if cond:
            r['conds'].add(cond)
        for case, sub in scope.cases.items():
            walk(sub, '{}={}'.format(name, case))


def add_entry(entry, prefix, cond=''):
    for kind in ('default', 'must'):
        for k, v in entry.get(kind, {}).items():
            r = row(k)
            r['sources'].add(prefix + kind)
            if cond:
                r['conds'].add(cond)
            if kind == 'default' and isinstance(v, str):
                r['default'] = v
    for k, options in entry.get('conditional', {}).items():
        r = row(k)
        r['sources'].add(prefix + 'condition')
        r['cases'] = r['cases'] or sorted(options)
        for value, sub in options.items():
            add_entry(sub, prefix, '{}={}'.format(k, value))


def add_source(source, prefix):
    for name, setters in source.setters.items():
        for s in setters:
            r = row(name)
            r['sources'].add(prefix + ('default' if s.is_optional else 'must'))
            try:
                value = s.calc() if not s.parameters else None
            except Exception:  # a default computed from the image's environment
                value = None
            if s.is_optional and isinstance(value, str):
                r['default'] = value


for t in TEMPLATES:
    walk(gen.template.parse_resources(t).target_from_ast(), '')
add_entry(gen.calc.entry, 'calc-')
add_source(bash.onprem_source, 'onprem-')
add_source(ssh.validate.source, 'ssh-')
for k in ssh.validate.get_target().variables:
    row(k)['sources'].add('ssh-target')
for k in BUILTINS:
    row(k)['sources'].add('builtin')
for k in gen.calc.entry['secret']:
    row(k)['sources'].add('calc-secret')

with open(os.path.join(here, 'parameters.tsv'), 'w') as out:
    out.write('# DC/OS 1.9.10 config parameters, extracted from github.com/dcos/dcos at tag 1.9.10\n'
              '# (commit afa41d022b61a1b6e5723799ec6617c90621cf8a) by extract.py: the variables and {% switch %}es of\n'
              '# gen/{dcos-config,cloud-config,dcos-metadata,dcos-services}.yaml, the default/must/conditional\n'
              '# entries of gen/calc.py, gen/build_deploy/bash.py (onprem_source), ssh/validate.py, and gen builtins.\n'
              '# Columns (tab-separated): name, sources, switch cases, conditions, string default.\n')
    for name in sorted(rows):
        r = rows[name]
        out.write('\t'.join([
            name, ','.join(sorted(r['sources'])),
            ','.join(r['cases']) if r['cases'] is not None else '-',
            ';'.join(sorted(r['conds'])) or '-',
            json.dumps(r['default']) if r['default'] is not None else '-']) + '\n')

with open(os.path.join(here, 'validators.tsv'), 'w') as out:
    out.write("# DC/OS 1.9.10 validators, extracted by extract.py: every function of gen/calc.py entry['validate']\n"
              '# and the validate_* functions gen/calc.py defines without registering, with the parameters each\n'
              '# takes (tab-separated: function, parameters, registered). Lambdas are named after the function\n'
              '# they call.\n')
    registered = set()
    for f in gen.calc.entry['validate']:
        name = f.__name__ if f.__name__ != '<lambda>' else f.__code__.co_names[0]
        registered.add(name)
        out.write('\t'.join([name, ','.join(sorted(inspect.signature(f).parameters)), 'yes']) + '\n')
    for name, fn in sorted(vars(gen.calc).items()):
        if name.startswith('validate_') and callable(fn) and name not in registered:
            out.write('\t'.join([name, ','.join(sorted(inspect.signature(fn).parameters)), 'no']) + '\n')
