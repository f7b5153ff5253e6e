"""The variable registry: every driver and output of carbontools, read from ``variables.toml``.

Each entry has ``dims``, canonical ``units``, ``long_name``, the CF ``standard_name`` where one
exists, a short ``description`` for messages, a plausible ``range`` and, for fluxes, a
``sign_convention``.  The unit table (:data:`carbontools.units.CANONICAL`), the lists of monthly
and static drivers, the attributes of :func:`carbontools.run`'s outputs and its input-contract
table are all generated from here, so a variable is described once.
"""

from __future__ import annotations

import dataclasses
import tomllib
from importlib import resources

__all__ = ["Variable", "DRIVERS", "OUTPUTS", "MONTHLY", "STATIC", "output_attrs", "contract_table"]


@dataclasses.dataclass(frozen=True)
class Variable:
    name: str
    kind: str  # "driver" or "output"
    dims: tuple[str, ...]
    units: str | None = None
    long_name: str = ""
    standard_name: str | None = None
    description: str = ""
    range: tuple[float, float] | None = None
    sign_convention: str | None = None
    carbon_basis: str | None = None
    cell_methods: str | None = None

    @property
    def monthly(self) -> bool:
        return "time" in self.dims

    def attrs(self) -> dict:
        """The CF attributes of this variable as an output: units, long_name, standard_name, sign."""
        out = {"long_name": self.long_name}
        if self.units is not None:
            out["units"] = self.units
        if self.standard_name:
            out["standard_name"] = self.standard_name
        if self.sign_convention:
            out["sign_convention"] = self.sign_convention
        if self.carbon_basis:
            out["carbon_basis"] = self.carbon_basis
        if self.cell_methods:
            out["cell_methods"] = self.cell_methods
        return out


def _load() -> tuple[dict[str, Variable], dict[str, Variable]]:
    with resources.files("carbontools").joinpath("variables.toml").open("rb") as f:
        raw = tomllib.load(f)
    tables = {}
    for kind in ("driver", "output"):
        entries = {}
        for name, spec in raw[kind].items():
            spec = dict(spec)
            spec["dims"] = tuple(spec["dims"])
            if "range" in spec:
                spec["range"] = tuple(float(v) for v in spec["range"])
            entries[name] = Variable(name=name, kind=kind, **spec)
        tables[kind] = entries
    return tables["driver"], tables["output"]


#: drivers by name, in the order of the registry file
DRIVERS, OUTPUTS = _load()
#: drivers on (time, y, x)
MONTHLY = tuple(n for n, v in DRIVERS.items() if v.monthly)
#: drivers on (y, x)
STATIC = tuple(n for n, v in DRIVERS.items() if not v.monthly)


def output_attrs(name: str) -> dict:
    """The attributes of output ``name`` (see :meth:`Variable.attrs`)."""
    return OUTPUTS[name].attrs()


def contract_table(needed_by: dict[str, str] | None = None) -> str:
    """The drivers as a reStructuredText table: name, dims, meaning, canonical unit, and who needs each."""
    needed_by = needed_by or {}
    rows = [("variable", "dims", "meaning", "unit", "needed by")]
    rows += [(name, ", ".join(v.dims), v.description, v.units or "codes", needed_by.get(name, ""))
             for name, v in DRIVERS.items()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    rule = "  ".join("=" * w for w in widths)
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join([rule, body[0], rule, *body[1:], rule])
