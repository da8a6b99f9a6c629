"""Fixed evaluation step of the 'actor' feature template.

Usage: evaluate.py MODEL_FILE OUTPUT_JSON
Reads one number per line and writes their mean as 'score' and the number of
lines as 'lines'.
"""

import json
import os
import sys

if len(sys.argv) != 3:
    sys.exit('usage: evaluate.py MODEL_FILE OUTPUT_JSON')
with open(sys.argv[1], 'r') as f:
    values = [float(line) for line in f if line.strip()]
result = {
    'score': sum(values) / len(values) if values else 0.0,
    'lines': len(values)
}
os.makedirs(os.path.dirname(sys.argv[2]) or '.', exist_ok=True)
with open(sys.argv[2], 'w') as f:
    json.dump(result, f)
print(json.dumps(result))
