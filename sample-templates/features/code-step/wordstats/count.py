"""The function the code step calls: flowdesk passes the workflow variables its
signature names as keyword arguments and keeps the return value."""

import string


def count_words(path, minlen=1):
    """Number of words in the file at `path` with at least `minlen` letters."""
    with open(path, encoding="utf-8") as f:
        words = [w.strip(string.punctuation) for w in f.read().split()]
    count = sum(1 for w in words if len(w) >= int(minlen))
    print(f"{count} words of at least {minlen} letters in {path}")
    return count
