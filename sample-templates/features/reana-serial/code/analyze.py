"""Analytics step of the sample Hello World benchmark (flowServ user guide).

Reads the greetings file written by helloworld.py and writes a JSON object
with the average number of characters per (stripped) line ('avg_count'), the
length of the longest line ('max_len') and the longest line itself
('max_line'; the first one if several lines have the same length).

Same computation as analyze.py in the user guide; the only addition is that
an empty input file gives avg_count 0 instead of a division by zero.
"""

import argparse
import json
import os
import sys


def main(inputfile, outputfile):
    """Compute line statistics for inputfile and write them to outputfile."""
    max_line = ''
    total_char_count = 0
    line_count = 0
    with open(inputfile, 'r') as f:
        for line in f:
            line = line.strip()
            line_length = len(line)
            total_char_count += line_length
            line_count += 1
            if line_length > len(max_line):
                max_line = line
    results = {
        'avg_count': total_char_count / line_count if line_count else 0.0,
        'max_len': len(max_line),
        'max_line': max_line
    }
    dirname = os.path.dirname(outputfile)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    with open(outputfile, 'w') as f:
        json.dump(results, f)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='Analyze greetings.')
    parser.add_argument('-i', '--inputfile', required=True)
    parser.add_argument('-o', '--outputfile', required=True)
    args = parser.parse_args(sys.argv[1:])
    main(inputfile=args.inputfile, outputfile=args.outputfile)
