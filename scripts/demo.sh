#!/usr/bin/env bash
# The README's main command: set up a virtualenv and run the example on the embedded default
# store (SQLite + a local folder in .cairn/ of this checkout), then list what it recorded.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# The grep drops pip's notes about absent local index folders; pipefail keeps pip's status.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --progress-bar off \
    -e '.[pandas,plots]' 2>&1 | { grep -v "^WARNING: Location '.*' is ignored" || true; }
.venv/bin/python examples/quickstart.py
echo
echo "\$ cairn runs list --experiment quickstart"
.venv/bin/cairn runs list --experiment quickstart
