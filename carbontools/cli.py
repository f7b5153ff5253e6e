"""Command line: ``carbontools app`` serves the dashboard; ``carbontools run CONFIG.yaml`` makes a batch run from a
run config (``carbontools run --demo`` / ``--drivers FILE --out FILE``: one NetCDF in, one NetCDF out)."""

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


def _megabytes(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e5 else f"{n / 1e3:,.1f} kB"


def print_summary(summary: dict, out=None) -> None:
    """The files a batch run wrote (or kept), the totals over the mapped area, and the time it took."""
    out = out or sys.stdout
    files = summary["files"]
    width = max(len(f["path"]) for f in files)
    print(f"{summary['output']}:", file=out)
    for f in files:
        print(f"  {f['path']:<{width}}  {_megabytes(f['bytes']):>10}  {f['status']}", file=out)
    for name, by_year in summary.get("totals", {}).items():
        values = ", ".join(f"{year}: {total:,.1f}" for year, total in by_year.items())
        print(f"  {name} total ({summary['unit']}): {values}", file=out)
    low = {k: v for k, v in summary.get("valid_shares", {}).items() if v < 1}
    if low:
        print("  valid share of the mapped pixels: " + ", ".join(f"{k} {100 * v:.1f} %" for k, v in low.items()),
              file=out)
    print(f"  {summary['seconds']:.1f} s on the {summary['scheduler']} scheduler", file=out)


def _run_config(args) -> int:
    from .batch import OutputsExist, run_config
    from .io.config import ConfigError

    if args.demo or args.drivers or args.out or args.set or args.size is not None:
        raise CliError("a run config holds the drivers, the parameters and the output directory: give CONFIG alone "
                       "(with --resume, --overwrite, --scheduler, --quiet), or --demo / --drivers FILE --out FILE "
                       "without it")
    if args.casa is not None or args.rh is not None:
        raise CliError("with a run config, choose the CASA preset and the Rh model in it (keys casa: and rh:)")
    try:
        summary = run_config(args.config, resume=args.resume, overwrite=args.overwrite, scheduler=args.scheduler,
                             progress=not args.quiet)
    except (ConfigError, OutputsExist, FileNotFoundError, ValueError) as err:
        # ValueError: a config file that is not valid YAML / JSON, --resume with --overwrite, a bad --scheduler
        raise CliError(str(err)) from err
    print_summary(summary)
    if "resumed" in summary:
        print(f"  {summary['resumed']}")
    return 0


def _run(args) -> int:
    import xarray as xr

    from . import demo, run

    if args.config is not None:
        return _run_config(args)
    if args.resume or args.scheduler is not None:
        raise CliError("--resume and --scheduler work with a run config: carbontools run CONFIG.yaml --resume")
    if bool(args.demo) == bool(args.drivers):  # both or neither
        print("carbontools run: give a run config (carbontools run CONFIG.yaml), or either --demo or --drivers FILE",
              file=sys.stderr)
        return 2
    if args.out is None:
        raise CliError("--out FILE is needed with --demo or --drivers (the NetCDF file to write)")
    args.size = 400 if args.size is None else args.size
    args.casa = args.casa or "zhu2007"
    args.rh = args.rh or "pei2009"
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

    batch = sub.add_parser("run", help="run CASA NPP, Rh and NEP from a run config (or on one NetCDF file)",
                           description="carbontools run CONFIG.yaml writes results, Cloud-Optimized GeoTIFFs, CSV "
                                       "tables and a run record into the config's output directory (see "
                                       "carbontools.batch); --demo / --drivers FILE --out FILE write one NetCDF file.")
    batch.add_argument("config", nargs="?", help="a run config (YAML or JSON; keys: drivers, output, casa, rh, "
                                                  "parameters, regions, tables, maps, outputs, format, chunks, ...)")
    batch.add_argument("--resume", action="store_true",
                       help="finish an interrupted run: keep the outputs already finished, write the rest")
    batch.add_argument("--scheduler", metavar="NAME|ADDRESS",
                       help="threads (default), processes, local (a dask LocalCluster of 2 workers) or the address "
                            "of a dask.distributed scheduler, e.g. tcp://10.0.0.5:8786")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.add_argument("--demo", action="store_true", help="use the synthetic demo region")
    batch.add_argument("--size", type=int, default=None, help="demo scene size in pixels (default 400)")
    batch.add_argument("--drivers", help="a NetCDF file of drivers (see carbontools.run for the contract)")
    batch.add_argument("--casa", default=None, help="CASA preset (zhu2007, potter1993; default zhu2007)")
    batch.add_argument("--rh", default=None, help="Rh model (pei2009, q10, lloyd_taylor; default pei2009)")
    batch.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help='override a parameter, e.g. --set te2_c=1.1814 --set \'eps_max={"4": 0.7}\'')
    batch.add_argument("--out", help="output NetCDF path (with --demo or --drivers)")
    batch.add_argument("--overwrite", action="store_true",
                       help="replace the outputs that exist (the run config's, or --out)")
    batch.set_defaults(func=_run)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as err:
        print(f"carbontools {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
