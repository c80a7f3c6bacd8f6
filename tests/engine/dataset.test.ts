import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, parseDatasetSample, readDatasetSample } from '../../electron/engine/dataset/sample';
import { paths } from '../helpers/engine';

describe('the dataset sample', () => {
  it('holds the 10,000 Fashion-MNIST test images, 1,000 per class, with names and license', async () => {
    const d = await readDatasetSample(paths.datasetBinary, paths.datasetSidecar);
    expect([d.count, d.channels, d.height, d.width]).toEqual([10000, 1, 28, 28]);
    expect(d.pixels.length).toBe(10000 * 784);
    const perClass = new Array(10).fill(0);
    for (const label of d.labels) perClass[label]++;
    expect(perClass).toEqual(new Array(10).fill(1000));
    expect(d.labelNames[9]).toBe('Ankle boot');
    expect(d.license).toMatch(/Zalando/);
    // The images are real pictures, not blank: mean intensity of Fashion-MNIST is about 0.29.
    const mean = d.pixels.reduce((s, v) => s + v, 0) / d.pixels.length / 255;
    expect(mean).toBeGreaterThan(0.25);
    expect(mean).toBeLessThan(0.33);
  });

  it('rejects a corrupt, truncated or foreign file with a clear message', () => {
    const good = readFileSync(paths.datasetBinary);
    expect(() => parseDatasetSample(good.subarray(0, 1000))).toThrow(DatasetFormatError);
    expect(() => parseDatasetSample(gzipSync(Buffer.from('PNG not a dataset')))).toThrow(/does not start with LSDS0001/);
    const header = Buffer.alloc(24);
    header.write('LSDS0001');
    header.writeUInt32LE(5, 8);
    header.writeUInt32LE(1, 12);
    header.writeUInt32LE(28, 16);
    header.writeUInt32LE(28, 20);
    expect(() => parseDatasetSample(gzipSync(header))).toThrow(/5 images of 1×28×28 need/);
  });
});
