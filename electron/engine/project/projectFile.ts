import { z } from 'zod';
import { ApiError } from '../../api/errors';
import { PROJECT_FORMAT, ProjectSchema, type Project } from '../../api/project';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';

/**
 * Project files on disk: JSON with a format number, every tensor as its
 * shape plus base64 little-endian float32 (compact, exact). Reading checks
 * everything and names what is wrong; older formats are migrated.
 */
const MAGIC = 'latent-studio-project';
export const PROJECT_EXTENSION = '.lsproj';

const StoredTensorSchema = z.object({ shape: z.array(z.int().nonnegative()), f32: z.string() }).strict();

function encodeTensor(t: Float32Tensor): z.infer<typeof StoredTensorSchema> {
  return { shape: t.shape, f32: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64') };
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
  const stored = mapTensors(project, (v) => v['data'] instanceof Float32Array, encodeTensor);
  return JSON.stringify({ app: MAGIC, appVersion, savedAt: new Date().toISOString(), project: stored }, null, 1);
}

const EnvelopeSchema = z.object({ app: z.literal(MAGIC), appVersion: z.string().optional(), savedAt: z.string().optional(), project: z.record(z.string(), z.unknown()) });

/** Older formats, each upgraded to the next (format N's step makes format N + 1). */
const MIGRATIONS: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {
  // Format 2 added the models' fingerprints; a format 1 project has none, so nothing can be compared.
  1: (old) => ({ ...old, format: 2, models: {} }),
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
  const isStored = (v: Record<string, unknown>) => typeof v['f32'] === 'string' && Array.isArray(v['shape']);
  let decodeFailure: string | undefined;
  const decoded = mapTensors(project, isStored, (v: z.infer<typeof StoredTensorSchema>) => {
    const parsed = StoredTensorSchema.safeParse(v);
    const bytes = parsed.success ? Buffer.from(parsed.data.f32, 'base64') : Buffer.alloc(0);
    const count = parsed.success ? parsed.data.shape.reduce((a, b) => a * b, 1) : -1;
    if (!parsed.success || bytes.length !== count * 4) {
      decodeFailure ??= 'a stored tensor does not match its shape';
      return v;
    }
    return float32Tensor(parsed.data.shape, new Float32Array(new Uint8Array(bytes).buffer));
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
