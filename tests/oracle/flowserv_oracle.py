"""The oracle of the differential suite (tests/conformance.rs): answers
questions about templates with flowserv-core 0.9.4 itself.

One process answers many cases, so that Python and flowServ are imported once:
it reads one JSON object per line on stdin and writes one JSON object per line
on stdout, in the same order. Every case carries an `id` that the answer
repeats. A case that makes flowServ raise is answered with the exception, never
with a crash of this process.

Operations (`op`):

- `template`: load a template document with `WorkflowTemplate.from_dict`;
  answer the parameter declarations as flowServ sees them (in form order), the
  groups, outputs and result schema, or the error.
- `cast`: one parameter declaration and one argument value; answer what the
  parameter's `cast` returns, or the error.
- `expand`: a template document and arguments; answer the steps flowServ's
  serial engine executes for them, with the commands as the subprocess worker
  would run them (`${python}` stands for the fixed text PYTHON), the workflow
  variables and the declared outputs; or the error.
- `results`: a result schema and the text of a result file; answer the values
  `read_run_results` stores for a run, or the error it raises (which flowServ
  swallows: the run stays SUCCESS without results).
- `ranking`: a result schema and runs (submission, values) in the order they
  were made; answer the order `RankingManager.get_ranking` puts them in, for
  all runs and for the best run per submission, or the error.
- `install_twice`: install a template folder twice; answer both names.
- `install`: install a template folder once; answer its name, parameter
  declarations, result schema and the files of its static folder.
- `run`: a template folder and a list of runs (arguments, submission);
  install it with `flowserv.client.Flowserv`, start each run synchronously, and
  answer each run's state, messages, result values and files, both rankings
  (all runs, best per submission) and the post-processing run.

Values Python has but JSON lacks are written as `{"$float": "inf"}` (also
`-inf`, `nan`), file arguments as `{"$file": target}` and actor values as
their step serialization.
"""

import sys

# Code steps import modules of the template folders (the samples among them):
# no bytecode may be left there.
sys.dont_write_bytecode = True

import copy  # noqa: E402
import io
import json
import math
import os
import tempfile
import traceback

from flowserv.client import Flowserv
from flowserv.controller.worker.subprocess import SubprocessWorker
from flowserv.model.parameter.actor import ActorValue
from flowserv.model.parameter.files import IOValue
from flowserv.model.template.base import WorkflowTemplate
from flowserv.model.template.parameter import ParameterIndex
from flowserv.model.template.schema import ResultSchema
from flowserv.model.ranking import RankingManager
from flowserv.model.run import read_run_results
from flowserv.model.base import GroupObject, RunObject
from flowserv.controller.worker.config import java_jvm
from flowserv.volume.base import IOBuffer

import flowserv.controller.serial.workflow.parser as parser


PYTHON = 'PYTHON'


