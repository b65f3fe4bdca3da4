"""The pipeline pages: the list of pipeline runs, one run's stage graph drawn with ECharts
(coloured by status, nodes linked to the stage runs), the stage table, and the links between
run pages and pipeline pages.

The runs and their ``pipeline.json`` are written the way a pipeline run records them (the
contract of :mod:`cairn.pipelines.recording`): a parent run tagged ``cairn.run.kind`` =
``pipeline`` with per-status counts, nested stage runs, and the graph document as an artifact.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from cairn.entities import RunTag
from cairn.errors import InvalidInput
from cairn.ui.pipeline_graph import parse_document, seconds

CAIRN = str(Path(sys.executable).parent / "cairn")

STAGES = [
    # name, upstream, status, reason, duration, attempts, has a run
    ("prepare", [], "cached", "restored from the run cache", 0.0, 0, True),
    ("train@small", ["prepare"], "ran", "param train.lr changed 0.1 -> 0.01", 3.2, 1, True),
    ("train@large", ["prepare"], "failed", "exit code 1 after 2 attempts", 75.0, 2, True),
    ("features", ["prepare"], "ran", "never ran", 0.5, 1, True),
    ("report", ["train@small", "train@large", "features"], "blocked", "upstream train@large failed", None, 0, False),
]  # fmt: skip


def record_pipeline(
    server: Any, *, name: str, stages: list[tuple] = STAGES, document: bytes | None = None
) -> dict[str, str]:  # noqa: E501
    """A finished pipeline run with nested stage runs and pipeline.json; returns the run ids
    by stage name, plus ``"pipeline"``."""
    experiment = server.data.churn
    ids: dict[str, str] = {}
    with server.store() as store:
        parent = store.runs.create_run(
            experiment, run_name=name,
            tags={"cairn.run.kind": "pipeline", "cairn.pipeline.source": "cairn.yaml"},
        )  # fmt: skip
        ids["pipeline"] = parent_id = parent.info.run_id
        entries = []
        counts: dict[str, int] = {}
        for stage, upstream, status, reason, took, attempts, has_run in stages:
            run_id = None
            if has_run:
                child = store.runs.create_run(
                    experiment, run_name=stage, parent_run_id=parent_id,
                    tags={"cairn.run.kind": "stage", "cairn.stage.name": stage,
                          "cairn.stage.status": status, "cairn.stage.reason": reason},
                )  # fmt: skip
                run_id = ids[stage] = child.info.run_id
                store.runs.update_run_info(run_id, "FAILED" if status == "failed" else "FINISHED")
            counts[status] = counts.get(status, 0) + 1
            entries.append(
                {"name": stage, "cmd": f"python {stage}.py", "deps": [], "outs": [], "metrics": [],
                 "upstream": upstream, "status": status, "reason": reason, "run_id": run_id,
                 "duration": took, "attempts": attempts}
            )  # fmt: skip
        for status, n in counts.items():
            store.runs.set_tag(parent_id, RunTag("cairn.pipeline." + status, str(n)))
        store.runs.update_run_info(parent_id, "FAILED", end_time=parent.info.start_time + 95_000)
        body = {"version": 1, "source": "cairn.yaml", "stages": entries, "layers": []}
        files = store.artifact_store(parent.info.artifact_uri, parent_id)
        files.log_bytes(
            json.dumps(body).encode() if document is None else document, "pipeline.json"
        )
    return ids


@pytest.fixture(scope="module")
def recorded(ui_server: Any) -> dict[str, str]:
    return record_pipeline(ui_server, name="nightly")


def test_the_list_shows_pipeline_runs_with_their_stage_counts(ui_server, recorded, page, shot):
    page.goto(f"{ui_server.url}/pipelines")
    assert page.locator("nav.mainnav a.active").inner_text() == "Pipelines"
    row = page.locator(f"#pipelines-table tr[data-run-id='{recorded['pipeline']}']")
    assert row.locator(".pipeline-link").inner_text() == "nightly"
    assert row.locator(".stage-counts").inner_text().split() == [
        "2", "ran", "1", "cached", "1", "blocked", "1", "failed",
    ]  # fmt: skip
    assert "FAILED" in row.inner_text() and "cairn.yaml" in row.inner_text()
    assert (
        page.locator("#pipelines-table").inner_text().count("run-0") == 0
    )  # plain runs: not listed
    shot(page, "pipelines")
    row.locator(".pipeline-link").click()
    page.wait_for_url(f"**/pipelines/{recorded['pipeline']}")


def test_the_graph_is_drawn_by_status_and_clicks_through(ui_server, recorded, page, shot):
    page.goto(f"{ui_server.url}/pipelines/{recorded['pipeline']}")
    graph = page.locator("#pipeline-graph")
    page.wait_for_selector("#pipeline-graph[data-drawn='5'] canvas")
    assert graph.bounding_box()["height"] >= 240
    legend = page.locator("#pipeline-legend li")
    assert [text.split() for text in legend.all_inner_texts()] == [
        ["ran", "2"], ["cached", "1"], ["blocked", "1"], ["failed", "1"],
    ]  # fmt: skip
    rows = page.locator("#stages-table tbody tr")
    assert [r.get_attribute("data-stage") for r in rows.all()] == [
        "prepare", "train@small", "train@large", "features", "report",
    ]  # fmt: skip
    failed = page.locator("#stages-table tr[data-stage='train@large']")
    assert failed.locator("td").nth(1).inner_text() == "failed"
    assert "exit code 1 after 2 attempts" in failed.inner_text()
    assert failed.locator("td").nth(3).inner_text() == "1m 15s"
    assert page.locator("#stages-table tr[data-stage='report'] a").count() == 0
    shot(page, "pipeline")

    # Clicking the node of a stage (where ECharts put it) opens the stage's run.
    x, y = page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.getElementById("pipeline-graph"));
            const node = chart.getOption().series[0].data.find((n) => n.name === "features");
            return chart.convertToPixel({seriesIndex: 0}, [node.x, node.y]);
        }"""
    )
    box = graph.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"**/runs/{recorded['features']}*")

    # The stage run links back to its pipeline; the table links to each stage's run.
    page.locator("#pipeline-link").click()
    page.wait_for_url(f"**/pipelines/{recorded['pipeline']}")
    page.locator("#stages-table tr[data-stage='train@small'] a.stage-run-link").click()
    page.wait_for_url(f"**/runs/{recorded['train@small']}*")
    assert page.locator("h1").inner_text().startswith("train@small")


