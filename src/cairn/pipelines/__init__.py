"""Pipelines: stages with declared deps, params and outs, run only when something changed.

The definition (:mod:`.yaml_form`, :mod:`.python_form`, :mod:`.loading`) produces a
:class:`~cairn.pipelines.model.Pipeline`; :class:`~cairn.pipelines.graph.Graph` validates and
orders it; the runner, executors, lock file and recording build on those two. Nothing is
imported here, so ``python -m cairn.pipelines.invoke`` starts fast.
"""
