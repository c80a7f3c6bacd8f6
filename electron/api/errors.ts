import { z } from 'zod';

/** Errors are values with a code and a message a person can act on. */
export const ErrorCodeSchema = z.enum([
  'bad-request', // a message or its arguments failed the contract's schema
  'unknown-call',
  'not-found', // a model, image or job that does not exist
  'model-error', // a model failed to load or run
  'bad-input', // input of the right form but unusable (wrong image size, corrupt file)
  'cancelled',
  'superseded', // a newer request on the same lane replaced this one before it ran
  'unauthorized',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ApiErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** Dotted path of the field at fault, e.g. "args.z.shape". */
  field: z.string().optional(),
});
export type ApiErrorShape = z.infer<typeof ApiErrorSchema>;

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
  }

  toJSON(): ApiErrorShape {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }

  static from(shape: ApiErrorShape): ApiError {
    return new ApiError(shape.code, shape.message, shape.field);
  }
}

/** Turns a zod failure into a bad-request error naming the first field at fault. */
export function schemaError(error: z.ZodError, prefix: string): ApiError {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return new ApiError('bad-request', `${path || 'message'}: ${issue?.message ?? 'invalid'}`, path || undefined);
}
