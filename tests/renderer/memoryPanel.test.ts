// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { crowdedBudgetNote } from '../../renderer/src/views/models/MemoryPanel';

const GiB = 1024 ** 3;
const session = (label: string, bytes: number) => ({ kind: 'sessions' as const, label, bytes });

describe('the Memory panel says when the budget is too small for the models in use', () => {
  it('a graph holding over half the budget, with evictions, gets a line that names it and what to do', () => {
    const note = crowdedBudgetNote({ budgetBytes: 4 * GiB, evictions: 16, largest: [session('vae-1024 decoder', 2.2 * GiB), session('fmnist-vae decoder', 3e6)] });
    expect(note).toBe(
      "vae-1024 decoder holds 2.2 GB with its working memory, over half the budget: graphs used in turn (this model's encoder and decoder) evict each other and load again each time, seconds for a large model. A larger budget keeps them loaded.",
    );
  });

  it('says nothing while nothing was evicted, or while every entry is small beside the budget', () => {
    expect(crowdedBudgetNote({ budgetBytes: 4 * GiB, evictions: 0, largest: [session('vae-1024 decoder', 2.2 * GiB)] })).toBeUndefined();
    expect(crowdedBudgetNote({ budgetBytes: 256 * 1024 ** 2, evictions: 3, largest: [session('fmnist-vae decoder', 3e6)] })).toBeUndefined();
    expect(crowdedBudgetNote({ budgetBytes: 4 * GiB, evictions: 3, largest: [] })).toBeUndefined();
  });
});
