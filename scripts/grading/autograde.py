#!/usr/bin/env python3
"""Grade student submissions: `npm run autograde -- <submission.ipynb>...` (README.md here).

For each submission: find its instructor notebook (same file name under notebooks/, else the
one sharing its grade_ids, else --against), restore every locked cell from the instructor's
assignment version (which puts the hidden tests back and undoes student edits, as nbgrader's
OverwriteCells does), run it cell by cell in the project's tslab kernel continuing past
errors, and score each graded test cell: full points if it ran without error, else 0.
Prints a table per submission and writes build/grades/<name>.json and the executed notebook
build/grades/<name>.autograded.ipynb.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import nbgrading  # noqa: E402

NBGRADER_STDERR_NOTE = ("wrote to stderr: nbgrader would score this cell 0 unless "
                        "IgnorePattern.pattern (nbgrader_config.py) matches the text")


# ----------------------------------------------------------------------------------------------
# Execution. The one place that talks to the kernel: reuses the lead's scripts/nbrun.py, which
# handles tslab's quirks (blank errors, unawaited rejections). Swap here if that API changes.
def execute(nb, run_dir: Path, name: str, cell_timeout: int) -> Tuple[Dict[int, Tuple[bool, str]], str]:
    """Run `nb` in the tslab kernel with cwd `run_dir`; {cell index: (ok, message)}, setup error."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import nbrun  # the lead's runner

    def after_cell(outcome) -> None:
        # tslab cancels requests that arrive within 200 ms of a failed cell ("abort" replies,
        # which nbclient does not report); waiting makes the next cell really run.
        if not outcome.ok:
            time.sleep(0.3)

    result = nbrun.execute_notebook(run_dir / name, nb=nb, cell_timeout=cell_timeout,
                                    continue_on_error=True, on_cell=after_cell)
    return {c.index: (c.ok, c.error) for c in result.cells}, result.setup_error
# ----------------------------------------------------------------------------------------------


def read(path: Path):
    import nbformat

    return nbformat.read(str(path), as_version=4)


def find_source(submission, path: Path, source_dir: Path, against: Optional[Path]) -> Path:
    if against:
        return against
    same_name = source_dir / path.name
    if same_name.exists():
        return same_name
    wanted = {nbgrading.grade_id(c) for c in submission.cells if nbgrading.grade_id(c)}
    best, best_overlap = None, 0
    for candidate in sorted(source_dir.glob("*.ipynb")):
        ids = {nbgrading.grade_id(c) for c in read(candidate).cells if nbgrading.is_marked(c)}
        overlap = len(wanted & ids)
        if overlap > best_overlap:
            best, best_overlap = candidate, overlap
    if best is None:
        raise LookupError(f"no instructor notebook named {path.name} in {source_dir}, and none shares "
                          "its grade_ids; pass --against <instructor notebook>")
    return best