def test_the_run_page_of_a_pipeline_run_links_to_its_graph(ui_server, recorded, page):
    page.goto(f"{ui_server.url}/runs/{recorded['pipeline']}")
    page.locator("#pipeline-link").click()
    page.wait_for_url(f"**/pipelines/{recorded['pipeline']}")
    page.locator("#pipeline-run-link").click()
    page.wait_for_url(f"**/runs/{recorded['pipeline']}")
    page.goto(f"{ui_server.url}/runs/{ui_server.data.runs['run-01']}")
    assert page.locator("#pipeline-link").count() == 0


def test_runs_that_are_not_pipelines_or_lack_the_document(ui_server, recorded):
    plain = httpx.get(f"{ui_server.url}/pipelines/{ui_server.data.runs['run-01']}")
    assert plain.status_code == 404 and "is not a pipeline run" in plain.text
    assert httpx.get(f"{ui_server.url}/pipelines/{'0' * 32}").status_code == 404
    assert httpx.get(f"{ui_server.url}/pipelines/not-an-id").status_code == 404
    broken = record_pipeline(ui_server, name="broken", document=b"{not json")
    answer = httpx.get(f"{ui_server.url}/pipelines/{broken['pipeline']}")
    assert answer.status_code == 200 and "is not valid JSON" in answer.text
    odd = record_pipeline(ui_server, name="odd", document=b'{"stages": 3}')
    assert (
        "pipeline.json has no &#39;stages&#39; list"
        in httpx.get(f"{ui_server.url}/pipelines/{odd['pipeline']}").text
    )
    with ui_server.store() as store:
        bare = store.runs.create_run(
            ui_server.data.churn, run_name="starting", tags={"cairn.run.kind": "pipeline"}
        ).info.run_id
    answer = httpx.get(f"{ui_server.url}/pipelines/{bare}")
    assert answer.status_code == 200 and "has no pipeline.json yet" in answer.text
    listing = httpx.get(f"{ui_server.url}/pipelines").text
    assert "starting" in listing and "running" in listing


