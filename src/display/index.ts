/** Display: charts, equations, tables, image grids, live progress, the claims table, the latent explorer. */
export { type ClaimSpec, Claims } from './claims';
export { type DecoderPayload, type QuantisedDecoder, decoderPayload } from './decoderPayload';
export { imageGrid, imageGridFigure } from './imageGrid';
export { type LatentExplorerModel, type LatentExplorerOptions, latentExplorerBundle, showLatentExplorer } from './latentExplorer';
export { showMath } from './math';
export { type MimeBundle, publish } from './mime';
export { type PlotlyFigure, grayImageTrace, showPlot } from './plotly';
export { trainingProgress } from './progress';
export { type Cell, formatEstimate, formatNumber, showTable } from './table';
