// @vitest-environment jsdom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { useLoadAll } from '../../renderer/src/views/models/ModelsView';
import { useAppStore } from '../../renderer/src/state/appStore';
import { modelSummary } from './modelSummary';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

afterEach(() => useAppStore.setState({ client: undefined, models: [] }));

const settle = async () => {
  for (let i = 0; i < 10; i++) await act(async () => {});
};

describe("the Models view's loading of every model", () => {
  it('loads one model at a time, in order, even as library updates restart its loop mid-load, and never one already loaded', async () => {
    const calls: { model: string; answer: () => void }[] = [];
    let running = 0;
    let most = 0;
    const invoke = (name: string, args: { model: string }) => {
      if (name !== 'model.load') throw new Error(`unexpected ${name}`);
      running++;
      most = Math.max(most, running);
      return new Promise<void>((resolve) => calls.push({ model: args.model, answer: () => (running--, resolve()) }));
    };
    useAppStore.setState({ client: { invoke } as never, models: ['a', 'b', 'c'].map((id) => modelSummary(id)) });
    function Library() {
      useLoadAll();
      return null;
    }
    const root = createRoot(document.createElement('div'));
    await act(async () => root.render(<Library />));
    await settle();
    expect(calls.map((c) => c.model)).toEqual(['a']);
    // A models.changed event while a's load runs (another model added): the loop starts again.
    await act(async () => useAppStore.setState({ models: [...useAppStore.getState().models, modelSummary('d')] }));
    await settle();
    expect(calls.map((c) => c.model)).toEqual(['a']);
    // a lands (its summary now has a provider), then each of the others in turn.
    await act(async () => {
      calls[0]!.answer();
      useAppStore.setState({ models: useAppStore.getState().models.map((m) => (m.id === 'a' ? { ...m, provider: 'cpu' } : m)) });
    });
    await settle();
    for (const [k, id] of ['b', 'c', 'd'].entries()) {
      expect(calls.map((c) => c.model)).toEqual(['a', ...['b', 'c', 'd'].slice(0, k + 1)]);
      await act(async () => {
        calls.at(-1)!.answer();
        useAppStore.setState({ models: useAppStore.getState().models.map((m) => (m.id === id ? { ...m, provider: 'cpu' } : m)) });
      });
      await settle();
    }
    expect(calls.map((c) => c.model)).toEqual(['a', 'b', 'c', 'd']);
    expect(most).toBe(1);
    act(() => root.unmount());
  });
});
