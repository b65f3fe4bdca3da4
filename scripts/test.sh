#!/usr/bin/env bash
# Run cairn's test suite: make .venv if missing, install cairn editable with its dev extra
# (again only when pyproject.toml or the C file-listing loop changed), then run pytest on all cores.
# Arguments go to pytest, e.g. `bash scripts/test.sh tests/test_services.py -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.cairn-dev-install
want="$(cat pyproject.toml src/cairn/data/_fastscan.c src/cairn/objects/_faststore.c src/cairn/objects/_blake3_portable.h | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "test.sh: pip install -e '.[dev]'"
    # The grep drops pip's notes about absent local index folders; pipefail keeps pip's status.
    .venv/bin/python -m pip install --quiet -e '.[dev]' 2>&1 \
        | { grep -v "^WARNING: Location '.*' is ignored" || true; }
    echo "$want" >"$stamp"
fi

# The monitoring tests compare cairn with Evidently, which needs pandas<3: its own venv.
bash scripts/evidently_venv.sh >/dev/null

# pytest exits 5 when it collected no tests: a failure here, as we always have tests.
status=0
.venv/bin/python -m pytest -n auto -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests" >&2
fi
exit "$status"
