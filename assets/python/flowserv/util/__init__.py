"""Helpers of `flowserv.util`: reading and writing JSON and YAML files, file
keys, dictionary validation, identifiers and timestamps."""

from flowserv.util.core import get_unique_identifier, import_obj, jquery, stacktrace, validate_doc
from flowserv.util.datetime import to_datetime, utc_now, utcnow
from flowserv.util.files import (
    FORMAT_JSON, FORMAT_YAML, cleardir, dirname, filepath, join, pathname, read_buffer,
    read_object, write_object
)
from flowserv.util.serialize import to_dict, to_kvp

__all__ = [
    'FORMAT_JSON', 'FORMAT_YAML', 'cleardir', 'dirname', 'filepath', 'get_unique_identifier',
    'import_obj', 'join', 'jquery', 'pathname', 'read_buffer', 'read_object', 'stacktrace',
    'to_datetime', 'to_dict', 'to_kvp', 'utc_now', 'utcnow', 'validate_doc', 'write_object'
]
