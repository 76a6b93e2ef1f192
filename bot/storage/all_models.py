"""Imports every module that defines tables (`bot/storage/models*.py`), so metadata and migrations see all."""

import importlib
import pkgutil

import bot.storage as _storage

for _info in pkgutil.iter_modules(_storage.__path__):
    if _info.name.startswith("models"):
        importlib.import_module(f"{_storage.__name__}.{_info.name}")
