"""``import cairn.xgboost``: the XGBoost flavor (see :mod:`cairn.models.flavors.xgboost`).

Also the ``python_function`` loader module named in the ``MLmodel`` of XGBoost models.
"""

from cairn.models.flavors.xgboost import (
    FLAVOR_NAME,
    load_model,
    log_model,
    save_model,
)
from cairn.models.flavors.xgboost import (
    _load_pyfunc as _load_pyfunc,
)

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
