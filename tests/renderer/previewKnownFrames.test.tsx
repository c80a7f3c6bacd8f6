// @vitest-environment jsdom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Uint8Tensor } from '../../electron/api/tensor';
import { usePreview } from '../../renderer/src/lib/useDecoded';
import { useAppStore } from '../../renderer/src/state/appStore';
import { modelSummary } from './modelSummary';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const model = modelSummary('vae', { image: { channels: 1, height: 2, width: 2, range: [0, 1] }, latent: { shape: [2], prior: 'standard-normal' } });
const picture = (value: number): Uint8Tensor => ({ dtype: 'uint8', shape: [1, 1, 2, 2], data: new Uint8Array(4).fill(value) });

/** A client whose model.preview answers when the test says, recording each call's code. */
function deferredClient() {
  const calls: { code: number[]; answer: (value: number) => void }[] = [];
  const invoke = (name: string, args: { z: { data: Float32Array } }) => {
    if (name !== 'model.preview') throw new Error(`unexpected ${name}`);
    return new Promise((resolve) => calls.push({ code: [...args.z.data], answer: (v) => resolve({ images: picture(v), ms: 5 }) }));
  };
  return { client: { invoke }, calls };
}

afterEach(() => useAppStore.setState({ client: undefined, models: [] }));

describe("Edit's picture as frames made ahead come and go", () => {
  it('leaving a frame made ahead keeps that frame on screen until the new decode arrives, never an older decode', async () => {
    const { client, calls } = deferredClient();
    useAppStore.setState({ client: client as never, models: [model] });
    const shown: (number | undefined)[] = [];
    function Edited({ code, known }: { code: Float32Array; known?: Uint8Tensor }) {
      const image = usePreview('vae', code, 'edit', known);
      shown.push(image?.data[0]);
      return null;
    }
    const root = createRoot(document.createElement('div'));
    // A drag's decode, then an amount whose strip frame is there, then an amount decoded on demand.
    await act(async () => root.render(<Edited code={new Float32Array([1, 1])} />));
    await act(async () => calls[0]!.answer(10));
    await act(async () => root.render(<Edited code={new Float32Array([2, 2])} known={picture(20)} />));
    shown.length = 0;
    await act(async () => root.render(<Edited code={new Float32Array([3, 3])} />));
    // The strip frame stays (20) until the decode of [3, 3] answers; the drag's older picture (10) never comes back.
    expect(calls.map((c) => c.code)).toEqual([
      [1, 1],
      [3, 3],
    ]);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((v) => v === 20)).toBe(true);
    await act(async () => calls[1]!.answer(30));
    expect(shown.at(-1)).toBe(30);
    expect(shown).not.toContain(10);
    act(() => root.unmount());
  });
});
