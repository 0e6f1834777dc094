/** Training: the one loop (trainVae), the minibatch walk, the one evaluation pass and the metrics read from it, β schedules, progress, L_k estimates, the run cache. */
export { classifierAccuracy, trainDigitClassifier } from './classifier';
export { type PerExampleTerms, type RateDistortion, evaluatePerExample, meanKlPerDimension, rateDistortion } from './evaluation';
export { estimateLogLikelihood } from './logLikelihood';
export { type EpochMetrics, columnVariances, evaluateVae, historyColumns } from './metrics';
export { gatherRows, shuffledBatches } from './minibatches';
export { type ProgressReporter } from './progress';
export { sharedTraining } from './runCache';
export { type BetaSchedule, constantBeta, linearWarmup } from './schedules';
export { type TrainOptions, type TrainResult, TrainingDivergedError, trainVae } from './train';
