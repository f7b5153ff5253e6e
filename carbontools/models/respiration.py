"""Soil heterotrophic respiration Rh, monthly, g C m-2 month-1 (SCIENCE.md section 2).

Models are registered by name in :data:`carbontools.params.RH_MODELS` (``pei2009`` default, ``q10``,
``lloyd_taylor``) with the drivers each requires; each is a pure function
``f(tmean, precip, params, days_in_month=None, moisture=None)`` of numbers, numpy arrays or xarray objects.  :func:`soil_respiration` picks one by name and applies the
impervious-surface and water/ice rules.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..landcover import NON_VEGETATED
from ..params import RH_MODELS, LloydTaylorParams, ParamSet, Pei2009Params, Q10Params
from ._ops import fresh, where

__all__ = ["RH_MODELS", "rh_pei2009", "rh_q10", "rh_lloyd_taylor", "rh_params", "soil_respiration"]


@RH_MODELS.register("pei2009", requires=("tmean", "precip"), params=Pei2009Params,
                    description="Pei et al. 2009: temperature and precipitation")
def rh_pei2009(tmean, precip, params: Pei2009Params = Pei2009Params(), days_in_month=None, moisture=None):
    """Pei et al. 2009: Rh = 0.22 (exp(0.0912 T) + ln(0.3145 P + 1)) * 30 * 0.465.

    ``days_in_month`` replaces the 30 when ``params.real_month_length`` is set.  ``moisture`` is
    not used: precipitation is this model's moisture term.
    """
    p = params
    days = p.days_per_month
    if p.real_month_length:
        if days_in_month is None:
            raise ValueError("real_month_length=True needs days_in_month")
        days = days_in_month
    daily = p.a * (np.exp(p.b * tmean) + np.log(p.c * precip + 1.0))
    return fresh(daily * days * p.het_share, "rh")


@RH_MODELS.register("q10", requires=("tmean",), optional=("moisture",), params=Q10Params,
                    description="Q10 exponential in temperature")
def rh_q10(tmean, precip=None, params: Q10Params = Q10Params(), days_in_month=None, moisture=None):
    """Rh = Rh_ref * Q10^((T - T_ref)/10), times the moisture scalar (0..1) when given."""
    p = params
    rh = p.rh_ref * p.q10 ** ((tmean - p.t_ref) / 10.0)
    return fresh(rh if moisture is None else rh * moisture, "rh")


@RH_MODELS.register("lloyd_taylor", requires=("tmean",), optional=("moisture",), params=LloydTaylorParams,
                    description="Lloyd & Taylor 1994 Arrhenius-type")
def rh_lloyd_taylor(tmean, precip=None, params: LloydTaylorParams = LloydTaylorParams(), days_in_month=None,
                    moisture=None):
    """Lloyd & Taylor 1994: Rh = Rh_ref exp(E0 (1/(T_ref - T0) - 1/(T - T0))); 0 at or below T0.

    Times the moisture scalar (0..1) when given.  The default Rh_ref (16.3) is Pei's rate at 10 degC
    *and 50 mm of rain*, so it already holds a moisture condition: multiplying by a moisture scalar
    as well counts moisture twice unless Rh_ref is refitted for moist soil.  (The same holds for q10.)
    """
    p = params
    above = tmean - p.t0
    safe = np.maximum(above, 1e-9)
    rh = p.rh_ref * np.exp(p.e0 * (1.0 / (p.t_ref - p.t0) - 1.0 / safe))
    rh = where(np.isnan(tmean), np.nan, where(above > 0, rh, 0.0))
    return fresh(rh if moisture is None else rh * moisture, "rh")


def _model(name: str):
    return RH_MODELS.variant(name)


def rh_params(name: str, **overrides) -> ParamSet:
    """Default parameters of Rh model ``name`` with ``overrides`` applied."""
    return _model(name).params().replace(**overrides)


def soil_respiration(
    tmean: xr.DataArray,
    precip: xr.DataArray | None = None,
    model: str = "pei2009",
    params: ParamSet | None = None,
    landcover: xr.DataArray | None = None,
    impervious: xr.DataArray | None = None,
    moisture: xr.DataArray | None = None,
) -> xr.DataArray:
    """Monthly Rh (g C m-2 month-1) by the named model.

    Scaled by (1 - impervious fraction) where given; 0 on water and permanent snow/ice and NaN where
    ``landcover`` (CASA codes) has no data, so that Rh covers exactly the pixels NPP covers.
    """
    m = _model(model)
    params = params if params is not None else m.params()
    if not isinstance(params, m.params):
        raise TypeError(f"Rh model {model!r} takes {m.params.__name__}, got {type(params).__name__}")
    if "precip" in m.requires and precip is None:
        raise ValueError(f"Rh model {model!r} needs 'precip' (mm month-1)")
    days = tmean["time"].dt.days_in_month if "time" in tmean.coords else None
    rh = m.function(tmean, precip, params, days_in_month=days, moisture=moisture)
    if impervious is not None:
        rh = rh * (1.0 - fresh(impervious))
    if landcover is not None:  # 0 on water and ice; NaN where the land cover has no data (one valid mask)
        rh = rh.where(~landcover.isin(NON_VEGETATED) | landcover.isnull(), 0.0).where(landcover.notnull())
    return fresh(rh, "rh")
