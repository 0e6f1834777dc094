/**
 * The notebook starter: one call opens a course notebook the same way every time.
 *
 *   const lesson = await notebook.open('04-why-q-near-the-prior', {
 *     seed: 404, streams: ['split', 'model', 'classifier'] });
 *
 * It picks the compute engine (one printed line), fixes the seed (ELBO_LAB_SEED overrides it,
 * so the claims can be re-checked with other seeds), derives one independent seed per named
 * random stream, opens the claims table, makes the first tensor (tfjs prints its one-time
 * notices there, out of the reader's way) and records how many tensors exist, so that
 * `finish()` can show that the notebook leaked none.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { budget, isCiMode, notebookSeed } from '../runMode';
import { EngineInfo, initEngine } from '../engine/backends/select';
import { Claims } from '../display/claims';
import { checkObject, checkNonEmptyString } from '../checks';

export interface OpenOptions<S extends string> {
  /** The notebook's default seed (an integer in [0, 2^32)); ELBO_LAB_SEED overrides it. */
  seed: number;
  /**
   * Names of the notebook's random streams, in a fixed order: stream k gets the k-th 32-bit
   * draw of Random(seed) as its seed, so adding a stream at the end shifts no other.
   */
  streams?: readonly S[];
}

export interface OpenNotebook<S extends string> {
  /** The notebook's name, e.g. "04-why-q-near-the-prior" (names the saved claims). */
  readonly name: string;
  /** The seed in use (the default, or ELBO_LAB_SEED). */
  readonly seed: number;
  /** The engine picked by initEngine. */
  readonly engine: EngineInfo;
  /** The notebook's claims table. */
  readonly claims: Claims;
  /** One seed per named stream. */
  readonly seeds: Readonly<Record<S, number>>;
  /** True in CI mode (shorter training; the claims do not change). */
  readonly ciMode: boolean;
  /** A fresh generator for a named stream: `new Random(seeds[name])`. */
  random(name: S): Random;
  /** Pick a budget by mode, `{ ci, full }`. */
  budget<T>(choices: { ci: T; full: T }): T;
  /**
   * Close the notebook: claim that no tensor made since `open` remains (unless
   * `leakCheck: false`), then show and save the claims table. Returns nothing, so the
   * notebook's last cell ends with the table, not a stray value.
   */
  finish(options?: { leakCheck?: boolean }): void;
  /** Tensors made since `open` that still exist. */
  tensorsLeft(): number;
}

/** Open a course notebook (see the module comment). Prints one line: seed, mode, engine. */
export async function open<S extends string = never>(name: string, options: OpenOptions<S>): Promise<OpenNotebook<S>> {
  const fn = 'notebook.open';
  checkNonEmptyString(fn, 'name', name);
  checkObject(fn, 'options', options);
  const seed = notebookSeed(options.seed);
  const names = options.streams ?? [];
  if (!Array.isArray(names)) throw new TypeError(`${fn}: options.streams must be an array of names, got ${typeof names}`);
  const root = new Random(seed);
  const seeds = {} as Record<S, number>;
  for (const stream of names as readonly S[]) {
    checkNonEmptyString(fn, 'options.streams[]', stream as unknown);
    if (stream in seeds) throw new RangeError(`${fn}: options.streams names "${stream}" twice`);
    seeds[stream] = root.nextUint32();
  }
  const engine = await initEngine();
  const claims = new Claims(name);
  const first = tf.zeros([1]); // the first tensor: any one-time tfjs notice lands here
  first.dataSync();
  first.dispose();
  const tensorsAtStart = tf.memory().numTensors;
  const ciMode = isCiMode();
  console.log(`${name}: seed ${seed}${seed === options.seed ? '' : ' (from ELBO_LAB_SEED)'}; ${ciMode ? 'CI mode (short training)' : 'full mode'}`);
  return {
    name, seed, engine, claims, seeds, ciMode,
    random(stream: S): Random {
      if (!(stream in seeds)) throw new RangeError(`${fn}: no random stream named "${String(stream)}" (opened with: ${names.join(', ') || 'none'})`);
      return new Random(seeds[stream]);
    },
    budget,
    tensorsLeft(): number {
      return tf.memory().numTensors - tensorsAtStart;
    },
    finish(finishOptions: { leakCheck?: boolean } = {}): void {
      if (finishOptions.leakCheck !== false) {
        claims.close({ id: `${name}:no-tensor-leak`, section: '—', where: 'Clean-up',
          statement: 'at the end, no tensor made by this notebook remains (everything it made was disposed)',
          routes: 'A: tf.memory().numTensors now / B: tf.memory().numTensors when the notebook opened' },
        tf.memory().numTensors - tensorsAtStart, 0, 0, 'tensors');
      }
      claims.show();
    },
  };
}
