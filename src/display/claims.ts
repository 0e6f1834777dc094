/**
 * Claims: every statement a notebook makes about the numbers it shows is checked where it is
 * made, and recorded for the table at the end of the notebook. A claim that does not hold
 * throws, so the cell, the notebook run and CI fail. Each claim names its two routes (how each
 * side of the comparison was computed, "A: … / B: …"): a claim is only worth its routes.
 * The rows are saved to build/claims/<notebook>.json; the book assembles them into its
 * course-wide claims page (scripts/book/build.js), where no two claims may share an id. (The
 * summary notebook does not read them: it recomputes what it states.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { projectRoot } from '../paths';
import { MimeBundle, publish } from './mime';
import { formatEstimate, formatNumber, tableBundle } from './table';
import { EstimateLike, independentDifference } from '../stats/estimate';

export interface ClaimRow {
  /** Short stable id, unique in the course, e.g. "gap-equals-kl-exact". */
  id: string;
  /** Section of the source document, e.g. "§3". */
  section: string;
  /** The claim in our words. */
  statement: string;
  /** Where the notebook checks it (the heading of the cell). */
  where: string;
  /** The two routes compared, "A: … / B: …" ('' when the spec names none). */
  routes: string;
  /** What was measured, formatted. */
  measured: string;
  /** The test applied, e.g. "|a − b| ≤ 3·SE = 0.012". */
  criterion: string;
  passed: boolean;
}

export interface ClaimSpec {
  id: string;
  section: string;
  statement: string;
  where: string;
  /** The two routes compared: "A: how one side is computed / B: how the other is". */
  routes?: string;
}

/** Raised when a claim does not hold; its message says what was measured. */
export class ClaimFailed extends Error {
  constructor(readonly row: ClaimRow) {
    super(`claim "${row.id}" (${row.section}) does not hold: ${row.statement} — measured ${row.measured}; required ${row.criterion} [checked in: ${row.where}]`);
    this.name = 'ClaimFailed';
  }
}

function requireFinite(name: string, value: number, id: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`Claims: ${name} for claim "${id}" must be a finite number, got ${value}`);
  }
}

/** An estimate as the claims read it: a mean and its standard error (src/stats). */
export type { EstimateLike };

/** Options of the comparisons between estimates. */
export interface CompareOptions {
  /** How many standard errors (exceeds: 4; agrees: 3). */
  sigmas?: number;
  /** The estimate of a − b when it is not the independent difference (e.g. a paired difference). */
  difference?: EstimateLike;
  /** Unit of a and b (default nats). */
  unit?: string;
  /** Labels of a and b in the measured text (default "a", "b"). */
  labels?: [string, string];
}

function asEstimate(name: string, value: EstimateLike | number, id: string): EstimateLike {
  if (typeof value === 'number') {
    requireFinite(name, value, id);
    return { mean: value, standardError: 0 };
  }
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`Claims: ${name} for claim "${id}" must be a number or an estimate { mean, standardError }, got ${value === null ? 'null' : typeof value}`);
  }
  requireFinite(`${name}.mean`, value.mean, id);
  if (typeof value.standardError !== 'number' || !(value.standardError >= 0) || value.standardError === Infinity) {
    throw new RangeError(`Claims: ${name}.standardError for claim "${id}" must be a finite number >= 0, got ${value.standardError}`);
  }
  return value;
}

function describeComparison(a: EstimateLike | number, b: EstimateLike | number, d: EstimateLike, options: CompareOptions): string {
  const [la, lb] = options.labels ?? ['a', 'b'];
  const unit = options.unit ?? 'nats';
  const show = (v: EstimateLike | number) => (typeof v === 'number' ? formatNumber(v) : formatEstimate(v));
  const paired = options.difference !== undefined ? ', paired' : '';
  return `${la} = ${show(a)}, ${lb} = ${show(b)} ${unit}; a − b = ${formatEstimate(d)}${paired}`;
}

export class Claims {
  private readonly byId = new Map<string, ClaimRow>();

  /** `notebook` names the file the claims belong to (used for the saved JSON). */
  constructor(readonly notebook: string) {
    if (typeof notebook !== 'string' || notebook.trim() === '') {
      throw new TypeError('Claims: notebook must be a non-empty name, e.g. "03-the-gap"');
    }
  }

  /** Record a claim with an already-decided outcome; throws ClaimFailed when it does not hold. */
  check(spec: ClaimSpec, measured: string, criterion: string, holds: boolean): void {
    for (const key of ['id', 'section', 'statement', 'where'] as const) {
      if (typeof spec[key] !== 'string' || spec[key].trim() === '') {
        throw new TypeError(`Claims.check: spec.${key} must be a non-empty string`);
      }
    }
    if (spec.routes !== undefined && (typeof spec.routes !== 'string' || !/^A: .+ \/ B: .+/s.test(spec.routes))) {
      throw new TypeError(`Claims.check: spec.routes of claim "${spec.id}" must read "A: … / B: …", got ${JSON.stringify(spec.routes)}`);
    }
    const row: ClaimRow = { ...spec, routes: spec.routes ?? '', measured, criterion, passed: Boolean(holds) };
    this.byId.set(spec.id, row); // re-running a cell replaces its claim
    if (!row.passed) throw new ClaimFailed(row);
  }

