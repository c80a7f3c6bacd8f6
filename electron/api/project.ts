import { z } from 'zod';
import { Float32TensorSchema } from './tensor';

/**
 * A project as it crosses the API: what the user made (imported images and
 * their codes, directions, the edit and its stack, inversions, diffusion
 * branches, the explorer's state). The engine writes it to disk as
 * project-file format 1 (see electron/engine/project/projectFile.ts).
 */
export const PROJECT_FORMAT = 1;

const name = z.string().min(1).max(200);
const modelId = z.string().min(1).max(64);

export const ProjectSchema = z
  .object({
    format: z.literal(PROJECT_FORMAT),
    name: name,
    explorer: z
      .object({
        model: modelId.optional(),
        axes: z.tuple([z.int().nonnegative(), z.int().nonnegative(), z.int().nonnegative()]),
        selection: z.array(z.int().nonnegative()).max(10_000),
        hiddenClasses: z.array(z.int().nonnegative()).max(1000),
      })
      .strict(),
    imported: z.array(z.object({ id: z.string(), name, model: modelId, code: Float32TensorSchema, image: Float32TensorSchema }).strict()).max(10_000),
    keyframes: z.array(z.union([z.object({ kind: z.literal('dataset'), index: z.int().nonnegative() }).strict(), z.object({ kind: z.literal('imported'), id: z.string() }).strict()])).max(1000),
    directions: z
      .array(z.object({ name, model: modelId, kind: z.enum(['mean-difference', 'boundary', 'principal', 'orthogonal', 'imported']), note: z.string().max(1000), vector: Float32TensorSchema }).strict())
      .max(10_000),
    edit: z
      .object({
        base: z.object({ model: modelId, code: Float32TensorSchema, label: z.string().max(500), image: Float32TensorSchema.optional() }).strict(),
        stack: z.array(z.object({ direction: z.string(), amount: z.number().refine(Number.isFinite, 'amounts are finite numbers') }).strict()).max(1000),
      })
      .strict()
      .optional(),
    inversions: z
      .array(z.object({ id: z.string(), model: modelId, label: z.string().max(500), z: Float32TensorSchema, psnr: z.number(), ssim: z.number(), target: Float32TensorSchema }).strict())
      .max(10_000),
    diffusionBranches: z
      .array(
        z
          .object({
            label: z.string().max(500),
            model: modelId,
            sampler: z.union([z.object({ kind: z.literal('ddpm'), variance: z.enum(['posterior', 'beta']) }).strict(), z.object({ kind: z.literal('ddim'), eta: z.number() }).strict()]),
            steps: z.int().positive(),
            seed: z.int().nonnegative(),
            batch: z.int().positive(),
            branchedAtStep: z.int().nonnegative().optional(),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict();
export type Project = z.infer<typeof ProjectSchema>;

export const emptyProject = (projectName = 'Untitled'): Project => ({
  format: PROJECT_FORMAT,
  name: projectName,
  explorer: { axes: [0, 1, 2], selection: [], hiddenClasses: [] },
  imported: [],
  keyframes: [],
  directions: [],
  inversions: [],
  diffusionBranches: [],
});
