"""Step of the 'failing' feature template.

--stage before : print a line to stdout and succeed
--stage fail   : print a line to stdout, the message to stderr, exit 3
--stage never  : write results/never.txt (must never run: the run stops at
                 the failing command)
"""

import argparse
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument('--stage', choices=['before', 'fail', 'never'], required=True)
parser.add_argument('--message', default='something went wrong')
args = parser.parse_args()

if args.stage == 'before':
    print('about to fail', flush=True)
elif args.stage == 'fail':
    print('failing now', flush=True)
    sys.stderr.write('error: {}\n'.format(args.message))
    sys.exit(3)
else:
    os.makedirs('results', exist_ok=True)
    with open('results/never.txt', 'w') as f:
        f.write('this command should not have run\n')
