import { z } from 'zod';
import { ApiError } from '../../api/errors';
import { PROJECT_FORMAT, ProjectSchema, type Project } from '../../api/project';
import { float32Tensor, type Float32Tensor, type Uint8Tensor } from '../../api/tensor';

/**
 * Project files on disk: JSON with a format number, every tensor as its
 * shape plus base64 of its bytes: little-endian float32 (codes, vectors) or
 * 8-bit (images). Compact and exact. Reading checks everything and names
 * what is wrong; older formats are migrated.
 */
const MAGIC = 'latent-studio-project';
export const PROJECT_EXTENSION = '.lsproj';

const StoredTensorSchema = z.union([z.object({ shape: z.array(z.int().nonnegative()), f32: z.string() }).strict(), z.object({ shape: z.array(z.int().nonnegative()), u8: z.string() }).strict()]);
type StoredTensor = z.infer<typeof StoredTensorSchema>;

function encodeTensor(t: Float32Tensor | Uint8Tensor): StoredTensor {
  const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64');
  return t.dtype === 'uint8' ? { shape: t.shape, u8: bytes } : { shape: t.shape, f32: bytes };
}

/** A stored tensor back as the API's, or undefined where its bytes do not match its shape. */
function decodeTensor(stored: StoredTensor): Float32Tensor | Uint8Tensor | undefined {
  const count = stored.shape.reduce((a, b) => a * b, 1);
  const bytes = Buffer.from('f32' in stored ? stored.f32 : stored.u8, 'base64');
  if ('u8' in stored) return bytes.length === count ? { dtype: 'uint8', shape: stored.shape, data: new Uint8Array(bytes) } : undefined;
  return bytes.length === count * 4 ? float32Tensor(stored.shape, new Float32Array(new Uint8Array(bytes).buffer)) : undefined;
}

/** Walks a value, turning tensors into their stored form (or back). */
function mapTensors(value: unknown, isTensor: (v: Record<string, unknown>) => boolean, convert: (v: never) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapTensors(v, isTensor, convert));
  if (value && typeof value === 'object') {
    if (isTensor(value as Record<string, unknown>)) return convert(value as never);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapTensors(v, isTensor, convert)]));
  }
  return value;
}

export function serializeProject(project: Project, appVersion: string): string {
  const stored = mapTensors(project, (v) => v['data'] instanceof Float32Array || v['data'] instanceof Uint8Array, encodeTensor);
  return JSON.stringify({ app: MAGIC, appVersion, savedAt: new Date().toISOString(), project: stored }, null, 1);
}

const EnvelopeSchema = z.object({ app: z.literal(MAGIC), appVersion: z.string().optional(), savedAt: z.string().optional(), project: z.record(z.string(), z.unknown()) });

/** Older formats, each upgraded to the next (format N's step makes format N + 1). */
const MIGRATIONS: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {
  // Format 2 added the models' fingerprints; a format 1 project has none, so nothing can be compared.
  1: (old) => ({ ...old, format: 2, models: {} }),
  // Format 3 may keep images as 8-bit; format 2's float32 images stay valid as they are.
  2: (old) => ({ ...old, format: 3 }),
};

export function parseProject(text: string, fileName: string): { project: Project; savedAt?: string; migratedFrom?: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const hint = text.trim().length === 0 ? 'the file is empty' : `it is not valid JSON (${(error as Error).message}); it may be truncated or damaged`;
    throw new ApiError('bad-input', `${fileName} cannot be opened: ${hint}. Nothing was changed.`, 'file');
  }
  const envelope = EnvelopeSchema.safeParse(raw);
  if (!envelope.success) throw new ApiError('bad-input', `${fileName} is not a Latent Studio project (${envelope.error.issues[0]?.path.join('.') || 'top level'}: ${envelope.error.issues[0]?.message}).`, 'file');
  let project = envelope.data.project;
  const format = project['format'];
  if (typeof format !== 'number' || !Number.isInteger(format)) throw new ApiError('bad-input', `${fileName} has no project format number.`, 'project.format');
  if (format > PROJECT_FORMAT) {
    throw new ApiError('bad-input', `${fileName} was saved by a newer Latent Studio (project format ${format}); this version reads up to format ${PROJECT_FORMAT}. Update the app to open it.`, 'project.format');
  }
  const migratedFrom = format < PROJECT_FORMAT ? format : undefined;
  for (let f = format; f < PROJECT_FORMAT; f++) {
    const step = MIGRATIONS[f];
    if (!step) throw new ApiError('bad-input', `${fileName} uses project format ${f}, which this version cannot migrate.`, 'project.format');
    project = step(project);
  }
  const isStored = (v: Record<string, unknown>) => (typeof v['f32'] === 'string' || typeof v['u8'] === 'string') && Array.isArray(v['shape']);
  let decodeFailure: string | undefined;
  const decoded = mapTensors(project, isStored, (v: StoredTensor) => {
    const parsed = StoredTensorSchema.safeParse(v);
    const tensor = parsed.success ? decodeTensor(parsed.data) : undefined;
    if (!tensor) {
      decodeFailure ??= 'a stored tensor does not match its shape';
      return v;
    }
    return tensor;
  });
  if (decodeFailure) throw new ApiError('bad-input', `${fileName} is damaged: ${decodeFailure}.`, 'project');
  const checked = ProjectSchema.safeParse(decoded);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const field = ['project', ...issue.path.map(String)].join('.');
    throw new ApiError('bad-input', `${fileName} has a problem at ${field}: ${issue.message}. Nothing was changed.`, field);
  }
  return { project: checked.data, savedAt: envelope.data.savedAt, migratedFrom };
}
