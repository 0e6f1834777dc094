/**
 * The course: one module per notebook, holding what is specific to that notebook (its
 * experiments and named figures). Course modules use the library; the library never imports them.
 */
export * as start from './00-start-here';
export * as theElbo from './01-the-elbo';
export * as derivation from './02-derivation';
export * as theGap from './03-the-gap';
export * as whyQNearThePrior from './04-why-q-near-the-prior';
export * as theBalance from './05-the-balance';
export * as summary from './06-summary';
/** The 2-D-latent digits model that notebooks 02 and 03 share. */
export * as digits2d from './digits2d';