def test_the_document_is_laid_out_by_depth() -> None:
    document = {
        "source": "steps.py",
        "stages": [
            {"name": "last", "upstream": ["mid"], "status": "pending"},
            {"name": "mid", "upstream": ["first", "gone"], "status": "mystery", "duration": 12.5},
            {"name": "first", "upstream": [], "status": "ran", "run_id": "a" * 32},
            {"name": "loop-a", "upstream": ["loop-b"]},
            {"name": "loop-b", "upstream": ["loop-a"]},
        ],
    }
    view = parse_document(document)
    placed = {s.name: (s.layer, s.row) for s in view.stages}
    assert placed["first"] == (0, 0) and placed["mid"] == (1, 0) and placed["last"] == (2, 0)
    assert placed["loop-a"][0] == placed["loop-b"][0] == 3  # a cycle is drawn, not followed
    assert view.edges == [
        ("first", "mid"),
        ("mid", "last"),
        ("loop-b", "loop-a"),
        ("loop-a", "loop-b"),
    ]
    assert list(view.counts) == ["ran", "pending", "mystery"]
    data = view.chart_data()
    assert data["statuses"][2] == {"name": "mystery", "colour": "#6d7580"}
    assert data["nodes"][0]["run_id"] == "a" * 32
    with pytest.raises(InvalidInput, match="has a stage without a name"):
        parse_document({"stages": [{"status": "ran"}]})
    assert seconds(None) == "–" and seconds(0.4213) == "0.42s" and seconds(187) == "3m 07s"


STEPS = """
from pathlib import Path

import cairn


@cairn.stage(deps=["raw.txt"], outs=["clean.txt"], params=["prep.upper"])
def prepare(params):
    text = Path("raw.txt").read_text()
    Path("clean.txt").write_text(text.upper() if params["prep.upper"] else text)


@cairn.stage(deps=["clean.txt"], outs=["model.txt"])
def train():
    raise SystemExit("no GPU here")


@cairn.stage(deps=["clean.txt"], metrics=["metrics.json"])
def evaluate():
    Path("metrics.json").write_text('{"f1": 0.8}')


@cairn.stage(deps=["model.txt"], outs=["report.txt"])
def report():
    Path("report.txt").write_text("done")
"""


@pytest.mark.slow
def test_a_real_pipeline_run_is_drawn(ui_server, page, tmp_path):
    """`cairn pipeline run` of a Python-form project, recorded into the server's store."""
    (tmp_path / "steps.py").write_text(STEPS)
    (tmp_path / "raw.txt").write_text("hello\n")
    (tmp_path / "params.yaml").write_text("prep: {upper: true}\n")
    done = subprocess.run(
        [CAIRN, "--tracking-uri", ui_server.uri, "pipeline", "run", "-m", "steps",
         "--keep-going", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    run_id = json.loads(done.stdout)["run_id"]
    page.goto(f"{ui_server.url}/pipelines")
    page.locator(f"#pipelines-table tr[data-run-id='{run_id}'] .pipeline-link").click()
    page.wait_for_selector("#pipeline-graph[data-drawn='4'] canvas")
    statuses = {
        row.get_attribute("data-stage"): row.locator("td").nth(1).inner_text()
        for row in page.locator("#stages-table tbody tr").all()
    }
    assert statuses == {
        "prepare": "ran", "train": "failed", "evaluate": "ran", "report": "blocked",
    }  # fmt: skip
    page.locator("#stages-table tr[data-stage='train'] a.stage-run-link").click()
    page.wait_for_selector("#pipeline-link")
    assert "train" in page.locator("h1").inner_text()
