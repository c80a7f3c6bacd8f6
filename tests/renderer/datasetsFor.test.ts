// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import type { DatasetSummary, ModelSummary } from '../../electron/api/contract';
import { datasetsFor } from '../../renderer/src/state/datasetStore';

const dataset = (id: string, source: 'bundled' | 'folder', channels: number, side: number, folder?: string) => ({ id, source, channels, height: side, width: side, folder }) as DatasetSummary;
const model = (channels: number, side: number, shipped?: string) => ({ image: { channels, height: side, width: side, range: [0, 1] }, dataset: shipped }) as ModelSummary;

describe('the datasets a model is offered', () => {
  const fashion = dataset('bundled', 'bundled', 1, 28);
  const emoji = dataset('bundled-emoji-64', 'bundled', 3, 64);
  const folder = dataset('folder-0123456789ab', 'folder', 3, 48, '/photos');
  const shipped = dataset('folder-ba9876543210', 'folder', 3, 48, '/models/x/dataset');

  it('are the bundled samples of its image size and every folder, each once', () => {
    expect(datasetsFor([fashion, emoji, folder], model(1, 28)).map((d) => d.id)).toEqual(['bundled', 'folder-0123456789ab']);
    expect(datasetsFor([fashion, emoji, folder], model(3, 64)).map((d) => d.id)).toEqual(['bundled-emoji-64', 'folder-0123456789ab']);
    expect(datasetsFor([fashion, emoji], model(3, 256)).map((d) => d.id)).toEqual([]);
  });

  it('start with the dataset the model ships with', () => {
    expect(datasetsFor([emoji, folder, shipped], model(3, 64, '/models/x/dataset')).map((d) => d.id)).toEqual(['folder-ba9876543210', 'bundled-emoji-64', 'folder-0123456789ab']);
  });
});
