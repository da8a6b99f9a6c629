"""Default model step of the 'actor' feature template.

Writes the numbers 1..5 (one per line) to results/model.txt.
"""

import os

os.makedirs('results', exist_ok=True)
with open('results/model.txt', 'w') as f:
    for i in range(1, 6):
        f.write('{}\n'.format(i))
print('model wrote 5 values')
