"""Time of a Sobol analysis of 8 parameters on the demo region; prints its figures and the indices.

    .venv/bin/python benchmarks/bench_sensitivity.py [--size 400] [--n 32] [--sample-pixels 2000] [--mc-n 200]

Sobol (Saltelli sampling, first and total order, no second order) needs n * (8 + 2) model runs; each run
goes through the pipeline's stages on the sampled pixels (``--sample-pixels 0``: the whole grid).  Ranges
are +-20 % of each default (``relative=0.2``, clipped to the bounds).  Wall-clock seconds on this machine,
one run (noisy when the machine is shared).

Then the time of a Monte Carlo of the regional NEP totals (carbontools.uncertainty.monte_carlo, ``--mc-n``
draws, per district of the demo and per land-cover class) over eps_max_scale and the pei2009 parameters
(uniform, +-20 % of each default), on the same spatial sample.
"""

import argparse
import time

from carbontools import demo, sensitivity, uncertainty

PARAMS = ["eps_max_scale", "te2_c", "we_floor", "par_fraction", "fpar_max", "sr_min", "b", "het_share"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--sample-pixels", type=int, default=2000)
    parser.add_argument("--mc-n", type=int, default=200)
    args = parser.parse_args()
    drivers = demo.delta_city(size=args.size)
    t = time.perf_counter()
    model = sensitivity.Model(drivers, sample_pixels=args.sample_pixels or None, seed=0)
    t_prepare = time.perf_counter() - t
    t = time.perf_counter()
    result = sensitivity.sobol(model, PARAMS, n=args.n, relative=0.2, seed=0)
    t_sobol = time.perf_counter() - t
    runs = result.attrs["evaluations"]
    print(f"demo {args.size}x{args.size} ({drivers.sizes['time']} months), spatial sample: {model.spatial_sample}")
    print(f"Sobol of {len(PARAMS)} parameters, n = {args.n}: {runs} model runs in {t_sobol:.1f} s "
          f"({t_sobol / runs * 1000:.0f} ms per run; preparing the drivers {t_prepare:.2f} s)")
    print(result[["S1", "S1_conf", "ST", "ST_conf"]].sel(output="nep").drop_vars("output").to_dataframe().round(3).to_string())

    monte_carlo_figures(args, drivers)


def monte_carlo_figures(args, drivers):
    model = sensitivity.Model(drivers, by_class=True, sample_pixels=args.sample_pixels or None, seed=0)
    zones = demo.districts(size=args.size)
    params = uncertainty.default_params(model)
    t = time.perf_counter()
    result = uncertainty.monte_carlo(model, params=params, relative=0.2, n=args.mc_n, seed=0, zones=zones)
    t_mc = time.perf_counter() - t
    print(f"\nMonte Carlo of NPP, Rh and NEP totals (all, {len(zones)} districts, {len(model.classes)} classes) over "
          f"{params}, n = {args.mc_n}: {t_mc:.1f} s ({t_mc / args.mc_n * 1000:.0f} ms per draw)")
    print(uncertainty.interval_table(result, "nep").round(3).to_string())


if __name__ == "__main__":
    main()
