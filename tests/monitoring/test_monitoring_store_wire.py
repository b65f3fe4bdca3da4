"""The HTTP form of monitors: octet-stream frames (a JSON header line, then bytes), refused
when malformed or too large, and refused before sending when over the server's limit."""

from __future__ import annotations

import httpx
import pytest

from cairn.errors import InvalidInput
from cairn.store.rest import monitors as wire
from cairn.store.rest.store import RestStore


def test_frames_round_trip():
    header, data = wire.unframe(wire.frame({"a": [1, None]}, b"\n\x00bytes\n"))
    assert (header, data) == ({"a": [1, None]}, b"\n\x00bytes\n")
    chunks = [(1, b"one\n"), (4, b""), (5, b"three")]
    assert wire.chunks_in(wire.chunks_frame(chunks)) == chunks
    assert wire.chunks_in(wire.chunks_frame([])) == []
    for bad in (b"", b"no newline", b"[1]\nxx", b"{bad json\nxx"):
        with pytest.raises(InvalidInput, match="JSON header line"):
            wire.unframe(bad)


def test_bad_frames_are_refused_by_the_server(cairn_server):
    with httpx.Client(base_url=cairn_server) as http:
        for body in (b"", b"garbage", b'{"name": "m"}\nref'):
            answer = http.post(
                "/api/v1/monitors",
                params={"model": "churn"},
                content=body,
                headers={"Content-Type": wire.OCTETS},
            )
            assert answer.status_code == 400, answer.text
            assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert http.get("/api/v1/monitors").json() == {"items": []}


def test_batches_over_the_http_limit_are_refused_before_sending(cairn_server, monkeypatch):
    monkeypatch.setattr(wire, "MAX_FRAME_BYTES", 1000)
    with RestStore(cairn_server) as store, pytest.raises(InvalidInput, match="split the batch"):
        store.monitors.append_records("m", b"x" * 2000, ["a"], [1])
