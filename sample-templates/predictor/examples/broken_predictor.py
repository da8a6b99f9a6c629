"""Example participant predictor that fails.

Prints a message to stderr and exits with status 2 before writing any
prediction, so the run ends in ERROR with that message. Useful to check how
failing submissions are reported.
"""

import sys

if __name__ == '__main__':
    print('reading model weights...')
    sys.stderr.write('broken_predictor: model file weights.bin not found\n')
    sys.exit(2)
