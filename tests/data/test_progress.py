"""Progress reporting: silent unless asked and on a terminal; the visible bar counts files."""

from __future__ import annotations

import io
import sys
import threading

from cairn.data.progress import QUIET, Reporter


def test_quiet_and_non_terminal_reporters_draw_nothing(capsys):
    assert Reporter.for_terminal().visible is False  # pytest's stderr is not a terminal
    assert Reporter.for_terminal(quiet=True).visible is False
    with QUIET.track("adding", 10, 100) as advance:
        advance(50, 5)
    assert capsys.readouterr().err == ""


def test_a_visible_bar_takes_advances_from_many_threads(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    with Reporter(visible=True).track("checking out", 400, 4000) as advance:
        workers = [threading.Thread(target=lambda: [advance(10, 1) for _ in range(100)])
                   for _ in range(4)]  # fmt: skip
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert "checking out" in stream.getvalue()
