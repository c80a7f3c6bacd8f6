import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import type { ModelHost } from '../models/host';
import { runGraph } from '../runtime/sessions';

/** One ε-prediction ε_θ(x_t, t) of a diffusion model, in the model's own space and range. */
export async function predictNoise(host: ModelHost, modelId: string, x: Float32Tensor, t: number[]): Promise<Float32Tensor> {
  const model = host.model(modelId);
  const diffusion = model.manifest.diffusion;
  if (model.manifest.kind !== 'diffusion' || !diffusion) throw new ApiError('bad-input', `model "${modelId}" is not a diffusion model`, 'args.model');
  const sampleShape = diffusion.space === 'latent' ? model.manifest.latent!.shape : [model.manifest.image.channels, model.manifest.image.height, model.manifest.image.width];
  if (x.shape.length !== sampleShape.length + 1 || sampleShape.some((d, i) => x.shape[i + 1] !== d) || x.shape[0] === 0) {
    throw new ApiError('bad-input', `model "${modelId}" denoises [batch, ${sampleShape.join(', ')}]; got [${x.shape.join(', ')}]`, 'args.x.shape');
  }
  if (t.length !== x.shape[0]) throw new ApiError('bad-input', `one timestep per batch item: ${x.shape[0]} items, ${t.length} timesteps`, 'args.t');
  const last = diffusion.schedule.timesteps - 1;
  const bad = t.findIndex((step) => step > last);
  if (bad >= 0) throw new ApiError('bad-input', `timestep ${t[bad]} is past the schedule's last step ${last}`, `args.t.${bad}`);
  const graph = await host.graph(model, 'denoiser');
  const [xName, tName] = graph.spec.inputs.map((i) => i.name);
  const out = await runGraph(graph, { [xName!]: x, [tName!]: float32Tensor([t.length], Float32Array.from(t)) });
  return out['eps'] ?? out[graph.spec.outputs[0]!.name]!;
}