def sanitize(submission, assignment, released) -> Tuple[object, List[dict]]:
    """The submission with nbgrader's autograde sanitising applied; findings to report."""
    findings: List[dict] = []
    by_id = {nbgrading.grade_id(c): c for c in assignment.cells if nbgrading.is_marked(c)}
    released_by_id = {nbgrading.grade_id(c): c for c in released.cells if nbgrading.is_marked(c)}
    nb = copy.deepcopy(submission)
    nb.metadata["kernelspec"] = copy.deepcopy(assignment.metadata.get("kernelspec", {}))
    seen = set()
    for cell in nb.cells:
        nbgrading.clear_outputs(cell)
        gid = nbgrading.grade_id(cell) if "nbgrader" in cell.metadata else None
        if gid is None:
            continue
        if gid not in by_id or gid in seen:
            why = "copied cell (duplicate grade_id)" if gid in seen else "grade_id unknown to the instructor notebook"
            findings.append({"kind": "metadata", "grade_id": gid, "message": f"{why}: treated as an ordinary cell"})
            del cell.metadata["nbgrader"]
            continue
        seen.add(gid)
        original = by_id[gid]
        if cell.cell_type != original.cell_type:
            findings.append({"kind": "cell_type", "grade_id": gid,
                             "message": f"cell type changed from {original.cell_type} to {cell.cell_type}: restored"})
            cell.cell_type = original.cell_type
            if cell.cell_type == "code":
                cell["outputs"], cell["execution_count"] = [], None
            else:
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
        for key in ("grade", "solution", "locked", "points", "task"):
            if cell.metadata.nbgrader.get(key) != original.metadata.nbgrader.get(key):
                findings.append({"kind": "metadata", "grade_id": gid,
                                 "message": f"nbgrader.{key} changed to {cell.metadata.nbgrader.get(key)!r}: restored"})
        cell.metadata["nbgrader"] = copy.deepcopy(original.metadata.nbgrader)
        if nbgrading.is_locked(original):
            # Judge the edit against what the student was given (hidden tests absent there).
            given = released_by_id[gid]
            probe = copy.deepcopy(cell)
            probe.metadata["nbgrader"] = copy.deepcopy(given.metadata.nbgrader)
            edited = nbgrading.compute_checksum(probe) != given.metadata.nbgrader["checksum"]
            if edited and cell.source != original.source:  # the instructor copy is not an edit
                findings.append({"kind": "locked_edited", "grade_id": gid,
                                 "message": "locked cell edited by the student: the original was used for grading"})
            cell.source = original.source
            for key in ("deletable", "editable"):
                if key in original.metadata:
                    cell.metadata[key] = original.metadata[key]
    # Locked and graded cells the student deleted come back, after their predecessor.
    position = 0
    present = {nbgrading.grade_id(c): i for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata}
    for original in assignment.cells:
        gid = nbgrading.grade_id(original) if nbgrading.is_marked(original) else None
        if gid is None:
            continue
        if gid in present:
            position = present[gid] + 1
            continue
        if nbgrading.is_locked(original) or nbgrading.is_grade(original):
            nb.cells.insert(position, copy.deepcopy(original))
            findings.append({"kind": "locked_deleted", "grade_id": gid,
                             "message": "locked cell deleted by the student: restored for grading"})
            present = {nbgrading.grade_id(c): i for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata}
            position = present[gid] + 1
        else:
            findings.append({"kind": "solution_missing", "grade_id": gid,
                             "message": "solution cell missing from the submission"})
    return nb, findings


def score(nb, results: Dict[int, Tuple[bool, str]], setup_error: str) -> Tuple[List[dict], List[dict]]:
    exercises, solution_errors = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" and not nbgrading.is_grade(cell):
            continue
        gid = nbgrading.grade_id(cell) if nbgrading.is_marked(cell) else None
        ran = results.get(index)
        if nbgrading.is_solution(cell) and ran and not ran[0] and not nbgrading.is_grade(cell):
            solution_errors.append({"grade_id": gid, "cell": index, "message": ran[1]})
        if not nbgrading.is_grade(cell):
            continue
        maximum = float(cell.metadata.nbgrader["points"])
        row = {"grade_id": gid, "cell": index, "max_points": maximum, "points": 0.0, "status": "failed",
               "message": "", "warnings": []}
        if nbgrading.is_solution(cell) or cell.cell_type != "code":
            row.update(points=None, status="manual", message="graded by hand (answer cell)")
        elif ran is None:
            row["message"] = f"not run: {setup_error or 'execution stopped before this cell'}"
        elif ran[0]:
            row.update(points=maximum, status="passed")
            if nbrun_stream(cell, "stderr").strip():
                row["warnings"].append(NBGRADER_STDERR_NOTE)
        else:
            row["message"] = ran[1]
        exercises.append(row)
    return exercises, solution_errors


def nbrun_stream(cell, name: str) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == name)


