"""The HTML notebooks show for cairn's objects: content, escaping, caps on long listings."""

from __future__ import annotations

import pytest

import cairn
from cairn.entities import Experiment, MonitorAlert, Page
from cairn.gates.evaluate import GateReport, GateResult
from cairn.lineage import lineage
from cairn.lineage.graph import LineageGraph, Node
from cairn.monitoring.runner import RunSummary
from cairn.projects.reproduce_report import DatasetCheck, MetricCheck, ReproductionReport
from cairn.reprs import MAX_ROWS

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _safe(html: str) -> str:
    assert "<script" not in html
    assert ESCAPED in html
    return html


@pytest.fixture
def run_id(client, project) -> str:
    (project / "iris.csv").write_text("x\n1\n")
    with cairn.start_run(run_name="ratio <b>", tags={"owner": SCRIPT}) as run:
        cairn.log_params({"C": 0.5, "penalty": SCRIPT})
        cairn.log_metric("accuracy", 0.912345678)
        cairn.log_input(cairn.data.dataset("iris.csv"))
    return run.info.run_id


def test_run_shows_metrics_params_and_escapes_tags(client, run_id):
    html = _safe(client.get_run(run_id)._repr_html_())
    assert "Run ratio &lt;b&gt;" in html
    assert run_id in html and "FINISHED" in html
    assert "0.912346" in html  # six significant digits
    assert "<code>penalty</code>" in html and "<code>owner</code>" in html
    system = html.split("<details>")[1]
    assert "system tags" in system and "cairn.source.type" in system
    assert "cairn.source.type" not in html.split("<details>")[0]


def test_page_of_runs_is_a_table_with_metric_and_param_columns(client, run_id):
    with cairn.start_run(run_name="second"):
        cairn.log_metric("loss", 0.25)
    page = client.search_runs("0", order_by=["attributes.start_time ASC"])
    html = _safe(page._repr_html_())
    assert "2 runs" in html
    for header in ("metrics.accuracy", "metrics.loss", "params.C", "params.penalty"):
        assert f">{header}</th>" in html
    assert html.index("ratio &lt;b&gt;") < html.index("second")
    assert html.count("<tr>") == 3  # header and two runs; a missing metric shows a dash
    assert "—" in html


def test_page_of_experiments_and_of_other_items():
    experiments = Page([Experiment("7", SCRIPT, "/tmp/a", creation_time=0)], "next-token")
    html = _safe(experiments._repr_html_())
    assert "1 experiments" in html and "<code>7</code>" in html
    assert "more with page_token=<code>next-token</code>" in html
    assert "1970-01-01 00:00:00 UTC" in html
    other = _safe(Page([SCRIPT])._repr_html_())
    assert "1 items" in other and "page_token" not in other


def test_long_listings_stop_and_count_the_rest():
    page = Page([Experiment(str(i), f"e{i}", "/tmp") for i in range(MAX_ROWS + 7)])
    html = page._repr_html_()
    assert html.count("<tr>") == MAX_ROWS + 1
    assert "… and 7 more" in html


def test_experiment_shows_its_tags_escaped():
    experiment = Experiment("3", "iris", "/store/3", tags={"note": SCRIPT}, creation_time=None)
    html = _safe(experiment._repr_html_())
    assert "Experiment iris" in html and "<code>/store/3</code>" in html
    assert "created —" in html


def test_gate_report_shows_the_verdict_and_each_rule():
    passed = GateResult(
        0, "f1 >= 0.8", "threshold", "valid", "f1", "pass", "0.85 >= 0.8", 0.85, ">=", 0.8
    )
    failed = GateResult(1, "f1 >= champion", "champion", SCRIPT, "f1", "fail", "0.7 < 0.8", 0.7)
    html = _safe(GateReport("r1", "gates.yaml", [passed, failed])._repr_html_())
    assert "Gate report" in html and "✗ fail" in html.split("</div>")[0]
    assert "&gt;= 0.8" in html and "✓ pass" in html
    assert html.count("<tr>") == 3
    ok = GateReport("r1", "gates.yaml", [passed])._repr_html_()
    assert "✓ pass" in ok.split("</div>")[0] and "✗" not in ok


def test_reproduction_report_lists_problems_and_checks():
    report = ReproductionReport(
        run_id="a" * 32,
        reproduction_run_id="b" * 32,
        kind="script",
        commit="1234abcd",
        dirty=True,
        command=f"python train.py --note '{SCRIPT}'",
        exit_code=0,
        atol=0.0,
        rtol=1e-6,
        metrics=[MetricCheck("acc", 0.9, 0.9, True), MetricCheck("loss", 0.1, 0.3, False)],
        datasets=[DatasetCheck("iris", "data/iris.csv", "ab" * 20, "cd" * 20)],
        seeds={"python": ("7", "8")},
        notes=["seed numpy recorded only on the original"],
    )
    html = _safe(report._repr_html_())
    assert "✗ not reproduced" in html and "(dirty)" in html
    assert "metric loss differs" in html and "seed python differs" in html
    assert "✗ beyond" in html and "✓ within" in html and "✗ differ" in html
    assert "seed numpy recorded only on the original" in html
    assert "0.2" in html  # the difference of loss


def test_monitor_run_summary_shows_windows_alerts_and_problems():
    alert = MonitorAlert(
        1, "churn", "drift_share > 0.3", 4, 0, 0.5, SCRIPT, [{"kind": "webhook", "status": "ok"}]
    )
    summary = RunSummary(
        "churn", windows_added=[3, 4], alerts=[alert], problems=["rule x does not parse"]
    )
    html = _safe(summary._repr_html_())
    assert "Monitor churn" in html and "windows added 3, 4" in html and "recomputed —" in html
    assert "webhook: ok" in html and "rule x does not parse" in html and "✗ had problems" in html
    assert "✓ ran" in RunSummary("churn")._repr_html_()


def test_lineage_graph_lists_nodes_and_edges_and_hides_hidden_labels():
    graph = LineageGraph("models:/churn@champion", ["model_version:churn/1"], "both", 2)
    graph.nodes["run:r"] = Node("run:r", "run", SCRIPT, {"status": "FINISHED"}, depth=1)
    graph.nodes["model_version:churn/1"] = Node(
        "model_version:churn/1", "model_version", "churn v1"
    )
    graph.nodes["run:secret"] = Node("run:secret", "run", "secret-name", hidden=True, depth=1)
    graph.add_edge("run:r", "model_version:churn/1", "registered as")
    graph.add_edge("run:secret", "model_version:churn/1", "wrote")
    html = _safe(graph._repr_html_())
    assert "Lineage of <code>models:/churn@champion</code>" in html
    assert "3 nodes, 2 edges" in html and "0 (start)" in html and "status=FINISHED" in html
    assert "secret-name" not in html and "<i>hidden</i>" in html
    assert "registered as" in html and "model version churn v1" in html
    assert '<svg class="lineage-svg"' in html and "hidden run" in html  # and a picture


def test_lineage_of_a_real_run(client, run_id):
    html = lineage(client.store, f"runs:/{run_id}")._repr_html_()
    assert "dataset version" in html and "read by" in html and "ratio &lt;b&gt;" in html
