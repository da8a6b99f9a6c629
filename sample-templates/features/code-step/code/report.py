"""Writes the word count that the code step computed to the result file."""

import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--words", type=int, required=True)
parser.add_argument("--minlen", type=int, required=True)
parser.add_argument("--outfile", required=True)
args = parser.parse_args()

os.makedirs(os.path.dirname(args.outfile) or ".", exist_ok=True)
with open(args.outfile, "w") as f:
    json.dump({"words": args.words, "minlen": args.minlen}, f)
print(f"{args.words} words")
