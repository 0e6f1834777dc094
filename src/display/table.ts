/** Tables as HTML (notebooks) with a text/plain and text/markdown fallback. */
import { escapeHtml, MimeBundle, publish } from './mime';

/** A table cell: text, a number (formatNumber), or an estimate (shown as mean ± SE). */
export type Cell = string | number | boolean | null | undefined | { mean: number; standardError: number };

/** Format a number for display: fixed decimals for moderate values, exponent otherwise. */
export function formatNumber(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e6) return value.toFixed(digits).replace(/\.?0+$/, '') || '0';
  return value.toExponential(Math.max(1, digits - 1));
}

/** An estimate as "mean ± SE", the mean by formatNumber, the standard error to two significant digits. */
export function formatEstimate(estimate: { mean: number; standardError: number }, digits = 4): string {
  return `${formatNumber(estimate.mean, digits)} ± ${Number.isFinite(estimate.standardError) ? estimate.standardError.toPrecision(2) : String(estimate.standardError)}`;
}

function text(cell: Cell): string {
  if (typeof cell === 'number') return formatNumber(cell);
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'object' && typeof cell.mean === 'number' && typeof cell.standardError === 'number') return formatEstimate(cell);
  return String(cell);
}

/** The bundle of a table; every row must have one cell per header. */
export function tableBundle(headers: string[], rows: Cell[][], caption?: string): MimeBundle {
  if (!Array.isArray(headers) || headers.length === 0) {
    throw new TypeError('tableBundle: headers must be a non-empty array of column names');
  }
  rows.forEach((row, index) => {
    if (!Array.isArray(row) || row.length !== headers.length) {
      throw new RangeError(`tableBundle: rows[${index}] must have ${headers.length} cells (one per header), got ${Array.isArray(row) ? row.length : typeof row}`);
    }
  });
  const cells = rows.map((row) => row.map(text));
  const head = headers.map((h) => `<th style="text-align:left">${escapeHtml(h)}</th>`).join('');
  const body = cells
    .map((row) => `<tr>${row.map((c) => `<td style="text-align:left">${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('');
  const captionHtml = caption ? `<caption style="caption-side:top;text-align:left;font-weight:bold">${escapeHtml(caption)}</caption>` : '';
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
  const plain = [caption ?? '', line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)]
    .filter((l) => l !== '')
    .join('\n');
  const markdown = [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...cells.map((row) => `| ${row.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
  return {
    'text/html': `<table class="elbo-lab-table">${captionHtml}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`,
    'text/markdown': markdown,
    'text/plain': plain,
  };
}

/** Show a table in the notebook (or print it outside one). */
export function showTable(headers: string[], rows: Cell[][], caption?: string): void {
  publish(tableBundle(headers, rows, caption));
}
