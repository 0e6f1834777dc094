#!/usr/bin/env python3
"""Execute ELBO Lab notebooks headless with the project's kernel ("elbo-lab"), on nbclient.

The kernel reports failures as Jupyter expects (error outputs and replies with name, message and
traceback), so plain `jupyter nbconvert --execute` sees them too. This runner adds what a course
needs on top: a per-cell report (wall time, first line, the message), executed copies that are
signed and carry PNG copies of their charts, static HTML copies, and a check for late errors
(a promise rejected without `await`, an exception in a timer) after every cell: a hidden listener
in the kernel records them and a hidden probe collects them, so a late error fails the cell it
followed instead of passing unnoticed. A graded cell (nbgrader metadata `grade: true`) that ends in
a value fails too: nbgrader would read the value as the cell's partial credit.

Used by scripts/run-notebooks.js (`npm test`, `npm run notebooks`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional

ROOT = Path(__file__).resolve().parent.parent
KERNEL_NAME = "elbo-lab"
# Hidden cells (never stored in the notebook) catch late errors: a promise rejected without
# `await` or an exception thrown in a timer. One that surfaces while the probe waits is reported by
# the kernel on the probe; one that surfaces between two cells reaches no cell, so the prologue's
# listener keeps it for the probe to print. Either way it is charged to the cell before the probe.
LATE_MARK = "ELBO_LAB_LATE_ERRORS:"
PROLOGUE = """
{
  const g = globalThis as any;
  if (!g.__elboLabLateErrors) {
    g.__elboLabLateErrors = [];
    const describe = (e: any) => (e && e.stack) ? String(e.stack) : String(e);
    process.on('unhandledRejection', (reason: any) => g.__elboLabLateErrors.push('Unhandled promise rejection: ' + describe(reason)));
    process.on('uncaughtException', (error: any) => g.__elboLabLateErrors.push('Uncaught exception in a callback: ' + describe(error)));
  }
}
"""
PROBE = """
await new Promise((resolve) => setTimeout(resolve, %d));
{
  const g = globalThis as any;
  const late = g.__elboLabLateErrors || [];
  g.__elboLabLateErrors = [];
  if (late.length > 0) console.log('%s' + JSON.stringify(late));
}
"""


class NotebookInputError(Exception):
    """A path that is not a readable, valid notebook."""


@dataclass
class CellResult:
    index: int
    ok: bool
    first_line: str
    error: str = ""
    seconds: float = 0.0


@dataclass
class NotebookResult:
    path: Path
    output_path: Optional[Path]
    cells: List[CellResult] = field(default_factory=list)
    seconds: float = 0.0
    setup_error: str = ""
    # Bytes of the executed copy as the kernel's outputs make it, before the finishing step adds
    # PNG copies of charts (what a student's saved notebook weighs; checked by scripts/sizes.js).
    kernel_bytes: Optional[int] = None

    @property
    def ok(self) -> bool:
        return not self.setup_error and all(c.ok for c in self.cells)

    @property
    def failures(self) -> List[CellResult]:
        return [c for c in self.cells if not c.ok]


def kernel_environment() -> None:
    """Point Jupyter at the project-local kernel registry (written by scripts/setup.js)."""
    local = str(ROOT / ".jupyter")
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if local not in paths:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([local] + paths)
    os.environ.setdefault("ELBO_LAB_ROOT", str(ROOT))


def read_notebook(path: Path):
    """Read and validate a notebook, with errors that name the file."""
    import nbformat

    if not path.exists():
        raise NotebookInputError(f"{path}: no such file")
    if path.is_dir() or path.suffix != ".ipynb":
        raise NotebookInputError(f"{path}: not a notebook (expected a file ending in .ipynb)")
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotebookInputError(f"{path}: not valid notebook JSON ({error})") from None
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several types
        raise NotebookInputError(f"{path}: not a valid Jupyter notebook ({str(error).splitlines()[0]})") from None
    return nb


def first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:100]
    return "(empty cell)"


def stream_text(cell, name: Optional[str] = None) -> str:
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and (name is None or o.get("name") == name)
    )


def cell_error_message(cell, exception: Exception) -> str:
    """The real message of a failed cell: the error output if tslab filled it, else stderr."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error" and (output.get("evalue") or "").strip():
            return f"{output.get('ename', 'Error')}: {output['evalue']}"
    stderr = stream_text(cell, "stderr").strip()
    if stderr:
        return concise_stack(stderr)
    text = str(exception).strip()
    return text.splitlines()[-1] if text else type(exception).__name__


