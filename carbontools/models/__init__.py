"""The models.  ``mod17_npp`` is exported here: the MOD17 reference is not part of ``carbontools.run``."""

from .mod17 import mod17_npp  # noqa: F401
