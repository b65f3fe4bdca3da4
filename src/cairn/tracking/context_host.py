"""Host facts for a run's context: platform, installed packages, CPU, memory, GPUs."""

from __future__ import annotations

import contextlib
import getpass
import os
import platform
import re
import socket
import sys
from pathlib import Path


def probe_platform(tags: dict[str, str]) -> None:
    try:
        tags["cairn.user"] = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name in env and no pwd entry
        if hasattr(os, "getuid"):
            tags["cairn.user"] = str(os.getuid())
    tags["cairn.host"] = socket.gethostname()
    tags["cairn.python.version"] = platform.python_version()
    tags["cairn.python.implementation"] = platform.python_implementation()
    tags["cairn.os"] = platform.platform()


def requirements_text() -> str:
    """``name==version`` per installed distribution, sorted; the first on sys.path wins."""
    found: dict[str, str] = {}
    for entry in sys.path:  # folder names instead of METADATA files: ~100x faster
        try:
            with os.scandir(entry or ".") as it:
                names = [e.name for e in it if e.name.endswith((".dist-info", ".egg-info"))]
        except OSError:  # a zip file, a missing folder, no permission
            continue
        for dirname in names:
            name, _, version = dirname.rsplit(".", 1)[0].partition("-")
            version = version.split("-py", 1)[0]  # egg-info: name-1.0-py3.11.egg-info
            if not name or not version:  # e.g. an in-tree "pkg.egg-info": read its metadata
                from importlib.metadata import PathDistribution  # costs ~40 ms to import

                meta = PathDistribution(Path(entry or ".", dirname)).metadata
                name, version = (meta["Name"] or "", meta["Version"] or "") if meta else ("", "")
            key = re.sub(r"[-_.]+", "-", name).lower()
            if key and version and key not in found:
                found[key] = version
    return "".join(f"{name}=={found[name]}\n" for name in sorted(found))


def probe_hardware(tags: dict[str, str]) -> None:
    cpu = platform.processor()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", errors="replace") as fh:
        models = (
            line.partition(":")[2]
            for line in fh
            if line.partition(":")[0].strip() in ("model name", "Hardware", "Model")
        )
        cpu = next(models, cpu).strip()
    tags.update({"cairn.hardware.cpu": cpu} if cpu else {})
    tags.update({"cairn.hardware.cores": str(os.cpu_count())} if os.cpu_count() else {})
    try:
        import psutil
    except ImportError:
        return
    if psutil.cpu_count(logical=False):
        tags["cairn.hardware.physical_cores"] = str(psutil.cpu_count(logical=False))
    tags["cairn.hardware.memory_gb"] = f"{psutil.virtual_memory().total / 1024**3:.1f}"


def probe_gpus(tags: dict[str, str]) -> None:
    try:
        import pynvml
    except ImportError:
        return
    try:
        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        tags["cairn.hardware.gpu.count"] = str(len(handles))
        if handles:
            names = [pynvml.nvmlDeviceGetName(h) for h in handles]  # str since nvidia-ml-py 12
            memory = [pynvml.nvmlDeviceGetMemoryInfo(h).total / 1024**3 for h in handles]
            tags["cairn.hardware.gpu.names"] = ",".join(map(str, names))
            tags["cairn.hardware.gpu.memory_gb"] = ",".join(f"{gb:.1f}" for gb in memory)
            tags["cairn.hardware.gpu.driver"] = str(pynvml.nvmlSystemGetDriverVersion())
    except pynvml.NVMLError:  # no driver, no GPU or an unsupported query: keep what we have
        pass
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()
