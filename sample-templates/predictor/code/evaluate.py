"""Evaluation step of the sample predictor benchmark (coordinator code).

Compares the participant's predictions (CSV with id,prediction) with the
labels of the test data (CSV with id,...,label) and writes a nested JSON
document:

  {"accuracy": {"mean": <acc>, "correct": <n>, "total": <n>},
   "precision": <p>, "recall": <r>}

The leaderboard reads accuracy from the path accuracy/mean. Precision and
recall are for the positive class 1 (0.0 when undefined). A test row without
a prediction counts as wrong. Values are rounded to 4 decimals.
"""

import argparse
import csv
import json
import os
import sys


def read_column(filename, column):
    """Read a mapping id -> int(column) from a CSV file."""
    with open(filename, 'r', newline='') as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or column not in reader.fieldnames:
            sys.exit("{}: missing column '{}'".format(filename, column))
        return {row['id']: int(float(row[column])) for row in reader}


def main(truthfile, predfile, outputfile):
    if not os.path.isfile(predfile):
        sys.exit('predictions file {} not found'.format(predfile))
    truth = read_column(truthfile, 'label')
    pred = read_column(predfile, 'prediction')
    total = len(truth)
    correct = sum(1 for key, label in truth.items() if pred.get(key) == label)
    true_pos = sum(1 for key, label in truth.items() if label == 1 and pred.get(key) == 1)
    pred_pos = sum(1 for key in truth if pred.get(key) == 1)
    actual_pos = sum(1 for label in truth.values() if label == 1)
    results = {
        'accuracy': {
            'mean': round(correct / total, 4) if total else 0.0,
            'correct': correct,
            'total': total
        },
        'precision': round(true_pos / pred_pos, 4) if pred_pos else 0.0,
        'recall': round(true_pos / actual_pos, 4) if actual_pos else 0.0
    }
    dirname = os.path.dirname(outputfile)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    with open(outputfile, 'w') as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results))


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='Evaluate predictions.')
    parser.add_argument('--truth', required=True)
    parser.add_argument('--predictions', required=True)
    parser.add_argument('--outputfile', required=True)
    args = parser.parse_args(sys.argv[1:])
    main(args.truth, args.predictions, args.outputfile)
