"""Long-running step of the 'slow' feature template (for cancellation tests).

Starts a child process `sh -c 'sleep N'`, writes its own pid and the child's
pid (one per line) to --pidfile, prints one line per second for N seconds,
then waits for the child and writes {"seconds": N} to --outfile. If the run
is cancelled, neither this process nor the child should survive.
"""

import argparse
import json
import os
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument('--seconds', type=int, default=60)
parser.add_argument('--pidfile', default='slow.pids')
parser.add_argument('--outfile', required=True)
args = parser.parse_args()

child = subprocess.Popen(['sh', '-c', 'sleep {}'.format(args.seconds)])
with open(args.pidfile, 'w') as f:
    f.write('{}\n{}\n'.format(os.getpid(), child.pid))
print('started child process {} (sleep {})'.format(child.pid, args.seconds), flush=True)
for i in range(1, args.seconds + 1):
    time.sleep(1)
    print('tick {}/{}'.format(i, args.seconds), flush=True)
child.wait()
os.makedirs(os.path.dirname(args.outfile) or '.', exist_ok=True)
with open(args.outfile, 'w') as f:
    json.dump({'seconds': args.seconds}, f)
print('done', flush=True)
sys.exit(0)
