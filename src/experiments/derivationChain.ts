/**
 * Presentation of the seven derivation lines (src/exact/derivation.ts) for notebook 02:
 * a table row per model for one line, and a chart of the whole chain, one panel per model,
 *   1  log p_θ(x) = … = 3  log E_q[p_θ(x,z)/q(z|x)]   ≥   4  E_q[log p_θ(x,z)/q(z|x)] = … = 7,
 * so the drop between lines 3 and 4 (Jensen) is visible on each model's own scale.
 */
import type { ChainCheck, DerivationResult, DerivationStep } from '../exact/derivation';
import type { PlotlyFigure } from '../display/plotly';
import type { Cell } from '../display/table';
import { checkInteger } from '../tensorChecks';

/** One column of results: a model, how it was computed, and its seven lines. */
export interface NamedDerivation {
  name: string;
  result: DerivationResult;
}

function checkNamed(fn: string, series: readonly NamedDerivation[]): void {
  if (!Array.isArray(series) || series.length < 1) throw new TypeError(`${fn}: series must be a non-empty array of {name, result}`);
  series.forEach((s, i) => {
    if (typeof s?.name !== 'string' || !Array.isArray(s?.result?.steps) || s.result.steps.length !== 7) {
      throw new TypeError(`${fn}: series[${i}] must be {name: string, result: DerivationResult with 7 steps}`);
    }
  });
}

/**
 * The uncertainty of one line as text: "± 0.012 (4 SE)" for Monte Carlo, "error ≤ ~2e-8" for
 * quadrature, "exact (float64)" for closed forms.
 */
export function stepUncertainty(step: DerivationStep, sigmas = 4): string {
  if (step.method === 'monteCarlo') return `± ${(sigmas * step.standardError).toPrecision(2)} (${sigmas} SE)`;
  if (step.method === 'quadrature') return `error ≈ ${step.errorEstimate.toPrecision(2)} (stated)`;
  return 'exact (float64)';
}

/** Table rows [model, value (nats), uncertainty, how computed] for line `step` of each series. */
export function derivationStepRows(step: number, series: readonly NamedDerivation[]): Cell[][] {
  checkInteger('derivationStepRows', 'step', step, 1, 7);
  checkNamed('derivationStepRows', series);
  return series.map(({ name, result }) => {
    const s = result.steps[step - 1];
    return [name, s.value, stepUncertainty(s), s.route];
  });
}

/**
 * A chart of the chain: one panel per model (each on its own scale, in nats), the seven lines as
 * points joined step by step, error bars of `sigmas` SE (Monte Carlo) or the stated quadrature
 * error, and the Jensen drop between lines 3 and 4 marked with its size.
 */
export function derivationChainFigure(series: readonly NamedDerivation[], title: string, sigmas = 4): PlotlyFigure {
  checkNamed('derivationChainFigure', series);
  const steps = [1, 2, 3, 4, 5, 6, 7];
  const layout: Record<string, unknown> = {
    title: { text: title },
    grid: { rows: 1, columns: series.length, pattern: 'independent' },
    height: 430,
    showlegend: false,
    annotations: [] as Record<string, unknown>[],
  };
  const data = series.map(({ name, result }, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    layout[`xaxis${suffix}`] = { title: { text: `line of the derivation (${name})` }, tickvals: steps, dtick: 1 };
    layout[`yaxis${suffix}`] = { title: { text: 'value (nats)' } };
    const drop = result.steps[2].value - result.steps[3].value;
    (layout.annotations as Record<string, unknown>[]).push({
      x: 4.15, y: 0.5 * (result.steps[2].value + result.steps[3].value), xref: `x${suffix}`, yref: `y${suffix}`,
      text: `Jensen drop<br>${drop.toPrecision(3)} nats`, showarrow: false, xanchor: 'left',
    });
    return {
      type: 'scatter', mode: 'lines+markers', name,
      x: steps, y: result.steps.map((s) => s.value),
      error_y: {
        type: 'data', visible: true,
        array: result.steps.map((s) => (s.method === 'monteCarlo' ? sigmas * s.standardError : s.errorEstimate)),
      },
      text: result.steps.map((s) => s.route),
      xaxis: `x${suffix}`, yaxis: `y${suffix}`,
    };
  });
  return { data, layout };
}

/** One relation of the chain checked on several examples: the worst case, and whether all hold. */
export interface MergedChainCheck {
  id: string;
  relation: string;
  examples: number;
  /** The example whose difference used the largest share of its tolerance. */
  worst: ChainCheck;
  /** Largest difference ÷ tolerance (signed for the inequality, absolute for equalities); ≤ 1 passes. */
  worstRatio: number;
  pass: boolean;
}

/**
 * Merges checkDerivationChain results of several examples relation by relation (same ids in the
 * same order), keeping the worst case: for "line 4 ≤ line 3" the largest (line 4 − line 3)/tolerance,
 * for equalities the largest |difference|/tolerance.
 */
export function mergeChainChecks(perExample: readonly ChainCheck[][]): MergedChainCheck[] {
  const fn = 'mergeChainChecks';
  const raw: unknown = perExample;
  if (!Array.isArray(raw) || raw.length < 1 || raw.some((c: unknown) => !Array.isArray(c))) {
    throw new TypeError(`${fn}: perExample must be a non-empty array of ChainCheck arrays`);
  }
  const ids = perExample[0].map((c) => c.id);
  perExample.forEach((checks, i) => {
    const other = checks.map((c) => c.id);
    if (other.length !== ids.length || other.some((id, j) => id !== ids[j])) {
      throw new RangeError(`${fn}: perExample[${i}] must check the same relations as perExample[0] (${ids.join(', ')}), got ${other.join(', ')}`);
    }
  });
  return ids.map((id, j) => {
    const column = perExample.map((checks) => checks[j]);
    const ratio = (c: ChainCheck): number => {
      const d = c.id === 'step4<=step3' ? c.difference : Math.abs(c.difference);
      return c.tolerance > 0 ? d / c.tolerance : d > 0 ? Infinity : d < 0 ? -Infinity : 0;
    };
    let worst = column[0];
    for (const c of column) if (ratio(c) > ratio(worst)) worst = c;
    return { id, relation: worst.relation, examples: column.length, worst, worstRatio: ratio(worst), pass: column.every((c) => c.pass) };
  });
}
