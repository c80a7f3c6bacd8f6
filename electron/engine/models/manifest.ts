import { z } from 'zod';

/**
 * The model manifest (format 1): what a model is and how to feed it, so the
 * engine needs no per-model code. See docs/ARCHITECTURE.md, "Models and manifests".
 */
const dim = z.union([z.int().positive(), z.literal('batch')]);

export const TensorSpec = z
  .object({ name: z.string().min(1), shape: z.array(dim).min(1), dtype: z.literal('float32') })
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
const LatentSpec = z.object({ shape: z.array(z.int().positive()).min(1), prior: z.enum(['standard-normal', 'none']) }).strict();

const DiffusionSpec = z
  .object({
    space: z.enum(['pixel', 'latent']),
    prediction: z.literal('epsilon'),
    schedule: z
      .object({
        type: z.literal('linear'),
        timesteps: z.int().min(2).max(10000),
        betaStart: z.number().positive().lt(1),
        betaEnd: z.number().positive().lt(1),
      })
      .strict(),
    decoder: z.string().optional(),
    latentScale: z.number().positive().optional(),
  })
  .strict();

/** Graph roles each kind must provide; other roles are optional extras. */
export const requiredRoles = {
  vae: ['encoder', 'decoder'],
  autoencoder: ['encoder', 'decoder'],
  gan: ['generator'],
  diffusion: ['denoiser'],
  classifier: ['classifier'],
} as const;

export const ManifestSchema = z
  .object({
    format: z.literal(1),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
    name: z.string().min(1),
    kind: z.enum(['vae', 'autoencoder', 'gan', 'diffusion', 'classifier']),
    description: z.string().default(''),
    image: ImageSpec,
    latent: LatentSpec.optional(),
    graphs: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), GraphSpec),
    labels: z.array(z.string()).optional(),
    diffusion: DiffusionSpec.optional(),
    training: z.record(z.string(), z.unknown()).optional(),
    metrics: z.record(z.string(), z.unknown()).default({}),
    /** What each metric means and how it was computed. */
    evaluation: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    for (const role of requiredRoles[m.kind]) {
      if (!m.graphs[role]) ctx.addIssue({ code: 'custom', path: ['graphs', role], message: `a ${m.kind} model needs a "${role}" graph` });
    }
    if (m.kind === 'diffusion' && !m.diffusion) {
      ctx.addIssue({ code: 'custom', path: ['diffusion'], message: 'a diffusion model needs its schedule under "diffusion"' });
    }
    if (m.diffusion?.space === 'latent' && !m.diffusion.decoder) {
      ctx.addIssue({ code: 'custom', path: ['diffusion', 'decoder'], message: 'latent diffusion names the VAE that decodes its samples' });
    }
    const needsLatent = m.kind === 'vae' || m.kind === 'autoencoder' || m.kind === 'gan' || m.diffusion?.space === 'latent';
    if (needsLatent && !m.latent) ctx.addIssue({ code: 'custom', path: ['latent'], message: `a ${m.kind} model states its latent shape` });
  });

export type Manifest = z.infer<typeof ManifestSchema>;
export type GraphSpecT = z.infer<typeof GraphSpec>;
export type TensorSpecT = z.infer<typeof TensorSpec>;
