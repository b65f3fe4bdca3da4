"""Data versioning benchmark: ``cairn data`` and ``dvc`` side by side, with ``cp`` as the floor.

Usage (from the repo, with cairn's virtualenv, which has dvc as a dev dependency):

    .venv/bin/python benchmarks/bench_data.py [--data DIR] [--workdir DIR] [--skip-dvc]
        [--skip-200k] [--reps N] [--out FILE]

The data is the DVC anchor's (``../shared/anchors/dvc/make_data.py``: ``big.bin`` 1 GiB,
``many/`` 20,000 files of 1-8 KiB in 100 folders, ``table.csv`` 200 MB), made on first use
in ``--data`` (default ``/tmp/anchor-dvc/data``, shared with the anchor). For each tool, in a
fresh git repository with a local-folder remote, the anchor's steps in the anchor's order:
copy the data in, ``add`` the big file, the folder and the table, ``status`` twice, change
one file, ``status``, incremental ``add``, ``push``, a push with nothing to push, ``status``
against the remote, delete data and cache then ``pull``, delete data then ``checkout``, and
``gc``; the bytes are compared with the originals at the end. Every step is the real command
line in a subprocess, timed between two ``sync`` calls (dirty pages of one step are not
flushed inside the next), as the anchor does.

Nothing is deleted between timed steps: data a step removes (the workspace before ``pull`` and
``checkout``, a finished tool's repository, ``cp``'s copies) is renamed into a trash folder
emptied at the end, and a run that starts by deleting an earlier run's files first waits six
minutes. On ext4 without a journal (this machine's disk) the kernel skips every inode freed in
the last 60 seconds (6 minutes while its inode table block has unwritten changes) when it
allocates a new one (``recently_deleted()``), so a step that
creates 20,000 files right after 20,000 were deleted took up to 10 s of system time where it
otherwise takes 0.5 s, and which tool paid depended on the order of the steps.

The anchor's sequence gives the ratios to dvc. The floor for the steps that must write bytes
(add, push, pull, checkout) is ``cp`` of the same bytes, timed beside each of those steps in
pairs (``--reps`` fresh repositories, the order within a pair alternating), and each ratio is
the median of the pairs': a single ``cp`` timing on this machine ranged over 5x between runs
(page cache, write-back and the inode allocator's state), so a ratio of two timings made
minutes apart said more about the order of the steps than about the tools. The default of 4
pairs puts each tool first equally often: on this machine's virtual disk the second of two
2.6 GB writes often took 2-5x longer than the first, even with a ``sync`` and 15 s between
them, and 3 pairs put cairn second twice. Like ``cp``, git
and DVC, cairn leaves the write-back of new objects to the OS by default; ``add`` with
``[data] fsync`` (``CAIRN_DATA_FSYNC=1``), which returns only once they are on disk, is paired
with ``cp`` followed by ``sync``. cairn's extra figures: ``status`` of 200,000 unchanged
files, ``status`` time inside the process (without interpreter start-up), and the hashing
throughput of ``big.bin`` against this machine's single-process BLAKE3 (``update_mmap`` on
all cores). The JSON goes to stdout, ``benchmarks/results/`` and ``benchmarks/data-latest.json``;
progress to stderr.
"""

from __future__ import annotations

import abc
import argparse
import json
import os
import platform
import random
import shutil
import stat
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
LATEST = HERE / "data-latest.json"
MAKE_DATA = REPO.parent / "shared" / "anchors" / "dvc" / "make_data.py"
BIN = Path(sys.executable).parent
MODIFIED = "many/d42/f08442.bin"  # the anchor's changed file
# Steps that move bytes, and the cp that writes the same bytes: pull writes every byte twice
# where the filesystem has no reflinks (ext4 here), into the cache and into the workspace (a
# copy, so that editing the workspace can never change the cache); both tools do.
CP_ALL = "cp '{data}/big.bin' . && cp -r '{data}/many' . && cp '{data}/table.csv' ."
CP_OF = {
    "add_big": "cp '{data}/big.bin' .",
    "add_many": "cp -r '{data}/many' .",
    "add_csv": "cp '{data}/table.csv' .",
    "push": CP_ALL,
    "pull": f"mkdir a b && cd a && {CP_ALL} && cd ../b && {CP_ALL}",
    "checkout": CP_ALL,
}
ADDED = {"add_big": "big.bin", "add_many": "many", "add_csv": "table.csv"}
# The adds with [data] fsync return once the objects are on disk: their floor is cp + sync.
DURABLE_STEPS = ("add_big", "add_many")
TARGET_BYTE_STEPS = ("add_big", "add_many", "push", "pull", "checkout")
NO_BYTE_STEPS = ("status_clean", "status_modified", "add_many_incremental", "push_empty", "gc")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "DVC_NO_ANALYTICS": "1", "LC_ALL": "C",
}  # fmt: skip


