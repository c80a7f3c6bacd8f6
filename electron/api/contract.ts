import { z } from 'zod';
import { CALL_NAMES } from './callNames';
import { DatasetIdSchema, ProjectSchema } from './project';
import { Float32TensorSchema, Uint8TensorSchema } from './tensorSchemas';

/**
 * The one API contract. Every call names its argument and result schemas; a
 * call with a `progress` schema is a job: it streams progress events while it
 * runs and can be cancelled. Both transports (Electron IPC and the browser-mode
 * WebSocket) carry exactly these names and nothing else.
 */

const modelId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model id is lowercase letters, digits, ".", "_" or "-"');
/** A window's or tab's autosave session: it names a file, so only letters, digits and dashes. */
const sessionId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a session id is 1 to 64 letters, digits or dashes');

export const ProviderSchema = z.object({
  name: z.enum(['cuda', 'dml', 'cpu']),
  available: z.boolean(),
  /** Why a provider cannot be used here, in words a user can act on. */
  reason: z.string().optional(),
});

export const TensorSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.union([z.int(), z.string()])),
  dtype: z.string(),
});

export const ModelSummarySchema = z.object({
  id: modelId,
  name: z.string(),
  kind: z.enum(['vae', 'autoencoder', 'gan', 'diffusion', 'classifier']),
  description: z.string(),
  source: z.enum(['bundled', 'user']),
  image: z.object({
    channels: z.int().positive(),
    height: z.int().positive(),
    width: z.int().positive(),
    range: z.tuple([z.number(), z.number()]),
  }),
  latent: z.object({ shape: z.array(z.int().positive()), prior: z.enum(['standard-normal', 'none']) }).optional(),
  graphs: z.record(z.string(), z.object({ file: z.string(), inputs: z.array(TensorSpecSchema), outputs: z.array(TensorSpecSchema) })),
  labels: z.array(z.string()).optional(),
  /** The folder of images the model ships with (absolute), offered as a dataset. */
  dataset: z.string().optional(),
  /** The classifier its manifest names for its images. */
  classifier: z.string().optional(),
  /** A StyleGAN-style model's style space: codes can also be w [wDim] or w+ [numWs, wDim]. */
  style: z.object({ numWs: z.int(), wDim: z.int() }).optional(),
  /** A diffusion model's parameterization and, when class-conditional, its classes and guidance. */
  diffusion: z
    .object({
      prediction: z.enum(['epsilon', 'v', 'sample']),
      schedule: z.string(),
      conditioning: z.object({ labels: z.array(z.string()), unconditional: z.boolean(), guidance: z.number() }).optional(),
    })
    .optional(),
  metrics: z.record(z.string(), z.unknown()),
  /** How it was made, as its manifest's training block says ("PCA (eigen-decomposition …)"), where it says. */
  method: z.string().optional(),
  /** Parameter count, where the manifest states it. */
  params: z.int().optional(),
  folder: z.string(),
  /** Set once a graph of the model has been loaded into a session. */
  provider: z.string().optional(),
  loadMs: z.number().optional(),
  /** Its sessions were released to fit the memory budget (or by Free caches); they load again when it is next used. */
  evicted: z.boolean().optional(),
  /** Why faster providers were not used for this model ("CUDA: … not found"). */
  fallbacks: z.array(z.string()).default([]),
});
export type ModelSummary = z.infer<typeof ModelSummarySchema>;

export const ModelProblemSchema = z.object({
  folder: z.string(),
  field: z.string().optional(),
  message: z.string(),
});
export type ModelProblem = z.infer<typeof ModelProblemSchema>;

const ModelLibrarySchema = z.object({
  models: z.array(ModelSummarySchema),
  problems: z.array(ModelProblemSchema),
  /** Folders the user added; remembered across launches. */
  userFolders: z.array(z.string()),
});
export type ModelLibrary = z.infer<typeof ModelLibrarySchema>;

/** The smallest memory budget a user can set: below it even one model's sessions would be evicted on every call. */
export const MIN_MEMORY_BUDGET_MB = 128;

const SettingsSchema = z.object({
  provider: z.enum(['cuda', 'dml', 'cpu']).optional(),
  threads: z.int().min(1).max(64).optional(),
  /** The engine's memory budget for what it caches, in MiB (absent: half the machine's memory, 512 MiB to 8 GiB). */
  memoryBudgetMb: z.int().min(MIN_MEMORY_BUDGET_MB).max(65536).optional(),
});

