/** General statistics, at the bottom of src/ beside the random generator: the estimate {mean, standardError, n}, differences, ranks, the bootstrap, medians, trends. */
export { bootstrapStandardError } from './bootstrap';
export { type Estimate, independentDifference, meanAndStandardErrorOf, meanEstimate, meanOfIndependentEstimates, pairedDifference } from './estimate';
export { median } from './order';
export { averageRanks, spearmanCorrelation } from './rank';
export { type TrendStep, monotoneTrend } from './trend';
