"""Sample CPU, memory, disk, network and GPU use in a background thread while a run is active.

Keys and units follow MLflow's system metrics (``system/...``, megabytes are 10**6 bytes);
disk and network I/O are cumulative since the sampler started. GPUs are read through
nvidia-ml-py (``pynvml``) when it is installed and a driver answers; otherwise they are absent.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import psutil

from cairn.errors import InvalidInput, InvalidState

__all__ = ["SystemMetricsSampler"]

logger = logging.getLogger(__name__)

MB = 1e6
LogFn = Callable[[dict[str, float], int], None]


class SystemMetricsSampler:
    """Call ``log_fn(metrics, step)`` every ``interval`` seconds from a daemon thread."""

    def __init__(self, log_fn: LogFn, interval: float = 10.0) -> None:
        if not isinstance(interval, (int, float)) or not math.isfinite(interval) or interval <= 0:
            raise InvalidInput(
                f"interval must be a positive number of seconds, got {interval!r}; "
                "pass e.g. interval=10.0"
            )
        self.log_fn = log_fn
        self.interval = float(interval)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._step = 0
        self._baseline: dict[str, float] | None = None

    @property
    def running(self) -> bool:
        """Whether the sampling thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SystemMetricsSampler:
        """Start sampling in a daemon thread; the first sample comes after one interval."""
        if self.running:
            raise InvalidState("the system metrics sampler is already running; call stop() first")
        self._stop = threading.Event()  # a fresh one: a late old thread keeps its own, set
        self._thread = threading.Thread(
            target=self._run, args=(self._stop,), name="cairn-system-metrics", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Take one final sample and wait (up to ``timeout`` seconds) for the thread to end."""
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is None or thread is threading.current_thread():
            return
        thread.join(timeout)
        if thread.is_alive():
            logger.warning(
                "system metrics thread did not stop within %.1f s "
                "(a slow log_fn?); leaving it to finish",
                timeout,
            )

    def __enter__(self) -> SystemMetricsSampler:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, stop: threading.Event) -> None:
        psutil.cpu_percent(interval=None)  # prime this thread's CPU baseline
        if self._baseline is None:
            self._baseline = _io_counters()
        gpus = _open_gpus()
        try:
            while not stop.wait(self.interval):
                self._emit(gpus)
            self._emit(gpus)  # the final sample, taken after stop()
        finally:
            if gpus is not None:
                with contextlib.suppress(gpus[0].NVMLError):
                    gpus[0].nvmlShutdown()

    def _emit(self, gpus: tuple[Any, list[Any]] | None) -> None:
        try:
            metrics = _sample(self._baseline or {})
        except (psutil.Error, OSError):
            logger.warning("could not read system metrics", exc_info=True)
            return
        if gpus is not None:
            metrics.update(_sample_gpus(*gpus))
        try:
            self.log_fn(metrics, self._step)
        except Exception:  # noqa: BLE001 - log_fn is the caller's code; any failure of one
            # sample (store busy, network down) must not end sampling for the rest of the run
            logger.warning("logging system metrics at step %d failed", self._step, exc_info=True)
        self._step += 1


def _io_counters() -> dict[str, float]:
    """Disk and network byte counters, each left out when the OS does not report it."""
    counters: dict[str, float] = {}
    with contextlib.suppress(psutil.Error, OSError, RuntimeError):  # no disks, no /proc
        disk = psutil.disk_io_counters()
        if disk is not None:
            counters.update(disk_read=disk.read_bytes, disk_write=disk.write_bytes)
    with contextlib.suppress(psutil.Error, OSError, RuntimeError):
        net = psutil.net_io_counters()
        if net is not None:
            counters.update(network_receive=net.bytes_recv, network_transmit=net.bytes_sent)
    return counters


def _sample(baseline: dict[str, float]) -> dict[str, float]:
    memory = psutil.virtual_memory()
    disk = psutil.disk_usage(os.path.abspath(os.sep))
    metrics = {
        "system/cpu_utilization_percentage": float(psutil.cpu_percent(interval=None)),
        "system/system_memory_usage_megabytes": (memory.total - memory.available) / MB,
        "system/system_memory_usage_percentage": float(memory.percent),
        "system/disk_usage_percentage": float(disk.percent),
        "system/disk_available_megabytes": disk.free / MB,
    }
    for name, value in _io_counters().items():
        if name in baseline:
            metrics[f"system/{name}_megabytes"] = max(value - baseline[name], 0) / MB
    return metrics


def _open_gpus() -> tuple[Any, list[Any]] | None:
    """``(pynvml, device handles)``, or None without nvidia-ml-py, a driver or a GPU."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:  # no driver
        return None
    try:
        count = pynvml.nvmlDeviceGetCount()
        return pynvml, [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
    except pynvml.NVMLError:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()
        return None


def _sample_gpus(nvml: Any, handles: list[Any]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for i, handle in enumerate(handles):
        prefix = f"system/gpu_{i}_"
        with contextlib.suppress(nvml.NVMLError):  # each reading may be unsupported on a card
            metrics[prefix + "utilization_percentage"] = float(
                nvml.nvmlDeviceGetUtilizationRates(handle).gpu
            )
        with contextlib.suppress(nvml.NVMLError):
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            metrics[prefix + "memory_usage_megabytes"] = memory.used / MB
            if memory.total:
                metrics[prefix + "memory_usage_percentage"] = 100.0 * memory.used / memory.total
        with contextlib.suppress(nvml.NVMLError):
            metrics[prefix + "power_usage_watts"] = nvml.nvmlDeviceGetPowerUsage(handle) / 1000
    return metrics
