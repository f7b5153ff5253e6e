"""Command line: ``carbontools app`` serves the dashboard; ``carbontools run`` makes a batch run to NetCDF."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


class CliError(Exception):
    """A mistake in the command line's arguments: printed without a traceback, exit status 2."""


def _regions(args, drivers):
    """The --regions polygons, read and put on the drivers' grid once, before serving: a bad file fails here."""
    if args.regions is None:
        if args.name_column is not None:
            raise CliError("--name-column needs --regions FILE (the polygons whose names it holds)")
        return None
    from . import demo
    from .apps.dashboard import district_zones
    from .io import read_regions

    try:
        regions = read_regions(args.regions, name_column=args.name_column or "name")
        district_zones(regions, drivers if drivers is not None else demo.delta_city())
    except (OSError, ValueError) as err:
        fix = "; name the column with --name-column COL" if args.name_column is None and "no column" in str(err) else ""
        raise CliError(f"--regions {args.regions}: {err}{fix}") from err
    return regions


def dashboard_inputs(args):
    """The drivers (None: the demo region) and the regions (None: the demo's districts, or none) of ``app``."""
    drivers = None
    if args.drivers:
        import xarray as xr

        drivers = xr.open_dataset(args.drivers, decode_coords="all")
    return drivers, _regions(args, drivers)


def _serve(args) -> int:
    import panel as pn

    from .apps.dashboard import build_dashboard

    drivers, regions = dashboard_inputs(args)
    host = "localhost" if args.address in ("127.0.0.1", "localhost") else args.address
    url = f"http://{host}:{args.port}/dashboard"
    print(f"carbontools dashboard: {url}   (Ctrl-C stops it)", flush=True)
    pn.serve(
        {"dashboard": lambda: build_dashboard(drivers, regions=regions)},
        port=args.port,
        address=args.address,
        show=args.show,
        websocket_origin=[f"localhost:{args.port}", f"127.0.0.1:{args.port}", f"{args.address}:{args.port}"],
        title="carbontools",
        print_url=False,
    )
    return 0


def _run(args) -> int:
    import xarray as xr

    from . import demo, run

    if bool(args.demo) == bool(args.drivers):  # both or neither
        print("carbontools run: give either --demo or --drivers FILE", file=sys.stderr)
        return 2
    drivers = demo.delta_city(size=args.size) if args.demo else xr.open_dataset(args.drivers, decode_coords="all")
    overrides = dict(kv.split("=", 1) for kv in args.set)
    out_path = Path(args.out)
    if out_path.exists() and not args.overwrite:
        print(f"carbontools run: {out_path} exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    result = run(drivers, casa=args.casa, rh=args.rh, **{k: _parse_value(v) for k, v in overrides.items()})
    result.to_netcdf(out_path, engine="h5netcdf")
    print(f"wrote {out_path}: {', '.join(result.data_vars)}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="carbontools", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    app = sub.add_parser("app", help="serve the dashboard (default: the synthetic demo region) with Panel")
    app.add_argument("--port", type=int, default=5006)
    app.add_argument("--address", default="127.0.0.1", help="interface to listen on (default: localhost only)")
    app.add_argument("--show", action="store_true", help="open a browser tab")
    app.add_argument("--drivers", help="a NetCDF file of drivers instead of the demo region")
    app.add_argument("--regions", metavar="FILE",
                     help="district polygons (GeoJSON, Shapefile, GeoPackage) for the 'Land cover & districts' tab "
                          "(default: the demo's districts with the demo region, none with --drivers)")
    app.add_argument("--name-column", metavar="COL",
                     help="the column of --regions that names the districts (default: 'name')")
    app.set_defaults(func=_serve)

    batch = sub.add_parser("run", help="run CASA NPP, Rh and NEP and write a NetCDF file")
    batch.add_argument("--demo", action="store_true", help="use the synthetic demo region")
    batch.add_argument("--size", type=int, default=400, help="demo scene size in pixels")
    batch.add_argument("--drivers", help="a NetCDF file of drivers (see carbontools.run for the contract)")
    batch.add_argument("--casa", default="zhu2007", help="CASA preset (zhu2007, potter1993)")
    batch.add_argument("--rh", default="pei2009", help="Rh model (pei2009, q10, lloyd_taylor)")
    batch.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help='override a parameter, e.g. --set te2_c=1.1814 --set \'eps_max={"4": 0.7}\'')
    batch.add_argument("--out", required=True, help="output NetCDF path")
    batch.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    batch.set_defaults(func=_run)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as err:
        print(f"carbontools {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
