/**
 * Publishing rich outputs from the tslab kernel.
 *
 * tslab's public `display.*` sends one MIME type per call; a chart must reach JupyterLab
 * (application/vnd.plotly.v1+json), classic Notebook and nbconvert HTML (text/html) and plain
 * consoles (text/plain) in ONE output, so we call tslab's lower-level writer with a whole bundle.
 * Outside a kernel (vitest, a terminal) the text/plain part is printed instead.
 */

/** A Jupyter MIME bundle: MIME type -> content (strings, or JSON for `+json` types). */
export type MimeBundle = Record<string, unknown>;

interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}
type DisplayWriter = (message: DisplayMessage, update: boolean) => void;

/** tslab's writer for the cell being executed, or null outside a tslab kernel. */
function kernelWriter(): DisplayWriter | null {
  try {
    // Resolved lazily: tslab is only loaded when running inside its kernel.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: DisplayWriter | null };
    return jupyter.lastWriteDisplayData ?? null;
  } catch {
    return null;
  }
}

/** True when code runs in a tslab kernel cell (a notebook), false in tests and terminals. */
export function inNotebook(): boolean {
  return kernelWriter() !== null;
}

export interface PublishOptions {
  /** Stable id for an output that later updates replace in place. */
  displayId?: string;
  /** Replace the output with this display id instead of adding a new one. */
  update?: boolean;
}

/** Send one output carrying the whole bundle (or print its text/plain outside a notebook). */
export function publish(bundle: MimeBundle, options: PublishOptions = {}): void {
  if (typeof bundle !== 'object' || bundle === null || typeof bundle['text/plain'] !== 'string') {
    throw new TypeError('publish: bundle must be an object with a text/plain string (the fallback every front end can show)');
  }
  const writer = kernelWriter();
  if (writer === null) {
    if (!options.update) process.stdout.write(`${bundle['text/plain']}\n`);
    return;
  }
  const transient = options.displayId ? { display_id: options.displayId } : {};
  writer({ data: bundle, metadata: {}, transient }, Boolean(options.update && options.displayId));
}

/** Escape text for inclusion in HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

let counter = 0;
/** A fresh id for DOM elements and display ids, unique within the kernel process. */
export function freshId(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid.toString(36)}-${Date.now().toString(36)}-${counter}`;
}
