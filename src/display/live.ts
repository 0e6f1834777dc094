/**
 * An output that updates in place (Jupyter display ids): one cell output that a long
 * computation, such as training, rewrites as it goes instead of printing line after line.
 */
import { freshId, inNotebook, MimeBundle, publish } from './mime';
import { ensurePlotlyLibrary, plotlyBundle, PlotlyFigure } from './plotly';

export class LiveOutput {
  private readonly displayId = freshId('elbo-live');
  private shown = false;

  /** Replace the output's content (the first call creates the output). */
  update(bundle: MimeBundle): void {
    publish(bundle, { displayId: this.displayId, update: this.shown });
    this.shown = true;
  }

  /** Replace the output with a chart above a line of HTML text. */
  updateChart(figure: PlotlyFigure, caption: string): void {
    ensurePlotlyLibrary();
    const chart = plotlyBundle(figure);
    this.update({
      ...chart,
      'text/html': `${chart['text/html'] as string}<div style="font-family:monospace">${caption}</div>`,
      'text/plain': `${chart['text/plain'] as string}\n${caption}`,
    });
  }
}

/** A live output in a notebook; outside one, null (callers print progress lines instead). */
export function liveOutput(): LiveOutput | null {
  return inNotebook() ? new LiveOutput() : null;
}
