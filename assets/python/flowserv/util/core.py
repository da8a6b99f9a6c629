"""General helpers of `flowserv.util.core`."""

import importlib
import json
import traceback
import uuid


def get_unique_identifier():
    """A new unique identifier: 32 lowercase hexadecimal digits."""
    return uuid.uuid4().hex


def import_obj(import_path):
    """The function or class named by a dotted path `package.module.name`."""
    module_name, _, name = import_path.rpartition('.')
    return getattr(importlib.import_module(module_name), name)


def jquery(doc, path):
    """The value at `path` (a list of keys) in nested dictionaries; None when
    an element on the way is missing, empty or not a dictionary."""
    current = doc
    for key in path:
        if not current or not isinstance(current, dict):
            return None
        current = current.get(key)
    return current if path else None


def stacktrace(ex):
    """The stack trace of an exception as a list of stripped lines."""
    try:
        lines = traceback.format_exception(type(ex), ex, ex.__traceback__)
    except (AttributeError, TypeError):
        lines = [str(ex)]
    return [line.strip() for line in lines]


def validate_doc(doc, mandatory=None, optional=None, exception=ValueError):
    """Raise `exception` if a mandatory label is missing from `doc` or, when
    `optional` is given, if `doc` has a label that is neither mandatory nor
    optional. Returns `doc`."""
    mandatory = list(mandatory) if mandatory is not None else list()
    for key in mandatory:
        if key not in doc:
            raise exception("missing element '{}' in:\n{}".format(key, _dump(doc)))
    if optional is not None:
        allowed = set(mandatory) | set(optional)
        for key in doc:
            if key not in allowed:
                raise exception("unknown element '{}' in:\n{}".format(key, _dump(doc)))
    return doc


def _dump(doc):
    try:
        return json.dumps(doc, indent=4)
    except (TypeError, ValueError):
        return repr(doc)
