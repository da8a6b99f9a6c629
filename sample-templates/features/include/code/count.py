"""Step of the 'include' feature template: repeat a word and count characters."""

import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument('--word', required=True)
parser.add_argument('--times', type=int, required=True)
parser.add_argument('--outfile', required=True)
args = parser.parse_args()

text = ' '.join([args.word] * args.times)
os.makedirs(os.path.dirname(args.outfile) or '.', exist_ok=True)
with open(args.outfile, 'w') as f:
    json.dump({'chars': len(text), 'text': text}, f)
print(text)
