import { z } from 'zod';
import { ApiErrorSchema } from './errorSchemas';

/**
 * Envelopes shared by both transports. A call is answered by exactly one
 * result or error with the same id; a job also streams progress with that id
 * until then. A cancel aborts the call with that id.
 */
const callId = z.int().nonnegative();

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: callId, name: z.string().max(64), args: z.unknown() }).strict(),
  z.object({ type: z.literal('cancel'), id: callId }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), id: callId, result: z.unknown() }),
  z.object({ type: z.literal('error'), id: callId.nullable(), error: ApiErrorSchema }),
  z.object({ type: z.literal('progress'), id: callId, progress: z.unknown() }),
  z.object({ type: z.literal('event'), name: z.string(), payload: z.unknown() }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
