/** Display: charts, equations, tables, image grids, live progress, the claims table. */
export * from './mime';
export * from './plotly';
export * from './imageGrid';
export * from './math';
export * from './table';
export * from './live';
export * from './progress';
export * from './claims';
