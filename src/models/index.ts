/** Models: the VAE (encoder q_φ, decoder p_θ), its MLPs, the linear decoder, the digit classifier. */
export { DigitClassifier } from './classifier';
export { Mlp } from './dense';
export { linearGaussianFromVae } from './linearDecoder';
export { Vae, type VaeConfig } from './vae';
