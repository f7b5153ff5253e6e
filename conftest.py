"""Test processes import carbontools from this checkout.

The notebook kernels that nbval starts run in notebooks/, where `import carbontools` would find whichever
checkout is installed in the environment (an editable install can point at another worktree).  Putting this
checkout first on PYTHONPATH, which the kernels inherit, makes them run the code under test.
"""

import os
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent)
if os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] != ROOT:
    os.environ["PYTHONPATH"] = os.pathsep.join([ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])
