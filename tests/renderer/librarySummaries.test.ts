// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { keepUnchanged, useAppStore } from '../../renderer/src/state/appStore';
import { modelSummary as summary } from './modelSummary';

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
