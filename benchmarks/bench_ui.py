"""Web UI benchmark: the runs table of an experiment holding 20,000 runs, in Chromium.

Usage (from the repo, with cairn's virtualenv and the system Chromium):

    .venv/bin/python benchmarks/bench_ui.py [--runs N] [--reps N] [--workdir DIR] [--keep]
        [--out FILE] [--chromium PATH] [--reuse]

1. Creates ``--runs`` runs (default 20,000) in one experiment of a fresh SQLite store, through
   the store's own ``create_run`` + ``log_batch`` (5 params, 5 metrics, 2 tags each), with a
   progress bar.
2. Starts a real ``cairn server`` process on 127.0.0.1 serving that store.
3. Drives Chromium through Playwright, ``--reps`` times in one browser context (after a
   first visit, reported as ``first_visit_ms``, has put the static files in its cache, as
   they stay for anyone who keeps the UI open):

   - ``load``: navigation start -> the table is rendered and its scripts have run (the
     page's ``domContentLoadedEventEnd``; htmx and the table's module run before it), for the
     default view, a view sorted by a metric, and a filtered view sorted by a param;
   - ``server``: of the default view's ``load``, request sent -> first byte of the answer;
   - ``sort_click``: a click on a metric header -> the re-sorted table is swapped in and
     about to be painted (measured in the page, from the click event);
   - ``filter``: a filter submitted -> the filtered table, likewise;
   - ``next_page``: a click on "Next" -> the next page, likewise;
   - ``interactive``: ``load`` + ``sort_click`` of the default view, the figure the issue
     bounds (under 1 s).

   Times are medians over the repetitions (the minimum and maximum are reported too).

The JSON goes to stdout, ``benchmarks/results/ui-<date>.json`` and ``benchmarks/ui-latest.json``;
progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LATEST = HERE / "ui-latest.json"
CHROMIUM = "/usr/bin/chromium"
TARGET_INTERACTIVE_MS = 1000.0
VIEWPORT = {"width": 1366, "height": 768}
OPTIMIZERS = ("adam", "sgd", "rmsprop", "adagrad")


def log(message: str) -> None:
    """Progress, to stderr."""
    print(f"bench_ui: {message}", file=sys.stderr, flush=True)


def create_runs(uri: str, artifacts: Path, n_runs: int) -> str:
    """One experiment with ``n_runs`` runs (5 params, 5 metrics, 2 tags each); its id."""
    from rich.progress import Progress

    from cairn.entities import Metric, Param, RunTag
    from cairn.store import open_store

    rng = random.Random(20_000)
    base = 1_700_000_000_000
    with open_store(uri, artifact_root=str(artifacts)) as store:
        experiment_id = store.experiments.create_experiment("bench-20k")
        with Progress(transient=True) as progress:
            task = progress.add_task(f"creating {n_runs:,} runs", total=n_runs)
            for i in range(n_runs):
                start = base + i * 1000
                run = store.runs.create_run(
                    experiment_id, user_id="bench", start_time=start, run_name=f"run-{i:05d}"
                )
                store.runs.log_batch(
                    run.info.run_id,
                    metrics=[Metric(f"m{k}", rng.random(), start + 500, 0) for k in range(5)],
                    params=[
                        Param("lr", str(rng.choice((0.1, 0.01, 0.001, 0.0001)))),
                        Param("depth", str(rng.randint(2, 12))),
                        Param("optimizer", rng.choice(OPTIMIZERS)),
                        Param("batch_size", str(rng.choice((32, 64, 128, 256)))),
                        Param("seed", str(i)),
                    ],
                    tags=[
                        RunTag("team", rng.choice(("core", "growth"))),
                        RunTag("round", str(i % 7)),
                    ],
                )
                store.runs.update_run_info(run.info.run_id, status="FINISHED", end_time=start + 900)
                progress.advance(task)
    return experiment_id


def existing_experiment(uri: str, n_runs: int) -> str:
    """The benchmark experiment of an earlier ``--keep`` run; it must hold ``n_runs`` runs."""
    from cairn.store import open_store

    with open_store(uri) as store:
        experiment_id = store.experiments.get_experiment_by_name("bench-20k").experiment_id
        found = store.runs.count_runs([experiment_id])
    if found != n_runs:
        raise SystemExit(f"bench_ui: --reuse found {found:,} runs, not {n_runs:,}; drop --reuse")
    return experiment_id


def _summary(samples: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "max_ms": round(max(samples), 1),
    }


def _dcl_ms(page: Any) -> float:
    """Navigation start -> end of DOMContentLoaded (deferred and module scripts have run)."""
    return float(
        page.evaluate(
            "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
        )
    )


def _server_ms(page: Any) -> float:
    """Request sent -> first byte of the page's answer (the server's share of ``load``)."""
    return float(
        page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " return n.responseStart - n.requestStart; }"
        )
    )


# Runs in the page: does ``action`` (JS acting on the page as a user would) and resolves to
# the milliseconds until htmx has swapped the answer in and the browser is about to paint it.
_IN_PAGE = """async (action) => {
  const painted = new Promise((resolve) => document.addEventListener("htmx:afterSettle",
    () => requestAnimationFrame(() => resolve(performance.now())), { once: true }));
  const started = performance.now();
  new Function(action)();
  return (await painted) - started;
}"""
SORT = "document.querySelector('#runs-table th a[data-column=\"metrics.m2\"]').click()"
NEXT = "document.querySelector('.pager a[rel=next]').click()"


def _filter(rep: int) -> str:
    text = f"metrics.m3 < 0.{rep + 2} AND tags.team = 'core'"
    return (
        f"const box = document.querySelector('#run-filter'); box.value = {json.dumps(text)};"
        " box.form.requestSubmit()"
    )


def _one_rep(context: Any, url: str, views: dict[str, str], rep: int) -> dict[str, float]:
    """One repetition in a browser context whose cache holds the static files: every timing
    once."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    found: dict[str, float] = {}
    for name, query in views.items():
        page.goto(url + query, wait_until="domcontentloaded")
        page.wait_for_selector("#runs-table tbody tr[data-run-id]")
        found[f"load_{name}"] = _dcl_ms(page)
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#runs-table tbody tr[data-run-id]")
    load = _dcl_ms(page)
    found["server"] = _server_ms(page)
    found["rows"] = page.locator("#runs-table tbody tr[data-run-id]").count()
    found["sort_click"] = page.evaluate(_IN_PAGE, SORT)
    page.wait_for_selector('#runs-table th[aria-sort] a[data-column="metrics.m2"]')
    found["interactive"] = load + found["sort_click"]
    found["filter"] = page.evaluate(_IN_PAGE, _filter(rep))
    page.wait_for_function("document.querySelector('#runs-count').innerText.includes('match')")
    found["next_page"] = page.evaluate(_IN_PAGE, NEXT)
    page.wait_for_function("document.querySelector('.pager').innerText.startsWith('51')")
    page.close()
    if errors:
        raise RuntimeError(f"the page logged errors: {errors}")
    return found


