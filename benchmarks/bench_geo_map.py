"""Issue 15: what a map on real geography (plots.geo_map) costs to build and render to Bokeh.

    .venv/bin/python benchmarks/bench_geo_map.py [--repeats 3]

Cases (seconds: median of --repeats, building the HoloViews overlay and rendering it with hv.render):
- a 1000 x 900 UTM scene (250 m) drawn in its own CRS with six district borders;
- China on a 0.25 degree grid (144 x 256) and on a 0.05 degree grid (720 x 1280, MCD12C1's), drawn in a Lambert
  conformal conic with the four real regions' borders (about 263,000 vertices);
each with geo_map as it is (the map reduced to frame_width columns of block means before geoviews projects it,
borders simplified to half a pixel) and with those two steps switched off, to show what they save.  Also the
bytes of the Bokeh document (what a served app sends), and the border vertices drawn.
"""

import argparse
import json
import statistics
import time
from contextlib import contextmanager

import numpy as np
import xarray as xr


def _scene_utm(ny=900, nx=1000) -> xr.DataArray:
    x = 300_000.0 + 250.0 * (np.arange(nx) + 0.5)
    y = 2_500_000.0 - 250.0 * (np.arange(ny) + 0.5)
    values = np.random.default_rng(0).normal(300.0, 100.0, (ny, nx))
    return xr.DataArray(values, dims=("y", "x"), coords={"y": y, "x": x}, name="nep",
                        attrs={"units": "g C m-2 yr-1"}).rio.write_crs("EPSG:32649")


def _scene_china(step: float) -> xr.DataArray:
    x = np.arange(72.0 + step / 2, 136.0, step)
    y = np.arange(54.0 - step / 2, 18.0, -step)
    values = np.random.default_rng(0).normal(100.0, 50.0, (y.size, x.size))
    return xr.DataArray(values, dims=("y", "x"), coords={"y": y, "x": x}, name="nep",
                        attrs={"units": "g C m-2 yr-1"}).rio.write_crs("EPSG:4326")


@contextmanager
def _plain(plots):
    """geo_map without its block means and without border simplification (the 'before' of both steps)."""
    screen_map, border_lines = plots.screen_map, plots.border_lines
    plots.screen_map = lambda da, width: da
    plots.border_lines = lambda borders, crs, tolerance=0.0: border_lines(borders, crs, 0.0)
    try:
        yield
    finally:
        plots.screen_map, plots.border_lines = screen_map, border_lines


def _measure(plots, da, borders, repeats: int) -> dict:
    import holoviews as hv
    from bokeh.embed import json_item

    times, fig = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        fig = hv.render(plots.geo_map(da, borders, "map", "RdYlGn", symmetric=True, frame_width=300), backend="bokeh")
        times.append(time.perf_counter() - t0)
    lines = [r for r in fig.renderers if type(r.glyph).__name__ == "MultiLine"]
    vertices = sum(int(np.isfinite(np.asarray(xs, float)).sum()) for r in lines for xs in r.data_source.data["xs"])
    image = [r for r in fig.renderers if type(r.glyph).__name__ == "Image"][0]
    shape = np.asarray(image.data_source.data["image"][0]).shape
    size = len(json.dumps(json_item(fig)))
    return {"seconds": statistics.median(times), "image": shape, "vertices": vertices, "document_MB": size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import holoviews as hv

    from carbontools import demo, plots

    hv.extension("bokeh")
    t0 = time.perf_counter()
    regions = demo.china_regions()
    print(f"china_regions(): {time.perf_counter() - t0:.1f} s (read once; not part of the map)")
    districts = demo.districts(size=1000)
    cases = [("UTM scene 1000 x 900, own CRS, 6 districts", _scene_utm(), districts),
             ("China 0.25 deg (144 x 256), Lambert conformal, 4 regions", _scene_china(0.25), regions),
             ("China 0.05 deg (720 x 1280), Lambert conformal, 4 regions", _scene_china(0.05), regions)]
    print(f"{'case':62s} {'variant':34s} {'s':>7s} {'image':>11s} {'vertices':>9s} {'doc MB':>7s}")
    for label, da, borders in cases:
        for variant in ("geo_map", "no block means, no simplification"):
            if variant == "geo_map":
                r = _measure(plots, da, borders, args.repeats)
            else:
                with _plain(plots):
                    r = _measure(plots, da, borders, args.repeats)
            print(f"{label:62s} {variant:34s} {r['seconds']:7.2f} {str(r['image']):>11s} {r['vertices']:9d} "
                  f"{r['document_MB']:7.2f}", flush=True)


if __name__ == "__main__":
    main()
