"""Readable default names for runs (``brave-otter-417``)."""

from __future__ import annotations

import random

_ADJECTIVES = ["amber", "bold", "brave", "bright", "calm", "clever", "crisp", "daring", "eager", "fair", "fancy", "gentle", "glad", "grand", "honest", "keen", "kind", "lively", "lucky", "merry", "mighty", "nimble", "noble", "polite", "proud", "quick", "quiet", "rapid", "silent", "sleek", "smooth", "steady", "sunny", "swift", "tidy", "vivid", "warm", "wise", "witty", "zesty"]
_NOUNS = ["badger", "bear", "bison", "crane", "deer", "dove", "eagle", "falcon", "ferret", "finch", "fox", "gecko", "hare", "hawk", "heron", "ibis", "koala", "lark", "lemur", "lynx", "marten", "mole", "moose", "newt", "otter", "owl", "panda", "puffin", "quail", "raven", "robin", "seal", "shrew", "sparrow", "stoat", "swan", "tern", "tiger", "toad", "trout", "vole", "wolf", "wren", "yak"]


def generate_run_name(rng: random.Random | None = None) -> str:
    """A random ``adjective-noun-NNN`` name."""
    r = rng or random
    return f"{r.choice(_ADJECTIVES)}-{r.choice(_NOUNS)}-{r.randint(0, 999)}"
