import { z } from 'zod';
import { CALL_NAMES } from './callNames';
import { Float32TensorSchema, Uint8TensorSchema } from './tensor';

/**
 * The one API contract. Every call names its argument and result schemas; a
 * call with a `progress` schema is a job: it streams progress events while it
 * runs and can be cancelled. Both transports (Electron IPC and the browser-mode
 * WebSocket) carry exactly these names and nothing else.
 */

const modelId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model id is lowercase letters, digits, ".", "_" or "-"');

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
  latent: z.object({ shape: z.array(z.int().positive()) }).optional(),
  graphs: z.record(z.string(), z.object({ file: z.string(), inputs: z.array(TensorSpecSchema), outputs: z.array(TensorSpecSchema) })),
  labels: z.array(z.string()).optional(),
  metrics: z.record(z.string(), z.unknown()),
  /** Set once a graph of the model has been loaded into a session. */
  provider: z.string().optional(),
  loadMs: z.number().optional(),
});
export type ModelSummary = z.infer<typeof ModelSummarySchema>;

export const ModelProblemSchema = z.object({
  folder: z.string(),
  field: z.string().optional(),
  message: z.string(),
});
export type ModelProblem = z.infer<typeof ModelProblemSchema>;

const ModelLibrarySchema = z.object({ models: z.array(ModelSummarySchema), problems: z.array(ModelProblemSchema) });

const empty = z.object({}).strict();

export const calls = {
  'app.info': {
    args: empty,
    result: z.object({
      name: z.string(),
      version: z.string(),
      platform: z.string(),
      runtime: z.object({ library: z.string(), version: z.string() }),
      providers: z.array(ProviderSchema),
      /** The provider new sessions are created with (first available in preference order). */
      preferredProvider: z.string(),
      models: z.array(ModelSummarySchema),
      problems: z.array(ModelProblemSchema),
    }),
  },
  'model.list': { args: empty, result: ModelLibrarySchema },
  'model.decode': {
    args: z.object({ model: modelId, z: Float32TensorSchema }).strict(),
    /** Images in [0, 1], shape [batch, channels, height, width], whatever range the model produces. */
    result: z.object({ images: Float32TensorSchema, ms: z.number() }),
  },
  'model.encode': {
    args: z.object({ model: modelId, images: Float32TensorSchema }).strict(),
    result: z.object({ mean: Float32TensorSchema, logvar: Float32TensorSchema.optional(), ms: z.number() }),
  },
  'dataset.info': {
    args: empty,
    result: z.object({
      name: z.string(),
      count: z.int(),
      channels: z.int(),
      height: z.int(),
      width: z.int(),
      labels: z.array(z.string()),
      license: z.string(),
    }),
  },
  'dataset.images': {
    args: z.object({ indices: z.array(z.int().nonnegative()).min(1).max(4096) }).strict(),
    result: z.object({ images: Uint8TensorSchema, labels: z.array(z.int()) }),
  },
  'dataset.encode': {
    args: z.object({ model: modelId, batchSize: z.int().min(1).max(1024).default(256) }).strict(),
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
