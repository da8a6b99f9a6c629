"""Regenerate data/test.csv for the sample predictor benchmark.

Deterministic: a fixed linear congruential generator, no random module, so the
file is the same on every machine and Python version. Three features in
[0, 1]; the label is 1 when 0.6*x1 + 0.3*x2 + 0.1*x3 plus a little noise is
at least 0.5. The workflow never runs this script; it only documents how the
shipped data was made.

Usage: python3 make_test_data.py > test.csv
"""

import sys


def lcg(seed):
    """Yield pseudo-random floats in [0, 1) from a fixed LCG."""
    state = seed
    while True:
        state = (1103515245 * state + 12345) % (2 ** 31)
        yield state / float(2 ** 31)


def main(rows=50, seed=42):
    rnd = lcg(seed)
    out = sys.stdout
    out.write('id,x1,x2,x3,label\n')
    for i in range(1, rows + 1):
        x1, x2, x3 = (round(next(rnd), 3) for _ in range(3))
        noise = (next(rnd) - 0.5) * 0.2
        label = 1 if 0.6 * x1 + 0.3 * x2 + 0.1 * x3 + noise >= 0.5 else 0
        out.write('{},{:.3f},{:.3f},{:.3f},{}\n'.format(i, x1, x2, x3, label))


if __name__ == '__main__':
    main()
