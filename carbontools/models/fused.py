"""The monthly CASA + Rh + NEP step as one compiled per-pixel kernel (numba), for speed.

The plain xarray path (:func:`carbontools.pipeline.casa_stage`, :func:`~carbontools.pipeline.rh_stage`,
:func:`~carbontools.pipeline.assemble`) is the reference; this module computes the same numbers in one
pass over each tile of pixels instead of one pass over the whole scene per operation::

    for each tile of 256 pixels (in parallel):   class limits and eps_max from the CASA class
        for each calendar year:     Topt at the first NDVI peak, Te1 (a function of Topt), Thornthwaite
                                    heat index I
            for each month:         over the tile's pixels (contiguous in memory), in short loops:
                                    FPAR, APAR, Te1; Te2; PET; We; Rh; then NPP, NEP, eps, the stores
                                    and the annual sums of NPP, Rh and NEP

What makes it fast (measured in benchmarks/bench_run.py): memory is walked along contiguous pixels, not
month by month within a pixel (twelve rows apart); the loops without exp/log vectorise; what depends only
on the pixel, the year or the month (class limits, Te1, the declination) is computed once; the heat index
term (T/5)^e and PET's (10 T/I)^a share one ln T (exp/log instead of two pow), and Q10^x is exp(x ln Q10).

Covered (every registered variant, SCIENCE.md sections 1-3): the FPAR methods ``ndvi_sr``, ``ndvi``,
``sr`` and ``potter_sr`` or FPAR given directly; the Te2 half rule on or off; water stress ``zhou``
(with or without the day-length and high-temperature options of Thornthwaite PET) and ``et_pet``; the
Rh models ``pei2009`` (30-day or real month length), ``q10`` and ``lloyd_taylor`` (with or without a
moisture scalar); ``urban_soils`` ``unsealed`` (with or without an impervious driver) and ``climate``.
:func:`unsupported` says why a run cannot take this path (incomplete calendar years, drivers with
extra dimensions, an Rh model or method registered later); :func:`carbontools.run` then takes the plain
path by itself.

Arithmetic is in float64 inside the kernel; each output is stored in the drivers' float type (float32
drivers give float32 outputs).  Where the reference compares or caps values in float32 (the Te2 half-rule
edges, the NDVI cap below 1, the heat-index terms), the kernel rounds to float32 at the same point, so
that both paths take the same branch.
"""

from __future__ import annotations

import threading

import numba
import numpy as np
import xarray as xr

from ..landcover import NON_VEGETATED
from ..params import RH_MODELS, CasaParams, ParamSet

__all__ = ["MONTHLY_OUTPUTS", "ANNUAL_OUTPUTS", "unsupported", "fused_outputs"]

#: the monthly and annual outputs the kernel writes, in the kernel's slot order
MONTHLY_OUTPUTS = ("npp", "rh", "nep", "fpar", "apar", "topt", "te1", "te2", "we", "pet", "eps")
ANNUAL_OUTPUTS = ("npp_annual", "rh_annual", "nep_annual")

FPAR_CODES = {"ndvi_sr": 0, "ndvi": 1, "sr": 2, "potter_sr": 3}  # FPAR given directly: -1
WATER_CODES = {"zhou": 0, "et_pet": 1}
RH_CODES = {"pei2009": 0, "q10": 1, "lloyd_taylor": 2}

# slots of the float parameter vector
(A_ALPHA, A_FMIN, A_FMAX, A_SRMIN, A_SRMAX, A_PAR, A_T1A, A_T1B, A_T1C, A_COLD, A_T2C, A_KLO, A_KHI, A_OFF,
 A_HBELOW, A_HABOVE, A_WEFLOOR, A_ZA, A_ZB, A_PSCALE, A_HEXP, A_C3, A_C2, A_C1, A_C0, A_HTHR, A_H0, A_H1, A_H2,
 A_DAMP, A_DPHASE, A_R0, A_R1, A_R2, A_R3, A_R4) = range(36)
# slots of the integer flag vector
(F_FPAR, F_HALF, F_WATER, F_DAYLEN, F_HIGHT, F_RH, F_REALDAYS, F_MOIST, F_IMP, F_F32) = range(10)


# --- which runs the kernel covers ------------------------------------------------------------------