const MemoryKindSchema = z.enum(['sessions', 'codes', 'projections', 'previews']);
/** What the engine keeps between calls, against its budget, and the process as the OS sees it. */
export const MemoryReportSchema = z.object({
  budgetBytes: z.number().nonnegative(),
  usedBytes: z.number().nonnegative(),
  kinds: z.array(z.object({ kind: MemoryKindSchema, label: z.string(), bytes: z.number().nonnegative(), entries: z.int().nonnegative() })),
  largest: z.array(z.object({ kind: MemoryKindSchema, label: z.string(), bytes: z.number().nonnegative() })),
  /** Entries released to fit the budget since the engine started (not those freed on request). */
  evictions: z.int().nonnegative(),
  process: z.object({ rssBytes: z.number().nonnegative(), heapBytes: z.number().nonnegative(), externalBytes: z.number().nonnegative() }),
  /** What a freeing released, in bytes (app.freeMemory only). */
  freedBytes: z.number().nonnegative().optional(),
});
export type MemoryReport = z.infer<typeof MemoryReportSchema>;

/** Supersedable requests name a lane; the newest on a lane wins and older waiting ones are dropped. */
const lane = z.string().min(1).max(64).optional();

/** A GIF's frame size (each pixel as scale × scale) and each frame's time on screen, in milliseconds. */
const gifTiming = {
  scale: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(4),
  frameMs: z.array(z.number().min(10).max(60_000)).min(1).max(1024),
};
const gifResult = z.object({ gif: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected GIF bytes') });

/**
 * Codes to decode, for model.decode and model.preview. space: the codes' space for a StyleGAN-style model: z
 * (default), w [batch, wDim] or w+ [batch, numWs, wDim]. truncation ψ (z codes of a StyleGAN-style model):
 * w = w_avg + ψ (w − w_avg); 1 is the generator itself.
 */
const DecodeArgsSchema = z.object({ model: modelId, z: Float32TensorSchema, space: z.enum(['z', 'w', 'w+']).optional(), truncation: z.number().min(0).max(2).optional(), lane }).strict();

export const EditMetadataSchema = z.object({
  model: z.string(),
  latent: z.object({ shape: z.array(z.int().positive()), data: z.array(z.number()) }),
  /** Each edit carries its direction's vector, so a re-imported PNG restores the stack on its own. */
  edits: z.array(z.object({ direction: z.string(), amount: z.number(), vector: z.array(z.number()).optional() })).default([]),
  /** The code's space: z (default), or a StyleGAN-style model's w or w+. */
  space: z.enum(['z', 'w', 'w+']).optional(),
  /** The image the edit started from, at the model's size, as base64 PNG: a restored edit shows its original again. */
  original: z.string().max(20_000_000).optional(),
});
export type EditMetadata = z.infer<typeof EditMetadataSchema>;

const MAX_IMPORT_BYTES = 200 * 1024 * 1024;

/** The bundled sample is "bundled"; a folder of the user's images is "folder-" and a hash of its path. Absent: the bundled one. */
const datasetId = DatasetIdSchema;

export const DatasetSummarySchema = z.object({
  id: datasetId,
  name: z.string(),
  source: z.enum(['bundled', 'folder']),
  folder: z.string().optional(),
  count: z.int(),
  /** The size of the images dataset.images returns (a folder's thumbnails; models get theirs fitted). */
  channels: z.int(),
  height: z.int(),
  width: z.int(),
  labels: z.array(z.string()),
  labelCounts: z.array(z.int()),
  /** Every way the images are labelled (what `labels` are first), by name: dataset.labels gives each one's values. */
  labelSets: z.array(z.object({ name: z.string(), labels: z.array(z.string()) })).default([]),
  license: z.string(),
  /** Files that could not be read, and why (the first 1,000). */
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })).max(1000),
  skippedCount: z.int(),
  /** Why it cannot be fully used now (its folder has gone). */
  problem: z.string().optional(),
});
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

/** Images of a dataset, by label, by index, or both. */
const DatasetSelectionSchema = z
  .object({ classes: z.array(z.int().nonnegative()).default([]), indices: z.array(z.int().nonnegative()).max(1_000_000).default([]) })
  .strict()
  .refine((s) => s.classes.length + s.indices.length > 0, 'name at least one class or image');

const empty = z.object({}).strict();