def grade_one(path: Path, args, used_names: set) -> dict:
    import nbformat

    submission = read(path)
    source_path = find_source(submission, path, Path(args.source), Path(args.against) if args.against else None)
    instructor = read(source_path)
    assignment = nbgrading.assignment_version(instructor)
    released = nbgrading.student_version(instructor)
    nb, findings = sanitize(submission, assignment, released)
    started = time.time()
    results, setup_error = execute(nb, source_path.resolve().parent, path.name, args.cell_timeout)
    exercises, solution_errors = score(nb, results, setup_error)
    name = path.stem if path.stem not in used_names else f"{path.resolve().parent.name}-{path.stem}"
    used_names.add(name)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    executed_path = out / f"{name}.autograded.ipynb"
    nbformat.write(nb, str(executed_path))
    auto = [e for e in exercises if e["points"] is not None]
    report = {
        "submission": str(path),
        "source": str(source_path),
        "score": sum(e["points"] for e in auto),
        "max_score": sum(e["max_points"] for e in auto),
        "manual_max_score": sum(e["max_points"] for e in exercises if e["points"] is None),
        "exercises": exercises,
        "solution_errors": solution_errors,
        "locked_cells_edited": [f["grade_id"] for f in findings if f["kind"] == "locked_edited"],
        "findings": findings,
        "setup_error": setup_error,
        "seconds": round(time.time() - started, 2),
        "executed_notebook": str(executed_path),
    }
    json_path = out / f"{name}.json"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    report["report"] = str(json_path)
    return report


def print_report(report: dict) -> None:
    print(f"\n{report['submission']}  (graded against {report['source']})")
    width = max([len("exercise")] + [len(e["grade_id"]) for e in report["exercises"]])
    print(f"  {'exercise'.ljust(width)}  {'points':>11}  result")
    for e in report["exercises"]:
        got = "—" if e["points"] is None else f"{e['points']:g}"
        mark = {"passed": "passed", "failed": "FAILED", "manual": "manual"}[e["status"]]
        first = e["message"].splitlines()[0] if e["message"] else ""
        print(f"  {e['grade_id'].ljust(width)}  {got:>5} / {e['max_points']:<3g}  {mark}" + (f": {first}" if first else ""))
        for warning in e["warnings"]:
            print(f"  {''.ljust(width)}  {'':>11}  note: {warning}")
    print(f"  {'total'.ljust(width)}  {report['score']:>5g} / {report['max_score']:<3g}"
          + (f"  (+ {report['manual_max_score']:g} graded by hand)" if report["manual_max_score"] else ""))
    for error in report["solution_errors"]:
        first = error["message"].splitlines()[0] if error["message"] else ""
        print(f"  ! solution cell '{error['grade_id']}' failed: {first}")
    for finding in report["findings"]:
        print(f"  ! {finding['grade_id']}: {finding['message']}")
    if report["setup_error"]:
        print(f"  ! the kernel could not run the notebook: {report['setup_error']}")
    print(f"  report: {report['report']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Autograde ELBO Lab submissions in the tslab kernel.")
    parser.add_argument("submissions", nargs="+", help="submitted notebooks (.ipynb)")
    parser.add_argument("--source", default=str(ROOT / "notebooks"), help="instructor notebooks (default notebooks/)")
    parser.add_argument("--against", help="grade every submission against this instructor notebook")
    parser.add_argument("--out", default=str(ROOT / "build" / "grades"), help="reports folder (default build/grades/)")
    parser.add_argument("--cell-timeout", type=int, default=300, help="seconds one cell may run (default 300)")
    args = parser.parse_args(argv)
    failures = 0
    used: set = set()
    summary = []
    for name in args.submissions:
        path = Path(name)
        try:
            report = grade_one(path, args, used)
        except Exception as error:  # one unreadable submission must not stop the others
            failures += 1
            print(f"\n{path}: NOT GRADED: {type(error).__name__}: {error}", file=sys.stderr)
            continue
        print_report(report)
        summary.append((path.name, report["score"], report["max_score"]))
        if report["setup_error"]:
            failures += 1
    if len(summary) > 1:
        print("\nsummary")
        for name, got, maximum in summary:
            print(f"  {name}: {got:g} / {maximum:g}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
