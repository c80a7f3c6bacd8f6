/**
 * What every message from the engine is checked against: zod and the contract's schemas. The client imports this in a
 * chunk of its own after the page's first render (see createClient): built at load, zod's schemas were about half of
 * the page's first task (module evaluation, 93–147 ms here).
 */
export { calls } from '../../../electron/api/contract';
export { ServerMessageSchema } from '../../../electron/api/messages';