def concise_stack(text: str) -> str:
    """Keep the error line(s); drop tslab's and node's internal frames."""
    lines = [line for line in text.splitlines() if line.strip()]
    # node prints the throwing source line and a caret before the error itself: start at the error.
    starts = [i for i, line in enumerate(lines) if re.match(r"^\s*(\w+Error|Error|Uncaught|Unhandled)", line)]
    if starts:
        lines = lines[starts[0]:]
    keep = [
        line for line in lines
        if "node_modules/tslab" not in line and "(node:" not in line and "sigintHandlersWrap" not in line
    ]
    return "\n".join(keep[:12])


def graded_value(cell) -> str:
    """Why a graded cell may not end in a value: nbgrader reads a graded cell's `execute_result` as
    partial credit (a number becomes the score, one above the cell's points crashes grading)."""
    nbgrader = cell.get("metadata", {}).get("nbgrader", {}) or {}
    if nbgrader.get("grade") is not True:
        return ""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "execute_result":
            value = str(output.get("data", {}).get("text/plain", "")).strip().splitlines()
            shown = (value[0][:60] + (" ..." if len(value) > 1 or len(value[0]) > 60 else "")) if value else ""
            return (f"graded cell '{nbgrader.get('grade_id', '?')}' ends in a value ({shown}): nbgrader reads a "
                    "graded cell's result as partial credit; end it with a statement (wrap the tests in { ... })")
    return ""


def mark_failure(cell, message: str) -> None:
    """Make the stored copy show the real message where tslab left the error blank."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            output["ename"] = output.get("ename") or "Error"
            if not (output.get("evalue") or "").strip():
                output["evalue"] = message
            return
    import nbformat

    cell.setdefault("outputs", []).append(
        nbformat.v4.new_output("error", ename="Error", evalue=message, traceback=[message])
    )


def execute_notebook(
    path: Path,
    *,
    cell_timeout: int = 900,
    output_path: Optional[Path] = None,
    continue_on_error: bool = False,
    on_cell: Optional[Callable[[CellResult], None]] = None,
    nb=None,
    plot_images: bool = False,
) -> NotebookResult:
    """Run a notebook cell by cell in its own kernel; never raises for cell errors.

    `nb` may be given (already read and possibly modified, e.g. by the autograder); else the
    file is read. The executed copy is written to `output_path` (when given) even on failure.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    kernel_environment()
    nb = nb if nb is not None else read_notebook(path)
    result = NotebookResult(path=path, output_path=output_path)
    started = time.time()
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name=KERNEL_NAME,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )

    def hidden(source: str) -> str:
        """Run a scratch cell; the late errors it found or met, or "" when there were none."""
        # nbclient stores each executed cell back at its index, so the scratch cell gets a
        # temporary slot at the end and is removed again.
        scratch = nbformat.v4.new_code_cell(source)
        nb.cells.append(scratch)
        try:
            client.execute_cell(scratch, len(nb.cells) - 1, store_history=False)
        except CellExecutionError as exc:
            return cell_error_message(scratch, exc)
        finally:
            nb.cells.pop()
        out = stream_text(scratch, "stdout")
        if LATE_MARK not in out:
            return ""
        return concise_stack("\n".join(json.loads(out.split(LATE_MARK, 1)[1].strip())))

    try:
        with client.setup_kernel(cwd=str(path.parent)):
            hidden(PROLOGUE)
            stop = False
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or stop:
                    continue
                cell_start = time.time()
                error = ""
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    error = f"timed out after {cell_timeout} s (per-cell limit)"
                except CellExecutionError as exc:
                    error = cell_error_message(cell, exc)
                except DeadKernelError as exc:
                    error = f"the kernel died: {exc}"
                    stop = True
                except RuntimeError as exc:
                    error = str(exc)
                if not error:
                    error = graded_value(cell)
                if not error and not stop:
                    late = hidden(PROBE % (20, LATE_MARK))
                    if late:
                        error = "late error after this cell (an un-awaited promise or timer?):\n" + late
                outcome = CellResult(index, not error, first_line(cell.source), error, time.time() - cell_start)
                result.cells.append(outcome)
                if error:
                    mark_failure(cell, error)
                    if not continue_on_error:
                        stop = True
                if on_cell:
                    on_cell(outcome)
            if not stop:
                late = hidden(PROBE % (300, LATE_MARK))
                if late and result.cells:
                    last = result.cells[-1]
                    last.ok = False
                    last.error = "late error after the last cell (an un-awaited promise or timer?):\n" + late
                    mark_failure(nb.cells[last.index], last.error)
    except Exception as exc:  # kernel could not start, etc.
        result.setup_error = f"{type(exc).__name__}: {exc}"
    result.seconds = time.time() - started
    if output_path is not None:
        result.kernel_bytes = serialized_bytes(nb)
        if plot_images:
            add_plot_images(nb)
        write_executed(nb, output_path)
    return result