def log(message: str) -> None:
    """Progress, to stderr."""
    print(f"bench_data: {message}", file=sys.stderr, flush=True)


def sh(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command that must succeed; its stdout."""
    done = subprocess.run(
        args, cwd=cwd, env={**os.environ, **GIT_ENV, **(env or {})}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def timed(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall seconds of a command, between two syncs (the second not counted)."""
    os.sync()
    start = time.perf_counter()
    sh(args, cwd, env)
    seconds = time.perf_counter() - start
    os.sync()
    return round(seconds, 4)


# ext4 without a journal skips inodes freed this recently when it allocates new ones (60 s,
# or 6 minutes while their inode table block has unwritten changes).
RECENTLY_DELETED_S = 361
BIG_FILE = 1 << 20  # the trash deletes files this big at once


class Trash:
    """Where the benchmark puts what it removes between timed steps (see the docstring).

    Big files are deleted at once (they free the disk space the next repetition needs, and
    only a few inodes); the many small files stay until :meth:`empty`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def put(self, path: Path) -> None:
        """Move ``path`` (if present) out of the way without freeing many inodes."""
        if not (path.exists() or path.is_symlink()):
            return
        if path.is_dir() and not path.is_symlink():
            for folder, _, names in os.walk(path):
                for name in names:
                    _unlink_if_big(os.path.join(folder, name))
        elif _unlink_if_big(str(path)):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path.rename(self.folder / f"{self.count}-{path.name}")

    def empty(self) -> None:
        """Delete everything put here (after the last timed step)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _unlink_if_big(path: str) -> bool:
    """Delete ``path`` if it is a regular file of at least ``BIG_FILE`` bytes."""
    st = os.lstat(path)
    if stat.S_ISREG(st.st_mode) and st.st_size >= BIG_FILE:
        os.unlink(path)
        return True
    return False


def start_clean(work: Path) -> None:
    """Delete an earlier run's files in ``work``, then wait until the kernel allocates inodes
    as it would on a quiet disk."""
    leftovers = list(work.iterdir())
    for path in leftovers:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    if leftovers:
        log(f"removed an earlier run's files; waiting {RECENTLY_DELETED_S}s (see the docstring)")
        os.sync()
        time.sleep(RECENTLY_DELETED_S)


def ensure_data(data: Path) -> None:
    """The anchor's data in ``data`` (made once, ~2 min)."""
    if (data / "manifest.json").is_file() and (data / "big.bin").is_file():
        return
    log(f"making the anchor data in {data}")
    subprocess.run([sys.executable, str(MAKE_DATA), "--out", str(data)], check=True)


def change_one_file(root: Path) -> None:
    """The anchor's change: new random bytes (seed 99) in one file of many/."""
    path = root / MODIFIED
    size = path.stat().st_size
    path.chmod(0o644)
    path.unlink()  # a linked workspace file may be read-only; write a new file instead
    path.write_bytes(random.Random(99).randbytes(size))


def remove_data(root: Path, trash: Trash) -> None:
    """Take the workspace copies of the data away."""
    for name in ("big.bin", "table.csv", "many"):
        trash.put(root / name)


def same_bytes(root: Path, data: Path) -> bool:
    """Whether the workspace holds the original data (with the one changed file)."""
    for name in ("big.bin", "table.csv"):
        if subprocess.run(["cmp", "-s", str(root / name), str(data / name)]).returncode:
            return False
    differ = subprocess.run(
        ["diff", "-rq", str(root / "many"), str(data / "many")], capture_output=True, text=True
    ).stdout.splitlines()
    return len(differ) == 1 and MODIFIED.split("/")[-1] in differ[0]


class Pairs:
    """Each byte-moving step of cairn timed right beside ``cp`` of the same bytes (cp first on
    even repetitions, cairn first on odd ones), so both meet the same page cache, write-back
    and inode allocator; the ratio of each pair, and their median."""

    def __init__(self, data: Path, trash: Trash) -> None:
        self.data, self.trash = data, trash
        self.seconds: dict[str, list[tuple[float, float]]] = {}

    def time(self, step: str, rep: int, args: list[str], root: Path, durable: bool = False) -> None:
        """Time ``args`` in ``root`` and ``cp`` of its bytes into a fresh folder beside it."""
        name = f"{step}_fsync" if durable else step
        floor = root.parent / f"cp-{name}"
        floor.mkdir()
        copy = CP_OF[step].format(data=self.data) + (" && sync" if durable else "")
        env = {"CAIRN_DATA_FSYNC": "1"} if durable else None

        def cp() -> float:
            return timed(["bash", "-c", copy], floor)

        def ours() -> float:
            return timed(args, root, env)

        if rep % 2 == 0:
            floor_s, cairn_s = cp(), ours()
        else:
            cairn_s, floor_s = ours(), cp()
        self.trash.put(floor)
        self.seconds.setdefault(name, []).append((cairn_s, floor_s))
        log(f"paired {name:16} cairn {cairn_s:7.3f}s  cp {floor_s:7.3f}s")

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per step: both tools' seconds and the median of the per-pair ratios."""
        return {
            name: {
                "cairn_s": [c for c, _ in pairs],
                "cp_s": [f for _, f in pairs],
                "ratio_median": round(statistics.median(c / f for c, f in pairs), 2),
            }
            for name, pairs in self.seconds.items()
        }


def paired(data: Path, work: Path, trash: Trash, reps: int) -> dict[str, dict[str, Any]]:
    """cairn's byte-moving steps beside ``cp`` (see :class:`Pairs`), ``reps`` times, each time
    in a fresh repository with a fresh local remote."""
    cairn = str(BIN / "cairn")
    pairs = Pairs(data, trash)
    for rep in range(reps):
        base = work / f"paired-{rep}"
        root, remote = base / "repo", base / "remote"
        root.mkdir(parents=True)
        remote.mkdir()
        sh(["git", "init", "-q"], root)
        sh([cairn, "data", "remote", "add", "store", str(remote), "--default"], root)
        sh(["bash", "-c", CP_ALL.format(data=data)], root)
        for step, target in ADDED.items():
            pairs.time(step, rep, [cairn, "data", "add", target], root)
        pairs.time("push", rep, [cairn, "data", "push"], root)
        remove_data(root, trash)
        trash.put(root / Cairn.cache)
        pairs.time("pull", rep, [cairn, "data", "pull"], root)
        remove_data(root, trash)
        pairs.time("checkout", rep, [cairn, "data", "checkout"], root)
        durable = base / "durable"
        durable.mkdir()
        sh(["git", "init", "-q"], durable)
        sh(["bash", "-c", CP_ALL.format(data=data)], durable)
        for step in DURABLE_STEPS:
            pairs.time(step, rep, [cairn, "data", "add", ADDED[step]], durable, durable=True)
        trash.put(base)
    return pairs.summary()


class Tool(abc.ABC):
    """One tool's command lines for the anchor's steps."""

    name: str
    cache: str

    @abc.abstractmethod
    def init(self, root: Path, remote: Path) -> None:
        """Set the tool up in a fresh git repository, with ``remote`` as its default remote."""

    @abc.abstractmethod
    def cmd(self, step: str) -> list[str]:
        """The command line of a step."""


class Dvc(Tool):
    name, cache = "dvc", ".dvc/cache"

    def __init__(self) -> None:
        self.exe = str(BIN / "dvc") if (BIN / "dvc").exists() else shutil.which("dvc") or "dvc"

    def init(self, root: Path, remote: Path) -> None:
        sh([self.exe, "init", "-q"], root)
        sh([self.exe, "remote", "add", "-d", "store", str(remote)], root)

    def cmd(self, step: str) -> list[str]:
        return {
            "add_big": [self.exe, "add", "big.bin"],
            "add_many": [self.exe, "add", "many"],
            "add_csv": [self.exe, "add", "table.csv"],
            "status": [self.exe, "status"],
            "add_many_incremental": [self.exe, "add", "many"],
            "push": [self.exe, "push"],
            "status_remote": [self.exe, "status", "-c"],
            "pull": [self.exe, "pull"],
            "checkout": [self.exe, "checkout"],
            "gc": [self.exe, "gc", "-w", "-f"],
        }[step]


class Cairn(Tool):
    name, cache = "cairn", ".cairn/cache"

    def __init__(self) -> None:
        self.exe = str(BIN / "cairn")

    def init(self, root: Path, remote: Path) -> None:
        sh([self.exe, "data", "remote", "add", "store", str(remote), "--default"], root)

    def cmd(self, step: str) -> list[str]:
        c = [self.exe, "data"]
        return {
            "add_big": [*c, "add", "big.bin"],
            "add_many": [*c, "add", "many"],
            "add_csv": [*c, "add", "table.csv"],
            "status": [*c, "status"],
            "add_many_incremental": [*c, "add", "many"],
            "push": [*c, "push"],
            "status_remote": [*c, "status", "--remote"],
            "pull": [*c, "pull"],
            "checkout": [*c, "checkout"],
            "gc": [*c, "gc"],
        }[step]


def run_tool(tool: Tool, data: Path, work: Path, trash: Trash) -> dict[str, Any]:
    """The anchor's steps for one tool in a fresh repository; step -> seconds."""
    root, remote = work / tool.name / "repo", work / tool.name / "remote"
    trash.put(work / tool.name)
    root.mkdir(parents=True)
    remote.mkdir()
    sh(["git", "init", "-q"], root)
    tool.init(root, remote)
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-qm", "init", "--allow-empty"], root)
    steps: dict[str, Any] = {}

    def step(name: str, args: list[str]) -> None:
        steps[name] = timed(args, root)
        log(f"{tool.name:5} {name:22} {steps[name]:8.3f}s")

    step(
        "copy_in",
        [
            "bash",
            "-c",
            f"cp '{data}/big.bin' . && cp -r '{data}/many' . && cp '{data}/table.csv' .",
        ],
    )
    for name in ("add_big", "add_many", "add_csv"):
        step(name, tool.cmd(name))
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-qm", "track data"], root)
    step("status_clean", tool.cmd("status"))
    step("status_clean_2", tool.cmd("status"))
    change_one_file(root)
    step("status_modified", tool.cmd("status"))
    step("add_many_incremental", tool.cmd("add_many_incremental"))
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-qm", "change one file"], root)
    step("push", tool.cmd("push"))
    step("push_empty", tool.cmd("push"))
    step("status_remote", tool.cmd("status_remote"))
    remove_data(root, trash)
    trash.put(root / tool.cache)
    step("pull", tool.cmd("pull"))
    remove_data(root, trash)
    step("checkout", tool.cmd("checkout"))
    step("gc", tool.cmd("gc"))
    steps["verify_ok"] = same_bytes(root, data)
    if isinstance(tool, Cairn):
        steps["status_in_process"] = status_in_process(root)
    trash.put(work / tool.name)
    return steps


def status_in_process(root: Path) -> float:
    """``status`` of the whole workspace inside this process (no interpreter start-up)."""
    from cairn.data.workspace import Workspace

    workspace = Workspace.find(root)
    try:
        workspace.status()  # warm: imports, page cache
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            workspace.status()
            best = min(best, time.perf_counter() - start)
    finally:
        workspace.close()
    return round(best, 4)


def status_200k(work: Path, trash: Trash) -> dict[str, float]:
    """cairn ``status`` of 200,000 unchanged small files (1,000 folders of 200)."""
    root = work / "cairn-200k"
    folder = root / "many"
    rng = random.Random(7)
    for d in range(1000):
        sub = folder / f"d{d:03d}"
        sub.mkdir(parents=True)
        for f in range(200):
            (sub / f"f{f:03d}.bin").write_bytes(rng.randbytes(64))
    sh(["git", "init", "-q"], root)
    cairn = str(BIN / "cairn")
    result = {"add": timed([cairn, "data", "add", "many"], root)}
    result["status_clean"] = timed([cairn, "data", "status"], root)
    result["status_clean_2"] = timed([cairn, "data", "status"], root)
    result["status_in_process"] = status_in_process(root)
    trash.put(root)
    log(f"cairn status of 200,000 files: {result}")
    return result


def hashing(data: Path) -> dict[str, float]:
    """MB/s of hashing big.bin: cairn's ``hash_file`` vs BLAKE3's best single-process rate."""
    import blake3

    from cairn.objects.hashing import hash_file

    path = data / "big.bin"
    size = path.stat().st_size
    path.read_bytes()  # into the page cache

    def rate(fn: Callable[[], Any]) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        return round(size / best / 1e6, 1)

    def machine() -> None:
        blake3.blake3(max_threads=blake3.blake3.AUTO).update_mmap(path)

    floor = rate(machine)
    ours = rate(lambda: hash_file(path))
    return {"blake3_mmap_all_cores_mb_s": floor, "cairn_hash_file_mb_s": ours,
            "ratio": round(ours / floor, 3)}  # fmt: skip


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    """dvc/cairn for every step of the anchor's sequence; cairn/cp for the steps that write
    bytes and the adds with ``[data] fsync`` over cp + sync (medians of the pairs)."""
    cairn, dvc, pairs = result["cairn"], result.get("dvc"), result["paired"]
    out: dict[str, Any] = {"dvc_over_cairn": {}}
    for step, seconds in cairn.items():
        if dvc and isinstance(seconds, float) and isinstance(dvc.get(step), float) and seconds:
            out["dvc_over_cairn"][step] = round(dvc[step] / seconds, 2)
    out["cairn_over_cp"] = {step: pairs[step]["ratio_median"] for step in CP_OF}
    out["durable_over_cp_sync"] = {
        step: pairs[f"{step}_fsync"]["ratio_median"] for step in DURABLE_STEPS
    }
    return out


def targets(result: dict[str, Any]) -> dict[str, bool | None]:
    """Whether each of the issue's targets was met in this run (None: not measured)."""
    r, cairn = result["ratios"], result["cairn"]
    met: dict[str, bool | None] = {}
    for step in NO_BYTE_STEPS:
        found = r["dvc_over_cairn"].get(step)
        met[f"{step} >= 10x faster than dvc"] = None if found is None else found >= 10
    for step in TARGET_BYTE_STEPS:
        met[f"{step} within 1.25x of cp"] = r["cairn_over_cp"][step] <= 1.25
        found = r["dvc_over_cairn"].get(step)
        met[f"{step} not slower than dvc"] = None if found is None else found >= 1
    for step, ratio in r.get("durable_over_cp_sync", {}).items():
        met[f"{step} with [data] fsync within 1.25x of cp + sync"] = ratio <= 1.25
    met["status of 20,000 files < 0.2 s"] = cairn["status_clean_2"] < 0.2
    big = result.get("cairn_200k")
    met["status of 200,000 files < 2 s"] = None if big is None else big["status_clean_2"] < 2
    met["hashing >= 80% of BLAKE3"] = result["hashing"]["ratio"] >= 0.8
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/anchor-dvc/data"))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cairn-bench-data"))
    parser.add_argument("--skip-dvc", action="store_true")
    parser.add_argument("--skip-200k", action="store_true")
    parser.add_argument(
        "--reps",
        type=int,
        default=4,
        help="pairs of cairn and cp per step (even: each goes first as often)",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    ensure_data(args.data)
    args.workdir.mkdir(parents=True, exist_ok=True)
    start_clean(args.workdir)
    trash = Trash(args.workdir / "trash")
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "kernel": platform.release(),
        },  # fmt: skip
        "data": json.loads((args.data / "manifest.json").read_text()),
    }
    # The pairs first: dvc's steps delete files, and on this disk inodes freed in the last
    # minutes slow every file creation after them (see the docstring).
    result["paired"] = paired(args.data, args.workdir, trash, args.reps)
    result["cairn"] = run_tool(Cairn(), args.data, args.workdir, trash)
    if not args.skip_dvc:
        result["dvc_version"] = sh([Dvc().exe, "--version"], args.workdir).strip()
        result["dvc"] = run_tool(Dvc(), args.data, args.workdir, trash)
    result["hashing"] = hashing(args.data)
    if not args.skip_200k:
        result["cairn_200k"] = status_200k(args.workdir, trash)
    trash.empty()
    result["ratios"] = ratios(result)
    result["targets"] = targets(result)
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"data-{stamp}.json").write_text(text)
    (args.out or LATEST).write_text(text)


if __name__ == "__main__":
    main()
