from __future__ import annotations

import logging
import sys
import threading
import time
import types

import pytest

from cairn.errors import InvalidInput, InvalidState
from cairn.tracking.system_metrics import SystemMetricsSampler

BASE_KEYS = {
    "system/cpu_utilization_percentage",
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/disk_usage_percentage",
    "system/disk_available_megabytes",
}
IO_KEYS = {
    "system/disk_read_megabytes",
    "system/disk_write_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
}


class Collector:
    """A log_fn that records samples and lets a test wait for the n-th one."""

    def __init__(self, fail_first: int = 0) -> None:
        self.samples: list[tuple[dict[str, float], int]] = []
        self.calls = 0
        self.fail_first = fail_first
        self._cond = threading.Condition()

    def __call__(self, metrics: dict[str, float], step: int) -> None:
        with self._cond:
            self.calls += 1
            if self.calls <= self.fail_first:
                raise RuntimeError("store unavailable")
            self.samples.append((metrics, step))
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.samples) >= count, timeout), self.samples


def test_samples_have_expected_keys_and_sane_values() -> None:
    log = Collector()
    sampler = SystemMetricsSampler(log, interval=0.05).start()
    log.wait_for(2)
    sampler.stop()
    assert not sampler.running
    assert [step for _, step in log.samples] == list(range(len(log.samples)))
    for metrics, _ in log.samples:
        assert set(metrics) >= BASE_KEYS
        assert set(metrics) <= BASE_KEYS | IO_KEYS
        assert all(isinstance(value, float) for value in metrics.values())
        assert 0 <= metrics["system/cpu_utilization_percentage"] <= 100
        assert metrics["system/system_memory_usage_megabytes"] > 0
        assert 0 < metrics["system/system_memory_usage_percentage"] <= 100
        assert 0 <= metrics["system/disk_usage_percentage"] <= 100
        assert metrics["system/disk_available_megabytes"] > 0
        assert all(metrics[key] >= 0 for key in IO_KEYS & set(metrics))


def test_io_counters_are_cumulative_since_start() -> None:
    log = Collector()
    with SystemMetricsSampler(log, interval=0.05):
        log.wait_for(3)
    for key in IO_KEYS & set(log.samples[0][0]):
        values = [metrics[key] for metrics, _ in log.samples]
        assert values == sorted(values), key


def test_stop_returns_promptly_with_one_final_sample() -> None:
    log = Collector()
    sampler = SystemMetricsSampler(log, interval=60.0).start()
    started = time.monotonic()
    sampler.stop()
    assert time.monotonic() - started < 5  # far less than the 60 s interval
    assert len(log.samples) == 1
    assert log.samples[0][1] == 0
    assert set(log.samples[0][0]) >= BASE_KEYS


def test_failing_log_fn_is_logged_and_sampling_continues(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = Collector(fail_first=2)
    with (
        caplog.at_level(logging.WARNING, logger="cairn.tracking.system_metrics"),
        SystemMetricsSampler(log, interval=0.05),
    ):
        log.wait_for(2)
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 2
    assert failures[0].exc_info is not None
    assert [step for _, step in log.samples][:2] == [2, 3]


def test_context_manager_and_restart() -> None:
    log = Collector()
    sampler = SystemMetricsSampler(log, interval=0.05)
    with sampler as same:
        assert same is sampler
        assert sampler.running
        with pytest.raises(InvalidState, match="already running"):
            sampler.start()
    assert not sampler.running
    count = len(log.samples)
    with sampler:
        log.wait_for(count + 1)
    steps = [step for _, step in log.samples]
    assert steps == list(range(len(steps)))  # steps keep counting across a restart


def test_stop_without_start_is_harmless() -> None:
    SystemMetricsSampler(Collector()).stop()


@pytest.mark.parametrize("interval", [0, -1.0, float("nan"), float("inf"), "10"])
def test_invalid_interval(interval: object) -> None:
    with pytest.raises(InvalidInput, match="interval must be a positive number"):
        SystemMetricsSampler(Collector(), interval=interval)  # type: ignore[arg-type]


class _NVMLError(Exception):
    pass


def test_gpu_metrics_via_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in for nvidia-ml-py (the real one needs an NVIDIA driver); power unsupported."""

    def unsupported(handle: int) -> float:
        raise _NVMLError("Not Supported")

    nvml = types.ModuleType("pynvml")
    nvml.__dict__.update(
        NVMLError=_NVMLError,
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: None,
        nvmlDeviceGetCount=lambda: 1,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetUtilizationRates=lambda h: types.SimpleNamespace(gpu=37, memory=10),
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(used=4e9, total=16e9),
        nvmlDeviceGetPowerUsage=unsupported,
    )
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    log = Collector()
    with SystemMetricsSampler(log, interval=60.0):
        pass
    metrics = log.samples[0][0]
    assert metrics["system/gpu_0_utilization_percentage"] == 37.0
    assert metrics["system/gpu_0_memory_usage_megabytes"] == 4000.0
    assert metrics["system/gpu_0_memory_usage_percentage"] == 25.0
    assert "system/gpu_0_power_usage_watts" not in metrics
