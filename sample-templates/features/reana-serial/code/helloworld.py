"""Hello World step of the sample benchmark (flowServ user guide, 1.3.1).

Reads a text file with one name per line and writes one line
"<greeting> <name>!" per non-empty name to the output file.

The sleep period is kept short on purpose: after each greeting the script
sleeps sleeptime / 10 seconds (sleeptime 1 = 0.1 s per name), so that a run
with the default names file takes well under a second.
"""

import argparse
import os
import sys
import time


def main(infile, outfile, sleeptime, greeting):
    """Write a greeting for every name in infile to outfile."""
    with open(infile, 'r') as f:
        names = [line.strip() for line in f]
    # Make sure that the output folder exists.
    dirname = os.path.dirname(outfile)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    with open(outfile, 'w') as f:
        for name in names:
            if not name:
                continue
            f.write('{} {}!\n'.format(greeting, name))
            f.flush()
            # Tenths of a second per line (see module docstring).
            time.sleep(sleeptime / 10.0)
    print('wrote {} greetings to {}'.format(len([n for n in names if n]), outfile))


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='Say hello to everyone.')
    parser.add_argument('-i', '--infile', required=True)
    parser.add_argument('-o', '--outfile', required=True)
    parser.add_argument('-s', '--sleeptime', type=float, default=0.0)
    parser.add_argument('-g', '--greeting', default='Hello')
    args = parser.parse_args(sys.argv[1:])
    if args.sleeptime < 0:
        parser.error('sleeptime must not be negative')
    main(args.infile, args.outfile, args.sleeptime, args.greeting)
