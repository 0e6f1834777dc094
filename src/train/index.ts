export * from './train';
export * from './objective';
export * from './metrics';
export * from './schedules';
export * from './progress';
export * from './logLikelihood';
export * from './runCache';
