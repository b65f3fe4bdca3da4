"""Putting a file's bytes at another path: reflink, copy, hardlink or symlink.

A reflink (Linux ``FICLONE``) shares the blocks copy-on-write, so it is instant and editing
either side never touches the other. Where the filesystem cannot clone, the copy runs in the
kernel (``copy_file_range``) and falls back to ``shutil.copyfile``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, BinaryIO

FICLONE = 0x40049409  # _IOW(0x94, 9, int)
# Errors meaning "this filesystem (pair) cannot do it", as opposed to a real I/O failure.
UNSUPPORTED = {errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL, errno.ENOSYS,
               errno.EPERM, errno.EBADF}  # fmt: skip


def reflink(src: Path, dst: Path) -> bool:
    """Clone ``src`` to the new file ``dst``; False (and no ``dst``) when unsupported."""
    import fcntl

    with open(src, "rb") as source:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            fcntl.ioctl(fd, FICLONE, source.fileno())
        except OSError as exc:
            os.close(fd)
            os.unlink(dst)
            if exc.errno in UNSUPPORTED:
                return False
            raise
        os.close(fd)
    return True


# Devices (st_dev) where a clone failed once: not tried again in this process.
_NO_REFLINK: set[int] = set()


def copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to the new file ``dst``: a reflink where the filesystem can, else a copy
    in the kernel (``copy_file_range``), else in user space."""
    device = os.stat(src).st_dev
    if device not in _NO_REFLINK:
        if reflink(src, dst):
            return
        _NO_REFLINK.add(device)
    with open(src, "rb") as source, open(dst, "xb") as target:
        size = os.fstat(source.fileno()).st_size
        infd, outfd = source.fileno(), target.fileno()
        done = 0
        try:
            while done < size:
                sent = os.copy_file_range(infd, outfd, size - done)
                if sent == 0:
                    break
                done += sent
        except OSError as exc:
            if exc.errno not in UNSUPPORTED or done:
                raise
            _copy_in_user_space(source, target)
            return
        if done < size:  # the source shrank or the kernel gave up: finish in user space
            source.seek(done)
            target.seek(done)
            _copy_in_user_space(source, target)


def hardlink(src: Path, dst: Path) -> None:
    """Make ``dst`` a hard link to ``src`` (same inode: both read-only)."""
    os.link(src, dst)


def symlink(src: Path, dst: Path) -> None:
    """Make ``dst`` a symbolic link to the absolute path of ``src``."""
    os.symlink(os.path.abspath(src), dst)


PIPE_CHUNK = 32 << 20


def copy_and_hash(src: Path, dst: Path) -> str:
    """Copy ``src`` to the new file ``dst`` and return the oid of the bytes *written*.

    The copy runs in the kernel (a reflink, or ``copy_file_range`` chunk by chunk) while a
    second thread hashes each finished chunk of ``dst`` from the page cache, so the hash
    costs little extra time on a machine with a spare core and always describes ``dst``.
    """
    import queue
    from concurrent.futures import ThreadPoolExecutor

    import blake3

    device = os.stat(src).st_dev
    if device not in _NO_REFLINK:
        if reflink(src, dst):
            hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
            hasher.update_mmap(dst)
            return hasher.hexdigest()
        _NO_REFLINK.add(device)

    done: queue.Queue[int | None] = queue.Queue()

    def hash_behind() -> str:
        import mmap

        hasher = blake3.blake3()
        with open(dst, "rb", buffering=0) as reader:
            position = 0
            while (end := done.get()) is not None:
                if end <= position:
                    continue
                if os.fstat(reader.fileno()).st_size < end:
                    raise OSError(f"{dst} shrank while it was being hashed")
                # Hashed where the page cache holds it: no copy into a buffer of ours.
                base = position - position % mmap.ALLOCATIONGRANULARITY
                with (
                    mmap.mmap(
                        reader.fileno(), end - base, offset=base, access=mmap.ACCESS_READ
                    ) as written,
                    memoryview(written) as view,
                ):
                    hasher.update(view[position - base :])
                position = end
        return hasher.hexdigest()

    with open(src, "rb") as source, open(dst, "xb") as target, ThreadPoolExecutor(1) as pool:
        hashed = pool.submit(hash_behind)
        try:
            _copy_in_chunks(source, target, done, hashed)
        finally:
            done.put(None)
        return hashed.result()


def _copy_in_chunks(source: BinaryIO, target: BinaryIO, done: Any, hashed: Any) -> None:
    """Copy ``source`` to ``target`` in :data:`PIPE_CHUNK` pieces, telling ``done`` how far."""
    infd, outfd = source.fileno(), target.fileno()
    written = 0
    while not hashed.done():  # a failed hasher ends the copy early
        try:
            sent = os.copy_file_range(infd, outfd, PIPE_CHUNK)
        except OSError as exc:
            if exc.errno not in UNSUPPORTED:
                raise
            chunk = source.read(PIPE_CHUNK)
            sent = len(chunk)
            target.write(chunk)
            target.flush()
        if sent == 0:
            return
        written += sent
        done.put(written)


def _copy_in_user_space(source: BinaryIO, target: BinaryIO) -> None:
    import shutil  # only on this rare path: it costs start-up time

    shutil.copyfileobj(source, target, 8 << 20)
