"""``cairn data checkout``: make the workspace match the pointers.

Planned first, done second. The plan lists, per pointer, the files to write (missing or
different) and to delete (inside a tracked folder but not in its manifest). A workspace file
that would be overwritten or deleted while its content is in no cache object holds
uncommitted work: without ``force`` checkout refuses and changes nothing. Then files are
deleted, emptied folders pruned, and objects materialised (in threads, each checked against
its oid). A corrupt or missing object is reported with its path at the end; it never reaches
the workspace and the other files are still checked out.
"""

from __future__ import annotations

import os
import shutil
import stat as stat_module
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data.current import file_oid, folder_oids
from cairn.data.materialize import Materializer, Placement, link_setting
from cairn.data.pointer import Pointer
from cairn.data.progress import QUIET, Reporter
from cairn.data.state import RACY_NS, Signature
from cairn.data.walk import scan_folder
from cairn.errors import CorruptObject, InvalidState, ObjectMissing

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace


@dataclass
class CheckoutReport:
    """What checkout changed, and what it could not do."""

    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    written_bytes: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, message)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "written": self.written, "deleted": self.deleted, "unchanged": self.unchanged,
            "written_bytes": self.written_bytes,
            "failures": [{"path": p, "error": m} for p, m in self.failures],
        }  # fmt: skip


@dataclass(slots=True)
class _Write:
    path: str
    oid: str
    size: int
    executable: bool = False
    shown: str = ""  # the path from the project root
    folder: str | None = None  # the tracked folder it belongs to (from the root)
    rel: str = ""  # its path inside that folder


@dataclass
class _Plan:
    writes: list[_Write] = field(default_factory=list)
    deletes: list[Path] = field(default_factory=list)  # files, or folders where files go
    uncommitted: list[str] = field(default_factory=list)
    unchanged: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    # tracked folder -> the state index entries of its files that stay as they are
    listings: dict[str, dict[str, tuple[Signature, str]]] = field(default_factory=dict)


def checkout(
    workspace: Workspace,
    targets: Iterable[str | Path] | None = None,
    *,
    force: bool = False,
    link: str | None = None,
    cwd: Path | None = None,
    reporter: Reporter = QUIET,
) -> CheckoutReport:
    """Make the data named by ``targets`` (default: all) match its pointers."""
    found = workspace.pointers(targets, cwd)
    return checkout_pointers(workspace, found, force=force, link=link, reporter=reporter)


def checkout_pointers(
    workspace: Workspace,
    found: list[tuple[Path, Pointer]],
    *,
    force: bool = False,
    link: str | None = None,
    reporter: Reporter = QUIET,
) -> CheckoutReport:
    """Make the data of these ``(pointer file, pointer)`` pairs match them (see :func:`checkout`)."""
    strategies = link_setting(workspace.config, link)
    plan = _Plan()
    for pointer_path, pointer in found:
        data = workspace.data_path(pointer_path, pointer)
        try:
            if pointer.is_dir:
                _plan_folder(workspace, data, pointer, workspace.display(pointer_path), plan)
            else:
                _plan_file(workspace, data, pointer, plan)
        except ObjectMissing as exc:
            plan.failures.append((workspace.display(data), exc.message))
    if plan.uncommitted and not force:
        first = ", ".join(plan.uncommitted[:3])
        more = f" and {len(plan.uncommitted) - 3} more" if len(plan.uncommitted) > 3 else ""
        raise InvalidState(
            f"checkout would discard uncommitted changes to {first}{more}; commit them "
            "first (`cairn data commit`), or pass --force to discard them"
        )
    report = CheckoutReport(unchanged=plan.unchanged, failures=plan.failures)
    for path in plan.deletes:
        _remove(path)
        report.deleted.append(workspace.display(path))
    _prune_empty_folders(workspace, plan)
    _materialize(workspace, plan, strategies, report, reporter)
    return report


def raise_failures(report: CheckoutReport) -> None:
    """Raise the first failure of ``report`` (with a count of the others), if any."""
    if not report.failures:
        return
    path, message = report.failures[0]
    more = len(report.failures) - 1
    suffix = f" (and {more} more file{'s' * (more != 1)} failed)" if more else ""
    kind = CorruptObject if "corrupt" in message else ObjectMissing
    raise kind(f"{path}: {message}{suffix}")


# -- planning ----------------------------------------------------------------------------------


def _committed(workspace: Workspace, oid: str) -> bool:
    return workspace.cache.has(oid)


def _plan_file(workspace: Workspace, data: Path, pointer: Pointer, plan: _Plan) -> None:
    shown = workspace.display(data)
    write = _Write(str(data), pointer.oid, pointer.size, shown=shown, rel=shown)
    try:
        st = os.stat(data, follow_symlinks=False)
    except FileNotFoundError:
        plan.writes.append(write)
        return
    if stat_module.S_ISDIR(st.st_mode):
        scan = scan_folder(data)
        inside = folder_oids(workspace, data, scan)
        lost = [f"{shown}/{rel}" for rel, oid in sorted(inside.items())
                if not _committed(workspace, oid)]  # fmt: skip
        plan.uncommitted.extend(lost)
        plan.deletes.append(data)
        plan.writes.append(write)
        return
    if stat_module.S_ISLNK(st.st_mode) and not os.path.exists(data):
        plan.deletes.append(data)  # a dangling link
        plan.writes.append(write)
        return
    current = file_oid(workspace, data)
    if current == pointer.oid:
        plan.unchanged += 1
        return
    if not _committed(workspace, current):
        plan.uncommitted.append(shown)
    plan.writes.append(write)


