#!/usr/bin/env python3
"""Fixtures for test/grading/nbgrader.test.ts: a small assignment graded by the real nbgrader.

    fixture.py instructor FILE                 write the instructor notebook FILE (nbgrader marks
                                               written by scripts/grading/mark.py from cell tags)
    fixture.py submissions COURSE ASSIGNMENT   from COURSE/source/ASSIGNMENT/ and nbgrader's
                                               COURSE/release/ASSIGNMENT/, write one submission per
                                               student to COURSE/submitted/<student>/ASSIGNMENT/

Three exercises: closed-form KL to N(0, I) per example (2 points), Bernoulli log-likelihood per
example (1 point), a stable logsumexp (2 points). The setup cell imports the course library
(`elbo-lab`) and the logsumexp tests compare with its logSumExp. Students: the instructor's
solution, the untouched release, a student with everything right, two classic mistakes, one
whose KL cell does not compile, and one whose right answer prints tfjs's banner on stderr.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
NAME = "elbo-exercises.ipynb"

SETUP = """\
import { exact, notebook } from 'elbo-lab';
const referenceLogSumExp = exact.logSumExp;
const { assertClose } = notebook;
// Stands in for a library's banner on stderr in an ungraded cell: it must not touch the grades.
console.error('(simulated library banner on stderr)');"""

# tfjs's one-time banner, word for word (@tensorflow/tfjs-backend-cpu). A student whose solution makes
# the notebook's first tensor prints it inside a graded cell; nbgrader gives 0 to a graded cell with
# stderr output unless nbgrader_config.py's IgnorePattern drops it.
TFJS_BANNER = (
    "\\n============================\\n"
    "Hi, looks like you are running TensorFlow.js in Node.js. To speed things up dramatically, "
    "install our node backend, visit https://github.com/tensorflow/tfjs-node for more details. "
    "\\n============================"
)

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
  for (const values of [[1000, 1000], [-1000, -1000], [-3, 700, 12]]) {
    assertClose(logSumExp(values), referenceLogSumExp(values), 1e-9, `logSumExp([${values}])`);
  }
  // END HIDDEN TESTS
}"""

SIGNATURES = {"kl": KL_SIGNATURE, "bernoulli": BERNOULLI_SIGNATURE, "lse": LSE_SIGNATURE}
CORRECT = {"kl": KL_BODY, "bernoulli": BERNOULLI_BODY, "lse": LSE_BODY}
SOLUTION_IDS = {"kl": "kl-closed-form-solution", "bernoulli": "bernoulli-sum-over-pixels-solution",
                "lse": "logsumexp-stable-solution"}
# Student id -> (exercise, wrong body): each loses exactly that exercise's points.
MISTAKES = {
    "kl-sign-flipped": ("kl", KL_BODY.replace("return sum - 0.5", "return sum + 0.5")),
    "lse-naive-overflows": ("lse", "return Math.log(values.reduce((sum, v) => sum + Math.exp(v), 0));"),
    "kl-does-not-compile": ("kl", "const wrong: number = 'not a number';\n" + KL_BODY),
}
# Student id -> (exercise, right body that prints tfjs's banner on stderr during the graded cell).
BANNER = {"bernoulli-prints-tfjs-banner": ("bernoulli", (
    "const g = globalThis as any;\n"
    "if (!g.firstTensorMade) { g.firstTensorMade = true; console.warn('%s'); }\n" % TFJS_BANNER) + BERNOULLI_BODY)}


def indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.split("\n"))


def instructor(path: Path) -> None:
    def solution(exercise: str):
        return new_code_cell(SIGNATURES[exercise] % indent(
            "// BEGIN SOLUTION\n" + CORRECT[exercise] + "\n// END SOLUTION"))

    cells = [
        new_markdown_cell("# ELBO exercises (test fixture)"),
        new_code_cell(SETUP),
        new_markdown_cell("## Exercise 1: the KL term in closed form"),
        solution("kl"),
        new_code_cell(KL_TESTS),
        new_markdown_cell("## Exercise 2: the reconstruction term"),
        solution("bernoulli"),
        new_code_cell(BERNOULLI_TESTS),
        new_markdown_cell("## Exercise 3: a stable logsumexp for the importance-weighted bound"),
        solution("lse"),
        new_code_cell(LSE_TESTS),
    ]
    # Authors tag cells; mark.py turns the tags into nbgrader metadata.
    tags = {1: "readonly:id=setup", 3: "solution", 4: "tests:points=2:id=kl-closed-form",
            6: "solution", 7: "tests:points=1:id=bernoulli-sum-over-pixels",
            9: "solution", 10: "tests:points=2:id=logsumexp-stable"}
    for index, tag in tags.items():
        cells[index].metadata["tags"] = [tag]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "elbo-lab", "display_name": "TypeScript (ELBO Lab)", "language": "typescript"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "grading" / "mark.py"), str(path)], check=True,
                   stdout=subprocess.DEVNULL)


def submissions(course: Path, assignment: str) -> None:
    source = nbformat.read(str(course / "source" / assignment / NAME), as_version=4)
    released = nbformat.read(str(course / "release" / assignment / NAME), as_version=4)

    def student(**bodies):
        """The released notebook with each solution cell typed over, as a student does."""
        nb = copy.deepcopy(released)
        for exercise, body in {**CORRECT, **bodies}.items():
            cell = next(c for c in nb.cells
                        if c.metadata.get("nbgrader", {}).get("grade_id") == SOLUTION_IDS[exercise])
            cell.source = SIGNATURES[exercise] % indent(body)
        return nb

    students = {"instructor": source, "untouched": released, "all-correct": student()}
    for name, (exercise, body) in {**MISTAKES, **BANNER}.items():
        students[name] = student(**{exercise: body})
    for name, nb in students.items():
        folder = course / "submitted" / name / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(folder / NAME))
    print(json.dumps(sorted(students)))


if __name__ == "__main__":
    if sys.argv[1] == "instructor":
        instructor(Path(sys.argv[2]))
    elif sys.argv[1] == "submissions":
        submissions(Path(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(f"usage: {sys.argv[0]} instructor FILE | submissions COURSE ASSIGNMENT")