def unsupported(prep) -> str | None:
    """Why ``prep`` (a :class:`carbontools.pipeline.Prepared`) cannot run on the fused kernel; None if it can."""
    p, d = prep.casa, prep.drivers
    if p.fpar_method not in FPAR_CODES and "fpar" not in d:
        return f"FPAR method {p.fpar_method!r} is not in the kernel"
    if p.water_stress not in WATER_CODES:
        return f"water-stress method {p.water_stress!r} is not in the kernel"
    if prep.rh_model not in RH_CODES:
        return f"Rh model {prep.rh_model!r} is not in the kernel"
    for name, da in d.data_vars.items():
        want = ("time", "y", "x") if "time" in da.dims else ("y", "x")
        if da.dims != want:
            return f"driver {name!r} has dimensions {da.dims}, the kernel takes {want}"
        if name != "landcover" and da.dtype not in (np.float32, np.float64):
            return f"driver {name!r} is of type {da.dtype}, the kernel takes float32 or float64"
    if prep.landcover.dims != ("y", "x"):
        return f"the land-cover map has dimensions {prep.landcover.dims}"
    years = d["time"].dt.year.values
    starts = np.flatnonzero(np.r_[True, years[1:] != years[:-1]])
    counts = np.diff(np.r_[starts, len(years)])
    if len(np.unique(years)) != len(starts) or (counts != 12).any():
        return "the drivers do not cover whole calendar years (12 months each)"
    return None


def _float_params(p: CasaParams, rh_model: str, rh: ParamSet) -> np.ndarray:
    v = np.full(36, np.nan)
    c3, c2, c1, c0 = p.pet_a_coefficients
    h0, h1, h2 = p.pet_high_coefficients
    v[:A_R0] = (p.alpha, p.fpar_min, p.fpar_max, p.sr_min, np.nan if p.sr_max is None else p.sr_max,
                p.par_fraction, p.te1_a, p.te1_b, p.te1_c, p.te1_cold_limit, p.te2_c, p.te2_k_low, p.te2_k_high,
                p.te2_offset, p.te2_half_below, p.te2_half_above, p.we_floor, p.zhou_rn_a, p.zhou_rn_b, p.pet_scale,
                p.pet_heat_exponent, c3, c2, c1, c0, p.pet_high_threshold, h0, h1, h2, p.declination_amplitude,
                p.declination_phase)
    if rh_model == "pei2009":
        v[A_R0:A_R0 + 5] = rh.a, rh.b, rh.c, rh.days_per_month, rh.het_share
    elif rh_model == "q10":
        v[A_R0:A_R0 + 3] = rh.q10, rh.t_ref, rh.rh_ref
    else:
        v[A_R0:A_R0 + 4] = rh.rh_ref, rh.e0, rh.t0, rh.t_ref
    return v


def _lut(table, top: int = 16) -> np.ndarray:
    """A class table as an array indexed by the CASA code; the last entry (codes outside) stays NaN."""
    lut = np.full(max(top, max(table) + 2), np.nan)
    for code, value in table.items():
        lut[int(code)] = value
    return lut


# --- the kernel ------------------------------------------------------------------------------------

_parallel_lock = threading.Lock()  # numba's default threading layer takes one parallel launch at a time
_jit = numba.njit(cache=True, error_model="numpy")


@_jit
def _cast(x, f32):
    """``x`` rounded to float32 where the reference computes in float32 (``f32``), else unchanged."""
    return np.float64(np.float32(x)) if f32 else x


@_jit
def _simple_ratio(ndvi, cap):
    x = min(ndvi, cap) if not np.isnan(ndvi) else ndvi
    return (1.0 + x) / (1.0 - x)


@_jit
def _te2_raw(topt, t, a):
    low = 1.0 + np.exp(a[A_KLO] * (topt - a[A_OFF] - t))
    high = 1.0 + np.exp(a[A_KHI] * (-topt - a[A_OFF] + t))
    return a[A_T2C] / (low * high)


TILE = 256  # pixels per tile: the kernel walks each tile month by month, over contiguous pixels


