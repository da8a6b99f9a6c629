#!/usr/bin/env bash
# Install the flowServ server that the server-mode tests start (tests/server/):
# the pinned set that works end to end (`pip install rob-flask` alone pulls a
# newer flowserv-core and Flask that break it), in its own virtualenv so that
# it never meets the flowserv-core 0.9.4 of target/pyenv. Idempotent: a
# complete environment is left alone. Usage: .ci/serverenv.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
serverenv="${1:-target/serverenv}"
pins=(rob-flask==0.6.0 flowserv-core==0.8.1 'flask<2.2' 'werkzeug<2.2')

complete() {
    [ -x "$serverenv/bin/flask" ] && [ -x "$serverenv/bin/flowserv" ] &&
        "$serverenv/bin/python" -c 'import flowserv.version as f, robflask.version as r
assert f.__version__ == "0.8.1" and r.__version__ == "0.6.0"' >/dev/null 2>&1
}

if complete; then
    exit 0
fi
# Debian's python3 needs python3-venv for `python3 -m venv`.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
fi
rm -rf "$serverenv"
mkdir -p "$(dirname "$serverenv")"
python3 -m venv "$serverenv"
"$serverenv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
complete || { echo "the flowServ server in $serverenv does not import" >&2; exit 1; }
echo "flowServ server installed in $serverenv"
