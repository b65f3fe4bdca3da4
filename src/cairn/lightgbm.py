"""``import cairn.lightgbm``: the LightGBM flavor (see :mod:`cairn.models.flavors.lightgbm`).

Also the ``python_function`` loader module named in the ``MLmodel`` of LightGBM models.
"""

from cairn.models.flavors.lightgbm import (
    FLAVOR_NAME,
    load_model,
    log_model,
    save_model,
)
from cairn.models.flavors.lightgbm import (
    _load_pyfunc as _load_pyfunc,
)

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