  /** |actual − expected| ≤ tolerance. */
  close(spec: ClaimSpec, actual: number, expected: number, tolerance: number, unit = 'nats'): void {
    requireFinite('actual', actual, spec.id);
    requireFinite('expected', expected, spec.id);
    requireFinite('tolerance', tolerance, spec.id);
    const difference = Math.abs(actual - expected);
    this.check(
      spec,
      `${formatNumber(actual)} vs ${formatNumber(expected)} ${unit} (difference ${formatNumber(difference)})`,
      `|difference| ≤ ${formatNumber(tolerance)}`,
      difference <= tolerance,
    );
  }

  /** value ≤ bound + slack. */
  atMost(spec: ClaimSpec, value: number, bound: number, slack = 0, unit = 'nats'): void {
    requireFinite('value', value, spec.id);
    requireFinite('bound', bound, spec.id);
    this.check(
      spec,
      `${formatNumber(value)} ≤ ${formatNumber(bound)} ${unit}`,
      slack > 0 ? `value ≤ bound + ${formatNumber(slack)}` : 'value ≤ bound',
      value <= bound + slack,
    );
  }

  /** value ≥ bound − slack. */
  atLeast(spec: ClaimSpec, value: number, bound: number, slack = 0, unit = 'nats'): void {
    requireFinite('value', value, spec.id);
    requireFinite('bound', bound, spec.id);
    this.check(
      spec,
      `${formatNumber(value)} ≥ ${formatNumber(bound)} ${unit}`,
      slack > 0 ? `value ≥ bound − ${formatNumber(slack)}` : 'value ≥ bound',
      value >= bound - slack,
    );
  }

  /**
   * a exceeds b by more than `sigmas` standard errors of the difference:
   *   a − b > k·SE(a − b),  SE(a − b) = √(SE_a² + SE_b²) for independent estimates,
   * or the standard error of `options.difference` (a paired difference of the same items,
   * which is tighter). A plain number counts as exact (SE 0).
   */
  exceeds(spec: ClaimSpec, a: EstimateLike | number, b: EstimateLike | number, options: CompareOptions = {}): void {
    const d = this.difference(spec, a, b, options);
    const k = options.sigmas ?? 4;
    this.check(spec, `${describeComparison(a, b, d, options)}`, `a − b > ${formatNumber(k)}·SE = ${formatNumber(k * d.standardError, 3)}`,
      d.mean > k * d.standardError);
  }

  /**
   * a and b agree within `sigmas` standard errors of the difference (plus an absolute
   * `tolerance` for deterministic error such as quadrature or float32 rounding):
   *   |a − b| ≤ k·SE(a − b) + tolerance.
   */
  agrees(spec: ClaimSpec, a: EstimateLike | number, b: EstimateLike | number, options: CompareOptions & { tolerance?: number } = {}): void {
    const d = this.difference(spec, a, b, options);
    const k = options.sigmas ?? 3;
    const tolerance = options.tolerance ?? 0;
    requireFinite('tolerance', tolerance, spec.id);
    const allowed = k * d.standardError + tolerance;
    const tail = tolerance > 0 ? ` + ${formatNumber(tolerance)}` : '';
    this.check(spec, describeComparison(a, b, d, options), `|a − b| ≤ ${formatNumber(k)}·SE${tail} = ${formatNumber(allowed, 3)}`,
      Math.abs(d.mean) <= allowed);
  }

  private difference(spec: ClaimSpec, a: EstimateLike | number, b: EstimateLike | number, options: CompareOptions): EstimateLike {
    const ea = asEstimate('a', a, spec.id);
    const eb = asEstimate('b', b, spec.id);
    if (options.sigmas !== undefined) requireFinite('options.sigmas', options.sigmas, spec.id);
    if (options.difference !== undefined) return asEstimate('options.difference', options.difference, spec.id);
    return independentDifference(ea, eb);
  }

  rows(): ClaimRow[] {
    return [...this.byId.values()];
  }

  /** The claims table as a bundle. */
  tableBundle(): MimeBundle {
    const rows = this.rows().map((r) => [r.section, r.statement, r.routes || '—', r.where, r.measured, r.criterion, r.passed ? '✓' : '✗']);
    return tableBundle(['§', 'claim', 'routes compared', 'checked in', 'measured', 'criterion', 'holds'], rows, `Claims checked in ${this.notebook}`);
  }

  /** Show the table and save the rows to build/claims/<notebook>.json. */
  show(): void {
    publish(this.tableBundle());
    this.save();
  }

  /** Write the rows as JSON (for the summary notebook and reports); returns the file. */
  save(folder = path.join(projectRoot(), 'build', 'claims')): string {
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `${this.notebook}.json`);
    fs.writeFileSync(file, `${JSON.stringify({ notebook: this.notebook, claims: this.rows() }, null, 2)}\n`);
    return file;
  }
}