def serialized_bytes(nb) -> int:
    """The size of `nb` as write_executed stores it (nbformat.write adds a final newline)."""
    import nbformat

    data = nbformat.writes(nb).encode("utf-8")
    return len(data) + (0 if data.endswith(b"\n") else 1)


def write_executed(nb, output_path: Path) -> None:
    """Store the executed copy, signed so its HTML/JS outputs are trusted in Jupyter."""
    import nbformat

    output_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(output_path))
    try:
        from nbformat.sign import NotebookNotary

        NotebookNotary().sign(nb)
    except Exception as exc:  # signing is a convenience; the run's verdict does not depend on it
        print(f"  (could not sign {output_path.name}: {exc})")


PLOTLY_MIME = "application/vnd.plotly.v1+json"


PICTURE_SLOT = "<!--elbo-lab-picture-->"  # src/display/plotly.ts: where a chart's HTML takes its picture
PICTURE_CLASS = "elbo-lab-plot-picture"


def html_text(output) -> str:
    value = output["data"].get("text/html", "")
    return "".join(value) if isinstance(value, list) else value


def has_picture(output) -> bool:
    return f'class="{PICTURE_CLASS}"' in html_text(output)


def chart_title(figure) -> str:
    title = (figure.get("layout") or {}).get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip() if isinstance(text, str) and text.strip() else "chart"


def picture_html(figure, png: str) -> str:
    """The chart's picture, as wide as the live chart would be (layout width, default 900 px)."""
    import html

    layout = figure.get("layout") or {}
    width = layout.get("width") if isinstance(layout.get("width"), (int, float)) else 900
    alt = html.escape(f"{chart_title(figure)} (picture of the chart)", quote=True)
    return (f'<img class="{PICTURE_CLASS}" alt="{alt}" '
            f'style="display:block;width:100%;max-width:{int(width)}px;height:auto" '
            f'src="data:image/png;base64,{png}">')


def add_plot_images(nb) -> None:
    """Give every Plotly output its picture, a PNG rendered in headless Chromium (8-bit palette,
    scripts/render-plots.js), twice:
    - inside the chart's HTML, in place of PICTURE_SLOT: what shows where no script may run, since
      JupyterLab and the Notebook prefer the HTML, sanitised when untrusted (the <img> stays, the
      script goes), as GitHub does; where scripts run, the script swaps it for the live chart;
    - as image/png: what JupyterLab's Plotly extension shows until the chart is hovered (without
      it, the extension draws every chart live on opening and writes its own PNG of each into the
      notebook, marking a notebook the reader never touched as modified), and what exports that
      take no HTML (PDF) use.
    Optional: without Chromium the outputs stay as they are."""
    import subprocess
    import tempfile

    outputs = [o for o in plot_outputs(nb) if not has_picture(o) and PICTURE_SLOT in html_text(o)]
    if not outputs:
        return
    with tempfile.TemporaryDirectory() as folder:
        figures, images = Path(folder) / "figures.json", Path(folder) / "images.json"
        figures.write_text(json.dumps([{"data": o["data"][PLOTLY_MIME]["data"],
                                        "layout": o["data"][PLOTLY_MIME].get("layout", {})} for o in outputs]))
        node = os.environ.get("ELBO_LAB_NODE", "node")
        done = subprocess.run([node, str(ROOT / "scripts" / "render-plots.js"), str(figures), str(images)],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            message = (done.stdout + done.stderr).strip().splitlines()
            print(f"  (no pictures of charts: {message[-1] if message else done.returncode})")
            return
        for output, png in zip(outputs, json.loads(images.read_text())):
            if png:
                picture = picture_html(output["data"][PLOTLY_MIME], png)
                output["data"]["text/html"] = html_text(output).replace(PICTURE_SLOT, picture, 1)
                output["data"]["image/png"] = png


def plot_outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if PLOTLY_MIME in o.get("data", {})]


