"""Reading the runs folder of a post-processing workflow: `Runs(basedir)`
lists the ranked runs in rank order, each a `Run` with its id, the name of
its submission and the paths of its files."""

import os

import flowserv.util as util
import flowserv.service.postproc.base as base


class Run(object):
    """One ranked run: `run_id`, `name` (the submission's name) and `files`, a
    dictionary from file name to its path in the runs folder."""

    def __init__(self, run_id, name, files):
        self.run_id = run_id
        self.name = name
        self.files = files

    def get_file(self, name):
        """The path of the run's file `name` (None if the run has none)."""
        return self.files.get(name)

    def __repr__(self):
        return '<Run {} ({})>'.format(self.run_id, self.name)


class Runs(object):
    """The ranked runs listed in `<basedir>/runs.json`, in rank order."""

    def __init__(self, basedir):
        self.runs = list()
        listing = util.read_object(filename=os.path.join(basedir, base.RUNS_FILE))
        for entry in listing:
            run_id = entry[base.LABEL_ID]
            files = {name: os.path.join(basedir, run_id, name) for name in entry[base.LABEL_FILES]}
            self.runs.append(Run(run_id=run_id, name=entry[base.LABEL_NAME], files=files))

    def __iter__(self):
        return iter(self.runs)

    def __len__(self):
        return len(self.runs)

    def at_rank(self, index):
        """The run at position `index` of the ranking (0 is the best)."""
        return self.runs[index]

    def get_run(self, run_id):
        """The run with the given id, or None."""
        for run in self.runs:
            if run.run_id == run_id:
                return run
        return None
