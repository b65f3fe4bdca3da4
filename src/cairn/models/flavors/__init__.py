"""Model flavors: how each library's model is written into a model folder and read back.

Each module (``sklearn``, ``xgboost``, ``lightgbm``, ``onnx``, ``pytorch``) exposes
``save_model``, ``log_model``, ``load_model`` (the native object) and ``_load_pyfunc`` (the
``python_function`` loader), and is importable as ``cairn.<flavor>``. The heavy library is
imported only when one of these functions runs.
"""