def finish_executed(path: Path) -> dict:
    """Bring an executed copy up to date for the book: pictures for charts that lack one, and a
    signature (rewritten and signed again only when something changed or it was not trusted)."""
    from nbformat.sign import NotebookNotary

    nb = read_notebook(path)
    charts = plot_outputs(nb)
    before = sum(has_picture(o) for o in charts)
    add_plot_images(nb)
    images = sum(has_picture(o) for o in charts)
    notary = NotebookNotary()
    if images != before or not notary.check_signature(nb):
        write_executed(nb, path)
    return {"notebook": str(path), "charts": len(charts), "images": images,
            "signed": notary.check_signature(read_notebook(path))}


def write_html(nb, html_path: Path) -> None:
    """A static HTML copy (Plotly and KaTeX outputs carry their own scripts and styles)."""
    try:
        from nbconvert import HTMLExporter

        html_path.parent.mkdir(parents=True, exist_ok=True)
        body, _ = HTMLExporter().from_notebook_node(nb)
        html_path.write_text(body, encoding="utf-8")
    except Exception as exc:  # nbconvert missing or failing must not change the verdict
        print(f"  (no HTML copy for {html_path.stem}: {exc})")


def discover(arguments: List[str]) -> List[Path]:
    if arguments:
        return [Path(a) for a in arguments]
    return sorted(p for p in (ROOT / "notebooks").glob("*.ipynb"))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Run ELBO Lab notebooks headless with the tslab kernel.")
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: every notebooks/*.ipynb)")
    parser.add_argument("--cell-timeout", type=int, default=int(os.environ.get("ELBO_LAB_CELL_TIMEOUT", "900")),
                        help="seconds one cell may take (default 900, env ELBO_LAB_CELL_TIMEOUT)")
    parser.add_argument("--out", default=str(ROOT / "build" / "notebooks"), help="folder for executed copies")
    parser.add_argument("--continue-on-error", action="store_true", help="run later cells after a failure")
    parser.add_argument("--no-html", action="store_true", help="skip the static HTML copies in build/html")
    parser.add_argument("--no-images", action="store_true", help="skip PNG copies of charts in the executed notebooks")
    parser.add_argument("--finish", action="store_true",
                        help="do not run: give the given EXECUTED copies their missing chart PNGs and a signature; "
                             "prints one JSON line per notebook")
    args = parser.parse_args(argv)
    if args.finish:
        for path in [Path(a) for a in args.notebooks]:
            try:
                print(json.dumps(finish_executed(path)), flush=True)
            except NotebookInputError as error:
                print(f"nbrun: {error}", file=sys.stderr)
                return 2
        return 0

    paths = discover(args.notebooks)
    if not paths:
        print("nbrun: no notebooks found under notebooks/", file=sys.stderr)
        return 2
    problems = []
    for path in paths:
        try:
            read_notebook(path)
        except NotebookInputError as error:
            problems.append(str(error))
    if problems:
        for problem in problems:
            print(f"nbrun: {problem}", file=sys.stderr)
        return 2

    out = Path(args.out)
    report = []
    failed = 0
    for path in paths:
        print(f"▶ {path}", flush=True)
        output_path = out / path.name
        result = execute_notebook(path, cell_timeout=args.cell_timeout, output_path=output_path,
                                  continue_on_error=args.continue_on_error, plot_images=not args.no_images)
        if not args.no_html:
            import nbformat

            write_html(nbformat.read(str(output_path), as_version=4), out.parent / "html" / f"{path.stem}.html")
        status = "passed" if result.ok else "FAILED"
        print(f"  {status} in {result.seconds:.1f} s ({len(result.cells)} code cells run) -> {output_path}", flush=True)
        if result.setup_error:
            print(f"  could not run {path}: {result.setup_error}", flush=True)
        for cell in result.failures:
            print(f"  ✗ {path}, cell {cell.index} «{cell.first_line}»:", flush=True)
            for line in cell.error.splitlines():
                print(f"      {line}", flush=True)
        failed += 0 if result.ok else 1
        report.append({
            "notebook": str(path), "executed": str(output_path), "ok": result.ok,
            "seconds": round(result.seconds, 2), "setup_error": result.setup_error,
            "kernel_bytes": result.kernel_bytes,
            "cells": [c.__dict__ for c in result.cells],
        })
    (out.parent).mkdir(parents=True, exist_ok=True)
    (out.parent / "notebook-report.json").write_text(json.dumps(report, indent=2))
    print(f"notebooks: {len(paths) - failed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
