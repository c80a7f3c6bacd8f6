import { isAbsolute } from 'node:path';
import { z } from 'zod';

/**
 * The model manifest (format 2; format 1 is read and migrated in memory): what a model is and how
 * to feed it, so the engine needs no per-model code. docs/MODELS.md describes every field.
 */
const dim = z.union([z.int().positive(), z.literal('batch')]);

/** Integer inputs (class labels, timesteps of diffusers UNets) are fed as int64 or int32; everything else is float32. */
export const TensorSpec = z
  .object({ name: z.string().min(1), shape: z.array(dim).min(1), dtype: z.enum(['float32', 'int64', 'int32']) })
  .strict();

export const GraphSpec = z
  .object({
    file: z.string().regex(/^[\w.-]+\.onnx$/, 'a graph file is a plain .onnx file name inside the model folder'),
    inputs: z.array(TensorSpec).min(1),
    outputs: z.array(TensorSpec).min(1),
  })
  .strict();

const ImageSpec = z
  .object({
    channels: z.union([z.literal(1), z.literal(3)]),
    height: z.int().min(8).max(1024),
    width: z.int().min(8).max(1024),
    range: z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo < hi, 'range must be [low, high] with low < high'),
  })
  .strict();

// A plain autoencoder's codes have no prior: 'none'.
const LatentSpec = z
  .object({
    shape: z.array(z.int().positive()).min(1),
    prior: z.enum(['standard-normal', 'none']),
    /**
     * Format 2. Latent diffusion: the VAE's codes enter diffusion as (z − shift) × scale (SD 1.x: scale 0.18215;
     * SD3: shift 0.0609 too). Format 1 stated them as diffusion.latentScale and diffusion.latentShift.
     */
    scale: z.number().positive().optional(),
    shift: z.number().optional(),
  })
  .strict();

const timesteps = z.int().min(2).max(10000);
const beta = z.number().positive().lt(1);
const ScheduleSpec = z.discriminatedUnion('type', [
  /** linear: β from betaStart to betaEnd (DDPM); scaled_linear: √β linear (Stable Diffusion). */
  z.object({ type: z.enum(['linear', 'scaled_linear']), timesteps, betaStart: beta, betaEnd: beta }).strict(),
  /** Nichol & Dhariwal's cosine schedule (diffusers' squaredcos_cap_v2). */
  z.object({ type: z.literal('cosine'), timesteps }).strict(),
  /** Any other schedule, as its T betas. */
  z.object({ type: z.literal('betas'), betas: z.array(beta).min(2).max(10000) }).strict(),
]);

/**
 * A class-conditional denoiser's label input: `input` names the graph input,
 * fed as an index (int64, int32 or float, per the graph spec) or a one-hot
 * float vector; `labels` names the classes and `nullLabel` is the index the
 * model was trained with for "no class" (classifier-free guidance), if any.
 */
const ConditioningSpec = z
  .object({
    input: z.string().min(1),
    encoding: z.enum(['index', 'one-hot']).default('index'),
    labels: z.array(z.string().min(1)).min(1).max(10000),
    nullLabel: z.int().nonnegative().optional(),
    /** The guidance scale offered first (1 = conditional prediction alone). */
    guidance: z.number().min(0).max(50).default(1),
  })
  .strict();

const DiffusionSpec = z
  .object({
    space: z.enum(['pixel', 'latent']),
    /** What the denoiser outputs: the noise ε, the velocity v, or x_0 itself. */
    prediction: z.enum(['epsilon', 'v', 'sample']),
    schedule: ScheduleSpec,
    /** How fewer sampling steps than T are spaced, and leading spacing's offset (diffusers' steps_offset). */
    spacing: z.enum(['linspace', 'leading', 'trailing']).default('linspace'),
    offset: z.int().min(0).max(1000).default(0),
    decoder: z.string().optional(),
    /** Format 1 only: latent.scale and latent.shift in format 2. */
    latentScale: z.number().positive().optional(),
    latentShift: z.number().optional(),
    conditioning: ConditioningSpec.optional(),
  })
  .strict();
export type DiffusionSpecT = z.infer<typeof DiffusionSpec>;

/** Graph roles each kind must provide; other roles are optional extras. */
export const requiredRoles = {
  vae: ['encoder', 'decoder'],
  autoencoder: ['encoder', 'decoder'],
  gan: ['generator'],
  diffusion: ['denoiser'],
  classifier: ['classifier'],
} as const;

/** The manifest format this app writes; format 1 is read and migrated in memory. */
export const MANIFEST_FORMAT = 2;

