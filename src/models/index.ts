export * from './dense';
export * from './vae';
export * from './linearDecoder';
export * from './classifier';
