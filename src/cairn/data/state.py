"""The state index: what cairn already knows about files, so it hashes only what changed.

A SQLite file, ``.cairn/state.db``, with these tables:

``files``    path (relative to the project root, POSIX) -> inode, mtime_ns, size, oid: the
             hash a workspace file had when it last had that inode, mtime and size.
``listings`` the same for every file of a tracked folder, as one row per folder: its path ->
             a marshal blob ``{path inside: ((inode, mtime_ns, size), oid)}``. Loading the
             20,000 entries of a folder is then one query and one C-level decode (~10 ms)
             instead of 20,000 rows (~50 ms), and writing them one row.
``trees``    tracked folder -> a :class:`~cairn.data.tree.Tree`: its scan record (every path
             with inode, mtime, size, mode, link flag, in the order met), each file's oid and
             the manifest's executable flag, and the oid of that manifest. ``status`` and
             ``add`` compare a new scan with it and decode only the rows that differ, so one
             changed file of 20,000 costs no manifest read and no listing rewrite.
``verified`` oid -> inode, mtime_ns, size of the cache object when its bytes were last
             checked (or written by cairn), so materialising it again needs no rehash.
``manifests`` folder manifest oid -> the oids it lists (32 bytes each), written by whoever
             built or decoded it: ``gc`` reads this instead of decoding 20,000 rows of JSON.
             A manifest never changes, so neither does its row; it goes with the manifest.
``folders``  tracked folder -> the fingerprint of its listing (every path with inode, mtime,
             size and mode) when it last matched the manifest ``oid`` with every object in
             the cache. An unchanged fingerprint lets ``status`` skip the per-file work; ``gc``
             (it is what deletes objects) forgets those of manifests it did not keep whole.

Every change is written in one transaction.

The invariant of ``trees`` (and ``folders``): a row for manifest M says that, when it was
written, the folder's files were exactly M's (same paths, contents and, for files that are
not links, executable bits) with those signatures, that the listing was settled (below), and
that every object M needs was in the cache. It is written only after the objects and M are
in the cache (``add`` writes it after the pointer), it is trusted only while a pointer names
M; ``gc`` (which deletes objects) forgets the rows of every manifest whose objects it did not
all keep, and finding corrupt objects forgets every row. A command
killed between any two writes thus leaves either no row for the pointer's manifest (the
manifest is read) or a row that is true; a changed file changes its row's bytes (a rewrite
within :data:`RACY_NS` of the scan is what ``settled`` rules out).
Files whose mtime is within :data:`RACY_NS` of the moment they were looked at are not
recorded: a same-size rewrite in the same clock tick could otherwise go unnoticed.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sqlite3
import time
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from cairn.data.tree import OID_BYTES, Tree
from cairn.objects.digest import split_oids

STATE_NAME = "state.db"
RACY_NS = 50_000_000  # 50 ms

Signature = tuple[int, int, int]  # inode, mtime_ns, size

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, inode INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL, oid TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS listings (
    folder TEXT PRIMARY KEY, data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS folders (
    path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, oid TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trees (
    folder TEXT PRIMARY KEY, oid TEXT NOT NULL, size INTEGER NOT NULL, record BLOB NOT NULL,
    offsets BLOB NOT NULL, oids BLOB NOT NULL, executables BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS verified (
    oid TEXT PRIMARY KEY, inode INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS manifests (
    oid TEXT PRIMARY KEY, oids BLOB NOT NULL
) WITHOUT ROWID;
"""


def signature(stat: os.stat_result) -> Signature:
    """The part of a stat result that says a file is unchanged."""
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def settled(stat: os.stat_result, now_ns: int | None = None) -> bool:
    """Whether the file's mtime is old enough to trust (see the module docstring)."""
    return (now_ns or time.time_ns()) - stat.st_mtime_ns > RACY_NS


