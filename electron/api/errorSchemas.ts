import { z } from 'zod';
import { ApiError, ERROR_CODES, type ApiErrorShape } from './errors';

export const ErrorCodeSchema = z.enum(ERROR_CODES);

export const ApiErrorSchema: z.ZodType<ApiErrorShape> = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** Dotted path of the field at fault, e.g. "args.z.shape". */
  field: z.string().optional(),
});

/** Turns a zod failure into a bad-request error naming the first field at fault. */
export function schemaError(error: z.ZodError, prefix: string): ApiError {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return new ApiError('bad-request', `${path || 'message'}: ${issue?.message ?? 'invalid'}`, path || undefined);
}