def _plan_folder(
    workspace: Workspace, data: Path, pointer: Pointer, source: str, plan: _Plan
) -> None:
    manifest = workspace.manifest(pointer.oid, source)
    shown = workspace.display(data)
    scan = None
    existing: dict[str, str] = {}
    if os.path.lexists(data) and (data.is_symlink() or not data.is_dir()):
        if data.is_file() and not data.is_symlink():
            current = file_oid(workspace, data)
            if not _committed(workspace, current):
                plan.uncommitted.append(shown)
        plan.deletes.append(data)
    elif data.is_dir():
        scan = scan_folder(data)
        existing = folder_oids(workspace, data, scan)
    kept: dict[str, tuple[Signature, str]] = {}
    plan.listings[shown] = kept
    limit = scan.observed_at_ns - RACY_NS if scan is not None else 0
    base = str(data)
    rows = zip(manifest.paths, manifest.oids_, manifest.sizes, manifest.executables, strict=True)
    for rel, oid, size, executable in rows:
        have = existing.get(rel)
        if have == oid:
            assert scan is not None
            found = scan.files[rel]
            if not found.linked and found.executable != executable:
                os.chmod(data / rel, _with_exec(data / rel, executable))
            elif found.signature[1] < limit:
                kept[rel] = (found.signature, oid)
            plan.unchanged += 1
            continue
        if have is not None and not _committed(workspace, have):
            plan.uncommitted.append(f"{shown}/{rel}")
        plan.writes.append(
            _Write(f"{base}/{rel}", oid, size, executable, f"{shown}/{rel}", folder=shown, rel=rel)
        )
    wanted = set(manifest.paths)
    for rel, oid in sorted(existing.items()):
        if rel in wanted:
            continue
        if not _committed(workspace, oid):
            plan.uncommitted.append(f"{shown}/{rel}")
        plan.deletes.append(data / rel)
    if scan is not None:
        plan.deletes.extend(data / rel for rel in scan.odd)


def _with_exec(path: Path, executable: bool) -> int:
    mode = stat_module.S_IMODE(os.stat(path).st_mode)
    if executable:
        return mode | ((mode & 0o444) >> 2)
    return mode & ~0o111


# -- doing -------------------------------------------------------------------------------------


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _prune_empty_folders(workspace: Workspace, plan: _Plan) -> None:
    """Remove folders emptied by deletions, deepest first, where a file must go instead or
    nothing remains of them."""
    folders = {p.parent for p in plan.deletes}
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        current = folder
        while current != workspace.root:
            try:
                current.rmdir()
            except OSError:
                break
            current = current.parent


def _materialize(
    workspace: Workspace,
    plan: _Plan,
    strategies: tuple[str, ...],
    report: CheckoutReport,
    reporter: Reporter,
) -> None:
    if not plan.writes:
        for folder, entries in plan.listings.items():
            workspace.state.record_under(folder, entries)
        return
    materializer = Materializer(workspace.cache, strategies, workspace.state.verified_objects())
    for folder in sorted({w.path.rpartition("/")[0] for w in plan.writes}):
        if not os.path.isdir(folder):
            _make_folder(Path(folder))
    total = sum(w.size for w in plan.writes)
    placements = [Placement(w.oid, w.path, w.executable, w.size) for w in plan.writes]
    with reporter.track("checking out", len(plan.writes), total) as advance:
        results = materializer.place_all(placements, workspace.jobs(), workspace.map, advance)
    rows = []
    for write, (sig, problem) in zip(plan.writes, results, strict=True):
        if problem is not None:
            report.failures.append((write.shown, problem))
            continue
        assert sig is not None
        report.written.append(write.shown)
        report.written_bytes += write.size
        if write.folder is None:
            rows.append((write.shown, sig, write.oid))
        else:
            plan.listings[write.folder][write.rel] = (sig, write.oid)
    workspace.state.record(rows)
    for folder, entries in plan.listings.items():
        workspace.state.record_under(folder, entries)
    workspace.state.mark_verified(materializer.newly_verified.items())
    corrupt = [w.oid for w, (_, problem) in zip(plan.writes, results, strict=True)
               if problem is not None and "corrupt" in problem]  # fmt: skip
    workspace.state.unverify(corrupt)


def _make_folder(folder: Path) -> None:
    """Create ``folder``, replacing a file or link that stands where a parent must be."""
    for parent in reversed((folder, *folder.parents)):
        if parent.is_dir():
            continue
        if os.path.lexists(parent):
            parent.unlink()  # a file the plan deleted already, or a dangling link
        parent.mkdir(exist_ok=True)
