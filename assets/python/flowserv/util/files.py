"""Files of `flowserv.util.files`: JSON and YAML documents, file keys (paths
with `/` as separator), folders.

YAML needs PyYAML, as in flowServ. Without it, YAML files that are written in
JSON syntax still read, and `write_object` writes YAML files as JSON (which is
valid YAML).
"""

import io
import json
import os
import shutil

FORMAT_JSON = 'JSON'
FORMAT_YAML = 'YAML'

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the interpreter
    yaml = None


def cleardir(directory):
    """Remove everything inside `directory` (not the folder itself)."""
    if not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def dirname(key):
    """The parent of a file key (`a/b/c.txt` -> `a/b`); '' for a top-level key
    and None for an empty one."""
    if not key:
        return None
    return '/'.join(key.split('/')[:-1])


def filepath(key, sep=os.sep):
    """A file key with `/` replaced by the local separator `sep`."""
    if key and sep != '/':
        return key.replace('/', sep)
    return key


def pathname(key, sep=os.sep):
    """Same as `filepath` (the reference documents both names)."""
    return filepath(key, sep=sep)


def join(*args):
    """The non-empty arguments joined with `/`."""
    return '/'.join(str(arg) for arg in args if arg)


def read_buffer(filename):
    """The content of a file in a `BytesIO` buffer (positioned at the start)."""
    with open(filename, 'rb') as f:
        return io.BytesIO(f.read())


def _format_of(filename, format):
    if format is not None:
        return format.upper()
    return FORMAT_JSON if str(filename).endswith('.json') else FORMAT_YAML


def _load_yaml(text):
    if yaml is not None:
        return yaml.safe_load(text)
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError('reading YAML needs PyYAML (pip install pyyaml); JSON documents read without it')


def read_object(filename, format=None):
    """The JSON or YAML document in a file (or a `BytesIO` buffer, which is
    read as JSON unless `format` says YAML). The format follows the file name:
    `.json` is JSON, everything else YAML."""
    if isinstance(filename, io.BytesIO):
        text = filename.read().decode('utf-8')
        if format is not None and format.upper() == FORMAT_YAML:
            return _load_yaml(text)
        return json.loads(text)
    kind = _format_of(filename, format)
    with open(filename, 'r', encoding='utf-8') as f:
        text = f.read()
    if kind == FORMAT_JSON:
        return json.loads(text)
    if kind == FORMAT_YAML:
        return _load_yaml(text)
    raise ValueError("unknown data format '{}'".format(format))


def write_object(filename, obj, format=None):
    """Write a dictionary or list to a file as JSON or YAML (by the file name,
    as `read_object` reads it)."""
    kind = _format_of(filename, format)
    if kind not in (FORMAT_JSON, FORMAT_YAML):
        raise ValueError("unknown data format '{}'".format(format))
    with open(filename, 'w', encoding='utf-8') as f:
        if kind == FORMAT_YAML and yaml is not None:
            yaml.dump(obj, f)
        else:
            json.dump(obj, f)
