// Notebook 04: the claim specs the cells index (the ids and statements of the claims must not change).
import { describe, expect, it } from 'vitest';
import { claimSpecs } from '../../src/course/04-why-q-near-the-prior';

describe('claimSpecs', () => {
  it('hold the notebook\'s claim ids, in the order the cells check them, all in §4 with a statement and a place', () => {
    const specs = Object.values(claimSpecs);
    expect(specs.map((s) => s.id)).toEqual([
      'r1-dead-space', 'r1-codes-off-prior', 'r1-moment-bound-vae', 'r1-moment-bound-free', 'r1-judge-accuracy', 'r1-samples-recognisable',
      'r2-generalisation-gap', 'r2-sigma-collapses', 'r2-means-spread', 'r2-penalty-minimum', 'r2-penalty-large-mean', 'r2-penalty-tiny-sigma',
      'r3-smoother-16d', 'r3-smoother-2d',
    ]);
    for (const s of specs) {
      expect(s.section).toBe('§4');
      expect(s.statement.length).toBeGreaterThan(20);
      expect(s.where.length).toBeGreaterThan(5);
      // each claim names its two routes, in the format the claims table checks
      expect(s.routes).toMatch(/^A: .+ \/ B: .+/);
    }
    expect(claimSpecs.momentBoundVae.statement).toContain('β=1');
    expect(claimSpecs.momentBoundFree.statement).toContain('β=0');
  });
});
