"""Step of the 'inline-spec' feature template.

Usage: square.py NUMBER OUTPUT_JSON -- writes {"square": NUMBER * NUMBER}.
"""

import json
import os
import sys

if len(sys.argv) != 3:
    sys.exit('usage: square.py NUMBER OUTPUT_JSON')
value = float(sys.argv[1])
os.makedirs(os.path.dirname(sys.argv[2]) or '.', exist_ok=True)
with open(sys.argv[2], 'w') as f:
    json.dump({'square': value * value}, f)
print('{} squared is {}'.format(value, value * value))
