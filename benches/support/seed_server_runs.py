"""Fill a flowServ server's database with finished runs, for the server bench.

Usage: python seed_server_runs.py DATABASE WORKFLOW_ID RUNS GROUP_ID...

Inserts RUNS successful runs of WORKFLOW_ID, spread over the given groups
(submissions), with Hello World result values (avg_count, max_len, max_line)
in the `result` column the server ranks by. Running 10,000 real workflows
would take hours; the leaderboard the server computes from these rows is the
same as from real ones (flowserv-core 0.8 ranks `workflow_run.result`).
"""

import datetime
import json
import random
import sqlite3
import sys
import uuid


def main():
    database, workflow, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    groups = sys.argv[4:]
    if not groups:
        sys.exit('give at least one group id')
    rng = random.Random(7)
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    rows = []
    for i in range(runs):
        created = start + datetime.timedelta(seconds=i)
        finished = created + datetime.timedelta(seconds=rng.uniform(0.2, 30))
        name = 'Name{}'.format(rng.randint(0, 10 ** 6))
        line = 'Hello {}!'.format(name)
        result = {
            'avg_count': rng.uniform(5, 20),
            'max_len': len(line) + rng.randint(0, 20),
            'max_line': line,
        }
        rows.append((
            uuid.uuid4().hex, workflow, groups[i % len(groups)], 'SUCCESS',
            created.isoformat(), created.isoformat(), finished.isoformat(),
            json.dumps([]), json.dumps(result),
        ))
    con = sqlite3.connect(database)
    with con:
        con.executemany(
            'INSERT INTO workflow_run (run_id, workflow_id, group_id, state_type, '
            'created_at, started_at, ended_at, arguments, result) '
            'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            rows
        )
    con.close()
    print('inserted {} runs'.format(runs))


if __name__ == '__main__':
    main()
