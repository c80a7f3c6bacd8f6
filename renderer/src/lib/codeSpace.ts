import type { ModelSummary } from '../../../electron/api/contract';
import { float32Tensor, type Float32Tensor } from '../../../electron/api/tensor';

/** Where a code lives: z (the prior), or a StyleGAN-style model's w (one style) or w+ (one per layer). */
export type CodeSpace = 'z' | 'w' | 'w+';

/** `count` codes of a space as the engine takes them: z flat per code, w [count, wDim], w+ [count, numWs, wDim]. */
export function codesTensor(model: Pick<ModelSummary, 'style'> | undefined, space: CodeSpace, codes: Float32Array, count: number): Float32Tensor {
  if (space === 'z' || !model?.style) return float32Tensor([count, codes.length / count], codes);
  return float32Tensor(space === 'w' ? [count, model.style.wDim] : [count, model.style.numWs, model.style.wDim], codes);
}

/** model.decode's arguments for codes of a space. */
export const decodeArgs = (model: Pick<ModelSummary, 'id' | 'style'>, space: CodeSpace, codes: Float32Array, count: number) => ({
  model: model.id,
  z: codesTensor(model, space, codes, count),
  ...(space === 'z' ? {} : { space }),
});

/** w [wDim] on every layer: w+ [numWs × wDim]. */
export function broadcastW(w: Float32Array, numWs: number): Float32Array {
  const out = new Float32Array(numWs * w.length);
  for (let l = 0; l < numWs; l++) out.set(w, l * w.length);
  return out;
}
