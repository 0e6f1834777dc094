/**
 * Trained models shared between the notebooks of ONE run of the test suite.
 *
 * Several notebooks need the same seeded model (e.g. the 2-D-latent VAE of notebooks 02 and 03).
 * When the suite runs, scripts/test.js points ELBO_LAB_RUN_CACHE at a fresh folder, and the first
 * notebook that trains a configuration stores the weights and metrics there; later notebooks of
 * the same run load them. A notebook run on its own (no ELBO_LAB_RUN_CACHE) always trains what it
 * needs, so every notebook stands alone, and no cache outlives the run that wrote it.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Vae, VaeWeightsFile } from '../models/vae';
import type { EpochMetrics } from './metrics';
import type { TrainResult } from './train';

/** The cache folder of the current suite run, or null (notebook run alone). */
export function runCacheDir(): string | null {
  const dir = process.env.ELBO_LAB_RUN_CACHE;
  return dir && dir.trim() !== '' ? dir : null;
}

// Typed arrays survive the JSON round trip as tagged plain arrays.
function encode(_key: string, value: unknown): unknown {
  if (value instanceof Float64Array) return { __float64: Array.from(value) };
  if (value instanceof Float32Array) return { __float32: Array.from(value) };
  return value;
}
function decode(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object') {
    const tagged = value as { __float64?: number[]; __float32?: number[] };
    if (Array.isArray(tagged.__float64)) return Float64Array.from(tagged.__float64);
    if (Array.isArray(tagged.__float32)) return Float32Array.from(tagged.__float32);
  }
  return value;
}

interface StoredRun {
  format: 'elbo-lab-shared-run';
  version: 1;
  name: string;
  description: unknown;
  model: VaeWeightsFile;
  history: EpochMetrics[];
  initial: EpochMetrics | null;
  final: EpochMetrics;
  summary: TrainResult['summary'];
}

/** File of a run: its name plus a hash of everything that determines it. */
function runFile(dir: string, name: string, description: unknown): string {
  const hash = crypto.createHash('sha256').update(JSON.stringify({ name, description })).digest('hex').slice(0, 16);
  return path.join(dir, `${name.replace(/[^A-Za-z0-9_-]/g, '_')}-${hash}.json`);
}

/**
 * Train with `train()` unless this suite run already trained the same configuration.
 *
 * `description` must capture everything that determines the result (data, config, seed,
 * epochs, engine…): it is hashed into the cache key. The result is a fresh TrainResult either
 * way; the caller owns (and disposes) its model.
 */
export async function sharedTraining(
  name: string,
  description: unknown,
  train: () => Promise<TrainResult>,
): Promise<TrainResult & { fromCache: boolean }> {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new TypeError(`sharedTraining: name must be letters, digits, '-' or '_', got ${JSON.stringify(name)}`);
  }
  if (typeof train !== 'function') throw new TypeError('sharedTraining: train must be a function returning a TrainResult promise');
  const dir = runCacheDir();
  const file = dir ? runFile(dir, name, description) : null;
  if (file && fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'), decode) as StoredRun;
    return {
      model: Vae.fromJSON(stored.model),
      history: stored.history,
      initial: stored.initial,
      final: stored.final,
      summary: stored.summary,
      fromCache: true,
    };
  }
  const result = await train();
  if (file) {
    const stored: StoredRun = {
      format: 'elbo-lab-shared-run', version: 1, name, description,
      model: result.model.toJSON(), history: result.history, initial: result.initial,
      final: result.final, summary: result.summary,
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, JSON.stringify(stored, encode));
    fs.renameSync(partial, file); // atomic: a reader never sees half a file
  }
  return { ...result, fromCache: false };
}
