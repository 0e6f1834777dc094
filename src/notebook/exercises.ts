/**
 * Helpers for the graded exercises, shared by every notebook so that the test cells are short
 * and read the same everywhere. Each throws an Error whose message says what was expected;
 * nbgrader counts a test cell that throws as failed.
 */

/** Throws unless |actual − expected| ≤ tolerance (NaN fails). */
export function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${what}: expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}

/** Throws `what` unless `condition` holds. */
export function assertThat(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}
