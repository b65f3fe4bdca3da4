"""``import cairn.pytorch``: the PyTorch flavor (see :mod:`cairn.models.flavors.pytorch`).

Also the ``python_function`` loader module named in the ``MLmodel`` of PyTorch models.
"""

from cairn.models.flavors.pytorch import (
    FLAVOR_NAME,
    load_model,
    load_state_dict,
    log_model,
    save_model,
)
from cairn.models.flavors.pytorch import (
    _load_pyfunc as _load_pyfunc,
)

__all__ = ["FLAVOR_NAME", "load_model", "load_state_dict", "log_model", "save_model"]
