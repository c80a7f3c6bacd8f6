import { z } from 'zod';
import { Float32TensorSchema, Uint8TensorSchema } from './tensorSchemas';
import { PROJECT_FORMAT } from './projectFormat';

// The format's history and the empty project are in projectFormat.ts, which the page imports without zod.
export { PROJECT_FORMAT, emptyProject } from './projectFormat';

/** An image in [0, 1] as the project keeps it: 8-bit planes (value × 255), or float32 as format 2 kept them. */
const ProjectImageSchema = z.union([Uint8TensorSchema, Float32TensorSchema]);

const name = z.string().min(1).max(200);
const modelId = z.string().min(1).max(64);

/** A dataset as the API names it: the Fashion-MNIST sample, one a model ships with, or a folder of the user's. */
export const DatasetIdSchema = z.string().regex(/^(bundled|bundled-[a-z0-9-]{1,40}|folder-[0-9a-f]{12})$/, 'a dataset id is "bundled", "bundled-" and a name, or "folder-" and 12 hex digits');

/** A model's fingerprint as saved with the project: SHA-256 over its graph bytes and its image, latent and diffusion specs (engine/models/fingerprint.ts). */
export const ModelStampSchema = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex') }).strict();

const editStack = z.array(z.object({ direction: z.string(), amount: z.number().refine(Number.isFinite, 'amounts are finite numbers') }).strict()).max(1000);
const samplerSchema = z.union([z.object({ kind: z.literal('ddpm'), variance: z.enum(['posterior', 'beta']) }).strict(), z.object({ kind: z.literal('ddim'), eta: z.number() }).strict()]);

export const ProjectSchema = z
  .object({
    format: z.literal(PROJECT_FORMAT),
    name: name,
    models: z.record(modelId, ModelStampSchema).refine((m) => Object.keys(m).length <= 1000, 'at most 1000 models'),
    explorer: z
      .object({
        model: modelId.optional(),
        axes: z.tuple([z.int().nonnegative(), z.int().nonnegative(), z.int().nonnegative()]),
        selection: z.array(z.int().nonnegative()).max(10_000),
        hiddenClasses: z.array(z.int().nonnegative()).max(1000),
      })
      .strict(),
    imported: z.array(z.object({ id: z.string(), name, model: modelId, code: Float32TensorSchema, image: ProjectImageSchema, space: z.enum(['z', 'w', 'w+']).optional() }).strict()).max(10_000),
    keyframes: z.array(z.union([z.object({ kind: z.literal('dataset'), index: z.int().nonnegative(), dataset: DatasetIdSchema.optional() }).strict(), z.object({ kind: z.literal('imported'), id: z.string() }).strict()])).max(1000),
    directions: z
      .array(z.object({ name, model: modelId, kind: z.enum(['mean-difference', 'boundary', 'gradient', 'principal', 'orthogonal', 'imported']), note: z.string().max(1000), vector: Float32TensorSchema, space: z.enum(['z', 'w', 'w+']).optional() }).strict())
      .max(10_000),
    edit: z
      .object({
        base: z.object({ model: modelId, code: Float32TensorSchema, label: z.string().max(500), image: ProjectImageSchema.optional(), space: z.enum(['z', 'w', 'w+']).optional() }).strict(),
        stack: editStack,
        /** The undo and redo history (optional since it was added; bounded like the app's own). */
        past: z.array(editStack).max(1000).optional(),
        future: z.array(editStack).max(1000).optional(),
      })
      .strict()
      .optional(),
    inversions: z
      .array(
        z
          .object({
            id: z.string(),
            model: modelId,
            label: z.string().max(500),
            z: Float32TensorSchema,
            psnr: z.number(),
            ssim: z.number(),
            target: ProjectImageSchema,
            /** Optional since they were added: the loss curve, steps run, and whether the user stopped it early (best so far). */
            curve: z.array(z.number()).max(10_000).optional(),
            space: z.enum(['z', 'w', 'w+']).optional(),
            steps: z.int().nonnegative().optional(),
            stopped: z.boolean().optional(),
          })
          .strict(),
      )
      .max(10_000),
    diffusionBranches: z
      .array(
        z
          .object({
            label: z.string().max(500),
            model: modelId,
            sampler: samplerSchema,
            steps: z.int().positive(),
            seed: z.int().nonnegative(),
            batch: z.int().positive(),
            branchedAtStep: z.int().nonnegative().optional(),
            /** For a branch: the run it branched from (optional since it was added). */
            parent: z.object({ seed: z.int().nonnegative(), sampler: samplerSchema }).strict().optional(),
            /** A class-conditional model's class and guidance scale. */
            classLabel: z.int().nonnegative().optional(),
            guidance: z.number().min(0).max(50).optional(),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict();
export type Project = z.infer<typeof ProjectSchema>;
