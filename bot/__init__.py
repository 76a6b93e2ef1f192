"""helferbot: one bot for volunteers, coordinators and admins in refugee and integration work."""

__version__ = "0.1.0"
