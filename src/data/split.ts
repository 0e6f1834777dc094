import { Random } from '../random';
import { checkRandom } from '../checks';

/** Index sets of a train / held-out split. */
export interface SplitIndices {
  readonly train: Int32Array;
  readonly heldOut: Int32Array;
}

/**
 * A seeded split that keeps class proportions: within each class, a random
 * round(n_c · heldOutFraction) examples go to held-out, the rest to train. Both index lists are
 * then shuffled (so any prefix of held-out is a fair mix of classes).
 */
export function stratifiedSplit(labels: ArrayLike<number>, heldOutFraction: number, random: Random): SplitIndices {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number' || labels.length < 2) {
    throw new TypeError('stratifiedSplit: labels must be an array of at least 2 class labels');
  }
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
    throw new RangeError(`stratifiedSplit: heldOutFraction must be in (0, 1), got ${heldOutFraction}`);
  }
  checkRandom('stratifiedSplit', 'random', random);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!Number.isInteger(c)) throw new RangeError(`stratifiedSplit: labels[${i}] must be an integer, got ${c}`);
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const train: number[] = [];
  const heldOut: number[] = [];
  const classes = [...byClass.keys()].sort((a, b) => a - b); // fixed order: Map order follows the data
  for (const c of classes) {
    const members = byClass.get(c)!;
    const order = random.permutation(members.length);
    const nHeld = Math.round(members.length * heldOutFraction);
    for (let j = 0; j < members.length; j++) (j < nHeld ? heldOut : train).push(members[order[j]]);
  }
  if (train.length === 0 || heldOut.length === 0) {
    throw new RangeError(`stratifiedSplit: heldOutFraction ${heldOutFraction} leaves an empty side for ${labels.length} examples`);
  }
  return { train: shuffled(train, random), heldOut: shuffled(heldOut, random) };
}

function shuffled(list: number[], random: Random): Int32Array {
  const order = random.permutation(list.length);
  const out = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = list[order[i]];
  return out;
}
