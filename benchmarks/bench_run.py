"""Speed of carbontools.run and of a dashboard update on the demo region; prints its figures.

    .venv/bin/python benchmarks/bench_run.py [--sizes 200 400 800]

Times are best-of-N wall-clock seconds on this machine (noisy when shared); the throughput column
is pixel-months per second.
"""

import argparse
import time

import dask

import carbontools as ct
from carbontools import demo


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 400, 800])
    args = parser.parse_args()
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
