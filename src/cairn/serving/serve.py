"""``cairn models serve``: build the scoring app from options and run it on uvicorn.

With one worker the app is built in this process (a model that does not load fails before
the port opens). With several, uvicorn's workers each build it from the options passed in
the ``CAIRN_SERVE_OPTIONS`` environment variable (:func:`app_from_env`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from cairn.errors import InvalidInput
from cairn.serving.app import DEFAULT_MAX_BODY_BYTES

if TYPE_CHECKING:
    from fastapi import FastAPI

    from cairn.tracking.client import CairnClient

__all__ = ["ServeOptions", "app_from_env", "build_app", "check_loads", "serve"]

ENV = "CAIRN_SERVE_OPTIONS"


@dataclass
class ServeOptions:
    """What to serve and how."""

    uri: str
    tracking_uri: str | None = None
    trusted: bool = False
    poll_interval: float = 5.0
    log_predictions: float = 0.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    compiler: str = "none"
    feedback_dir: str | None = None

    def check(self) -> ServeOptions:
        """Raise InvalidInput naming the first bad option."""
        if self.poll_interval <= 0:
            raise InvalidInput(f"--poll-interval must be positive, got {self.poll_interval}")
        if not 0.0 <= self.log_predictions <= 1.0:
            raise InvalidInput(
                f"--log-predictions must be a rate within 0 and 1, got {self.log_predictions}"
            )
        if self.max_body_bytes <= 0:
            raise InvalidInput(f"--max-body-bytes must be positive, got {self.max_body_bytes}")
        from cairn.models.compiled import COMPILERS

        if self.compiler not in COMPILERS:
            raise InvalidInput(
                f"--compile must be one of {', '.join(COMPILERS)}, got {self.compiler!r}"
            )
        return self


def _model_name(uri: str) -> str:
    if uri.startswith("models:/"):
        from cairn.models.uris import parse_models_uri

        return parse_models_uri(uri).name
    return uri.rstrip("/").rsplit("/", 1)[-1] or uri


def _client(options: ServeOptions) -> CairnClient | None:
    """The tracking client, when the URI needs the registry or predictions are logged."""
    if not options.uri.startswith("models:/") and options.log_predictions <= 0:
        return None
    from cairn.tracking.client import CairnClient

    return CairnClient(options.tracking_uri)


def check_loads(options: ServeOptions) -> None:
    """Load the model once, so a model that cannot load fails before any worker starts."""
    from cairn.serving.load import load_served

    client = _client(options)
    store = client.store if client is not None and options.uri.startswith("models:/") else None
    load_served(options.uri, trusted=options.trusted, store=store, compiler=options.compiler)


def build_app(options: ServeOptions) -> FastAPI:
    """The app serving ``options.uri`` (the model is loaded now), following its alias and
    logging predictions as asked."""
    from cairn.serving.app import create_app
    from cairn.serving.follow import AliasFollower, ModelSlot
    from cairn.serving.load import alias_of, alias_target, load_served

    options.check()
    client = _client(options)
    store = client.store if client is not None and options.uri.startswith("models:/") else None
    alias = alias_of(options.uri)
    slot = ModelSlot(
        load_served(options.uri, trusted=options.trusted, store=store, compiler=options.compiler)
    )
    follower = None
    if alias is not None:
        name, alias_name = alias
        follower = AliasFollower(
            slot,
            alias_target(store, name, alias_name),
            lambda version: load_served(
                options.uri,
                trusted=options.trusted,
                store=store,
                version=int(str(version)),
                compiler=options.compiler,
            ),
            interval=options.poll_interval,
        )
    logger = None
    if options.log_predictions > 0 and client is not None:
        from cairn.serving.predictions import PredictionLogger

        logger = PredictionLogger(
            client, _model_name(options.uri), options.uri, options.log_predictions
        )
    feedback = None
    if options.feedback_dir is not None:
        from cairn.serving.feedback import FeedbackWriter

        feedback = FeedbackWriter(options.feedback_dir)
    return create_app(
        slot,
        follower=follower,
        logger=logger,
        max_body_bytes=options.max_body_bytes,
        feedback=feedback,
    )


def app_from_env() -> FastAPI:
    """The app of a uvicorn worker, from the options in ``CAIRN_SERVE_OPTIONS``."""
    raw = os.environ.get(ENV)
    if not raw:
        raise InvalidInput(f"{ENV} is not set: start the server with `cairn models serve`")
    return build_app(ServeOptions(**json.loads(raw)))


def serve(
    options: ServeOptions,
    host: str = "127.0.0.1",
    port: int = 5001,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Serve until interrupted."""
    import uvicorn

    if workers < 1:
        raise InvalidInput(f"--workers must be at least 1, got {workers}")
    if not 0 <= port <= 65535:
        raise InvalidInput(f"--port must be within 0 and 65535, got {port}")
    options.check()
    if workers == 1:
        uvicorn.run(build_app(options), host=host, port=port, log_level=log_level)
        return
    check_loads(options)
    os.environ[ENV] = json.dumps(asdict(options))
    uvicorn.run(
        "cairn.serving.serve:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )
