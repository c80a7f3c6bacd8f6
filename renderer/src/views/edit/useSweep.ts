import { useEffect, useState } from 'react';
import { float32Tensor, type Float32Tensor } from '../../../../electron/api/tensor';
import { applyEdits, type Edit } from '../../../../electron/common/vectors';
import { useAppStore } from '../../state/appStore';
import { sweepAmounts } from './sweep';

export interface Sweep {
  /** The other directions' amounts it was decoded with, and everything else it depends on. */
  key: string;
  direction: string;
  range: number;
  base: Float32Array;
  vectors: ReadonlyMap<string, Float32Array>;
  amounts: number[];
  /** One image per amount, in order. */
  images: Float32Tensor;
}

/**
 * Decodes one direction's whole slider grid in a single batched call (161 images at ±4),
 * so dragging that slider paints a ready image in the same frame as the input event
 * instead of waiting a round trip and a frame. The other directions stay as they are;
 * when they change, the sweep is decoded again and `current` is false meanwhile.
 */
export function useSweep(model: string | undefined, base: Float32Array | undefined, stack: readonly Edit[], direction: string | undefined, range: number, vectors: ReadonlyMap<string, Float32Array>): { sweep?: Sweep; current: boolean } {
  const client = useAppStore((s) => s.client);
  const [sweep, setSweep] = useState<Sweep>();
  const others = stack.filter((e) => e.direction !== direction && e.amount !== 0);
  const key = JSON.stringify([model, direction, range, others]);
  useEffect(() => {
    if (!client || !model || !base || !direction || !vectors.has(direction)) return;
    const [, , , edits] = JSON.parse(key) as [string, string, number, Edit[]];
    const amounts = sweepAmounts(range);
    const codes = new Float32Array(amounts.length * base.length);
    amounts.forEach((amount, i) => codes.set(applyEdits(base, [...edits, { direction, amount }], vectors), i * base.length));
    let live = true;
    client
      .invoke('model.decode', { model, z: float32Tensor([amounts.length, base.length], codes), lane: 'edit-sweep' })
      .then((r) => live && setSweep({ key, direction, range, base, vectors, amounts, images: r.images }), () => {});
    return () => {
      live = false;
    };
  }, [client, model, base, key, direction, range, vectors]);
  return { sweep, current: !!sweep && sweep.key === key && sweep.base === base && sweep.vectors === vectors };
}
