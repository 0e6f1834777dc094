#!/usr/bin/env python3
"""Mark exercise cells of an instructor notebook with nbgrader metadata, from short specs.

    python3 scripts/grading/mark.py NOTEBOOK.ipynb [--cell INDEX=SPEC ...] [--check]

SPEC (also accepted as a Jupyter cell tag, so authors can tag cells in JupyterLab and run this
script without arguments):
    solution[:id=GRADE_ID]            the student writes code here (BEGIN/END SOLUTION inside)
    tests:points=N:id=GRADE_ID        locked, graded test cell (optional BEGIN/END HIDDEN TESTS)
    readonly:id=GRADE_ID              locked, not graded (setup code students must not change)
    answer:points=N:id=GRADE_ID       markdown answer graded by hand (solution + graded)
    plain                             remove the marks from the cell
A solution without an id gets `<next tests id>-solution`. INDEX counts all cells from 0.
The notebook is rewritten in place (outputs kept), then checked; problems exit with status 1.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbgrading  # noqa: E402

KINDS = ("solution", "tests", "readonly", "answer", "plain")


class SpecError(ValueError):
    pass


def parse_spec(spec: str) -> Dict[str, str]:
    parts = spec.strip().split(":")
    kind = parts[0]
    if kind not in KINDS:
        raise SpecError(f"unknown kind {kind!r} in {spec!r} (expected one of {', '.join(KINDS)})")
    fields = {"kind": kind}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if not sep or key not in ("id", "points"):
            raise SpecError(f"bad field {part!r} in {spec!r} (expected id=... or points=...)")
        fields[key] = value
    if kind in ("tests", "answer") and ("points" not in fields or "id" not in fields):
        raise SpecError(f"{spec!r}: {kind} cells need points=N and id=GRADE_ID")
    if kind == "readonly" and "id" not in fields:
        raise SpecError(f"{spec!r}: readonly cells need id=GRADE_ID")
    if "points" in fields:
        try:
            points = float(fields["points"])
        except ValueError:
            raise SpecError(f"{spec!r}: points must be a number") from None
        if points < 0:
            raise SpecError(f"{spec!r}: points must be >= 0")
    return fields


def spec_of(cell) -> Optional[str]:
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag.split(":")[0] in KINDS:
            return tag
    return None


def set_tag(cell, spec: str) -> None:
    tags = [t for t in cell.metadata.get("tags", []) if t.split(":")[0] not in KINDS]
    if not spec.startswith("plain"):
        tags.append(spec)
    if tags:
        cell.metadata["tags"] = tags
    else:
        cell.metadata.pop("tags", None)


def apply(nb, overrides: Dict[int, str]) -> List[str]:
    """Write nbgrader metadata from tags/overrides; returns a line per marked cell."""
    for index, spec in overrides.items():
        if not 0 <= index < len(nb.cells):
            raise SpecError(f"--cell {index}: the notebook has {len(nb.cells)} cells (0-based)")
        parse_spec(spec)
        set_tag(nb.cells[index], spec)
        if spec.startswith("plain"):
            nb.cells[index].metadata.pop("nbgrader", None)
            for key in ("deletable", "editable"):
                nb.cells[index].metadata.pop(key, None)
    specs = [(i, parse_spec(spec_of(c))) if spec_of(c) else (i, None) for i, c in enumerate(nb.cells)]
    lines = []
    for position, (index, fields) in enumerate(specs):
        cell = nb.cells[index]
        if fields is None:
            continue
        kind = fields["kind"]
        if kind == "plain":  # a `plain` tag typed in JupyterLab: unmark, drop the tag
            for key in ("nbgrader", "deletable", "editable"):
                cell.metadata.pop(key, None)
            set_tag(cell, "plain")
            continue
        gid = fields.get("id")
        if kind == "solution" and not gid:
            following = [f for _, f in specs[position + 1:] if f and f["kind"] == "tests"]
            if not following:
                raise SpecError(f"cell {index}: solution without id and no tests cell after it; add :id=...")
            gid = f"{following[0]['id']}-solution"
        points = float(fields["points"]) if "points" in fields else None
        if kind == "solution":
            data = nbgrading.make_metadata(grade=False, solution=True, locked=False, grade_id_value=gid)
        elif kind == "tests":
            data = nbgrading.make_metadata(grade=True, solution=False, locked=True, grade_id_value=gid, points=points)
        elif kind == "readonly":
            data = nbgrading.make_metadata(grade=False, solution=False, locked=True, grade_id_value=gid)
        else:
            data = nbgrading.make_metadata(grade=True, solution=True, locked=False, grade_id_value=gid, points=points)
        cell.metadata["nbgrader"] = data
        lines.append(f"  cell {index:>3}  {kind:<8} {gid}" + (f"  ({points:g} point{'' if points == 1 else 's'})" if points is not None else ""))
    if any(nbgrading.is_marked(c) for c in nb.cells):
        spec = nb.metadata.setdefault("kernelspec", {})
        spec.setdefault("name", "elbo-lab")
        spec.setdefault("display_name", "TypeScript (ELBO Lab)")
        spec.setdefault("language", nbgrading.LANGUAGE)
    return lines


def main(argv=None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description="Write nbgrader metadata from short cell specs.")
    parser.add_argument("notebook")
    parser.add_argument("--cell", action="append", default=[], metavar="INDEX=SPEC",
                        help="mark cell INDEX (0-based) with SPEC, e.g. 4=tests:points=2:id=kl-closed-form")
    parser.add_argument("--check", action="store_true", help="only check the marks; change nothing")
    args = parser.parse_args(argv)
    path = Path(args.notebook)
    nb = nbformat.read(str(path), as_version=4)
    if not args.check:
        overrides = {}
        for item in args.cell:
            index, sep, spec = item.partition("=")
            if not sep or not index.strip().isdigit():
                print(f"mark: --cell expects INDEX=SPEC, got {item!r}", file=sys.stderr)
                return 2
            overrides[int(index)] = spec
        try:
            lines = apply(nb, overrides)
        except (SpecError, nbgrading.FormatError) as error:
            print(f"mark: {path}: {error}", file=sys.stderr)
            return 1
    problems = nbgrading.validate(nb, source=True)
    if problems:
        for problem in problems:
            print(f"mark: {path}: {problem}", file=sys.stderr)
        return 1
    if not args.check:
        nbformat.validate(nb)
        nbformat.write(nb, str(path))
        print(f"mark: {path}: {len(lines)} marked cell(s)")
        for line in lines:
            print(line)
    else:
        graded = nbgrading.exercises(nb)
        print(f"mark: {path}: marks are consistent; {len(graded)} graded cell(s), "
              f"{sum(e['points'] for e in graded):g} point(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
