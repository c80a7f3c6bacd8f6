// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../electron/api/contract';
import { keepUnchanged, useAppStore } from '../../renderer/src/state/appStore';

const summary = (id: string, extra: Partial<ModelSummary> = {}): ModelSummary => ({
  id,
  name: id,
  kind: 'vae',
  description: '',
  source: 'bundled',
  image: { channels: 1, height: 28, width: 28, range: [0, 1] },
  latent: { shape: [16], prior: 'standard-normal' },
  graphs: {},
  metrics: {},
  folder: `/models/${id}`,
  fallbacks: [],
  ...extra,
});

describe('library updates keep the summaries that did not change', () => {
  it('keeps the earlier object for an equal summary and takes the new one for a changed or new model', () => {
    const before = [summary('a'), summary('b')];
    const after = keepUnchanged(before, [summary('a'), summary('b', { provider: 'cpu', loadMs: 12 }), summary('c')]);
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[1]!.provider).toBe('cpu');
    expect(after.map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });

  it('so a models.changed event leaves the store’s unchanged models as they were', () => {
    useAppStore.setState({ models: [summary('a'), summary('b')] });
    const [a] = useAppStore.getState().models;
    useAppStore.getState().libraryChanged({ models: [summary('a'), summary('b', { provider: 'cpu' })], problems: [], userFolders: [] });
    expect(useAppStore.getState().models[0]).toBe(a);
    expect(useAppStore.getState().models[1]!.provider).toBe('cpu');
  });
});
