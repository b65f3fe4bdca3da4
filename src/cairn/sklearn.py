"""``import cairn.sklearn``: the scikit-learn flavor (see :mod:`cairn.models.flavors.sklearn`).

Also the ``python_function`` loader module named in the ``MLmodel`` of scikit-learn models.
"""

from cairn.models.flavors.sklearn import (
    FLAVOR_NAME,
    autolog,
    load_model,
    log_model,
    save_model,
)
from cairn.models.flavors.sklearn import (
    _load_pyfunc as _load_pyfunc,
)

__all__ = ["FLAVOR_NAME", "autolog", "load_model", "log_model", "save_model"]
