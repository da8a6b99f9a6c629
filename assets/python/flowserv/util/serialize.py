"""Key-value pair serializations of `flowserv.util.serialize`."""


def to_dict(args):
    """A dictionary from a list of `{'key': k, 'value': v}` pairs."""
    return {item['key']: item['value'] for item in args}


def to_kvp(key, value):
    """The serialization `{'key': key, 'value': value}` of one pair."""
    return {'key': key, 'value': value}
