"""Serving models: the ``/invocations`` scoring server (with registry-alias following and
sampled prediction logging), batch scoring of files, and Docker build contexts.

Modules: :mod:`~cairn.serving.payloads` (request bodies), :mod:`~cairn.serving.app` (the
FastAPI app), :mod:`~cairn.serving.follow` (atomic model swaps when an alias moves),
:mod:`~cairn.serving.load` (URI -> served model), :mod:`~cairn.serving.predictions`
(prediction logging), :mod:`~cairn.serving.serve` (uvicorn), :mod:`~cairn.serving.batch`
and :mod:`~cairn.serving.docker`.
"""
