export * from './matrix';
export * from './binarize';
export * from './split';
export * from './mnist';
export * from './idx';
export * from './fashionMnist';
export * from './synthetic';
