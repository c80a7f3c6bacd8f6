/**
 * Errors are values with a code and a message a person can act on. No zod here: the page imports ApiError at load, and
 * zod's schemas are built in a chunk of their own after its first render (errorSchemas.ts).
 */
export const ERROR_CODES = [
  'bad-request', // a message or its arguments failed the contract's schema
  'unknown-call',
  'not-found', // a model, image or job that does not exist
  'model-error', // a model failed to load or run
  'bad-input', // input of the right form but unusable (wrong image size, corrupt file)
  'cancelled',
  'superseded', // a newer request on the same lane replaced this one before it ran
  'unauthorized',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
  /** Dotted path of the field at fault, e.g. "args.z.shape". */
  field?: string;
}

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
