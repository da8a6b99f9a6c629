"""Monte Carlo estimate of pi: the mean of 4 * sqrt(1 - x^2) over uniform x.

Seed 0 draws a fresh seed from the operating system, so every run differs; a
fixed seed makes the run repeat exactly. The seed used is written next to the
results (not as a result column), so a varying run can still be redone.
"""

import argparse
import json
import math
import os
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    seed = args.seed or int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    total = 0.0
    for _ in range(args.samples):
        x = rng.random()
        total += math.sqrt(1.0 - x * x)
    estimate = 4.0 * total / args.samples
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(
            {
                "estimate": estimate,
                "abs_error": abs(estimate - math.pi),
                "samples": args.samples,
                "seed_used": seed,
            },
            f,
        )
    print(f"estimate {estimate} from {args.samples} samples (seed {seed})")


if __name__ == "__main__":
    main()
