"""Time of the scenario functions on the demo region; prints its figures.

    .venv/bin/python benchmarks/bench_scenarios.py [--size 400] [--district "Old Town"] [--share 0.2]

- ``district_green_change`` (the dashboard's fast path): the first call (baseline and scenario of the district's
  bounding box) and a call that reuses the baseline (a slider moving the share);
- ``add_green`` on the whole scene, and ``compare_scenario`` of it against a baseline already run (one run of the
  whole scene plus the tables), and ``carbontools.run`` of the whole scene for scale.

Wall-clock seconds, the best of ``--repeat`` runs (noisy when the machine is shared).
"""

import argparse
import time

import carbontools as ct
from carbontools import demo, scenarios

FOREST = 2  # CLCD


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--district", default="Old Town")
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    drivers, zones = demo.delta_city(size=args.size), demo.districts(size=args.size)
    t_run, baseline = best(lambda: ct.run(drivers), args.repeat)
    t_first, first = best(lambda: scenarios.district_green_change(drivers, zones, args.district, args.share, FOREST),
                          args.repeat)
    t_again, _ = best(lambda: scenarios.district_green_change(drivers, zones, args.district, args.share + 0.1, FOREST,
                                                              baseline=first["baseline"]), args.repeat)
    t_add, greener = best(lambda: scenarios.add_green(drivers, args.share, FOREST, region=args.district, zones=zones),
                          args.repeat)
    t_cmp, _ = best(lambda: scenarios.compare_scenario(drivers, greener, zones, baseline_result=baseline), args.repeat)
    print(f"demo {args.size}x{args.size} ({drivers.sizes['time']} months); district {args.district!r}: "
          f"{first['pixels']} pixels, {first['built_pixels']} built-up; share {args.share}")
    print(f"carbontools.run, whole scene:                      {t_run:6.2f} s")
    print(f"district_green_change, first call:                 {t_first:6.2f} s")
    print(f"district_green_change, baseline reused:            {t_again:6.2f} s")
    print(f"add_green, whole scene:                            {t_add:6.2f} s")
    print(f"compare_scenario (baseline result given):          {t_cmp:6.2f} s")
    print(f"NEP change {first['nep_change_tC_yr']:+.1f} t C/yr, storage change {first['storage_change_MgC']:+.1f} Mg C")


if __name__ == "__main__":
    main()
