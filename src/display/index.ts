/** Display: charts, equations, tables, image grids, live progress, the claims table. */
export { type ClaimSpec, Claims } from './claims';
export { imageGrid, imageGridFigure } from './imageGrid';
export { showMath } from './math';
export { type MimeBundle, publish } from './mime';
export { type PlotlyFigure, grayImageTrace, showPlot } from './plotly';
export { trainingProgress } from './progress';
export { type Cell, formatEstimate, formatNumber, showTable } from './table';
