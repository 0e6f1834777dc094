import { afterEach, describe, expect, it, vi } from 'vitest';
import { budget, isCiMode, notebookSeed } from '../src/runMode';

afterEach(() => vi.unstubAllEnvs());

describe('run mode', () => {
  it('reads CI like CI systems set it', () => {
    vi.stubEnv('CI', 'true');
    expect(isCiMode()).toBe(true);
    expect(budget({ ci: 2, full: 20 })).toBe(2);
    vi.stubEnv('CI', 'false');
    expect(isCiMode()).toBe(false);
    vi.stubEnv('CI', '');
    expect(budget({ ci: 2, full: 20 })).toBe(20);
  });

  it('lets ELBO_LAB_SEED override the notebook seed, and rejects a bad one', () => {
    vi.stubEnv('ELBO_LAB_SEED', '');
    expect(notebookSeed(7)).toBe(7);
    vi.stubEnv('ELBO_LAB_SEED', '12345');
    expect(notebookSeed(7)).toBe(12345);
    vi.stubEnv('ELBO_LAB_SEED', '-3');
    expect(() => notebookSeed(7)).toThrow(/ELBO_LAB_SEED must be an integer/);
    expect(() => notebookSeed(1.5)).toThrow(/defaultSeed/);
  });
});
