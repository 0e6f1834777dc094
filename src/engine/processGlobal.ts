/**
 * State that must survive a second copy of the module that keeps it. tfjs's backends and kernel
 * registry belong to the process, while a module of ours can be evaluated more than once in it
 * (tslab evaluates an imported module again when a cell that imports it runs again); what ELBO
 * Lab records about that process-wide state (the engine chosen, the stock kernels it swapped
 * out, the Dawn instance it loaded) must then be found by every copy. It lives on globalThis
 * under a registered symbol (Symbol.for), which is the same in every copy.
 */

/** The object kept under `key` for the whole process, made by `create` the first time it is asked for. */
export function processGlobal<T extends object>(key: string, create: () => T): T {
  const slot = Symbol.for(key);
  const g = globalThis as unknown as Record<symbol, T | undefined>;
  let state = g[slot];
  if (state === undefined) {
    state = create();
    g[slot] = state;
  }
  return state;
}
