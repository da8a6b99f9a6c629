"""Write {"chars": len(TEXT) * TIMES} to OUTFILE. Usage: count.py TEXT TIMES OUTFILE"""

import json
import os
import sys

text, times, outfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(os.path.dirname(outfile), exist_ok=True)
with open(outfile, 'w') as f:
    json.dump({'chars': len(text) * times}, f)
