"""The run cache: what a stage produced for each fingerprint it ran with, so that running it
again on the same inputs restores its outputs from the data cache instead of running.

One JSON file per fingerprint in ``.cairn/runcache/``: the outs' hashes (their content is in
``.cairn/cache``) and the metrics files' hashes and text (metrics live in git, not the cache).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cairn.config import CAIRN_DIR
from cairn.objects.digest import is_oid
from cairn.pipelines.fingerprint import PathHash

FOLDER = "runcache"


@dataclass(frozen=True)
class CachedRun:
    """What one run of a stage produced."""

    outs: dict[str, PathHash]
    metrics: dict[str, PathHash]
    metric_texts: dict[str, str]


class RunCache:
    """The run cache of the project at ``root``."""

    def __init__(self, root: Path) -> None:
        self.folder = Path(root) / CAIRN_DIR / FOLDER

    def get(self, fingerprint: str) -> CachedRun | None:
        """The run recorded for ``fingerprint``, or None (also for an unreadable entry)."""
        if not is_oid(fingerprint):
            return None
        try:
            document = json.loads((self.folder / f"{fingerprint}.json").read_text("utf-8"))
            return CachedRun(
                outs={p: _hash(h) for p, h in document["outs"].items()},
                metrics={p: _hash(h) for p, h in document["metrics"].items()},
                metric_texts={p: str(t) for p, t in document["metric_texts"].items()},
            )
        except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(
        self,
        fingerprint: str,
        outs: Mapping[str, PathHash],
        metrics: Mapping[str, PathHash],
        metric_texts: Mapping[str, str],
    ) -> None:
        """Record what the run with ``fingerprint`` produced (atomically)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        document = {
            "outs": {p: _doc(h) for p, h in sorted(outs.items())},
            "metrics": {p: _doc(h) for p, h in sorted(metrics.items())},
            "metric_texts": dict(sorted(metric_texts.items())),
        }
        final = self.folder / f"{fingerprint}.json"
        tmp = final.with_name(f".{final.name}.{os.urandom(4).hex()}.tmp")
        try:
            tmp.write_text(json.dumps(document, indent=1), encoding="utf-8")
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _doc(found: PathHash) -> dict[str, object]:
    return {"oid": found.oid, "size": found.size, "kind": found.kind, "files": found.files}


def _hash(raw: dict[str, object]) -> PathHash:
    oid, size, kind, files = raw["oid"], raw["size"], raw["kind"], raw.get("files")
    if not is_oid(oid) or type(size) is not int or kind not in ("file", "dir"):
        raise ValueError("not a run cache entry")
    return PathHash(str(oid), size, str(kind), files if isinstance(files, int) else None)
