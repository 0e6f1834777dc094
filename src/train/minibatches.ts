/**
 * Minibatches: every training loop of ELBO Lab walks its data the same way. An epoch draws one
 * permutation of the rows from the loop's random generator and cuts it into consecutive batches
 * of `batchSize` rows (the last one shorter), so each row is used exactly once per epoch.
 */
import { Random } from '../random';
import { checkInteger, checkRandom } from '../checks';

/** One epoch's batches of row indices (see the module comment); draws one permutation from `random`. */
export function shuffledBatches(count: number, batchSize: number, random: Random): Int32Array[] {
  const fn = 'shuffledBatches';
  checkInteger(fn, 'count', count, 1);
  checkInteger(fn, 'batchSize', batchSize, 1);
  checkRandom(fn, 'random', random);
  const order = random.permutation(count);
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) batches.push(order.subarray(start, Math.min(start + batchSize, count)));
  return batches;
}

/**
 * The rows `indices` of a row-major array of `features` columns, copied in order into `out`
 * (a staging buffer reused from batch to batch, at least indices.length·features long);
 * returns the filled part of `out`.
 */
export function gatherRows(values: Float32Array, features: number, indices: ArrayLike<number>, out: Float32Array): Float32Array {
  const fn = 'gatherRows';
  checkInteger(fn, 'features', features, 1);
  const size = indices.length * features;
  if (out.length < size) throw new RangeError(`${fn}: out must hold at least ${size} values (${indices.length} rows × ${features}), got ${out.length}`);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    out.set(values.subarray(r * features, (r + 1) * features), i * features);
  }
  return out.subarray(0, size);
}
