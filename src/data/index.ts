/** Data: MNIST digits, Fashion-MNIST, synthetic sets, the DataMatrix shape, splits and binarization. */
export { binarize, binarizeValues } from './binarize';
export { loadFashionMnist } from './fashionMnist';
export { type DataMatrix, type ImageSet, checkDataMatrix, headRows, selectRows, toTensor } from './matrix';
export { loadMnist, loadMnistSplit } from './mnist';
export { stratifiedSplit } from './split';
export { binaryPatterns, gaussianMixture2d, linearGaussianDataset } from './synthetic';