def measure(browser: Any, url: str, reps: int) -> dict[str, Any]:
    """The timings of the module docstring, ``reps`` times in one browser context."""
    views = {
        "default": "",
        "sorted_by_metric": "?order=-metrics.m0",
        "filtered_sorted_by_param": "?filter=metrics.m1+%3E+0.5+AND+params.optimizer+%3D+%27adam%27"
        "&order=params.depth",
    }
    samples: dict[str, list[float]] = {f"load_{name}": [] for name in views}
    samples.update(server=[], sort_click=[], filter=[], next_page=[], interactive=[], rows=[])
    context = browser.new_context(viewport=VIEWPORT)
    warm_up = context.new_page()  # fetches the static files once, as any first visit does
    started = time.perf_counter()
    warm_up.goto(url, wait_until="load")
    cold_ms = (time.perf_counter() - started) * 1000
    warm_up.close()
    for rep in range(reps):
        found = _one_rep(context, url, views, rep)
        for name, value in found.items():
            samples[name].append(value)
        load = found["interactive"] - found["sort_click"]
        log(f"rep {rep + 1}/{reps}: load {load:.0f} ms, sort click {found['sort_click']:.0f} ms")
    rows = samples.pop("rows")
    context.close()
    summary: dict[str, Any] = {name: _summary(values) for name, values in samples.items()}
    summary["rows_per_page"] = int(rows[0])
    summary["first_visit_ms"] = round(cold_ms, 1)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument(
        "--reuse", action="store_true", help="use the runs already in --workdir (no creation)"
    )
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        parser.error(f"no Chromium at {args.chromium}: apt-get install chromium, or --chromium")

    from playwright.sync_api import sync_playwright

    from cairn import __version__
    from cairn.server.live import ServerProcess

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cairn-bench-ui-"))
    workdir.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{workdir / 'ui.db'}"
    try:
        started = time.perf_counter()
        if args.reuse:
            experiment_id, created_s = existing_experiment(uri, args.runs), 0.0
        else:
            experiment_id = create_runs(uri, workdir / "artifacts", args.runs)
            created_s = time.perf_counter() - started
            log(f"{args.runs:,} runs created in {created_s:.0f} s")
        server = ServerProcess(uri, str(workdir / "artifacts"), workdir / "server.log")
        with server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium)
            try:
                url = f"{server.url}/experiments/{experiment_id}"
                timings = measure(browser, url, args.reps)
                chromium_version = browser.version
            finally:
                browser.close()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "benchmark": "ui",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cairn_version": __version__,
        "chromium": chromium_version,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "runs_in_experiment": args.runs,
        "reps": args.reps,
        "create_runs_s": round(created_s, 1),
        "timings": timings,
        "target_interactive_ms": TARGET_INTERACTIVE_MS,
        "meets_target": timings["interactive"]["median_ms"] < TARGET_INTERACTIVE_MS,
    }
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
    (args.out or RESULTS / f"ui-{stamp}.json").write_text(text + "\n")
    if args.runs == 20_000:
        LATEST.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
