"""The carbontools dashboard as a Panel script: `panel serve notebooks/dashboard.py` (also used by Binder)."""

from carbontools.apps.dashboard import build_dashboard

build_dashboard().servable()
