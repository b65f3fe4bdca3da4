#!/usr/bin/env bash
# Create (once) the Evidently peer venv used by the monitoring tests and benchmark.
# Evidently 0.7.23 needs pandas<3 and cairn's venv has pandas 3, so it lives apart, at
# .venv-evidently under the repository root. Idempotent: a complete venv is left alone.
# Prints the venv's python path on stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-evidently"
python="$venv/bin/python"
if [ -x "$python" ] && "$python" -c 'import sys; from importlib.metadata import version as v; sys.exit(v("evidently") != "0.7.23" or v("pandas")[0] != "2" or not v("pyarrow"))' 2>/dev/null; then
    echo "$python"
    exit 0
fi
base="$(command -v python3.11 || command -v python3)"  # Evidently 0.7.23 supports 3.9-3.12
"$base" -m venv "$venv" >&2
"$python" -m pip install --quiet --disable-pip-version-check "evidently==0.7.23" "pandas<3" pyarrow >&2
"$python" -c 'import evidently, pandas, pyarrow' >&2
echo "$python"
