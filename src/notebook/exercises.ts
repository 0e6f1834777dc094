/**
 * Helpers for the graded exercises, shared by every notebook so that the test cells are short
 * and read the same everywhere. Each throws an Error whose message says what was expected;
 * nbgrader counts a test cell that throws as failed.
 *
 * The error's stack starts at the student's cell: the helper's own frame (a path inside the
 * library) is left out, so a front end shows the cell that failed and never tries to open the
 * library's source file (JupyterLab requests such paths from its server and logs 404s).
 */

function failure(message: string, helper: (...args: never[]) => void): Error {
  const error = new Error(message);
  Error.captureStackTrace?.(error, helper);
  return error;
}

/** Throws unless |actual − expected| ≤ tolerance (NaN fails). */
export function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw failure(`${what}: expected ${expected} ± ${tolerance}, got ${actual}`, assertClose);
  }
}

/** Throws `what` unless `condition` holds. */
export function assertThat(condition: boolean, what: string): void {
  if (!condition) throw failure(what, assertThat);
}
