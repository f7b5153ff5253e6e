"""Print the mutation score of the last `mutmut run` (run by `make mutation`; not a test module).

score = killed / (killed + survived): mutants no test covers ("no tests"), and those the equivalence
list in tests/MUTATION.md names, are reported on their own lines.
"""

import collections
import re
import subprocess
import sys
from pathlib import Path

listed = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True, text=True)
status = dict(re.findall(r"^\s*(\S+): (.+)$", listed.stdout, re.MULTILINE))
counts = collections.Counter(status.values())
equivalent = set(re.findall(r"^- `([\w.]+__mutmut_\d+)`", (Path(__file__).parent / "MUTATION.md").read_text(), re.MULTILINE))
survived = {name for name, s in status.items() if s == "survived"}
killed = counts["killed"]
print(", ".join(f"{n} {s}" for s, n in counts.most_common()))
print(f"survived and listed as equivalent in tests/MUTATION.md: {len(survived & equivalent)}")
print(f"survived and not listed: {len(survived - equivalent)}")
for name in sorted(survived - equivalent):
    print("   ", name)
if killed + len(survived):
    print(f"mutation score: {killed / (killed + len(survived)):.1%} of {killed + len(survived)} covered mutants killed; "
          f"{killed / (killed + len(survived - equivalent)):.1%} without the equivalent ones")
