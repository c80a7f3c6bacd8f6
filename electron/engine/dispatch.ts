import { calls, isCallName, progressSchemaOf, type CallName, type CallResult, type ParsedCallArgs, type CallProgress } from '../api/contract';
import { ApiError, type ApiErrorShape } from '../api/errors';
import { schemaError } from '../api/errorSchemas';

export interface CallContext<N extends CallName> {
  signal: AbortSignal;
  progress(update: CallProgress<N>): void;
  /** Which connection made the call, so coalescing lanes stay per client. */
  client: number;
}

export interface DispatchOptions {
  signal: AbortSignal;
  onProgress(progress: unknown): void;
  client: number;
}

export type Handlers = {
  [N in CallName]: (args: ParsedCallArgs<N>, ctx: CallContext<N>) => Promise<CallResult<N>>;
};

export type Outcome = { ok: true; result: unknown } | { ok: false; error: ApiErrorShape };

/**
 * The one place every call passes through, whichever transport carried it:
 * the name must be in the contract, the arguments must match its schema, and
 * the handler's result and progress are checked against the contract too.
 */
export async function dispatchCall(
  handlers: Handlers,
  name: string,
  rawArgs: unknown,
  { signal, onProgress, client }: DispatchOptions,
): Promise<Outcome> {
  try {
    if (!isCallName(name)) throw new ApiError('unknown-call', `no call named "${name}" in the contract`, 'name');
    const spec = calls[name];
    const parsed = spec.args.safeParse(rawArgs ?? {});
    if (!parsed.success) throw schemaError(parsed.error, 'args');
    const progressSchema = progressSchemaOf(name);
    const ctx: CallContext<CallName> = {
      signal,
      client,
      progress: (update: unknown) => {
        if (progressSchema) onProgress(progressSchema.parse(update));
      },
    };
    const handler = handlers[name] as (args: unknown, ctx: CallContext<CallName>) => Promise<unknown>;
    const result = await handler(parsed.data, ctx);
    const checked = spec.result.safeParse(result);
    if (!checked.success) throw new ApiError('internal', `the engine produced an invalid ${name} result: ${schemaError(checked.error, 'result').message}`);
    return { ok: true, result: checked.data };
  } catch (error) {
    return { ok: false, error: toApiError(error).toJSON() };
  }
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError('internal', message);
}
