import { z } from 'zod';
import { elementCount, type Float32Tensor, type Uint8Tensor } from './tensor';

const shapeSchema = z.array(z.int().nonnegative()).max(8);

const lengthMatchesShape = (t: { shape: number[]; data: { length: number } }) =>
  elementCount(t.shape) === t.data.length;
const lengthMessage = { message: 'data length does not match the product of shape', path: ['data'] };

function allFinite(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
}

export const Float32TensorSchema: z.ZodType<Float32Tensor> = z
  .object({ dtype: z.literal('float32'), shape: shapeSchema, data: z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array') })
  .refine(lengthMatchesShape, lengthMessage)
  .refine((t) => allFinite(t.data), { message: 'values must be finite numbers (no NaN or Infinity)', path: ['data'] });

export const Uint8TensorSchema: z.ZodType<Uint8Tensor> = z
  .object({ dtype: z.literal('uint8'), shape: shapeSchema, data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array') })
  .refine(lengthMatchesShape, lengthMessage);