export const calls = {
  'app.info': {
    args: empty,
    result: z.object({
      name: z.string(),
      version: z.string(),
      platform: z.string(),
      /** automaticThreads: what a session computes with while the threads setting is empty (absent: ONNX Runtime's default). */
      runtime: z.object({ library: z.string(), version: z.string(), automaticThreads: z.int().positive().optional() }),
      providers: z.array(ProviderSchema),
      /** The provider new sessions are created with (first available in preference order). */
      preferredProvider: z.string(),
      settings: SettingsSchema,
      /** The desktop app can show native folder and file dialogs; browser mode takes typed paths. */
      folderDialog: z.boolean(),
      /** Where browser mode suggests saving projects. */
      documentsDir: z.string(),
      models: z.array(ModelSummarySchema),
      problems: z.array(ModelProblemSchema),
      userFolders: z.array(z.string()),
    }),
  },
  'settings.update': {
    args: z
      .object({
        provider: z.enum(['cuda', 'dml', 'cpu']).nullable().optional(),
        threads: z.int().min(1).max(64).nullable().optional(),
        memoryBudgetMb: z.int().min(MIN_MEMORY_BUDGET_MB).max(65536).nullable().optional(),
      })
      .strict(),
    result: z.object({ settings: SettingsSchema, preferredProvider: z.string() }),
  },
  'app.memory': { args: empty, result: MemoryReportSchema },
  /** Releases every cache entry not in use now (sessions reload and codes are recomputed on their next use). */
  'app.freeMemory': { args: empty, result: MemoryReportSchema },
  'model.list': { args: empty, result: ModelLibrarySchema },
  'library.addFolder': { args: z.object({ path: z.string().min(1).max(4096) }).strict(), result: ModelLibrarySchema },
  'library.removeFolder': { args: z.object({ path: z.string().min(1).max(4096) }).strict(), result: ModelLibrarySchema },
  'library.pickFolder': { args: empty, result: z.object({ path: z.string().nullable() }) },
  'library.makePca': {
    /** PCA of the dataset sample as a linear autoencoder with `latent` whitened components, added to the library as a model. */
    args: z.object({ latent: z.int().min(2).max(64) }).strict(),
    progress: z.object({ done: z.int(), total: z.int() }),
    result: z.object({ library: ModelLibrarySchema, model: modelId, explained: z.number(), psnr: z.number() }),
  },
  'model.load': { args: z.object({ model: modelId }).strict(), result: ModelSummarySchema },
  'model.unload': { args: z.object({ model: modelId }).strict(), result: z.object({ released: z.boolean() }) },
  'model.decode': {
    args: DecodeArgsSchema,
    /** Images in [0, 1], shape [batch, channels, height, width], whatever range the model produces. */
    result: z.object({ images: Float32TensorSchema, ms: z.number() }),
  },
  'model.preview': {
    /**
     * model.decode for display: the same arguments, the images as 8-bit channel planes (a quarter of the bytes, nothing
     * to check for NaN). maxSide: images averaged down by a whole factor until their longer side is at most this (tiles
     * shown small: a 512 px model's sample grid at 128 px is a sixteenth of the bytes to send and convert).
     */
    args: DecodeArgsSchema.extend({
      /** The codes; or, with `prior`, none. */
      z: Float32TensorSchema.optional(),
      /**
       * Codes drawn from the prior N(0, I) by the engine instead of sent: codes `from` … `count` − 1 of those
       * randomNormal(count × latent size, seed) names. A sample grid of a 1024 px VAE is 16 codes of [4, 128, 128]:
       * drawn in a window they held its main thread about 180 ms, and made a 4 MB message.
       */
      prior: z.object({ seed: z.int().nonnegative(), count: z.int().min(1).max(256), from: z.int().nonnegative().default(0) }).strict().optional(),
      maxSide: z.int().min(8).max(4096).optional(),
      /** Each progress report also carries the run's images, so a grid shows them as they come (and keeps them if stopped). */
      progressive: z.boolean().optional(),
      /**
       * The pictures are kept by the engine (within its memory budget) by model, options and code, and codes asked for
       * again (a sample grid in another window, after a reload, or resumed) are answered from them without decoding.
       */
      reuse: z.boolean().optional(),
      /**
       * 'background' for pictures made ahead on speculation (a slider's strip, the frames near its thumb): their runs
       * yield to any other (on a CPU, on a thread of the lowest priority), so what a person waits for never queues
       * behind them. Default 'foreground'.
       */
      priority: z.enum(['foreground', 'background']).optional(),
    })
      .strict()
      .refine((a) => (a.z === undefined) !== (a.prior === undefined), { message: 'send either z or prior, not both', path: ['z'] })
      .refine((a) => !a.prior || a.prior.from < a.prior.count, { message: 'prior.from must be below prior.count', path: ['prior', 'from'] })
      .refine((a) => !a.prior || (a.space ?? 'z') === 'z', { message: 'codes drawn from the prior are z codes', path: ['space'] }),
    /** Images as bytes (value × 255, clamped and rounded as a canvas's Uint8ClampedArray does), shape [batch, channels, height, width]. */
    result: z.object({ images: Uint8TensorSchema, ms: z.number() }),
    /**
     * Images decoded so far, after each run, where the images take more than one run (a sample grid of a large model);
     * with `progressive`, the images of that run: the codes [done - images.shape[0], done).
     */
    progress: z.object({ done: z.int(), total: z.int(), images: Uint8TensorSchema.optional() }),
  },
  'model.map': {
    /** A StyleGAN-style model's mapping network: z [batch, zDim] → w [batch, wDim]. */
    args: z.object({ model: modelId, z: Float32TensorSchema }).strict(),
    result: z.object({ w: Float32TensorSchema }),
  },
  'model.encode': {
    /** With a seed, also returns a reparametrized sample mean + exp(logvar / 2) · ε. */
    args: z.object({ model: modelId, images: Float32TensorSchema, seed: z.int().nonnegative().optional(), lane }).strict(),
    result: z.object({ mean: Float32TensorSchema, logvar: Float32TensorSchema.optional(), sample: Float32TensorSchema.optional(), ms: z.number() }),
  },
  'model.denoise': {
    /** One denoiser prediction (ε, v or x_0, as the model's manifest says) at (x_t, t); t holds one timestep index per batch item, label one class (or null, the null class) per item for a conditional model. */
    args: z.object({ model: modelId, x: Float32TensorSchema, t: z.array(z.number().nonnegative()).min(1), label: z.array(z.int().nonnegative().nullable()).optional() }).strict(),
    result: z.object({ eps: Float32TensorSchema, ms: z.number() }),
  },
  'model.classify': {
    args: z.object({ model: modelId, images: Float32TensorSchema }).strict(),
    result: z.object({ probabilities: Float32TensorSchema, predicted: z.array(z.int()), labels: z.array(z.string()), ms: z.number() }),
  },
  'image.import': {
    args: z
      .object({
        bytes: z
          .custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected the file as a Uint8Array')
          .refine((b) => b.length <= MAX_IMPORT_BYTES, 'files above 200 MB are refused'),
        /** The file's name, used in messages. */
        name: z.string().min(1).max(512).default('The image'),
        model: modelId,
        fit: z.enum(['crop', 'letterbox']).default('crop'),
        /** For dark objects on light backgrounds, since the bundled models saw light garments on black. */
        invert: z.boolean().default(false),
      })
      .strict(),
    result: z.object({
      format: z.enum(['png', 'jpeg', 'webp']),
      width: z.int(),
      height: z.int(),
      /** What the model sees: [1, channels, height, width] in [0, 1]. */
      modelInput: Float32TensorSchema,
      restored: EditMetadataSchema.optional(),
      /** The original image embedded in `restored`, decoded: [1, c, h, w] in [0, 1]. */
      restoredOriginal: Float32TensorSchema.optional(),
      /** Said to the user though the import worked ("tiny.png is 1×1 px … upscaled"). */
      warnings: z.array(z.string()),
    }),
  },
  'image.exportPng': {
    /** One image [1, c, h, w], or several laid side by side as a strip: floats in [0, 1], or bytes as the preview calls give them. */
    args: z
      .object({
        image: z.union([Float32TensorSchema, Uint8TensorSchema]),
        scale: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(4),
        smooth: z.boolean().default(false),
        metadata: EditMetadataSchema.optional(),
        /** The edit's original image [1, c, h, w], embedded with the metadata (ignored without metadata). */
        original: Float32TensorSchema.optional(),
      })
      .strict(),
    result: z.object({ png: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected PNG bytes') }),
  },
  'image.exportGif': {
    args: z
      .object({
        /** Frames [n, c, h, w]: floats in [0, 1], or bytes as diffusion.preview and model.preview give them. */
        frames: z.union([Float32TensorSchema, Uint8TensorSchema]),
        ...gifTiming,
      })
      .strict(),
    result: gifResult,
  },
  'latent.interpolate': {
    args: z
      .object({
        model: modelId,
        /** Two or more codes [k, ...latent]. */
        keyframes: Float32TensorSchema,
        frames: z.int().min(2).max(64),
        method: z.enum(['lerp', 'slerp']).default('slerp'),
        /** Relative duration of each segment between keyframes (k − 1 values). */
        durations: z.array(z.number().positive()).optional(),
        /** The keyframes' space: z, or a StyleGAN-style model's w [k, wDim] or w+ [k, numWs, wDim]. */
        space: z.enum(['z', 'w', 'w+']).default('z'),
        /** Latest wins: while a strip is decoded, only the newest of the calls after it waits (a dragged frame count). */
        lane,
        /** Each progress report also carries the run's frames, so the strip shows them as they come. */
        progressive: z.boolean().optional(),
      })
      .strict(),
    /** images: the frames as 8-bit channel planes (value × 255, rounded and clamped), as model.preview gives them: a strip is only shown and exported. */
    result: z.object({ codes: Float32TensorSchema, images: Uint8TensorSchema, ms: z.number() }),
    /**
     * Frames decoded so far, after each run (a frame a run at 1024 px); cancelling stops it before the next run. With
     * `progressive`, the frames of that run: [done - images.shape[0], done).
     */
    progress: z.object({ done: z.int(), total: z.int(), images: Uint8TensorSchema.optional() }),
  },
  'latent.neighbors': {
    args: z
      .object({ model: modelId, dataset: datasetId.optional(), query: Float32TensorSchema, k: z.int().min(1).max(200).default(10), exclude: z.array(z.int().nonnegative()).max(1_000_000).default([]) })
      .strict(),
    result: z.object({ indices: z.array(z.int()), distances: z.array(z.number()) }),
  },
  'edit.applyBatch': {
    /** One edit stack applied to many images (a dataset's, all or by index, or a folder's files), each written as a PNG into `output`. */
    args: z
      .object({
        model: modelId,
        source: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('dataset'), dataset: datasetId.optional(), indices: z.array(z.int().nonnegative()).min(1).max(1_000_000).optional() }).strict(),
          z.object({ kind: z.literal('folder'), path: z.string().min(1).max(4096) }).strict(),
        ]),
        edits: z.array(z.object({ direction: z.string().min(1).max(200), amount: z.number(), vector: z.array(z.number()).max(1 << 20) }).strict()).min(1).max(64),
        output: z.string().min(1).max(4096),
        scale: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(1),
        smooth: z.boolean().default(false),
      })
      .strict(),
    progress: z.object({ done: z.int(), total: z.int(), skipped: z.int() }),
    result: z.object({ written: z.int(), output: z.string(), skipped: z.array(z.object({ path: z.string(), reason: z.string() })).max(1000), skippedCount: z.int() }),
  },
  'direction.meanDifference': {
    /** Δ = mean code of the positive images − mean code of the negative ones, over the dataset sample; `classes` are labels of labelSet (an index into the dataset's labelSets). */
    args: z
      .object({ model: modelId, dataset: datasetId.optional(), positive: DatasetSelectionSchema, negative: DatasetSelectionSchema, labelSet: z.int().nonnegative().default(0) })
      .strict(),
    result: z.object({ vector: Float32TensorSchema, positive: z.int(), negative: z.int() }),
  },
  'direction.boundary': {
    /** InterFaceGAN: score prior samples with the classifier, fit a linear boundary between the most and least confident. */
    args: z
      .object({
        model: modelId,
        classifier: modelId,
        /** Classes whose summed probability is the attribute's score. */
        target: z.array(z.int().nonnegative()).min(1),
        samples: z.int().min(200).max(20_000).default(4000),
        share: z.number().min(0.01).max(0.5).default(0.1),
        seed: z.int().nonnegative().default(0),
        /** Where the boundary is fitted: z, or a StyleGAN-style model's w (the w+ direction is w's, on every layer). */
        space: z.enum(['z', 'w', 'w+']).default('z'),
      })
      .strict(),
    progress: z.object({ done: z.int(), total: z.int() }),
    result: z.object({ vector: Float32TensorSchema, accuracy: z.number(), positives: z.int(), negatives: z.int(), scoreRange: z.tuple([z.number(), z.number()]) }),
  },
  'direction.gradient': {
    /** More of the target classes at one code: ∇ log P(target) through the decoder and the classifier, one prior σ per step. */
    args: z.object({ model: modelId, classifier: modelId, target: z.array(z.int().nonnegative()).min(1).max(1000), code: Float32TensorSchema, space: z.enum(['z', 'w', 'w+']).default('z') }).strict(),
    result: z.object({ vector: Float32TensorSchema, probability: z.number(), slope: z.number(), ms: z.number() }),
  },
  'direction.labelBoundary': {
    /** A linear boundary fitted on a dataset's codes between images of some labels and images of others: the user's labels, no classifier. */
    args: z
      .object({ model: modelId, dataset: datasetId.optional(), positive: z.array(z.int().nonnegative()).min(1), negative: z.array(z.int().nonnegative()).min(1), labelSet: z.int().nonnegative().default(0) })
      .strict(),
    result: z.object({ vector: Float32TensorSchema, accuracy: z.number(), positives: z.int(), negatives: z.int() }),
  },
  'direction.principal': {
    /** Principal directions of the dataset's codes, each scaled to one standard deviation (GANSpace-style). */
    /** In w and w+ (StyleGAN-style models), GANSpace proper: PCA of 10,000 mapped prior samples, no dataset needed. */
    args: z.object({ model: modelId, dataset: datasetId.optional(), count: z.int().min(1).max(64).default(8), space: z.enum(['z', 'w', 'w+']).default('z') }).strict(),
    result: z.object({ vectors: Float32TensorSchema, explained: z.array(z.number()) }),
  },
  'latent.typicality': {
    /** How unusual a code is next to the dataset's codes: Mahalanobis distance under their covariance, and its percentile. */
    args: z.object({ model: modelId, dataset: datasetId.optional(), code: Float32TensorSchema, lane }).strict(),
    result: z.object({ distance: z.number(), percentile: z.number(), median: z.number() }),
  },
  'diffusion.schedule': {
    args: z.object({ model: modelId }).strict(),
    result: z.object({ timesteps: z.int(), betas: Float32TensorSchema, alphasCumprod: Float32TensorSchema, space: z.enum(['pixel', 'latent']) }),
  },
  'diffusion.forward': {
    /** Samples of q(x_t | x_0) for one image at several t, shown as images (latent models decode them). */
    args: z.object({ model: modelId, image: Float32TensorSchema, t: z.array(z.int().nonnegative()).min(1).max(64), seed: z.int().nonnegative().default(0), lane }).strict(),
    result: z.object({ images: Float32TensorSchema }),
  },
  'diffusion.sample': {
    args: z
      .object({
        model: modelId,
        sampler: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('ddpm'), variance: z.enum(['posterior', 'beta']).default('posterior') }),
          z.object({ kind: z.literal('ddim'), eta: z.number().min(0).max(1).default(0) }),
        ]),
        steps: z.int().min(1).max(1000),
        seed: z.int().nonnegative(),
        batch: z.int().min(1).max(16),
        /** Branch: continue from x (model space, [batch, ...]) at one of the run's timesteps. */
        resume: z.object({ x: Float32TensorSchema, t: z.int().nonnegative() }).strict().optional(),
        /** Image-to-image: noise these images ([batch, c, h, w] in [0, 1]) to t0, then denoise. */
        init: z.object({ images: Float32TensorSchema, t0: z.int().nonnegative() }).strict().optional(),
        /** A class-conditional model's class for every sample; absent: its null class (unconditional). */
        label: z.int().nonnegative().optional(),
        /** Classifier-free guidance scale w: u + w (c − u); 1 is the conditional prediction alone. Default: the model's. */
        guidance: z.number().min(0).max(50).optional(),
      })
      .strict()
      .refine((a) => !(a.resume && a.init), { message: 'resume and init exclude each other', path: ['init'] }),
    /** Each step's cheap previews (uint8; see result.xt), not full decodes. */
    progress: z.object({ step: z.int(), total: z.int(), t: z.int(), xt: Uint8TensorSchema, x0: Uint8TensorSchema }),
    result: z.object({
      timesteps: z.array(z.int()),
      noiseLevels: z.array(z.number()),
      /**
       * The positions (0 … steps) whose previews xt and x0 hold, ascending, the first and the last always: every one
       * where they fit a budget (12 MiB), else evenly spaced ones (at least 101), so a run's size is bounded.
       */
      previews: z.array(z.int().nonnegative()),
      /**
       * x_t's previews at those positions, [previews, batch, c, ph, pw], uint8; position 0 is the start. The model's
       * cheap preview (previewKind): pixel models show x (pooled to at most 128 px); latent models the decode, pooled
       * alike, except a spatial latent whose run would spend more than a budget decoding every step (measured speed ×
       * steps × batch), which shows a fitted linear latent → RGB projection at latent resolution. diffusion.decode
       * gives full resolution.
       */
      xt: Uint8TensorSchema,
      previewKind: z.enum(['pixels', 'decode', 'linear']),
      /** Previews of the predicted x_0, [previews − 1, batch, c, ph, pw]; x0[k] is shown at position previews[k + 1]. */
      x0: Uint8TensorSchema,
      /** The last position's x_t decoded at full resolution, [batch, c, h, w] in [0, 1]. */
      final: Float32TensorSchema,
      /** The positions whose raw values are kept (ascending; the first and the last always): only these can be branched from or decoded. */
      stored: z.array(z.int().nonnegative()),
      /** x_t in model space at the stored positions, [stored, batch, ...], for branching and diffusion.decode. */
      raw: Float32TensorSchema,
      /** The predicted x_0 in model space shown at the stored positions, [stored, batch, ...] (zeros at position 0). */
      rawX0: Float32TensorSchema,
      ms: z.number(),
    }),
  },
  'diffusion.decode': {
    /** Samples in model space ([batch, ...], e.g. a stored x_t or x̂₀) at full resolution: latent models decode through their VAE. */
    args: z.object({ model: modelId, x: Float32TensorSchema, lane }).strict(),
    result: z.object({ images: Float32TensorSchema }),
  },
  'diffusion.exportGif': {
    /**
     * A run's stored positions of one sample ([n, ...sample shape], model space), decoded and written as a GIF by the
     * engine: the frames never cross to the window (128 stored steps at 256 px were 25 MB to the page and 25 MB back).
     */
    args: z.object({ model: modelId, x: Float32TensorSchema, ...gifTiming }).strict(),
    result: gifResult,
  },
  'diffusion.preview': {
    /**
     * diffusion.decode for display and export: the same arguments, the images as 8-bit planes (value × 255, rounded and
     * clamped as a canvas does): a quarter of the bytes, nothing to check for NaN (128 steps at 256 px: 25 MB, not 100).
     */
    args: z.object({ model: modelId, x: Float32TensorSchema, lane }).strict(),
    result: z.object({ images: Uint8TensorSchema }),
  },
  'gan.invert': {
    /** Find z* with G(z*) ≈ the image by Adam on z; cancelling returns the best code so far. */
    args: z
      .object({
        model: modelId,
        image: Float32TensorSchema,
        settings: z
          .object({
            steps: z.int().min(1).max(5000),
            lr: z.number().positive().max(10),
            betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]),
            warmup: z.number().min(0).max(1),
            rampdown: z.number().min(0).max(1),
            noise: z.number().min(0).max(10),
            noiseRamp: z.number().min(0.001).max(1),
            prior: z.number().min(0).max(100),
            restarts: z.int().min(0).max(64),
            warmStart: z.boolean(),
            seed: z.int().nonnegative(),
            plateau: z.number().min(0).max(1),
            patience: z.int().min(1).max(5000),
            /** Search z, or a StyleGAN-style model's w or w+ (through its synthesis graph, starting at w_avg). */
            space: z.enum(['z', 'w', 'w+']),
            /** A perceptual term on a classifier's features of the image, weighted by λ (0: pixels alone). */
            perceptual: z.object({ classifier: modelId, weight: z.number().min(0).max(100) }).strict(),
          })
          .partial()
          .strict()
          .default({}),
      })
      .strict(),
    progress: z.object({ step: z.int(), total: z.int(), losses: z.array(z.number()), bestLoss: z.number(), best: Float32TensorSchema.optional() }),
    result: z.object({
      /** [1, dim] in z or w; [1, numWs, wDim] in w+. */
      z: Float32TensorSchema,
      space: z.enum(['z', 'w', 'w+']),
      loss: z.number(),
      image: Float32TensorSchema,
      psnr: z.number(),
      ssim: z.number(),
      steps: z.int(),
      cancelled: z.boolean(),
      stoppedOnPlateau: z.boolean(),
      curve: z.array(z.number()),
      winner: z.int(),
      finalLosses: z.array(z.number()),
      encoderOnly: z.object({ psnr: z.number(), ssim: z.number(), image: Float32TensorSchema }).optional(),
      gradientSource: z.enum(['inversion graph', 'differentiated generator', 'none (CMA-ES search)']),
      gradientNote: z.string().optional(),
      ms: z.number(),
    }),
  },
  'project.save': {
    /** Atomic: a crash at any moment leaves the old file or the new one, whole. session: the saving window's, whose autosave the save supersedes. */
    args: z.object({ path: z.string().min(1).max(4096), project: ProjectSchema, session: sessionId.optional() }).strict(),
    result: z.object({ path: z.string(), savedAt: z.string() }),
  },
  'project.open': {
    args: z.object({ path: z.string().min(1).max(4096) }).strict(),
    /** warnings: models the project uses that are missing or have changed since it was saved. */
    result: z.object({ path: z.string(), project: ProjectSchema, savedAt: z.string().optional(), migratedFrom: z.int().optional(), warnings: z.array(z.string()) }),
  },
  'project.recent': { args: empty, result: z.object({ projects: z.array(z.object({ path: z.string(), exists: z.boolean() })) }) },
  /** Each window or tab autosaves into its own session's file; the call claims the session for the calling connection. */
  'project.autosave': { args: z.object({ session: sessionId, project: ProjectSchema }).strict(), result: z.object({ savedAt: z.string() }) },
  'project.recovery': {
    /** Claims the caller's session, then lists the autosaves of sessions whose window is gone (never a live one's). */
    args: z.object({ session: sessionId }).strict(),
    /** warnings: as for project.open, models changed or missing since the autosave; problem: the autosave could not be read. */
    result: z.object({
      sessions: z.array(z.object({ session: sessionId, project: ProjectSchema.optional(), savedAt: z.string().optional(), problem: z.string().optional(), warnings: z.array(z.string()).optional() })),
    }),
  },
  /** Deletes an orphaned session's autosave (after it was recovered or declined); refused for a live session. */
  'project.discardRecovery': { args: z.object({ session: sessionId }).strict(), result: z.object({}) },
  'project.pickPath': {
    /** A native open or save dialog (desktop only; browser mode types paths). */
    args: z.object({ mode: z.enum(['open', 'save']), suggestedName: z.string().max(200).optional() }).strict(),
    result: z.object({ path: z.string().nullable() }),
  },
  'dataset.project': {
    /** PCA of the dataset's codes under a model: every component for small codes, the leading 64 for large ones. */
    args: z.object({ model: modelId, dataset: datasetId.optional() }).strict(),
    result: z.object({
      dim: z.int(),
      /** Components given: components is [rank, dim], coords [count, rank]. */
      rank: z.int(),
      mean: Float32TensorSchema,
      components: Float32TensorSchema,
      variance: Float32TensorSchema,
      explained: z.array(z.number()),
      coords: Float32TensorSchema,
    }),
  },
  'dataset.info': { args: z.object({ dataset: datasetId.optional() }).strict(), result: DatasetSummarySchema },
  'dataset.list': { args: empty, result: z.object({ datasets: z.array(DatasetSummarySchema) }) },
  'dataset.openFolder': {
    /** Reads a folder of PNG, JPEG and WebP images (subfolders or labels.csv give labels) as a dataset; again, to take in what changed. */
    args: z.object({ path: z.string().min(1).max(4096) }).strict(),
    progress: z.object({ done: z.int(), total: z.int(), skipped: z.int() }),
    result: DatasetSummarySchema,
  },
  'dataset.remove': { args: z.object({ dataset: datasetId }).strict(), result: z.object({ datasets: z.array(DatasetSummarySchema) }) },
  'dataset.images': {
    /** Images to show (a folder's thumbnails), or with `model` the images as that model takes them; uint8 [n, c, h, w]. */
    args: z.object({ dataset: datasetId.optional(), indices: z.array(z.int().nonnegative()).min(1).max(4096), model: modelId.optional() }).strict(),
    result: z.object({ images: Uint8TensorSchema, labels: z.array(z.int()) }),
  },
  'dataset.labels': {
    /** One of the dataset's label sets (an index into its summary's labelSets): a label number per image, and their names. */
    args: z.object({ dataset: datasetId.optional(), set: z.int().nonnegative() }).strict(),
    result: z.object({ name: z.string(), names: z.array(z.string()), labels: z.array(z.int()) }),
  },
  'dataset.encode': {
    /**
     * batchSize: images per encoder call. On a CPU a larger batch encodes no faster (emoji-vae's encoder: 1.49 ms an
     * image at 64 and at 128) while ONNX Runtime's arena keeps the largest run's activations, 3.3 MB an image there.
     */
    args: z.object({ model: modelId, dataset: datasetId.optional(), batchSize: z.int().min(1).max(1024).default(64) }).strict(),
    progress: z.object({ done: z.int(), total: z.int() }),
    result: z.object({ codes: Float32TensorSchema, labels: z.array(z.int()), ms: z.number() }),
  },
} as const;

