"""The layout of the folder a post-processing workflow gets as `$[[runs]]`:
one sub-folder per ranked run (named by the run id) with the requested files,
and `runs.json`, the runs in rank order as `{"id", "name", "files"}`."""

RUNS_DIR = 'runs'
RUNS_FILE = 'runs.json'

LABEL_ID = 'id'
LABEL_NAME = 'name'
LABEL_FILES = 'files'

PARA_RUNS = 'runs'
