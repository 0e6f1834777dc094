/**
 * Claims: every statement a notebook makes about the numbers it shows is checked where it is
 * made, and recorded for the table at the end of the notebook (and for the summary notebook).
 * A claim that does not hold throws, so the cell, the notebook run and CI fail.
 */
import * as fs from 'fs';
import * as path from 'path';
import { projectRoot } from '../paths';
import { MimeBundle, publish } from './mime';
import { formatNumber, tableBundle } from './table';

export interface ClaimRow {
  /** Short stable id, e.g. "gap-equals-kl". */
  id: string;
  /** Section of the source document, e.g. "§3". */
  section: string;
  /** The claim in our words. */
  statement: string;
  /** Where the notebook checks it (the heading of the cell). */
  where: string;
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
    const row: ClaimRow = { ...spec, measured, criterion, passed: Boolean(holds) };
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

  rows(): ClaimRow[] {
    return [...this.byId.values()];
  }

  /** The claims table as a bundle. */
  tableBundle(): MimeBundle {
    const rows = this.rows().map((r) => [r.section, r.statement, r.where, r.measured, r.criterion, r.passed ? '✓' : '✗']);
    return tableBundle(['§', 'claim', 'checked in', 'measured', 'criterion', 'holds'], rows, `Claims checked in ${this.notebook}`);
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
