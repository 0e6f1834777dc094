/**
 * Training progress in a notebook: ONE output, updated in place after every epoch, with the
 * ELBO curves so far (train and held-out, nats) and a line of epoch / timing / ETA text.
 * Outside a notebook it is the terminal reporter of src/train.
 */
import type { EpochMetrics } from '../train/metrics';
import { formatEpochLine, ProgressReporter, terminalProgress, TrainStartInfo } from '../train/progress';
import { escapeHtml } from './mime';
import { liveOutput } from './live';
import { PlotlyFigure } from './plotly';

function curveFigure(title: string, history: EpochMetrics[], epochs: number): PlotlyFigure {
  const x = history.map((m) => m.epoch);
  const data: PlotlyFigure['data'] = [
    { x, y: history.map((m) => m.train.elbo), type: 'scatter', mode: 'lines+markers', name: 'ELBO (train subset)' },
  ];
  if (history.some((m) => m.heldOut)) {
    data.push({ x, y: history.map((m) => m.heldOut?.elbo ?? null), type: 'scatter', mode: 'lines+markers', name: 'ELBO (held-out)' });
  }
  return {
    data,
    layout: {
      title: { text: title },
      xaxis: { title: { text: 'epoch' }, range: [0, Math.max(1, epochs)] },
      yaxis: { title: { text: 'ELBO per example (nats)' } },
      height: 320,
      margin: { t: 40, b: 40 },
    },
  };
}

/** A progress reporter for trainVae: a live chart in a notebook, a progress line elsewhere. */
export function trainingProgress(title = 'Training'): ProgressReporter {
  const output = liveOutput();
  if (output === null) return terminalProgress();
  let history: EpochMetrics[] = [];
  let epochs = 0;
  let header = '';
  return {
    start(info: TrainStartInfo) {
      epochs = info.epochs;
      history = info.initial ? [info.initial] : [];
      header = `${info.trainCount} examples · ${info.epochs} epochs × ${info.batchesPerEpoch} batches of ${info.batchSize} · latent ${info.latentSize} · backend ${info.backend} · seed ${info.seed}`;
      output.updateChart(curveFigure(title, history, epochs), escapeHtml(`${header} — starting…`));
    },
    epoch(metrics: EpochMetrics, etaSeconds: number) {
      history.push(metrics);
      output.updateChart(curveFigure(title, history, epochs), escapeHtml(`${header}\n${formatEpochLine(metrics, epochs, etaSeconds)}`).replace('\n', '<br>'));
    },
    end(summary) {
      const verdict = summary.stoppedBy
        ? `stopped: ${summary.stoppedBy}`
        : `done: ${summary.epochsCompleted} epochs in ${summary.seconds.toFixed(1)} s (${summary.secondsPerEpoch.toFixed(2)} s per epoch of training steps)`;
      output.updateChart(curveFigure(title, history, epochs), escapeHtml(`${header}\n${verdict}`).replace('\n', '<br>'));
    },
  };
}
