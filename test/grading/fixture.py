#!/usr/bin/env python3
"""Fixtures for test/grading: a small instructor notebook and student submissions.

    fixture.py instructor DIR        write DIR/notebooks/elbo-exercises.ipynb (marked with mark.py
                                     through cell tags) and a DIR/notebooks/src link to DIR/src
    fixture.py submissions DIR       from DIR/release/elbo-exercises.ipynb, write one submission
                                     per scenario to DIR/submissions/<scenario>.ipynb

Three exercises: closed-form KL to N(0, I) per example (2 points), Bernoulli log-likelihood per
example (1 point), a stable logsumexp (2 points). Submissions fill the released stubs the way a
student would, with the correct code or with one classic mistake each.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "grading"))
import nbgrading  # noqa: E402

NAME = "elbo-exercises.ipynb"

SETUP = """\
function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${what}: expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}
// Stands in for the banner tfjs prints on stderr: it must stay out of graded cells.
console.error('(simulated library banner on stderr)');"""

KL_SIGNATURE = """\
/** KL(q(z|x) ‖ N(0, I)) per example: Σ over latent dims of −½(1 + log σ² − μ² − σ²). */
function klToStandardNormalPerExample(mean: number[][], logVariance: number[][]): number[] {
%s
}"""
KL_BODY = """\
return mean.map((row, i) =>
  row.reduce((sum, mu, j) => {
    const lv = logVariance[i][j];
    return sum - 0.5 * (1 + lv - mu * mu - Math.exp(lv));
  }, 0));"""
KL_TESTS = """\
{
  // q equal to the prior carries no information: KL is exactly 0
  assertClose(klToStandardNormalPerExample([[0, 0]], [[0, 0]])[0], 0, 1e-12, 'KL(N(0,1) ‖ N(0,1))');
  // a KL divergence is never negative
  for (const kl of klToStandardNormalPerExample([[1, -2], [0.3, 0]], [[0.5, -1], [0, 2]])) {
    if (!(kl >= 0)) throw new Error(`KL must be >= 0, got ${kl}`);
  }
  // BEGIN HIDDEN TESTS
  assertClose(klToStandardNormalPerExample([[1]], [[0]])[0], 0.5, 1e-12, 'KL for mu = 1, logVariance = 0');
  assertClose(klToStandardNormalPerExample([[1, 1, 1]], [[0, 0, 0]])[0], 1.5, 1e-12, 'per example KL sums 3 latent dims');
  assertClose(klToStandardNormalPerExample([[0]], [[Math.log(4)]])[0], 0.5 * (4 - 1 - Math.log(4)), 1e-12,
    'KL for logVariance = log 4');
  // END HIDDEN TESTS
}"""

BERNOULLI_SIGNATURE = """\
/** log p(x|z) per example for Bernoulli pixels with logits l: Σ over pixels of x·l − softplus(l). */
function bernoulliLogLikelihoodPerExample(x: number[][], logits: number[][]): number[] {
%s
}"""
BERNOULLI_BODY = """\
const softplus = (l: number) => Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
return x.map((row, i) => row.reduce((sum, xi, j) => sum + xi * logits[i][j] - softplus(logits[i][j]), 0));"""
BERNOULLI_TESTS = """\
{
  // logit 0 is p = 1/2 for every pixel: log 1/2 per pixel, whatever its value
  assertClose(bernoulliLogLikelihoodPerExample([[1, 0, 1, 1]], [[0, 0, 0, 0]])[0], 4 * Math.log(0.5), 1e-12,
    'four pixels at p = 1/2');
  // BEGIN HIDDEN TESTS
  const p = (l: number) => 1 / (1 + Math.exp(-l));
  assertClose(bernoulliLogLikelihoodPerExample([[1, 0]], [[2, -3]])[0], Math.log(p(2)) + Math.log(1 - p(-3)), 1e-12,
    'two pixels with logits 2 and -3');
  // END HIDDEN TESTS
}"""

LSE_SIGNATURE = """\
/** log Σ_k exp(a_k), computed as m + log Σ_k exp(a_k − m) with m = max_k a_k. */
function logSumExp(values: number[]): number {
%s
}"""
LSE_BODY = """\
const m = Math.max(...values);
if (m === -Infinity) return -Infinity;
return m + Math.log(values.reduce((sum, v) => sum + Math.exp(v - m), 0));"""
LSE_TESTS = """\
{
  assertClose(logSumExp([0, 0]), Math.log(2), 1e-12, 'logSumExp([0, 0])');
  assertClose(logSumExp([0, Math.log(2), Math.log(3)]), Math.log(6), 1e-12, 'log(1 + 2 + 3)');
  // BEGIN HIDDEN TESTS
  // importance-weight logs are large: exp overflows or underflows unless shifted by the max
  assertClose(logSumExp([1000, 1000]), 1000 + Math.log(2), 1e-9, 'logSumExp([1000, 1000])');
  assertClose(logSumExp([-1000, -1000]), -1000 + Math.log(2), 1e-9, 'logSumExp([-1000, -1000])');
  // END HIDDEN TESTS
}"""

# Each scenario: solution bodies to write in place of the stubs (None keeps the stub), and
# the grade_ids that must lose their points.
MISTAKES = {
    "kl-sign-flipped": ("kl", KL_BODY.replace("return sum - 0.5", "return sum + 0.5")),
    "kl-mean-over-dimensions": ("kl", KL_BODY.replace("}, 0));", "}, 0) / row.length);")),
    "kl-missing-half": ("kl", KL_BODY.replace("sum - 0.5 * (", "sum - (")),
    "kl-log-sigma-as-log-variance": ("kl", KL_BODY.replace(
        "1 + lv - mu * mu - Math.exp(lv)", "1 + 2 * lv - mu * mu - Math.exp(2 * lv)")),
    "bernoulli-mean-over-pixels": ("bernoulli", BERNOULLI_BODY.replace(
        "softplus(logits[i][j]), 0));", "softplus(logits[i][j]), 0) / row.length);")),
    "lse-naive-overflows": ("lse", "return Math.log(values.reduce((sum, v) => sum + Math.exp(v), 0));"),
    "kl-solution-does-not-compile": ("kl", "const wrong: number = 'not a number';\n" + KL_BODY),
}
CORRECT = {"kl": KL_BODY, "bernoulli": BERNOULLI_BODY, "lse": LSE_BODY}
SOLUTION_IDS = {"kl": "kl-closed-form-solution", "bernoulli": "bernoulli-sum-over-pixels-solution",
                "lse": "logsumexp-stable-solution"}


def indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.split("\n"))


def solution_cell(signature: str, body: str):
    return new_code_cell(signature % indent("// BEGIN SOLUTION\n" + body + "\n// END SOLUTION"))


def instructor(directory: Path) -> None:
    notebooks = directory / "notebooks"
    notebooks.mkdir(parents=True, exist_ok=True)
    (directory / "src").mkdir(exist_ok=True)
    (directory / "src" / "marker.ts").write_text("export const marker = 1;\n")
    link = notebooks / "src"
    if not link.is_symlink():
        os.symlink("../src", link)
    cells = [
        new_markdown_cell("# ELBO exercises (test fixture)"),
        new_code_cell(SETUP),
        new_markdown_cell("## Exercise 1: the KL term in closed form"),
        solution_cell(KL_SIGNATURE, KL_BODY),
        new_code_cell(KL_TESTS),
        new_markdown_cell("## Exercise 2: the reconstruction term"),
        solution_cell(BERNOULLI_SIGNATURE, BERNOULLI_BODY),
        new_code_cell(BERNOULLI_TESTS),
        new_markdown_cell("## Exercise 3: a stable logsumexp for the importance-weighted bound"),
        solution_cell(LSE_SIGNATURE, LSE_BODY),
        new_code_cell(LSE_TESTS),
    ]
    # Authors tag cells; mark.py turns the tags into nbgrader metadata.
    tags = {1: "readonly:id=setup", 3: "solution", 4: "tests:points=2:id=kl-closed-form",
            6: "solution", 7: "tests:points=1:id=bernoulli-sum-over-pixels",
            9: "solution", 10: "tests:points=2:id=logsumexp-stable"}
    for index, tag in tags.items():
        cells[index].metadata["tags"] = [tag]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript (ELBO Lab)", "language": "typescript"}
    path = notebooks / NAME
    nbformat.write(nb, str(path))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "grading" / "mark.py"), str(path)], check=True)


def fill(nb, exercise: str, body: str) -> None:
    """Replace the released stub of one solution cell, as a student types over it."""
    cell = next(c for c in nb.cells if nbgrading.grade_id(c) == SOLUTION_IDS[exercise])
    stub = indent(nbgrading.CODE_STUB)
    if stub not in cell.source:
        raise ValueError(f"stub not found in {SOLUTION_IDS[exercise]}")
    cell.source = cell.source.replace(stub, indent(body))


def submissions(directory: Path) -> None:
    released = nbformat.read(str(directory / "release" / NAME), as_version=4)
    out = directory / "submissions"
    out.mkdir(parents=True, exist_ok=True)

    def student(**bodies):
        nb = copy.deepcopy(released)
        for exercise, body in {**CORRECT, **bodies}.items():
            fill(nb, exercise, body)
        return nb

    scenarios = {"all-correct": student()}
    for name, (exercise, body) in MISTAKES.items():
        scenarios[name] = student(**{exercise: body})
    # A student who weakens the KL tests to pass a wrong KL, and deletes the Bernoulli tests.
    tampered = student(kl=MISTAKES["kl-sign-flipped"][1])
    kl_tests = next(c for c in tampered.cells if nbgrading.grade_id(c) == "kl-closed-form")
    kl_tests.source = "// the tests are fine, trust me\n"
    tampered.cells = [c for c in tampered.cells if nbgrading.grade_id(c) != "bernoulli-sum-over-pixels"]
    scenarios["tampered-locked-cells"] = tampered
    for name, nb in scenarios.items():
        nbformat.write(nb, str(out / f"{name}.ipynb"))


if __name__ == "__main__":
    command, target = sys.argv[1], Path(sys.argv[2])
    {"instructor": instructor, "submissions": submissions}[command](target)
