"""Baseline predictor of the sample predictor benchmark.

This is the participant's file: replace it with your own predictor (upload a
Python file for the parameter 'Your predictor'). It must accept the arguments
below, read the feature columns x1, x2, x3 of the input CSV (never the label
column) and write a CSV with the columns id,prediction (0 or 1).

Methods:
  threshold  predict 1 when the mean of x1, x2, x3 is >= threshold
  majority   predict 1 when at least two of x1, x2, x3 are >= threshold
"""

import argparse
import csv
import os
import sys


def predict(row, threshold, method):
    """Return the predicted label (0 or 1) for one input row."""
    values = [float(row['x1']), float(row['x2']), float(row['x3'])]
    if method == 'majority':
        return 1 if sum(1 for v in values if v >= threshold) >= 2 else 0
    return 1 if sum(values) / len(values) >= threshold else 0


def main(inputfile, outputfile, threshold, method):
    with open(inputfile, 'r', newline='') as f:
        rows = list(csv.DictReader(f))
    dirname = os.path.dirname(outputfile)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    with open(outputfile, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['id', 'prediction'])
        for row in rows:
            writer.writerow([row['id'], predict(row, threshold, method)])
    print('baseline ({}, threshold {}): {} predictions'.format(method, threshold, len(rows)))


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='Baseline predictor.')
    parser.add_argument('--inputfile', required=True)
    parser.add_argument('--outputfile', required=True)
    parser.add_argument('--threshold', type=float, default=0.5)
    parser.add_argument('--method', choices=['threshold', 'majority'], default='threshold')
    args = parser.parse_args(sys.argv[1:])
    main(args.inputfile, args.outputfile, args.threshold, args.method)
