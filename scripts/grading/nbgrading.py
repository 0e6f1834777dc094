"""nbgrader's cell marks for ELBO Lab's notebooks: what authoring and the book need, nothing more.

Releasing and grading are the real nbgrader's job (`nbgrader generate_assignment`, `autograde`,
`generate_feedback`, with the repository's nbgrader_config.py). This module serves
  * mark.py (authoring): nbgrader's cell metadata (schema version 3) and checks of a notebook's
    marks before nbgrader ever sees it (delimiters balanced and in the right kind of cell, unique
    grade ids, points on graded cells);
  * the book (scripts/book/markdown.py): each cell as students get it (`student_source`).
The code stub and the delimiters are read from nbgrader_config.py, so there is one definition;
test/grading/nbgrader.test.ts checks `student_source` against what nbgrader itself releases for
every cell of notebooks 01-05.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional

CONFIG_FILE = Path(__file__).resolve().parents[2] / "nbgrader_config.py"
SCHEMA_VERSION = 3
LANGUAGE = "typescript"


def _nbgrader_config():
    """The settings of the repository's nbgrader_config.py (a traitlets Config)."""
    from traitlets.config import Config

    config = Config()
    exec(compile(CONFIG_FILE.read_text(encoding="utf-8"), str(CONFIG_FILE), "exec"),
         {"get_config": lambda: config, "__file__": str(CONFIG_FILE)})
    return config


_CONFIG = _nbgrader_config()
BEGIN_SOLUTION = _CONFIG.ClearSolutions.begin_solution_delimeter
END_SOLUTION = _CONFIG.ClearSolutions.end_solution_delimeter
BEGIN_HIDDEN_TESTS = _CONFIG.ClearHiddenTests.begin_test_delimeter
END_HIDDEN_TESTS = _CONFIG.ClearHiddenTests.end_test_delimeter
CODE_STUBS = dict(_CONFIG.ClearSolutions.code_stub)
CODE_STUB = CODE_STUBS[LANGUAGE]
TEXT_STUB = _CONFIG.ClearSolutions.text_stub if "text_stub" in _CONFIG.ClearSolutions else "YOUR ANSWER HERE"
GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]+$")
ALLOWED_KEYS = {"schema_version", "grade", "locked", "solution", "task", "grade_id", "points",
                "checksum", "cell_type"}


class FormatError(Exception):
    """A notebook whose nbgrader marks are inconsistent; the message names the cell."""


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_grade(cell) -> bool:
    return bool(meta(cell).get("grade", False))


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution", False))


def is_task(cell) -> bool:
    return bool(meta(cell).get("task", False))


def is_locked(cell) -> bool:
    """nbgrader's rule: solution cells never, grade cells always, others when marked."""
    if "nbgrader" not in cell.get("metadata", {}):
        return False
    if is_solution(cell):
        return False
    if is_grade(cell):
        return True
    return bool(meta(cell).get("locked", False))


def is_marked(cell) -> bool:
    return is_grade(cell) or is_solution(cell) or is_locked(cell) or is_task(cell)


def grade_id(cell) -> Optional[str]:
    return meta(cell).get("grade_id")


def make_metadata(*, grade: bool, solution: bool, locked: bool, grade_id_value: str,
                  points: Optional[float] = None, task: bool = False) -> dict:
    """nbgrader cell metadata, schema version 3, as nbgrader's assignment toolbar writes it."""
    data = {
        "grade": grade,
        "grade_id": grade_id_value,
        "locked": locked,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
        "task": task,
    }
    if grade:
        if points is None:
            raise FormatError(f"cell '{grade_id_value}': a graded cell needs points")
        data["points"] = int(points) if float(points).is_integer() else float(points)
    return data


def describe(index: int, cell) -> str:
    first = next((line.strip() for line in cell.get("source", "").splitlines() if line.strip()), "(empty)")
    return f"cell {index} «{first[:60]}»"


