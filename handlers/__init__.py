"""Platform-neutral conversation handlers.

Every module here that defines `router` is part of the bot; a module may also define `FEATURE` (a
`bot.core.features.Feature`) for the background jobs and HTTP routes it brings. Modules are ordered by their `ORDER` (default 50), which is also the order of /hilfe.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from bot.core.features import Feature
from bot.core.router import Router


def modules() -> list[ModuleType]:
    found = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)]
    found = [m for m in found if hasattr(m, "router") or hasattr(m, "FEATURE")]
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def build_router() -> Router:
    router = Router()
    for module in modules():
        if hasattr(module, "router"):
            router.include(module.router)
    return router


def features() -> list[Feature]:
    return [module.FEATURE for module in modules() if hasattr(module, "FEATURE")]
