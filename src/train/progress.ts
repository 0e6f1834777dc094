import type { EpochMetrics } from './metrics';

/** What a reporter learns when training starts. */
export interface TrainStartInfo {
  epochs: number;
  batchesPerEpoch: number;
  batchSize: number;
  trainCount: number;
  heldOutCount: number;
  latentSize: number;
  parameterCount: number;
  backend: string;
  seed: number;
  /** Metrics of the untrained model (epoch 0), when computed. */
  initial: EpochMetrics | null;
}

/** What a reporter learns when training ends (normally or by an error). */
export interface TrainSummary {
  epochsCompleted: number;
  seconds: number;
  /** Mean wall time of one epoch's training steps (evaluation excluded). */
  secondsPerEpoch: number;
  final: EpochMetrics | null;
  /** The error message when the run stopped early (e.g. a diverging loss). */
  stoppedBy: string | null;
}

/**
 * Receives training progress. The training loop calls start once, epoch after every epoch
 * (with an estimate of the seconds left), and end once. A notebook live plot and the terminal
 * line both implement this.
 */
export interface ProgressReporter {
  start(info: TrainStartInfo): void;
  epoch(metrics: EpochMetrics, etaSeconds: number): void;
  end(summary: TrainSummary): void;
}

/** Minimal writable stream (process.stdout fits). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}

/** One line describing an epoch: epoch, ELBO train / held-out, KL, active units, ETA. */
export function formatEpochLine(metrics: EpochMetrics, epochs: number, etaSeconds: number): string {
  const held = metrics.heldOut;
  const parts = [
    `epoch ${metrics.epoch}/${epochs}`,
    `loss ${metrics.trainLoss.toFixed(2)}`,
    `ELBO train ${metrics.train.elbo.toFixed(2)}`,
  ];
  if (held) parts.push(`held-out ${held.elbo.toFixed(2)}`, `KL ${held.kl.toFixed(2)}`, `active ${held.activeUnits}/${held.klPerDimension.length}`);
  if (metrics.beta !== 1) parts.push(`β ${metrics.beta.toFixed(3)}`);
  parts.push(`${metrics.seconds.toFixed(2)}s/epoch`, `ETA ${formatSeconds(etaSeconds)}`);
  return parts.join(' | ');
}

/**
 * A terminal reporter: on a TTY one line rewritten in place with \r; otherwise one plain line
 * per epoch (logs, CI).
 */
export function terminalProgress(stream: ProgressStream = process.stdout): ProgressReporter {
  let epochs = 0;
  let lastLength = 0;
  const tty = stream.isTTY === true;
  return {
    start(info) {
      epochs = info.epochs;
      stream.write(
        `training VAE: ${info.trainCount} examples, ${info.epochs} epochs × ${info.batchesPerEpoch} batches of ${info.batchSize}, ` +
          `latent ${info.latentSize}, ${info.parameterCount} parameters, backend ${info.backend}, seed ${info.seed}\n`,
      );
    },
    epoch(metrics, etaSeconds) {
      const line = formatEpochLine(metrics, epochs, etaSeconds);
      if (tty) {
        stream.write(`\r${line}${' '.repeat(Math.max(0, lastLength - line.length))}`);
        lastLength = line.length;
      } else {
        stream.write(`${line}\n`);
      }
    },
    end(summary) {
      if (tty && lastLength > 0) stream.write('\n');
      const status = summary.stoppedBy ? `stopped: ${summary.stoppedBy}` : 'done';
      stream.write(
        `${status}: ${summary.epochsCompleted} epochs in ${formatSeconds(summary.seconds)} (${summary.secondsPerEpoch.toFixed(2)} s/epoch of training steps)\n`,
      );
    },
  };
}

/** A reporter that does nothing. */
export function silentProgress(): ProgressReporter {
  return { start() {}, epoch() {}, end() {} };
}