def validate(nb, *, source: bool = True) -> List[str]:
    """Problems with the nbgrader marks of a notebook, as messages naming the cell.

    `source` (instructor notebook): also requires balanced delimiters in the right kinds of cell.
    """
    problems: List[str] = []
    seen: Dict[str, int] = {}
    language = nb.get("metadata", {}).get("kernelspec", {}).get("language")
    has_marks = any(is_marked(c) for c in nb.cells)
    if has_marks and language not in CODE_STUBS:
        problems.append(f"notebook: metadata.kernelspec.language is {language!r}; nbgrader needs a "
                        f"code stub for it (expected {LANGUAGE!r})")
    for index, cell in enumerate(nb.cells):
        where = describe(index, cell)
        text = cell.get("source", "")
        if "nbgrader" in cell.get("metadata", {}):
            data = meta(cell)
            extra = set(data) - ALLOWED_KEYS
            if extra:
                problems.append(f"{where}: unknown nbgrader keys {sorted(extra)}")
            if data.get("schema_version") != SCHEMA_VERSION:
                problems.append(f"{where}: nbgrader schema_version must be {SCHEMA_VERSION}")
            for key in ("grade", "locked", "solution"):
                if not isinstance(data.get(key), bool):
                    problems.append(f"{where}: nbgrader.{key} must be true or false")
            if is_marked(cell):
                gid = data.get("grade_id")
                if not isinstance(gid, str) or not GRADE_ID.match(gid):
                    problems.append(f"{where}: grade_id must be letters, digits, '-' or '_', got {gid!r}")
                elif gid in seen:
                    problems.append(f"{where}: grade_id '{gid}' is also used by cell {seen[gid]}")
                else:
                    seen[gid] = index
            if is_grade(cell):
                points = data.get("points")
                if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
                    problems.append(f"{where}: a graded cell needs points >= 0, got {points!r}")
            elif "points" in data:
                problems.append(f"{where}: points are only allowed on graded cells")
            if cell.cell_type == "markdown" and not is_task(cell) and is_grade(cell) != is_solution(cell):
                problems.append(f"{where}: a markdown answer cell must be both graded and a solution")
            if is_task(cell) and cell.cell_type != "markdown":
                problems.append(f"{where}: task cells must be markdown")
        if source:
            problems += _delimiter_problems(where, cell, text)
    return problems


def _delimiter_problems(where: str, cell, text: str) -> List[str]:
    problems = []
    for begin, end, allowed, kind in (
        (BEGIN_SOLUTION, END_SOLUTION, is_solution(cell), "solution"),
        (BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, is_grade(cell), "hidden-test"),
    ):
        depth = 0
        found = False
        for line in text.split("\n"):
            if begin in line:
                found = True
                if depth:
                    problems.append(f"{where}: nested '{begin}'")
                depth = 1
            elif end in line:
                if not depth:
                    problems.append(f"{where}: '{end}' without '{begin}'")
                depth = 0
        if depth:
            problems.append(f"{where}: '{begin}' without '{end}'")
        if found and not allowed:
            problems.append(f"{where}: has a {kind} region but is not marked as a "
                            f"{'solution' if kind == 'solution' else 'tests (graded)'} cell")
    return problems


def _replace_solution_regions(source: str, stub: str) -> (str, bool):
    lines = source.split("\n")
    out: List[str] = []
    inside = False
    replaced = False
    for line in lines:
        if BEGIN_SOLUTION in line:
            if inside:
                raise FormatError("nested BEGIN SOLUTION")
            inside = True
            replaced = True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + stub_line for stub_line in stub.split("\n"))
        elif END_SOLUTION in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise FormatError("BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out), replaced


def _remove_hidden_tests(source: str) -> str:
    out: List[str] = []
    inside = False
    for line in source.split("\n"):
        if BEGIN_HIDDEN_TESTS in line:
            if inside:
                raise FormatError("nested BEGIN HIDDEN TESTS")
            inside = True
        elif END_HIDDEN_TESTS in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise FormatError("BEGIN HIDDEN TESTS without END HIDDEN TESTS")
    return "\n".join(out)


def student_source(cell, language: str = LANGUAGE) -> str:
    """One cell's source as students get it (the transformations of student_version, for one
    cell; used by the book, which shows executed notebooks without their solutions)."""
    stub = CODE_STUBS.get(language, CODE_STUB) if cell.get("cell_type") == "code" else TEXT_STUB
    source, replaced = _replace_solution_regions(cell.get("source", ""), stub)
    if not replaced and is_solution(cell):
        source = stub
    return _remove_hidden_tests(source)


def exercises(nb) -> List[dict]:
    """The graded cells of a notebook, in order: grade_id, points, index."""
    return [
        {"grade_id": grade_id(c), "points": float(meta(c)["points"]), "index": i}
        for i, c in enumerate(nb.cells) if is_grade(c)
    ]