/** Events the host pushes without a request. */
export const events = {
  /** The model library changed: a session was loaded (its provider is now known) or a folder was added. */
  'models.changed': ModelLibrarySchema,
} as const;

type Calls = typeof calls;
type Events = typeof events;
export type CallName = keyof Calls;
export type EventName = keyof Events;
export type CallArgs<N extends CallName> = z.input<Calls[N]['args']>;
export type ParsedCallArgs<N extends CallName> = z.output<Calls[N]['args']>;
export type CallResult<N extends CallName> = z.infer<Calls[N]['result']>;
export type JobName = { [N in CallName]: Calls[N] extends { progress: z.ZodType } ? N : never }[CallName];
export type CallProgress<N extends CallName> = Calls[N] extends { progress: infer P extends z.ZodType } ? z.infer<P> : never;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;

export const callNames = Object.keys(calls) as CallName[];

// The preload's plain list of names must be exactly the contract's calls.
type ListedName = (typeof CALL_NAMES)[number];
const namesAgree: [Exclude<CallName, ListedName>, Exclude<ListedName, CallName>] extends [never, never] ? true : false = true;
void namesAgree;
export const eventNames = Object.keys(events) as EventName[];

export function isCallName(name: string): name is CallName {
  return Object.hasOwn(calls, name);
}

export function progressSchemaOf(name: CallName): z.ZodType | undefined {
  const spec = calls[name] as { progress?: z.ZodType };
  return spec.progress;
}
