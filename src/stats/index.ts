/** General statistics, at the bottom of src/ beside the random generator: estimates, ranks, the bootstrap. */
export * from './estimate';
export * from './rank';
export * from './bootstrap';
export * from './order';
export * from './trend';
