"""cairn in Jupyter: ``%load_ext cairn`` (:mod:`cairn.notebook.extension`) and which notebook a
kernel runs (:mod:`cairn.notebook.source`). The HTML that notebooks show for cairn's objects
is the core module :mod:`cairn.reprs`, which entities reach lazily from their ``_repr_html_``.

This package imports nothing at load; IPython is only touched through the shell it hands over.
"""
