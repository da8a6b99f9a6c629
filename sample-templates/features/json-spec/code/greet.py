"""Step of the 'json-spec' feature template.

Writes "<word>, <name>!" for every word in the input file, each line
repeated --repeat times (upper case for --style upper), to
results/greetings.txt, and the average line length, the line count and the
style to the JSON output file.
"""

import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument('--infile', required=True)
parser.add_argument('--name', required=True)
parser.add_argument('--repeat', type=int, default=1)
parser.add_argument('--style', choices=['plain', 'upper'], default='plain')
parser.add_argument('--outfile', required=True)
args = parser.parse_args()

with open(args.infile, 'r') as f:
    words = [line.strip() for line in f if line.strip()]
lines = []
for word in words:
    line = '{}, {}!'.format(word, args.name)
    lines.extend([line.upper() if args.style == 'upper' else line] * args.repeat)
os.makedirs('results', exist_ok=True)
with open('results/greetings.txt', 'w') as f:
    f.write(''.join(line + '\n' for line in lines))
result = {
    'avg_len': sum(len(line) for line in lines) / len(lines) if lines else 0.0,
    'lines': len(lines),
    'style': args.style
}
os.makedirs(os.path.dirname(args.outfile) or '.', exist_ok=True)
with open(args.outfile, 'w') as f:
    json.dump(result, f)
print(json.dumps(result))
