"""Post-processing step of the sample Hello World benchmark.

Usage: summarize.py RUNS_DIR OUTPUT_JSON

RUNS_DIR is the runs folder that flowServ (and flowdesk) prepare for a
post-processing workflow: runs.json lists the ranked runs in rank order, and
one sub-folder per run id holds the requested run files. The script reads it
with flowServ's own helpers, `flowserv.service.postproc.client.Runs` and
`flowserv.util.read_object`, as post-processing code written for flowServ
does (flowdesk provides them when the interpreter has no flowServ).

Writes OUTPUT_JSON (an object with the list of ranked runs and their values)
and a CSV file next to it with the same name and extension .csv (columns
rank,run,avg_count,max_len). Runs whose analytics file is missing or
unreadable are listed under "skipped" and left out of the table.
"""

import csv
import json
import os
import sys

from flowserv.service.postproc.client import Runs
import flowserv.util as util

RESULT_FILE = 'results/analytics.json'


def main(runs_dir, outfile):
    summary, skipped = [], []
    for rank, run in enumerate(Runs(runs_dir), start=1):
        path = run.get_file(RESULT_FILE)
        try:
            values = util.read_object(path)
        except (OSError, TypeError, ValueError) as ex:
            skipped.append({'rank': rank, 'run': run.run_id, 'error': str(ex)})
            continue
        summary.append({
            'rank': rank,
            'run': run.run_id,
            'name': run.name,
            'avg_count': values.get('avg_count'),
            'max_len': values.get('max_len'),
            'max_line': values.get('max_line')
        })
    dirname = os.path.dirname(outfile)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    with open(outfile, 'w') as f:
        json.dump({'runs': summary, 'skipped': skipped}, f, indent=2)
    csvfile = os.path.splitext(outfile)[0] + '.csv'
    with open(csvfile, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['rank', 'run', 'avg_count', 'max_len'])
        for row in summary:
            writer.writerow([row['rank'], row['run'], row['avg_count'], row['max_len']])
    print('summarized {} ranked runs ({} skipped)'.format(len(summary), len(skipped)))


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: summarize.py RUNS_DIR OUTPUT_JSON')
    main(sys.argv[1], sys.argv[2])
