import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { cosineSchedule, linearSchedule, scaledLinearSchedule, scheduleFromBetas, type NoiseSchedule } from '../diffusion';
import type { DiffusionSpecT } from '../models/manifest';
import type { ModelHost } from '../models/host';
import type { RegisteredModel } from '../models/registry';
import { runGraph } from '../runtime/sessions';

/** The noise schedule a manifest describes, with the spacing its sampler should use. */
export function noiseScheduleOf(diffusion: DiffusionSpecT): NoiseSchedule {
  const s = diffusion.schedule;
  const schedule =
    s.type === 'cosine' ? cosineSchedule(s.timesteps) : s.type === 'betas' ? scheduleFromBetas(s.betas) : (s.type === 'linear' ? linearSchedule : scaledLinearSchedule)(s.timesteps, s.betaStart, s.betaEnd);
  return { ...schedule, spacing: diffusion.spacing, offset: diffusion.offset };
}

function diffusionOf(model: RegisteredModel): DiffusionSpecT {
  const diffusion = model.manifest.diffusion;
  if (model.manifest.kind !== 'diffusion' || !diffusion) throw new ApiError('bad-input', `model "${model.manifest.id}" is not a diffusion model`, 'args.model');
  return diffusion;
}

/**
 * The class input of a conditional denoiser for these labels (one per batch
 * item; `null` is the model's "no class"), as an index or a one-hot vector.
 */
function labelTensor(model: RegisteredModel, labels: (number | null)[], width: number | undefined): Float32Tensor {
  const conditioning = diffusionOf(model).conditioning!;
  const index = (label: number | null, i: number) => {
    if (label === null) {
      if (conditioning.nullLabel === undefined) throw new ApiError('bad-input', `model "${model.manifest.id}" needs a class: choose one of ${conditioning.labels.join(', ')}`, 'args.label');
      return conditioning.nullLabel;
    }
    if (!Number.isInteger(label) || label < 0 || label >= conditioning.labels.length) throw new ApiError('bad-input', `class ${label} is not one of the model's ${conditioning.labels.length} classes (0 to ${conditioning.labels.length - 1})`, `args.label.${i}`);
    return label;
  };
  if (conditioning.encoding === 'index') return float32Tensor([labels.length], Float32Array.from(labels, index));
  const classes = width ?? conditioning.labels.length;
  const hot = new Float32Array(labels.length * classes);
  labels.forEach((label, i) => {
    // One-hot's "no class" is all zeros unless the model names a null column.
    if (label === null && conditioning.nullLabel === undefined) return;
    const k = index(label, i);
    if (k >= classes) throw new ApiError('model-error', `the one-hot input "${conditioning.input}" has ${classes} columns; class ${k} does not fit`);
    hot[i * classes + k] = 1;
  });
  return float32Tensor([labels.length, classes], hot);
}

/**
 * One denoiser prediction at (x_t, t), in the model's own space, range and
 * parameterization (ε, v or x_0 as its manifest says). A class-conditional
 * model is given `labels`, one per batch item, `null` meaning its null class.
 */
export async function predictOutput(host: ModelHost, modelId: string, x: Float32Tensor, t: number[], labels?: (number | null)[]): Promise<Float32Tensor> {
  const model = host.model(modelId);
  const diffusion = diffusionOf(model);
  const sampleShape = diffusion.space === 'latent' ? model.manifest.latent!.shape : [model.manifest.image.channels, model.manifest.image.height, model.manifest.image.width];
  if (x.shape.length !== sampleShape.length + 1 || sampleShape.some((d, i) => x.shape[i + 1] !== d) || x.shape[0] === 0) {
    throw new ApiError('bad-input', `model "${modelId}" denoises [batch, ${sampleShape.join(', ')}]; got [${x.shape.join(', ')}]`, 'args.x.shape');
  }
  if (t.length !== x.shape[0]) throw new ApiError('bad-input', `one timestep per batch item: ${x.shape[0]} items, ${t.length} timesteps`, 'args.t');
  // Every sampling step passes here: the schedule's length is read from the manifest, not rebuilt.
  const last = (diffusion.schedule.type === 'betas' ? diffusion.schedule.betas.length : diffusion.schedule.timesteps) - 1;
  const bad = t.findIndex((step) => step > last);
  if (bad >= 0) throw new ApiError('bad-input', `timestep ${t[bad]} is past the schedule's last step ${last}`, `args.t.${bad}`);
  const graph = await host.graph(model, 'denoiser');
  const conditioning = diffusion.conditioning;
  const [xName, tName] = graph.spec.inputs.filter((i) => i.name !== conditioning?.input).map((i) => i.name);
  const feeds: Record<string, Float32Tensor> = { [xName!]: x, [tName!]: float32Tensor([t.length], Float32Array.from(t)) };
  if (conditioning) {
    const width = graph.spec.inputs.find((i) => i.name === conditioning.input)?.shape[1];
    feeds[conditioning.input] = labelTensor(model, labels ?? new Array(t.length).fill(null), typeof width === 'number' ? width : undefined);
  } else if (labels?.some((l) => l !== null)) {
    throw new ApiError('bad-input', `model "${modelId}" is not class-conditional`, 'args.label');
  }
  const out = await runGraph(graph, feeds);
  return out['eps'] ?? out[graph.spec.outputs[0]!.name]!;
}

/**
 * Classifier-free guidance (Ho & Salimans 2022): the conditional and the
 * unconditional prediction in one batch, combined as u + w (c − u). w = 1 is
 * the conditional prediction alone (one pass); w = 0 the unconditional one.
 */
export async function predictGuided(host: ModelHost, modelId: string, x: Float32Tensor, t: number[], label: number | null, guidance: number): Promise<Float32Tensor> {
  const batch = x.shape[0]!;
  if (label === null || guidance === 1) return predictOutput(host, modelId, x, t, new Array(batch).fill(label));
  const doubled = new Float32Array(x.data.length * 2);
  doubled.set(x.data, 0);
  doubled.set(x.data, x.data.length);
  const both = await predictOutput(host, modelId, float32Tensor([batch * 2, ...x.shape.slice(1)], doubled), [...t, ...t], [...new Array(batch).fill(label), ...new Array(batch).fill(null)]);
  const half = both.data.length / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = both.data[half + i]! + guidance * (both.data[i]! - both.data[half + i]!);
  return float32Tensor([batch, ...both.shape.slice(1)], out);
}
