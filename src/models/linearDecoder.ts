import { LinearGaussianModel } from '../exact/linearGaussian';
import type { Vae } from './vae';

/**
 * The decoder of a VAE with an affine decoder (decoderHiddenSizes = []) and a Gaussian likelihood,
 * as the exact linear-Gaussian model p_θ(x|z) = N(W z + b, σ² I) (W = the layer's weight
 * transposed), so log p_θ(x) and the true posterior of the trained decoder are known exactly.
 */
export function linearGaussianFromVae(vae: Vae): LinearGaussianModel {
  const fn = 'linearGaussianFromVae';
  if (vae === null || typeof vae !== 'object' || !Array.isArray(vae.decoderNetwork?.layers)) {
    throw new TypeError(`${fn}: vae must be a Vae`);
  }
  if (vae.likelihood !== 'gaussian' || vae.decoderNetwork.layers.length !== 1) {
    throw new RangeError(`${fn}: vae must have likelihood 'gaussian' and an affine decoder (decoderHiddenSizes: [])`);
  }
  const layer = vae.decoderNetwork.layers[0];
  const latent = vae.latentSize;
  const d = vae.inputSize;
  const w = layer.weight.dataSync(); // [latent, d]
  const weights = new Float64Array(d * latent);
  for (let i = 0; i < d; i++) for (let j = 0; j < latent; j++) weights[i * latent + j] = w[j * d + i];
  const logVariance = vae.observationLogVariance
    ? vae.observationLogVariance.dataSync()[0]
    : (vae.config.observationLogVariance as number);
  return new LinearGaussianModel(weights, Float64Array.from(layer.bias.dataSync()), logVariance, d);
}
