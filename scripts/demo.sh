#!/usr/bin/env bash
# The README's main command: set up a virtualenv, then run the journey demo
# (examples/journey/run.py) on the embedded default store (SQLite + a local folder in
# journey/.cairn/): data versioning, a tracked pipeline, a sweep, the registry and its gates,
# serving, monitoring with drift and retraining, the audit trail.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# The grep drops pip's notes about absent local index folders; pipefail keeps pip's status.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --progress-bar off \
    -e '.[serving,monitoring,sklearn,plots]' 2>&1 \
    | { grep -v "^WARNING: Location '.*' is ignored" || true; }
.venv/bin/python examples/journey/run.py --fresh "$@"
