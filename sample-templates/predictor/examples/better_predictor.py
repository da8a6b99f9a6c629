"""Example participant predictor that beats the baseline.

Weights the features (0.6, 0.3, 0.1) instead of averaging them and predicts 1
when the weighted score is >= threshold. The method argument is accepted for
compatibility and ignored. Upload this file as 'Your predictor' to see a
second, higher entry on the leaderboard.
"""

import argparse
import csv
import os
import sys

WEIGHTS = {'x1': 0.6, 'x2': 0.3, 'x3': 0.1}


def main(inputfile, outputfile, threshold):
    with open(inputfile, 'r', newline='') as f:
        rows = list(csv.DictReader(f))
    dirname = os.path.dirname(outputfile)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    with open(outputfile, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['id', 'prediction'])
        for row in rows:
            score = sum(w * float(row[col]) for col, w in WEIGHTS.items())
            writer.writerow([row['id'], 1 if score >= threshold else 0])
    print('weighted predictor (threshold {}): {} predictions'.format(threshold, len(rows)))


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='Weighted predictor.')
    parser.add_argument('--inputfile', required=True)
    parser.add_argument('--outputfile', required=True)
    parser.add_argument('--threshold', type=float, default=0.5)
    parser.add_argument('--method', default='threshold')
    args = parser.parse_args(sys.argv[1:])
    main(args.inputfile, args.outputfile, args.threshold)