def _upper_bound(prefix: str) -> str:
    """The smallest string after every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class StateIndex:
    """The state index of one project (opened lazily, one connection per instance)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                 check_same_thread=False)  # fmt: skip
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
            except sqlite3.DatabaseError:
                db.close()
                # The index only saves work: a damaged one is rebuilt from nothing.
                self.path.unlink(missing_ok=True)
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                     check_same_thread=False)  # fmt: skip
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def close(self) -> None:
        """Close the connection (reopened on next use)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- workspace files ---------------------------------------------------------------------

    def get(self, path: str) -> tuple[Signature, str] | None:
        """The recorded signature and oid of one file, or None."""
        row = (
            self._connect()
            .execute("SELECT inode, mtime_ns, size, oid FROM files WHERE path = ?", (path,))
            .fetchone()
        )
        return ((row[0], row[1], row[2]), row[3]) if row else None

    def under(self, folder: str) -> dict[str, tuple[Signature, str]]:
        """Every recorded file under ``folder``, keyed by its path relative to ``folder``: the
        folder's listing (one query), else its rows in ``files``."""
        db = self._connect()
        row = db.execute("SELECT data FROM listings WHERE folder = ?", (folder,)).fetchone()
        if row is not None:
            try:
                found = marshal.loads(row[0])
            except (EOFError, ValueError, TypeError):
                found = None
            if isinstance(found, dict):
                return found
        prefix = folder.rstrip("/") + "/"
        rows = db.execute(
            "SELECT substr(path, ?), inode, mtime_ns, size, oid FROM files "
            "WHERE path >= ? AND path < ?",
            (len(prefix) + 1, prefix, _upper_bound(prefix)),
        ).fetchall()
        if not rows:
            return {}
        rels, inodes, mtimes, sizes, oids = zip(*rows, strict=True)
        sigs = zip(inodes, mtimes, sizes, strict=True)
        return dict(zip(rels, zip(sigs, oids, strict=True), strict=True))

    def record_under(
        self,
        folder: str,
        entries: dict[str, tuple[Signature, str]],
        *,
        observed_at_ns: int | None = None,
    ) -> None:
        """Make ``entries`` (path inside -> (signature, oid)) the listing of ``folder``;
        ``observed_at_ns`` as for :meth:`record`."""
        if observed_at_ns is not None:
            limit = observed_at_ns - RACY_NS
            if any(sig[1] >= limit for sig, _ in entries.values()):
                entries = {rel: row for rel, row in entries.items() if row[0][1] < limit}
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO listings (folder, data) VALUES (?, ?)",
                       (folder, marshal.dumps(entries)))  # fmt: skip

    def record(
        self,
        rows: Iterable[tuple[str, Signature, str]],
        *,
        drop_under: str | None = None,
        observed_at_ns: int | None = None,
    ) -> None:
        """Record ``(path, signature, oid)`` rows in one transaction, first forgetting every
        file under ``drop_under`` when given.

        Rows of files cairn only looked at pass ``observed_at_ns`` (when they were stat'ed):
        those modified within :data:`RACY_NS` before it are skipped. Files cairn wrote itself
        are recorded as they are.
        """
        if observed_at_ns is not None:
            limit = observed_at_ns - RACY_NS
            rows = (row for row in rows if row[1][1] < limit)
        with self._transaction() as db:
            if drop_under is not None:
                prefix = drop_under.rstrip("/") + "/"
                db.execute("DELETE FROM files WHERE path >= ? AND path < ?",
                           (prefix, _upper_bound(prefix)))  # fmt: skip
            db.executemany(
                "INSERT OR REPLACE INTO files (path, inode, mtime_ns, size, oid) "
                "VALUES (?, ?, ?, ?, ?)",
                ((path, *sig, oid) for path, sig, oid in rows),
            )

    def forget(self, paths: Iterable[str]) -> None:
        """Forget these files."""
        with self._transaction() as db:
            db.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in paths))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- folders -----------------------------------------------------------------------------

    def folder_match(self, path: str) -> tuple[str, str] | None:
        """The fingerprint and manifest oid a folder last matched, or None."""
        row = (
            self._connect()
            .execute("SELECT fingerprint, oid FROM folders WHERE path = ?", (path,))
            .fetchone()
        )
        return (row[0], row[1]) if row else None

    def record_folder(self, path: str, fingerprint: str, oid: str) -> None:
        """Remember that ``path`` with this listing fingerprint matches manifest ``oid``."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO folders (path, fingerprint, oid) VALUES (?, ?, ?)",
                       (path, fingerprint, oid))  # fmt: skip

    def forget_folders(self, keep: Collection[str] = ()) -> None:
        """Forget the folder matches and trees (both vouch for the cache's objects) of every
        manifest but those in ``keep``, whose objects the caller knows are all still there."""
        with self._transaction() as db:
            _forget_rows(db, "folders", "path", keep)
            _forget_rows(db, "trees", "folder", keep)

    def tree(self, folder: str) -> Tree | None:
        """The listing of ``folder`` last verified to equal a manifest, or None."""
        row = (
            self._connect()
            .execute(
                "SELECT oid, size, record, offsets, oids, executables FROM trees WHERE folder = ?",
                (folder,),
            )  # fmt: skip
            .fetchone()
        )
        if row is None:
            return None
        tree = Tree(*row)
        return tree if tree.consistent() else None

    def record_tree(self, folder: str, tree: Tree) -> None:
        """Remember ``tree`` as the verified listing of ``folder`` (see the module docstring:
        only for a settled listing equal to its manifest, with every object in the cache)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO trees (folder, oid, size, record, offsets, oids, "
                "executables) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (folder, tree.oid, tree.size, tree.record, tree.offsets, tree.oids,
                 tree.executables),
            )  # fmt: skip

    # -- cache objects -----------------------------------------------------------------------

    def verified_objects(self) -> dict[str, Signature]:
        """Every cache object checked so far, with its signature then."""
        rows = self._connect().execute("SELECT oid, inode, mtime_ns, size FROM verified")
        return {oid: (inode, mtime, size) for oid, inode, mtime, size in rows}

    def is_verified(self, oid: str, sig: Signature) -> bool:
        """Whether the object was checked while it had this signature."""
        row = (
            self._connect()
            .execute("SELECT inode, mtime_ns, size FROM verified WHERE oid = ?", (oid,))
            .fetchone()
        )
        return row is not None and tuple(row) == sig

    def mark_verified(self, rows: Iterable[tuple[str, Signature]]) -> None:
        """Record cache objects whose bytes are known to match their oid."""
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO verified (oid, inode, mtime_ns, size) VALUES (?, ?, ?, ?)",
                ((oid, *sig) for oid, sig in rows),
            )

    def unverify(self, oids: Iterable[str], *, keep: Collection[str] = ()) -> None:
        """Forget these cache objects (deleted, or found corrupt), and when there are any,
        every tree (a tree vouches that its manifest's objects are all in the cache) but those
        of the manifests in ``keep``, whose objects the caller knows are all still there."""
        oids = list(oids)
        if not oids:
            return
        with self._transaction() as db:
            db.executemany("DELETE FROM verified WHERE oid = ?", ((o,) for o in oids))
            db.executemany("DELETE FROM manifests WHERE oid = ?", ((o,) for o in oids))
            _forget_rows(db, "trees", "folder", keep)

    # -- folder manifests --------------------------------------------------------------------

    def manifest_oids(self, oid: str) -> set[str] | None:
        """The oids folder manifest ``oid`` lists, when recorded."""
        row = self._connect().execute("SELECT oids FROM manifests WHERE oid = ?", (oid,)).fetchone()
        if row is None or len(row[0]) % OID_BYTES:
            return None  # (a damaged row is ignored, not trusted)
        return set(split_oids(row[0].hex()))

    def record_manifest_oids(self, oid: str, oids: Iterable[str]) -> None:
        """Remember the oids folder manifest ``oid`` lists."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO manifests (oid, oids) VALUES (?, ?)",
                       (oid, bytes.fromhex("".join(oids))))  # fmt: skip


def _forget_rows(db: sqlite3.Connection, table: str, key: str, keep: Collection[str]) -> None:
    """Delete the rows of ``table`` (folders or trees: one per tracked folder, so few) whose
    manifest oid is not in ``keep``."""
    rows = db.execute(f"SELECT {key}, oid FROM {table}").fetchall()  # noqa: S608
    stale = [(name,) for name, oid in rows if oid not in keep]
    db.executemany(f"DELETE FROM {table} WHERE {key} = ?", stale)  # noqa: S608