def encode(value):
    """A Python value as JSON, with markers for what JSON cannot hold."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {'$float': 'nan'}
        if math.isinf(value):
            return {'$float': 'inf' if value > 0 else '-inf'}
        return value
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, ActorValue):
        return encode(value.spec)
    if isinstance(value, IOValue):
        return {'$file': str(value)}
    return {'$repr': repr(value)}


def error_text(ex):
    return '{}: {}'.format(type(ex).__name__, ex)


def declarations(template):
    result = list()
    for para in template.parameters.sorted():
        doc = {
            'name': para.name,
            'dtype': para.dtype,
            'index': para.index,
            'required': bool(para.required),
            'default': encode(para.default),
            'group': para.group,
            'label': para.display_name(),
        }
        constraint = getattr(para, 'constraint', None)
        if constraint is not None:
            doc['range'] = [
                encode(constraint.left_boundary['value']),
                constraint.left_boundary['open'],
                encode(constraint.right_boundary['value']),
                constraint.right_boundary['open'],
            ]
        if para.is_file():
            doc['target'] = para.target
        if para.is_select():
            doc['values'] = [encode(v.get('value')) for v in para.values]
        result.append(doc)
    return result


def op_template(case):
    template = WorkflowTemplate.from_dict(copy.deepcopy(case['doc']), validate=True)
    groups = None
    if template.parameter_groups is not None:
        groups = [g.to_dict() for g in sorted(template.parameter_groups, key=lambda g: g.index)]
    schema = None
    if template.result_schema is not None:
        schema = template.result_schema.to_dict()
        schema['defaultOrder'] = [c.to_dict() for c in template.result_schema.get_default_order()]
    outputs = None
    if template.outputs is not None:
        outputs = [f.to_dict() for f in template.outputs]
    return {
        'parameters': declarations(template),
        'groups': groups,
        'results': encode(schema),
        'outputs': encode(outputs),
    }


def op_cast(case):
    index = ParameterIndex.from_dict([copy.deepcopy(case['decl'])], validate=True)
    para = list(index.values())[0]
    return {'value': encode(para.cast(case['value']))}


class Recorder(SubprocessWorker):
    """The default container worker, recording the commands it would run."""

    def __init__(self):
        super(Recorder, self).__init__(variables={'python': PYTHON, 'java': java_jvm()})
        self.commands = list()

    def run(self, step, env, rundir):
        self.commands = list(step.commands)
        return None


class Store(object):
    basedir = '.'


def file_value(para, value):
    """A file argument as the app client hands it to the service: the
    uploaded file (its content does not matter here) and no target."""
    return para.cast((IOBuffer(io.BytesIO(b'')), None))


def bind(template, arguments):
    """What `Workflow.start_run` and `LocalRunService.start_run` do with the
    arguments before the engine sees them."""
    args = template.parameters.set_defaults(arguments=arguments)
    run_args = dict()
    for key, val in args.items():
        para = template.parameters.get(key)
        if para is None:
            raise KeyError("unknown parameter '{}'".format(key))
        if para.is_file():
            run_args[key] = file_value(para, val)
        elif para.is_actor() and isinstance(val, dict):
            run_args[key] = para.cast(ActorValue(spec=val))
        else:
            run_args[key] = para.cast(val)
    template.validate_arguments(run_args)
    return run_args


def op_expand(case):
    template = WorkflowTemplate.from_dict(copy.deepcopy(case['doc']), validate=True)
    try:
        run_args = bind(template, case.get('arguments', {}))
    except Exception as ex:
        return {'ok': False, 'stage': 'arguments', 'error': error_text(ex)}
    try:
        steps, variables, outputs = parser.parse_template(template=template, arguments=run_args)
    except Exception as ex:
        return {'ok': False, 'stage': 'parse', 'error': error_text(ex)}
    result = list()
    for step in steps:
        doc = {'name': step.name, 'inputs': step.inputs, 'outputs': step.outputs}
        if step.is_container_step():
            worker = Recorder()
            try:
                worker.exec(step=step, context=dict(variables), store=Store())
            except Exception as ex:
                return {'ok': False, 'stage': 'commands', 'step': step.name, 'error': error_text(ex)}
            doc.update({'type': 'container', 'image': step.image, 'commands': worker.commands})
        elif step.is_notebook_step():
            doc.update({'type': 'notebook', 'notebook': step.notebook, 'output': step.output})
        else:
            doc.update({'type': 'code', 'arg': step.arg})
        result.append(doc)
    return {
        'steps': result,
        'variables': {k: str(v) for k, v in variables.items()},
        'outputs': encode(outputs),
    }


class StubRun(object):
    result = None


class StubFile(object):
    def __init__(self, data):
        self.data = data

    def open(self):
        return io.BytesIO(self.data)


class StubStore(object):
    """A run store holding one file: the result file."""
    def __init__(self, data):
        self.data = data

    def load(self, key):
        return StubFile(self.data)


def op_results(case):
    schema = ResultSchema.from_dict(copy.deepcopy(case['schema']), validate=True)
    run = StubRun()
    read_run_results(run=run, schema=schema, runstore=StubStore(case['text'].encode('utf-8')))
    return {'values': encode(run.result)}


class StubQuery(object):
    """What the ranking manager's query returns: the (group, run) rows in the
    order they were inserted."""
    def __init__(self, rows):
        self.rows = rows

    def filter(self, *args):
        return self

    def all(self):
        return self.rows


class StubSession(object):
    def __init__(self, rows):
        self.rows = rows

    def query(self, *args):
        return StubQuery(self.rows)


class StubWorkflow(object):
    def __init__(self, schema):
        self.workflow_id = 'w'
        self.result_schema = schema


def op_ranking(case):
    schema = ResultSchema.from_dict(copy.deepcopy(case['schema']), validate=True)
    rows = list()
    for i, entry in enumerate(case['runs']):
        group = GroupObject(group_id=entry['submission'], name=entry['submission'])
        stamp = '2026-01-01T00:00:{:02d}.000000'.format(i % 60)
        run = RunObject(
            run_id=str(i), group_id=entry['submission'], result=entry['values'],
            created_at=stamp, started_at=stamp, ended_at=stamp
        )
        rows.append((group, run))
    manager = RankingManager(session=StubSession(rows))
    workflow = StubWorkflow(schema)
    result = dict()
    for name, include_all in [('all', True), ('best', False)]:
        try:
            ranking = manager.get_ranking(workflow=workflow, include_all=include_all)
        except Exception as ex:
            result[name] = {'error': error_text(ex)}
            continue
        result[name] = [int(r.run_id) for r in ranking]
    return result


def run_document(doc):
    files = sorted(f['name'] for f in doc.get('files', []))
    return {
        'state': doc['state'],
        'messages': doc.get('messages', []),
        'files': files,
    }


def op_run(case):
    folder = os.path.abspath(case['folder'])
    basedir = tempfile.mkdtemp(prefix='oracle-')
    client = Flowserv(basedir=basedir, open_access=True, clear=True)
    # A code step's module is imported by the server process; an operator
    # puts the template's folder on the module path for it.
    if folder not in sys.path:
        sys.path.insert(0, folder)
    cwd = os.getcwd()
    # The client uploads file arguments (and file defaults) from paths
    # relative to the working directory.
    os.chdir(folder)
    try:
        workflow_id = client.install(source=folder)
        groups = {None: workflow_id}
        runs = list()
        run_ids = list()
        for spec in case['runs']:
            submission = spec.get('submission')
            if submission not in groups:
                groups[submission] = client.create_submission(workflow_id=workflow_id, name=submission)
            app = client.submission(workflow_id=workflow_id, group_id=groups[submission])
            arguments = dict()
            for key, value in spec.get('arguments', {}).items():
                para = app.parameters().get(key)
                if para is not None and para.is_actor() and isinstance(value, dict):
                    value = ActorValue(spec=value)
                arguments[key] = value
            try:
                run = app.start_run(arguments)
            except Exception as ex:
                runs.append({'state': 'REFUSED', 'error': error_text(ex)})
                run_ids.append(None)
                continue
            runs.append(run_document(run.doc))
            run_ids.append(run.run_id)
        app = client.open(workflow_id)
        with client.service() as api:
            ranking = dict()
            for name, include_all in [('all', True), ('best', False)]:
                try:
                    doc = api.workflows().get_ranking(workflow_id=workflow_id, include_all=include_all)
                except Exception as ex:
                    ranking[name] = {'error': error_text(ex)}
                    continue
                if doc is None:
                    ranking[name] = None
                    continue
                entries = list()
                for entry in doc['ranking']:
                    run_id = entry['run']['id']
                    entries.append({
                        'run': run_ids.index(run_id) if run_id in run_ids else None,
                        'results': {r['name']: encode(r['value']) for r in entry['results']},
                    })
                ranking[name] = entries
        postproc = app.get_postproc_results()
        return {
            'runs': runs,
            'ranking': ranking,
            'postproc': run_document(postproc.doc) if postproc is not None else None,
        }
    finally:
        os.chdir(cwd)


def op_install_twice(case):
    client = Flowserv(basedir=tempfile.mkdtemp(prefix='oracle-'), open_access=True, clear=True)
    names = list()
    with client.service() as api:
        for _ in range(2):
            workflow_id = client.install(source=os.path.abspath(case['folder']))
            names.append(api.workflows().get_workflow(workflow_id=workflow_id)['name'])
    return {'names': names}


def op_install(case):
    import flowserv.model.files as dirs
    client = Flowserv(basedir=tempfile.mkdtemp(prefix='oracle-'), open_access=True, clear=True)
    workflow_id = client.install(source=os.path.abspath(case['folder']))
    with client.service() as api:
        workflows = api.workflows()
        template = workflows.workflow_repo.get_workflow(workflow_id).get_template()
        name = workflows.get_workflow(workflow_id=workflow_id)['name']
        static = dirs.workflow_staticdir(workflow_id)
        files = sorted(key[len(static) + 1:] for key, _ in workflows.workflow_repo.fs.walk(src=static))
    schema = None
    if template.result_schema is not None:
        schema = template.result_schema.to_dict()
    return {
        'name': name,
        'parameters': declarations(template),
        'results': encode(schema),
        'files': files,
    }


OPERATIONS = {
    'template': op_template,
    'cast': op_cast,
    'expand': op_expand,
    'results': op_results,
    'ranking': op_ranking,
    'run': op_run,
    'install_twice': op_install_twice,
    'install': op_install,
}


def answer(case):
    try:
        result = OPERATIONS[case['op']](case)
    except Exception as ex:
        return {'id': case.get('id'), 'ok': False, 'error': error_text(ex)}
    result.setdefault('ok', True)
    result['id'] = case.get('id')
    return result


def main():
    # flowServ logs to stderr; the answers are the only thing on stdout.
    out = sys.stdout
    sys.stdout = sys.stderr
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            case = json.loads(line)
        except ValueError as ex:
            result = {'id': None, 'ok': False, 'error': 'bad case: {}'.format(ex)}
        else:
            result = answer(case)
        out.write(json.dumps(result, allow_nan=False) + '\n')
        out.flush()


if __name__ == '__main__':
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