@_jit
def _tile(j0, j1, green, fpar_in, tmean, precip, srad, et, pet_in, moist, imp, lat, lc, lut_nmin, lut_nmax,
          lut_eps, lut_nonveg, year_start, doy, days, a, f, slots, mon, ann):
    """Pixels ``j0:j1``: the per-pixel constants and the per-year ones (Topt, Te1, the heat index) first,
    then month by month over the tile's pixels (contiguous in memory), with the annual sums."""
    nt = tmean.shape[0]
    n = j1 - j0
    f32 = f[F_F32] == 1
    fpar_code, half_rule, water, daylen = f[F_FPAR], f[F_HALF] == 1, f[F_WATER], f[F_DAYLEN] == 1
    high_t, rh_code, realdays, moist_on = f[F_HIGHT] == 1, f[F_RH], f[F_REALDAYS] == 1, f[F_MOIST] == 1
    s_npp, s_rh, s_nep, s_fpar, s_apar, s_topt = slots[0], slots[1], slots[2], slots[3], slots[4], slots[5]
    s_te1, s_te2, s_we, s_pet, s_eps = slots[6], slots[7], slots[8], slots[9], slots[10]
    fmin, fmax, srmin, floor = a[A_FMIN], a[A_FMAX], a[A_SRMIN], a[A_WEFLOOR]
    cap = _cast(1.0 - 1e-6, f32)
    n_lut = lut_eps.shape[0]
    # per-pixel constants
    ok = np.empty(n, dtype=np.bool_)
    nmin = np.empty(n)
    nmax = np.empty(n)
    emax = np.empty(n)
    nonveg = np.empty(n, dtype=np.bool_)
    sr_max = np.empty(n)
    imp_factor = np.empty(n)
    tan_phi = np.empty(n)
    for i in range(n):
        j = j0 + i
        c = lc[j]
        ok[i] = np.isfinite(c)
        ci = int(c) if (ok[i] and c >= 0 and c < n_lut) else n_lut - 1
        nmin[i], nmax[i], emax[i] = lut_nmin[ci], lut_nmax[ci], lut_eps[ci]
        nonveg[i] = lut_nonveg[ci] > 0
        sr_max[i] = a[A_SRMAX] if not np.isnan(a[A_SRMAX]) else _simple_ratio(nmax[i], 2.0)
        imp_factor[i] = 1.0 - imp[j] if f[F_IMP] == 1 else 1.0
        tan_phi[i] = np.tan(np.deg2rad(lat[j])) if daylen else 0.0
    # land-cover nodata: NaN in every output (one valid mask)
    for i in range(n):
        if not ok[i]:
            j = j0 + i
            for k in range(mon.shape[0]):
                for t in range(nt):
                    mon[k, t, j] = np.nan
            for k in range(ann.shape[0]):
                for y in range(ann.shape[1]):
                    ann[k, y, j] = np.nan
    # per-year constants and per-month logarithms of the temperature
    best = np.empty(n)
    first = np.empty(n, dtype=np.int64)
    topt = np.empty(n)
    te1_warm = np.empty(n)
    half_low = np.empty(n)
    half_high = np.empty(n)
    half = np.empty(n)
    heat = np.empty(n)
    log_heat = np.empty(n)
    pet_exp = np.empty(n)
    log_t = np.empty((12, n))
    sum_npp = np.empty(n)
    sum_rh = np.empty(n)
    v_fpar, v_apar, v_te1, v_te2 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    v_pet, v_we, v_rh = np.empty(n), np.empty(n), np.empty(n)
    ln5, ln10 = np.log(5.0), np.log(10.0)
    ln_q10 = np.log(a[A_R0]) if (rh_code == 1 and a[A_R0] > 0) else np.nan
    ny = year_start.shape[0] - 1
    for y in range(ny):
        t0, t1 = year_start[y], year_start[y + 1]
        # Topt: temperature of the first month with the year's highest greenness
        for i in range(n):
            best[i] = np.nan
            first[i] = -1
        for t in range(t0, t1):
            for i in range(n):
                g = green[t, j0 + i]
                if not np.isnan(g) and (first[i] < 0 or g > best[i]):
                    best[i] = g
                    first[i] = t
        for i in range(n):
            to = np.float64(tmean[first[i], j0 + i]) if first[i] >= 0 else np.nan
            topt[i] = to
            w = a[A_T1A] + a[A_T1B] * to - a[A_T1C] * to * to
            te1_warm[i] = 0.0 if w < 0.0 else w
            if half_rule:  # Te2's half rule: the edges (in the drivers' precision) and the value outside
                half_low[i] = _cast(to - a[A_HBELOW], f32)
                half_high[i] = _cast(to + a[A_HABOVE], f32)
                half[i] = 0.5 * _te2_raw(to, to, a)
            heat[i] = 0.0
            sum_npp[i] = 0.0
            sum_rh[i] = 0.0
        # Thornthwaite heat index of the year (NaN if any month lacks a temperature); (T/5)^e as
        # exp(e (ln T - ln 5)), with ln T kept for PET = scale (10 T / I)^a = scale exp(a (ln 10 + ln T - ln I))
        if water == 0:
            for t in range(t0, t1):
                for i in range(n):
                    tt = np.float64(tmean[t, j0 + i])
                    if np.isnan(tt):
                        heat[i] = np.nan
                    elif tt > 0.0:
                        lt = np.log(tt)
                        log_t[t - t0, i] = lt
                        heat[i] += _cast(np.exp(a[A_HEXP] * (lt - ln5)), f32)
            for i in range(n):
                h = _cast(heat[i], f32)
                heat[i] = h
                log_heat[i] = np.log(h) if h > 0 else np.nan
                pet_exp[i] = ((a[A_C3] * h + a[A_C2]) * h + a[A_C1]) * h + a[A_C0]
        for t in range(t0, t1):
            if daylen:
                tan_decl = np.tan(a[A_DAMP] * np.sin(2.0 * np.pi / 365.0 * doy[t] - a[A_DPHASE]))
                day_factor = 24.0 / np.pi / 12.0 * days[t] / 30.0
            else:
                tan_decl = day_factor = 0.0
            dm = days[t] if realdays else a[A_R0 + 3]
            # the month over the tile in simple loops: the arithmetic ones vectorise, the ones calling
            # exp / log stay scalar but short
            for i in range(n):  # FPAR, APAR, Te1
                j = j0 + i
                tt = np.float64(tmean[t, j])
                if fpar_code < 0:
                    fpar = np.float64(fpar_in[t, j])
                else:
                    g = np.float64(green[t, j])
                    if fpar_code == 0 or fpar_code == 1:
                        lin = (g - nmin[i]) / (nmax[i] - nmin[i]) * (fmax - fmin) + fmin
                    else:
                        lin = 0.0
                    if fpar_code != 1:
                        sr = _cast(_simple_ratio(g, cap), f32)
                        if fpar_code == 3:
                            srf = (sr - srmin) / (sr_max[i] - srmin)
                        else:
                            srf = (sr - srmin) / (sr_max[i] - srmin) * (fmax - fmin) + fmin
                    else:
                        srf = 0.0
                    if fpar_code == 0:
                        fpar = a[A_ALPHA] * lin + (1.0 - a[A_ALPHA]) * srf
                    elif fpar_code == 1:
                        fpar = lin
                    else:
                        fpar = srf
                    if not np.isnan(fpar):
                        fpar = min(max(fpar, fmin), fmax)
                v_fpar[i] = fpar
                v_apar[i] = srad[t, j] * fpar * a[A_PAR]
                if np.isnan(tt):
                    v_te1[i] = np.nan
                elif tt <= a[A_COLD]:
                    v_te1[i] = 0.0
                else:
                    v_te1[i] = te1_warm[i]
            for i in range(n):  # Te2
                tt = np.float64(tmean[t, j0 + i])
                if half_rule and (tt < half_low[i] or tt > half_high[i]):
                    v_te2[i] = half[i]
                else:
                    v_te2[i] = _te2_raw(topt[i], tt, a)
            if water == 1:  # water stress from ET / PET
                for i in range(n):
                    j = j0 + i
                    e_, p_ = et[t, j], pet_in[t, j]
                    v_pet[i] = p_
                    if np.isnan(e_) or np.isnan(p_):
                        v_we[i] = np.nan
                    elif p_ > 0:
                        v_we[i] = min(max(floor + (1.0 - floor) * (e_ / p_), floor), 1.0)
                    else:
                        v_we[i] = 1.0
            else:  # Thornthwaite PET, then Zhou's water stress
                for i in range(n):
                    tt = np.float64(tmean[t, j0 + i])
                    hi = heat[i]
                    if np.isnan(tt) or np.isnan(hi):
                        pet0 = np.nan
                    elif tt > 0 and hi > 0:
                        if high_t and tt >= a[A_HTHR]:
                            ep0 = a[A_H0] + (a[A_H1] + a[A_H2] * tt) * tt
                        else:
                            ep0 = a[A_PSCALE] * np.exp(pet_exp[i] * (ln10 + log_t[t - t0, i] - log_heat[i]))
                        if daylen:
                            cw = min(max(-tan_phi[i] * tan_decl, -1.0), 1.0)
                            ep0 *= np.arccos(cw) * day_factor
                        pet0 = ep0
                    else:
                        pet0 = 0.0
                    v_pet[i] = pet0
                for i in range(n):
                    pet0 = v_pet[i]
                    pp = np.float64(precip[t, j0 + i])
                    if np.isnan(pp) or np.isnan(pet0):
                        we = np.nan
                    else:
                        if pp > 0:
                            ratio = pet0 / max(pp, pet0 * 1e-150)
                            x = a[A_ZA] * np.sqrt(ratio) + a[A_ZB] * ratio
                            if x <= 1.0:
                                gx = x * (1.0 + x + x * x) / ((1.0 + x) * (1.0 + x * x))
                            else:
                                yy = 1.0 / x
                                gx = (1.0 + yy + yy * yy) / ((1.0 + yy) * (1.0 + yy * yy))
                            e = pp * gx
                        else:
                            e = 0.0
                        ep = (e + pet0) / 2.0
                        if ep <= 0:
                            we = 1.0
                        elif pp > 0:
                            we = min(max(floor + (1.0 - floor) * e / ep, floor), 1.0)
                        else:
                            we = floor
                    v_we[i] = we
            for i in range(n):  # soil heterotrophic respiration (0 on water and ice)
                j = j0 + i
                tt = np.float64(tmean[t, j])
                if nonveg[i]:
                    rh = 0.0
                else:
                    if rh_code == 0:
                        rh = a[A_R0] * (np.exp(a[A_R0 + 1] * tt) + np.log(a[A_R0 + 2] * precip[t, j] + 1.0)) \
                            * dm * a[A_R0 + 4]
                    elif rh_code == 1:
                        if ln_q10 == ln_q10:
                            rh = a[A_R0 + 2] * np.exp(ln_q10 * ((tt - a[A_R0 + 1]) / 10.0))
                        else:
                            rh = a[A_R0 + 2] * a[A_R0] ** ((tt - a[A_R0 + 1]) / 10.0)
                    else:
                        above = tt - a[A_R0 + 2]
                        if np.isnan(tt):
                            rh = np.nan
                        elif above > 0:
                            rh = a[A_R0] * np.exp(a[A_R0 + 1] * (1.0 / (a[A_R0 + 3] - a[A_R0 + 2]) - 1.0 / above))
                        else:
                            rh = 0.0
                    if moist_on:
                        rh *= moist[t, j]
                    rh *= imp_factor[i]
                v_rh[i] = rh
            for i in range(n):  # NPP, NEP, the annual sums and the stores
                if not ok[i]:
                    continue
                j = j0 + i
                stress = v_te1[i] * v_te2[i] * v_we[i]
                npp = 0.0 if nonveg[i] else v_apar[i] * stress * emax[i]
                rh = v_rh[i]
                sum_npp[i] += npp
                sum_rh[i] += rh
                if s_npp >= 0:
                    mon[s_npp, t, j] = npp
                if s_rh >= 0:
                    mon[s_rh, t, j] = rh
                if s_nep >= 0:
                    mon[s_nep, t, j] = npp - rh
                if s_fpar >= 0:
                    mon[s_fpar, t, j] = v_fpar[i]
                if s_apar >= 0:
                    mon[s_apar, t, j] = v_apar[i]
                if s_topt >= 0:
                    mon[s_topt, t, j] = topt[i]
                if s_te1 >= 0:
                    mon[s_te1, t, j] = v_te1[i]
                if s_te2 >= 0:
                    mon[s_te2, t, j] = v_te2[i]
                if s_we >= 0:
                    mon[s_we, t, j] = v_we[i]
                if s_pet >= 0:
                    mon[s_pet, t, j] = v_pet[i]
                if s_eps >= 0:
                    mon[s_eps, t, j] = stress * emax[i]
        for i in range(n):
            if not ok[i]:
                continue
            if slots[11] >= 0:
                ann[slots[11], y, j0 + i] = sum_npp[i]
            if slots[12] >= 0:
                ann[slots[12], y, j0 + i] = sum_rh[i]
            if slots[13] >= 0:
                ann[slots[13], y, j0 + i] = sum_npp[i] - sum_rh[i]


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _loop_parallel(green, fpar_in, tmean, precip, srad, et, pet_in, moist, imp, lat, lc, lut_nmin, lut_nmax,
                   lut_eps, lut_nonveg, year_start, doy, days, a, f, slots, mon, ann):
    npix = tmean.shape[1]
    for b in numba.prange((npix + TILE - 1) // TILE):
        _tile(b * TILE, min((b + 1) * TILE, npix), green, fpar_in, tmean, precip, srad, et, pet_in, moist, imp, lat,
              lc, lut_nmin, lut_nmax, lut_eps, lut_nonveg, year_start, doy, days, a, f, slots, mon, ann)


@_jit
def _loop_serial(green, fpar_in, tmean, precip, srad, et, pet_in, moist, imp, lat, lc, lut_nmin, lut_nmax,
                 lut_eps, lut_nonveg, year_start, doy, days, a, f, slots, mon, ann):
    npix = tmean.shape[1]
    for b in range((npix + TILE - 1) // TILE):
        _tile(b * TILE, min((b + 1) * TILE, npix), green, fpar_in, tmean, precip, srad, et, pet_in, moist, imp, lat,
              lc, lut_nmin, lut_nmax, lut_eps, lut_nonveg, year_start, doy, days, a, f, slots, mon, ann)


# --- the kernel on arrays and on xarray objects ---------------------------------------------------

_DUMMY_1D = np.zeros(1)


def _block(*arrays, names, static, slots, n_mon, n_ann, dtype, year_start, doy, days, a, f, luts, parallel):
    """Run the kernel on one block: monthly arrays (..., time), static ones (...,), spatial shape shared."""
    given = dict(zip(names, arrays))
    tm = given["tmean"]
    spatial = tm.shape[:-1]
    nt = tm.shape[-1]
    npix = int(np.prod(spatial))

    def monthly(name):  # one float type for every monthly array, so that only two signatures get compiled
        if name not in given:
            return np.zeros((1, 1), dtype=dtype)
        return np.ascontiguousarray(np.moveaxis(given[name], -1, 0), dtype=dtype).reshape(nt, npix)

    def flat(name):
        if name not in given:
            return _DUMMY_1D
        return np.ascontiguousarray(np.broadcast_to(given[name], spatial), dtype=np.float64).reshape(npix)

    green = monthly("ndvi") if "ndvi" in given else monthly("fpar")
    mon = np.empty((n_mon, nt, npix) if n_mon else (0, 1, 1), dtype=dtype)
    ann = np.empty((n_ann, len(year_start) - 1, npix) if n_ann else (0, 1, 1), dtype=dtype)
    args = (green, monthly("fpar"), monthly("tmean"), monthly("precip"), monthly("srad"), monthly("et"),
            monthly("pet"), monthly("moisture"), flat("impervious"), flat("latitude"), flat("landcover"), *luts,
            year_start, doy, days, a, f, slots, mon, ann)
    if parallel and _parallel_lock.acquire(blocking=False):
        try:
            _loop_parallel(*args)
        finally:
            _parallel_lock.release()
    else:
        _loop_serial(*args)
    out = [np.moveaxis(mon[k].reshape(nt, *spatial), 0, -1) for k in range(n_mon)]
    out += [np.moveaxis(ann[k].reshape(ann.shape[1], *spatial), 0, -1) for k in range(n_ann)]
    return tuple(out) if len(out) > 1 else out[0]


def fused_outputs(prep, names=MONTHLY_OUTPUTS + ANNUAL_OUTPUTS) -> dict[str, xr.DataArray]:
    """The kernel's outputs ``names`` for ``prep`` (a checked :class:`carbontools.pipeline.Prepared`), unnamed
    and without attributes: monthly on (time, y, x), annual on (year, y, x) with the ``months`` coordinate.

    Land-cover nodata is NaN in every output.  numpy-backed drivers run the parallel loop at once;
    dask-backed ones run the serial loop on each block (dask runs the blocks in parallel), lazily.
    """
    from .casa import _mid_month_doy
    from ..grid import latitude

    why = unsupported(prep)
    if why:
        raise ValueError(f"the fused kernel cannot run these drivers: {why}; use engine='xarray'")
    p, d = prep.casa, prep.drivers
    mon_names = [n for n in MONTHLY_OUTPUTS if n in names]
    ann_names = [n for n in ANNUAL_OUTPUTS if n in names]
    slots = np.full(14, -1, dtype=np.int64)
    for k, n in enumerate(mon_names):
        slots[MONTHLY_OUTPUTS.index(n)] = k
    for k, n in enumerate(ann_names):
        slots[11 + ANNUAL_OUTPUTS.index(n)] = k
    if not mon_names and not ann_names:
        return {}

    rh_spec = RH_MODELS.variant(prep.rh_model)
    use = {"tmean", "srad"}
    use |= {"fpar"} if "fpar" in d else set()
    use |= {"ndvi"} if "ndvi" in d else set()
    use |= {"precip"} if (p.water_stress == "zhou" or prep.rh_model == "pei2009") else set()
    use |= {"et", "pet"} if p.water_stress == "et_pet" else set()
    moisture = "moisture" in d and "moisture" in rh_spec.requires + rh_spec.optional
    use |= {"moisture"} if moisture else set()
    impervious = prep.urban_soils == "unsealed" and "impervious" in d
    use |= {"impervious"} if impervious else set()
    arrays = {n: d[n] for n in ("ndvi", "fpar", "tmean", "precip", "srad", "et", "pet", "moisture", "impervious")
              if n in use}
    daylength = p.water_stress == "zhou" and p.pet_daylength
    if daylength:
        arrays["latitude"] = latitude(d)
    arrays["landcover"] = prep.landcover.astype(np.float64)
    monthly = [n for n, v in arrays.items() if "time" in v.dims]
    dtype = np.result_type(*[arrays[n].dtype for n in monthly])
    lazy = any(v.chunks is not None for v in arrays.values())
    if lazy:
        arrays = {n: v.chunk({"time": -1}) if "time" in v.dims else v for n, v in arrays.items()}

    time = d["time"]
    years = time.dt.year.values
    year_start = np.r_[np.flatnonzero(np.r_[True, years[1:] != years[:-1]]), len(years)].astype(np.int64)
    flags = np.zeros(10, dtype=np.int64)
    flags[F_FPAR] = -1 if "fpar" in d else FPAR_CODES[p.fpar_method]
    flags[F_HALF] = int(bool(p.te2_half_rule))
    flags[F_WATER] = WATER_CODES[p.water_stress]
    flags[F_DAYLEN] = int(bool(daylength))
    flags[F_HIGHT] = int(bool(p.pet_high_temperature))
    flags[F_RH] = RH_CODES[prep.rh_model]
    flags[F_REALDAYS] = int(prep.rh_model == "pei2009" and bool(prep.rh.real_month_length))
    flags[F_MOIST] = int(moisture)
    flags[F_IMP] = int(impervious)
    flags[F_F32] = int(dtype == np.float32)
    nonveg = np.zeros(16)
    nonveg[list(NON_VEGETATED)] = 1.0
    luts = (_lut(p.ndvi_min), _lut(p.ndvi_max), _lut(p.eps_max), nonveg)
    top = max(len(lut) for lut in luts)
    luts = tuple(np.r_[lut, np.full(top - len(lut), np.nan)] for lut in luts)
    kw = dict(names=list(arrays), static=[n for n in arrays if n not in monthly], slots=slots,
              n_mon=len(mon_names), n_ann=len(ann_names), dtype=dtype, year_start=year_start,
              doy=np.asarray(_mid_month_doy(time).values, dtype=np.float64),
              days=np.asarray(time.dt.days_in_month.values, dtype=np.float64),
              a=_float_params(p, prep.rh_model, prep.rh), f=flags, luts=luts, parallel=not lazy)
    n_out = len(mon_names) + len(ann_names)
    results = xr.apply_ufunc(
        _block, *arrays.values(), kwargs=kw,
        input_core_dims=[["time"] if n in monthly else [] for n in arrays],
        output_core_dims=[["time"]] * len(mon_names) + [["year"]] * len(ann_names),
        dask="parallelized", output_dtypes=[dtype] * n_out,
        dask_gufunc_kwargs={"output_sizes": {"year": len(year_start) - 1}},
    )
    if n_out == 1:
        results = (results,)
    out = {}
    year_values = years[year_start[:-1]]
    for name, da in zip(mon_names + ann_names, results):
        if name in ann_names:
            da = da.assign_coords(year=("year", year_values), months=("year", np.diff(year_start)))
            da = da.transpose("year", "y", "x")
        else:
            da = da.transpose("time", "y", "x")
        da.attrs = {}
        out[name] = da.rename(name)
    return out
