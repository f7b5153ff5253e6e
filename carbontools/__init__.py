"""carbontools: ecosystem carbon accounting from satellite and climate drivers to a region's carbon balance.

Start with :func:`carbontools.run` (drivers -> NPP, Rh, NEP) and :mod:`carbontools.demo`.
"""

__version__ = "0.1.0"

from .params import CASA_PRESETS, CasaParams, casa_preset  # noqa: E402
from .pipeline import run  # noqa: E402

__all__ = ["run", "CasaParams", "CASA_PRESETS", "casa_preset", "__version__"]