export const ManifestSchema = z
  .object({
    format: z.union([z.literal(1), z.literal(2)]),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
    name: z.string().min(1),
    kind: z.enum(['vae', 'autoencoder', 'gan', 'diffusion', 'classifier']),
    description: z.string().default(''),
    image: ImageSpec,
    latent: LatentSpec.optional(),
    graphs: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), GraphSpec),
    labels: z.array(z.string()).optional(),
    /** A folder of images inside the model's folder that it ships with (subfolder names or labels.csv give labels), offered as its dataset. */
    dataset: z
      .string()
      .min(1)
      .refine((p) => !isAbsolute(p) && !p.split(/[\\/]/).includes('..'), 'the dataset is a folder inside the model folder, as a relative path')
      .optional(),
    /** The id of the classifier that reads this model's images, preferred over any other that fits. */
    classifier: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).optional(),
    diffusion: DiffusionSpec.optional(),
    /**
     * A StyleGAN-style generator's style space: its `mapping` graph takes z to w [wDim], its `synthesis`
     * graph takes w+ [numWs, wDim] to the image; wAvg is the mean w (computed from mapped samples when absent).
     */
    style: z
      .object({ numWs: z.int().min(1).max(64), wDim: z.int().min(1).max(4096), wAvg: z.array(z.number()).optional() })
      .strict()
      .optional(),
    training: z.record(z.string(), z.unknown()).optional(),
    metrics: z.record(z.string(), z.unknown()).default({}),
    /** What each metric means and how it was computed. */
    evaluation: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    // Each format states the latent scale in its own place, and only there.
    if (m.format === 2) {
      for (const key of ['latentScale', 'latentShift'] as const) {
        if (m.diffusion?.[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['diffusion', key], message: `format 2 states this as latent.${key === 'latentScale' ? 'scale' : 'shift'}` });
      }
    } else {
      for (const key of ['scale', 'shift'] as const) {
        if (m.latent?.[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['latent', key], message: `latent.${key} is format 2: set "format": 2, or state it as diffusion.latent${key === 'scale' ? 'Scale' : 'Shift'} in format 1` });
      }
    }
    for (const role of requiredRoles[m.kind]) {
      if (!m.graphs[role]) ctx.addIssue({ code: 'custom', path: ['graphs', role], message: `a ${m.kind} model needs a "${role}" graph` });
    }
    if (m.kind === 'diffusion' && !m.diffusion) {
      ctx.addIssue({ code: 'custom', path: ['diffusion'], message: 'a diffusion model needs its schedule under "diffusion"' });
    }
    const conditioning = m.diffusion?.conditioning;
    if (conditioning && m.graphs.denoiser && !m.graphs.denoiser.inputs.some((i) => i.name === conditioning.input)) {
      ctx.addIssue({ code: 'custom', path: ['diffusion', 'conditioning', 'input'], message: `the denoiser has no input "${conditioning.input}"` });
    }
    if (conditioning?.nullLabel !== undefined && conditioning.encoding === 'index' && conditioning.nullLabel > conditioning.labels.length) {
      ctx.addIssue({ code: 'custom', path: ['diffusion', 'conditioning', 'nullLabel'], message: `the null label is the index after the ${conditioning.labels.length} classes or one of them; got ${conditioning.nullLabel}` });
    }
    if (m.diffusion?.space === 'latent' && !m.diffusion.decoder) {
      ctx.addIssue({ code: 'custom', path: ['diffusion', 'decoder'], message: 'latent diffusion names the VAE that decodes its samples' });
    }
    if (m.style) {
      for (const role of ['mapping', 'synthesis']) if (!m.graphs[role]) ctx.addIssue({ code: 'custom', path: ['graphs', role], message: `a style space needs a "${role}" graph` });
      if (m.style.wAvg && m.style.wAvg.length !== m.style.wDim) ctx.addIssue({ code: 'custom', path: ['style', 'wAvg'], message: `wAvg has ${m.style.wAvg.length} values; wDim is ${m.style.wDim}` });
    }
    const needsLatent = m.kind === 'vae' || m.kind === 'autoencoder' || m.kind === 'gan' || m.diffusion?.space === 'latent';
    if (needsLatent && !m.latent) ctx.addIssue({ code: 'custom', path: ['latent'], message: `a ${m.kind} model states its latent shape` });
  })
  .transform(migrateToFormat2);

/** A format 1 manifest as format 2: the latent scale and shift move from diffusion to latent. The rest is the same. */
function migrateToFormat2<M extends { format: 1 | 2; latent?: { scale?: number; shift?: number }; diffusion?: { latentScale?: number; latentShift?: number } }>(m: M): M & { format: 2 } {
  if (m.format === 2) return m as M & { format: 2 };
  const { latentScale, latentShift, ...diffusion } = m.diffusion ?? {};
  return {
    ...m,
    format: 2,
    ...(m.latent ? { latent: { ...m.latent, ...(latentScale !== undefined ? { scale: latentScale } : {}), ...(latentShift !== undefined ? { shift: latentShift } : {}) } } : {}),
    ...(m.diffusion ? { diffusion } : {}),
  };
}

export type Manifest = z.infer<typeof ManifestSchema>;
export type GraphSpecT = z.infer<typeof GraphSpec>;
export type TensorSpecT = z.infer<typeof TensorSpec>;
