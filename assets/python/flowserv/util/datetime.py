"""Timestamps of `flowserv.util.datetime`: ISO 8601 text in UTC."""

import datetime


def to_datetime(timestamp):
    """A `datetime` for an ISO 8601 timestamp, with or without fractions of a
    second and a time zone."""
    text = timestamp.strip()
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in ('%Y-%m-%dT%H:%M:%S.%f%z', '%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S'):
        try:
            return datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError("not an ISO timestamp '{}'".format(timestamp))


def utc_now():
    """The current time in UTC as ISO 8601 text."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


# The reference documents both spellings.
utcnow = utc_now
