"""Step of the 'conditional' feature template.

Reads two lines from stdin: the text form of the list parameter 'items' and
of the record parameter 'record', and writes results/out.json with values
derived from them. The text form may be JSON ([1, 2], {"a": 1, "b": "x"}),
a Python literal ([1, 2], {'a': 1, 'b': 'x'}), the record argument form
([{"name": "a", "value": 1}, ...]) or plain comma-separated numbers.
"""

import argparse
import ast
import json
import os
import sys


def parse(text):
    """Parse a value that was rendered as JSON or as a Python literal."""
    text = text.strip()
    for loader in (json.loads, ast.literal_eval):
        try:
            return loader(text)
        except (ValueError, SyntaxError):
            pass
    # Last resort: comma-separated values.
    return [v.strip() for v in text.strip('[]').split(',') if v.strip()]


def as_record(value):
    """Normalize a record value to a dictionary field -> value."""
    if isinstance(value, list):
        return {f['name']: f['value'] for f in value if isinstance(f, dict)}
    return dict(value)


def main(verbose, outfile):
    lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
    if len(lines) != 2:
        sys.exit('expected 2 lines (items, record) on stdin, got {}'.format(len(lines)))
    items = [int(v) for v in parse(lines[0])]
    record = as_record(parse(lines[1]))
    result = {
        'verbose': verbose,
        'item_count': len(items),
        'item_sum': sum(items),
        'a': int(record['a']),
        'b': str(record['b'])
    }
    if verbose == 'yes':
        print('items  : {!r} -> {}'.format(lines[0], items))
        print('record : {!r} -> {}'.format(lines[1], record))
    os.makedirs(os.path.dirname(outfile) or '.', exist_ok=True)
    with open(outfile, 'w') as f:
        json.dump(result, f)
    print(json.dumps(result))


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--verbose', choices=['yes', 'no'], required=True)
    parser.add_argument('--outfile', required=True)
    args = parser.parse_args()
    main(args.verbose, args.outfile)
