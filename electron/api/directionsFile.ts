import { z } from 'zod';

/** The small JSON file directions are exported to and imported from. */
export const DirectionsFileSchema = z.object({
  format: z.literal('latent-studio-directions'),
  version: z.literal(1),
  directions: z
    .array(
      z.object({
        name: z.string().min(1).max(120),
        model: z.string().min(1),
        kind: z.enum(['mean-difference', 'boundary', 'gradient', 'principal', 'orthogonal', 'imported']),
        note: z.string().max(500).default(''),
        vector: z.array(z.number().refine(Number.isFinite, 'direction values must be finite numbers')).min(1).max(65_536),
        /** The space of the codes it moves: z (default), or a StyleGAN-style model's w or w+. */
        space: z.enum(['z', 'w', 'w+']).optional(),
      }),
    )
    .max(1000),
});
export type DirectionsFile = z.infer<typeof DirectionsFileSchema>;
