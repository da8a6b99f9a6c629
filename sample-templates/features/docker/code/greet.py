"""Greets someone with the greeting from the environment (GREETING, set by the
worker configuration) and writes the message to the result file."""

import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--name", required=True)
parser.add_argument("--punctuation", default="")
parser.add_argument("--outfile", required=True)
args = parser.parse_args()

message = f"{os.environ.get('GREETING', 'Hi')}, {args.name}{args.punctuation}"
os.makedirs(os.path.dirname(args.outfile) or ".", exist_ok=True)
with open(args.outfile, "w") as f:
    json.dump({"message": message, "length": len(message)}, f)
print(message)
