"""``cairn models serve|predict|build-docker``: serve a model over REST, score files in
batch, write a Docker build context. Thin over :mod:`cairn.serving`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cairn.cli import CliState, output
from cairn.cli.experiments import json_option

trusted_option = click.option(
    "--trusted", is_flag=True,
    help="Allow models stored as plain pickles (e.g. MLflow's sklearn folders). Only for "
    "models from sources you trust: unpickling runs code.",
)  # fmt: skip

compile_option = click.option(
    "--compile", "compiler", type=click.Choice(["none", "onnx"]), default="none",
    show_default=True,
    help="onnx: score a scikit-learn model through its ONNX conversion (much faster), after "
    "checking it gives the same answers on the model's input example and 1,000 rows drawn "
    "inside its ranges; a model that does not convert exactly is refused.",
)  # fmt: skip


def _export_tracking_uri() -> None:
    """Make the root ``--tracking-uri`` the default of everything the command loads
    (``models:/`` URIs, uvicorn's worker processes)."""
    state = click.get_current_context().find_object(CliState)
    if state is not None and state.tracking_uri:
        os.environ["CAIRN_TRACKING_URI"] = state.tracking_uri


@click.command("serve")
@click.argument("uri")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("-p", "--port", type=int, default=5001, show_default=True, help="Port to listen on.")
@click.option("-w", "--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.option(
    "--poll-interval", type=float, default=5.0, show_default=True, metavar="SECONDS",
    help="For models:/NAME@ALIAS: how often to check where the alias points.",
)  # fmt: skip
@click.option(
    "--log-predictions", type=float, default=0.0, show_default=True, metavar="RATE",
    help="Log this fraction of requests (0..1) to the experiment serving:<model>.",
)  # fmt: skip
@click.option(
    "--max-body-bytes", type=int, default=50 * 1024 * 1024, show_default=True,
    help="Refuse /invocations bodies larger than this.",
)  # fmt: skip
@click.option(
    "--feedback-dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
    help="Enable POST /feedback: labelled rows are written as JSON-lines files into DIR, "
    "for `cairn online run` (or cairn.online.FolderSource) to learn from.",
)  # fmt: skip
@click.option("--log-level", default="info", show_default=True, help="uvicorn's log level.")
@compile_option
@trusted_option
def serve(
    uri: str,
    host: str,
    port: int,
    workers: int,
    poll_interval: float,
    log_predictions: float,
    max_body_bytes: int,
    feedback_dir: str | None,
    log_level: str,
    compiler: str,
    trusted: bool,
) -> None:
    """Serve the model at URI: POST /invocations (and /feedback with --feedback-dir),
    GET /ping /health /version /metadata.

    URI is a folder, runs:/RUN/PATH, models:/NAME/VERSION or models:/NAME@ALIAS (the server
    then follows the alias and swaps to the new version when it moves).
    """
    from cairn.serving.serve import ServeOptions
    from cairn.serving.serve import serve as run

    _export_tracking_uri()
    options = ServeOptions(
        uri,
        tracking_uri=os.environ.get("CAIRN_TRACKING_URI"),
        trusted=trusted,
        poll_interval=poll_interval,
        log_predictions=log_predictions,
        max_body_bytes=max_body_bytes,
        compiler=compiler,
        feedback_dir=feedback_dir,
    )
    run(options, host=host, port=port, workers=workers, log_level=log_level)


@click.command("predict")
@click.option("-m", "--model-uri", "uri", required=True, metavar="URI", help="The model.")
@click.option(
    "-i", "--input-path", "input_path", required=True, metavar="PATH|URL",
    help="Rows to score: a .csv (with a header) or .parquet file (with a Dask --executor, "
    "also an fsspec URL such as s3://bucket/rows.parquet).",
)  # fmt: skip
@click.option(
    "-o", "--output-path", "output_path", required=True, metavar="PATH|URL",
    help="Where to write the predictions: .csv or .parquet (a URL with a Dask --executor).",
)  # fmt: skip
@click.option(
    "--chunk-size", type=int, default=10_000, show_default=True,
    help="Rows read, scored and written at a time (bounds memory).",
)  # fmt: skip
@click.option(
    "--executor", default="local", show_default=True, metavar="local|dask-local|tcp://HOST:PORT",
    help="Where to score: this process, an in-process Dask cluster, or a Dask scheduler (the "
    "workers read the input and load the model themselves; Parquet output is a folder).",
)  # fmt: skip
@compile_option
@trusted_option
@json_option
def predict(
    uri: str,
    input_path: str,
    output_path: str,
    chunk_size: int,
    executor: str,
    compiler: str,
    trusted: bool,
    as_json: bool,
) -> None:
    """Score a CSV or Parquet file with a model, in chunks, into a CSV or Parquet file."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from cairn.errors import InvalidInput
    from cairn.models.compiled import compile_model
    from cairn.models.pyfunc import load_model
    from cairn.serving.batch import count_rows, predict_file

    _export_tracking_uri()
    if chunk_size < 1:
        raise InvalidInput(f"--chunk-size must be at least 1, got {chunk_size}")
    if executor != "local":
        from cairn.serving.batch_dask import predict_with_dask

        result = predict_with_dask(
            uri, input_path, output_path, executor, chunk_size, trusted, compiler
        )
    else:
        if "://" in input_path or "://" in output_path:
            raise InvalidInput(
                "URLs as --input-path/--output-path need a Dask --executor; with the local "
                "one give files (copy the data here first)"
            )
        source, target = Path(input_path), Path(output_path)
        total = count_rows(source) if source.is_file() else None
        model = compile_model(load_model(uri, trusted=trusted), compiler, threads=0)
        console = output.console(stderr=True)
        columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console, transient=True,
                      disable=not console.is_terminal) as progress:  # fmt: skip
            task = progress.add_task("predict", total=total)
            result = predict_file(
                model, source, target, chunk_size, lambda n: progress.advance(task, n)
            )
    if as_json:
        output.print_json(
            {"rows": result.rows, "chunks": result.chunks, "output": str(result.output)}
        )
    else:
        output.note(f"wrote {result.rows} predictions to {result.output}")


@click.command("build-docker")
@click.argument("uri")
@click.option(
    "-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
    help="A new (or empty) folder for the Dockerfile and its context.",
)  # fmt: skip
@click.option(
    "--cairn-requirement", metavar="REQ",
    help="How the image installs cairn (default: cairn[serving]==<this version>); "
    "e.g. a git URL (git+https://...) or a package index name with a version.",
)  # fmt: skip
def build_docker(uri: str, out_dir: Path, cairn_requirement: str | None) -> None:
    """Write a Dockerfile and build context serving the model at URI on port 8080."""
    from cairn.serving.docker import build_docker_context

    _export_tracking_uri()
    target = build_docker_context(uri, out_dir, cairn_requirement)
    click.echo(str(target))
    output.note(f"build it with: docker build -t my-model {target}")
