"""Speed of carbontools.run and of a dashboard update on the demo region; prints its figures.

    .venv/bin/python benchmarks/bench_run.py [--scene 1000] [--sizes 200 400 800] [--skip-dashboard]

First (issue 14, benchmark 1): run() on an in-memory float32 scene of --scene x --scene pixels x 12
months (all default outputs, in memory), against the time numpy takes to copy the same input and output
bytes once (np.copyto into preallocated arrays), with the plain xarray path's figure beside it and the
compiled kernel's first-call cost (compiling, or loading numba's on-disk cache); the load average
before and after, and the CPU seconds of each timed call.

Times are best-of-N wall-clock seconds on this machine (noisy when shared); the throughput column
is pixel-months per second.
"""

import argparse
import os
import time

import dask
import numpy as np

import carbontools as ct
from carbontools import demo


def best_of(fn, repeat=3, cpu=False):
    """Best wall-clock seconds of ``repeat`` calls; with ``cpu``, also the CPU seconds (all threads) of that call."""
    times = []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t, time.process_time() - c))
    best = min(times)
    return best if cpu else best[0]


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def copy_time(arrays, repeat=3) -> float:
    """Seconds numpy takes to copy these arrays once each into preallocated ones (best of ``repeat``)."""
    targets = [np.empty_like(a) for a in arrays]
    for t, a in zip(targets, arrays):  # touch the pages first, so that the copy is timed, not the page faults
        np.copyto(t, a)
    return best_of(lambda: [np.copyto(t, a) for t, a in zip(targets, arrays)], repeat)


def bench_scene(n: int):
    t = time.perf_counter()
    first = ct.pipeline.warm_up_kernel()
    print(f"compiled kernel, first call (compile or load numba's cache, float32 and float64): {first:.2f} s "
          f"({time.perf_counter() - t:.2f} s with the import)")
    drivers = demo.delta_city(size=n, years=(2021,))
    result = ct.run(drivers)
    assert result.attrs["engine"] == "numba"
    inputs = [v.values for v in drivers.data_vars.values()]
    outputs = [v.values for v in result.data_vars.values()]
    nbytes = sum(a.nbytes for a in inputs + outputs)
    print(f"before timing: {load()}")
    t_copy = copy_time(inputs + outputs)
    t_fused = best_of(lambda: ct.run(drivers), cpu=True)
    t_fused_nocheck = best_of(lambda: ct.run(drivers, check=False), cpu=True)
    prep = ct.pipeline.prepare(drivers)
    t_kernel = best_of(lambda: ct.pipeline.fused_assemble(prep), cpu=True)
    t_plain = best_of(lambda: ct.run(drivers, engine="xarray"), repeat=1, cpu=True)
    pm = 12 * n * n
    print(f"run() on {n} x {n} x 12 float32 in memory ({pm / 1e6:.0f} M pixel-months, all {len(outputs)} default "
          f"outputs; {nbytes / 1e9:.2f} GB of inputs and outputs):")
    print(f"  {'':34} {'s':>7} {'M px-months/s':>14} {'/ copy':>7} {'CPU s':>7}")
    print(f"  {'numpy copy of the same bytes':34} {t_copy:>7.3f} {pm / t_copy / 1e6:>14.1f} {1.0:>7.1f}")
    for label, (sec, cpu) in (("run(), engine='numba' (auto)", t_fused), ("  the same, check=False", t_fused_nocheck),
                              ("  fused stages after prepare()", t_kernel), ("run(), engine='xarray' (plain)", t_plain)):
        print(f"  {label:34} {sec:>7.3f} {pm / sec / 1e6:>14.1f} {sec / t_copy:>7.1f} {cpu:>7.2f}")
    print(f"  ratio run(numba) / copy: {t_fused[0] / t_copy:.1f} (issue 14 aims at 3 or better); "
          f"plain / numba: {t_plain[0] / t_fused[0]:.1f}; after timing: {load()}")
    print("  (CPU s: process CPU time of the timed call, all threads; on a shared machine wall times grow with the load,"
          " CPU seconds much less)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scene", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[200, 400, 800])
    parser.add_argument("--skip-dashboard", action="store_true")
    args = parser.parse_args()
    bench_scene(args.scene)
    print(f"{'size':>6} {'pixel-months':>13} {'demo s':>8} {'run numpy s':>12} {'run dask s':>11} {'M px-months/s':>14}")
    for n in args.sizes:
        t_demo = best_of(lambda: demo.delta_city(size=n), repeat=1)
        eager = demo.delta_city(size=n)
        lazy = eager.chunk({"y": max(n // 4, 1)})
        t_np = best_of(lambda: ct.run(eager).compute())
        with dask.config.set(scheduler="threads"):
            t_dask = best_of(lambda: ct.run(lazy).compute())
        pm = eager.sizes["time"] * n * n
        print(f"{n:>6} {pm:>13,} {t_demo:>8.2f} {t_np:>12.2f} {t_dask:>11.2f} {pm / min(t_np, t_dask) / 1e6:>14.2f}")

    if args.skip_dashboard:
        return
    from carbontools.apps.dashboard import Dashboard

    dash = Dashboard(demo.delta_city())
    values = iter([0.8, 1.2] * 10)
    t_eps = best_of(lambda: (setattr(dash, "eps_scale", next(values)), dash.summary(), dash.maps()), repeat=5)
    dash.rh_model = "q10"
    q = iter([1.5, 2.5] * 10)
    t_q10 = best_of(lambda: (setattr(dash, "q10", next(q)), dash.summary(), dash.maps()), repeat=5)
    t_tables = best_of(lambda: (setattr(dash, "q10", next(q)), dash.tables()), repeat=5)
    print(f"dashboard update on the 400x400 demo (summary + three maps, server side): "
          f"eps_max slider {t_eps:.2f} s, Q10 slider {t_q10:.2f} s; with the tables tab open {t_tables:.2f} s")


if __name__ == "__main__":
    main()
