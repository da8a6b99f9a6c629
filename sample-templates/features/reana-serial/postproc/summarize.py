"""Post-processing step of the sample Hello World benchmark.

Usage: summarize.py RUNS_DIR OUTPUT_JSON

RUNS_DIR is the runs folder that flowServ (and flowdesk) prepare for a
post-processing workflow. It contains
  - runs.json: a JSON list, in rank order, of objects
      {"id": <run id>, "name": <submission name>, "files": [<file keys>]}
  - one sub-folder per run id holding the requested run files at their
    relative paths, e.g. RUNS_DIR/<id>/results/analytics.json.

Writes OUTPUT_JSON (an object with the list of ranked runs and their values)
and a CSV file next to it with the same name and extension .csv (columns
rank,run,avg_count,max_len). A missing or empty runs folder gives an empty
summary; runs whose analytics file is missing or unreadable are listed under
"skipped" and left out of the table.
"""

import csv
import json
import os
import sys

RESULT_FILE = 'results/analytics.json'


def read_runs(runs_dir):
    """Read the ranked run list from runs.json (empty list if missing)."""
    filename = os.path.join(runs_dir, 'runs.json')
    if not os.path.isfile(filename):
        return []
    with open(filename, 'r') as f:
        runs = json.load(f)
    return runs if isinstance(runs, list) else []


def main(runs_dir, outfile):
    summary, skipped = [], []
    for rank, run in enumerate(read_runs(runs_dir), start=1):
        run_id = str(run.get('id'))
        # Use the analytics file listed for the run (default path otherwise).
        files = [f for f in run.get('files', []) if f.endswith('analytics.json')]
        path = os.path.join(runs_dir, run_id, files[0] if files else RESULT_FILE)
        try:
            with open(path, 'r') as f:
                values = json.load(f)
        except (OSError, ValueError) as ex:
            skipped.append({'rank': rank, 'run': run_id, 'error': str(ex)})
            continue
        summary.append({
            'rank': rank,
            'run': run_id,
            'name': run.get('name'),
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
