import { describe, expect, it } from 'vitest';
import { CALL_NAMES } from '../../electron/api/callNames';
import { callNames, calls, eventNames, isCallName } from '../../electron/api/contract';
import { ClientMessageSchema, ServerMessageSchema } from '../../electron/api/messages';
import { float32Tensor } from '../../electron/api/tensor';
import { Float32TensorSchema } from '../../electron/api/tensorSchemas';
import { schemaError } from '../../electron/api/errorSchemas';

describe('tensor schema', () => {
  it('accepts a typed array whose length matches its shape', () => {
    expect(Float32TensorSchema.safeParse(float32Tensor([2, 3])).success).toBe(true);
  });

  it('rejects a JSON number list and names the data field', () => {
    const result = Float32TensorSchema.safeParse({ dtype: 'float32', shape: [2], data: [1, 2] });
    expect(result.success).toBe(false);
    expect(schemaError(result.error!, 'args.z').field).toBe('args.z.data');
  });

  it('rejects NaN and Infinity, naming the data field', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const result = Float32TensorSchema.safeParse(float32Tensor([2], new Float32Array([0, bad])));
      expect(result.success).toBe(false);
      expect(result.error!.issues[0]).toMatchObject({ path: ['data'], message: 'values must be finite numbers (no NaN or Infinity)' });
    }
  });

  it('rejects data whose length does not match the shape', () => {
    const result = Float32TensorSchema.safeParse({ dtype: 'float32', shape: [2, 3], data: new Float32Array(5) });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['data']);
    expect(result.error!.issues[0]!.message).toMatch(/product of shape/);
  });
});

describe('calls', () => {
  it('every call has argument and result schemas, and jobs have progress', () => {
    for (const name of callNames) {
      expect(calls[name].args, name).toBeDefined();
      expect(calls[name].result, name).toBeDefined();
    }
    expect('progress' in calls['dataset.encode']).toBe(true);
    expect('progress' in calls['model.decode']).toBe(false);
    expect(eventNames).toContain('models.changed');
  });

  it('the preload exposes exactly the contract calls', () => {
    expect([...CALL_NAMES].sort()).toEqual([...callNames].sort());
  });

  it('knows its own names and nothing inherited', () => {
    expect(isCallName('app.info')).toBe(true);
    expect(isCallName('toString')).toBe(false);
    expect(isCallName('shell.exec')).toBe(false);
  });

  it('model.decode names the field at fault', () => {
    const bad = calls['model.decode'].args.safeParse({ model: 'Bad Id!', z: float32Tensor([1, 16]) });
    expect(schemaError(bad.error!, 'args').field).toBe('args.model');
    const extra = calls['model.decode'].args.safeParse({ model: 'fmnist-vae', z: float32Tensor([1, 16]), evil: 1 });
    expect(extra.success).toBe(false);
  });

  it('dataset.encode fills in its default batch size', () => {
    expect(calls['dataset.encode'].args.parse({ model: 'fmnist-vae' }).batchSize).toBe(64);
  });
});

describe('envelopes', () => {
  it('parses calls and cancels and refuses anything else', () => {
    expect(ClientMessageSchema.parse({ type: 'call', id: 1, name: 'app.info', args: {} }).type).toBe('call');
    expect(ClientMessageSchema.parse({ type: 'cancel', id: 1 }).type).toBe('cancel');
    const bad = ClientMessageSchema.safeParse({ type: 'call', id: -1, name: 'app.info' });
    expect(schemaError(bad.error!, 'message').field).toBe('message.id');
    expect(ClientMessageSchema.safeParse({ type: 'exec', id: 1 }).success).toBe(false);
  });

  it('server messages carry results, errors with codes, progress and events', () => {
    expect(ServerMessageSchema.safeParse({ type: 'error', id: null, error: { code: 'bad-request', message: 'x', field: 'args' } }).success).toBe(true);
    expect(ServerMessageSchema.safeParse({ type: 'error', id: 3, error: { code: 'nope', message: 'x' } }).success).toBe(false);
  });
});
