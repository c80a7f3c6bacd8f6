// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { useLatentStore } from '../../renderer/src/state/latentStore';
import { useEditStore } from '../../renderer/src/state/editStore';
import { meaningfulChange, trackChanges } from '../../renderer/src/state/projectSync';

const initial = useLatentStore.getState();
afterEach(() => useLatentStore.setState(initial, true));

describe('what marks the project changed', () => {
  it('does not count a view choosing its default model and dataset, or writing equal lists again', () => {
    let changes = 0;
    const stop = trackChanges(() => changes++);
    // What the explorer does when it first opens: both set from nothing, with fresh (equal) lists and axes.
    useLatentStore.getState().setModel('fmnist-vae');
    useLatentStore.getState().setDataset('fmnist-t10k');
    expect(changes).toBe(0);
    // The user's own choices count.
    useLatentStore.getState().setModel('fmnist-ae');
    expect(changes).toBe(1);
    useLatentStore.getState().select(3, false);
    expect(changes).toBe(2);
    useEditStore.getState().setRange(6);
    expect(changes).toBe(3);
    stop();
  });

  it('compares lists by their items', () => {
    expect(meaningfulChange({ axes: [0, 1, 2] }, { axes: [0, 1, 2] })).toBe(false);
    expect(meaningfulChange({ axes: [0, 1, 3] }, { axes: [0, 1, 2] })).toBe(true);
    expect(meaningfulChange({ selection: [1] }, { selection: [] })).toBe(true);
    expect(meaningfulChange({ model: 'a' }, { model: undefined })).toBe(false);
    expect(meaningfulChange({ model: undefined }, { model: 'a' })).toBe(true);
    expect(meaningfulChange({ encodings: { a: 1 } }, { encodings: {} })).toBe(false);
  });
});
