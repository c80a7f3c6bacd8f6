import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, parseDatasetSample, readDatasetSample } from '../../electron/engine/dataset/sample';
import { join } from 'node:path';
import { paths, repoRoot } from '../helpers/engine';

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

  it('ships the emoji test split: 64×64 colour images labelled by design system, with categories, names and every attribution', async () => {
    const dir = join(repoRoot, 'resources', 'dataset');
    const d = await readDatasetSample(join(dir, 'emoji-64-test.lsds.gz'), join(dir, 'emoji-64.json'));
    expect([d.channels, d.height, d.width]).toEqual([3, 64, 64]);
    expect(d.labelNames).toEqual(['Noto', 'Twemoji', 'OpenMoji', 'Fluent']);
    const sidecar = JSON.parse(readFileSync(join(dir, 'emoji-64.json'), 'utf8')) as { count: number; names: string[]; labelSets: Record<string, { names: string[]; values: number[] }> };
    expect(sidecar.count).toBe(d.count);
    expect(sidecar.names).toHaveLength(d.count);
    expect(sidecar.labelSets['category']!.names).toHaveLength(9);
    expect(sidecar.labelSets['category']!.values).toHaveLength(d.count);
    // Every design system is there, and each image is a picture on white, not a blank tile.
    expect(new Set(d.labels).size).toBe(4);
    const plane = 64 * 64;
    for (let i = 0; i < d.count; i += 50) {
      const image = d.pixels.subarray(i * 3 * plane, (i + 1) * 3 * plane);
      expect(image[0]).toBe(255);
      expect(image.filter((v) => v < 200).length).toBeGreaterThan(plane / 20);
    }
    for (const notice of ['Apache', 'CC-BY 4.0', 'OpenMoji', 'Microsoft']) expect(d.license).toContain(notice);
  });

  it('refuses a label set that does not match the images', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-'));
    const sidecar = JSON.parse(readFileSync(join(repoRoot, 'resources', 'dataset', 'emoji-64.json'), 'utf8')) as { labelSets: Record<string, { values: number[]; names: string[] }> };
    sidecar.labelSets['category']!.values.pop();
    writeFileSync(join(dir, 'short.json'), JSON.stringify(sidecar));
    await expect(readDatasetSample(join(repoRoot, 'resources', 'dataset', 'emoji-64-test.lsds.gz'), join(dir, 'short.json'))).rejects.toThrow(/label set "category" holds 753 values for 754 images/);
    sidecar.labelSets['category']!.values.push(40);
    writeFileSync(join(dir, 'unnamed.json'), JSON.stringify(sidecar));
    await expect(readDatasetSample(join(repoRoot, 'resources', 'dataset', 'emoji-64-test.lsds.gz'), join(dir, 'unnamed.json'))).rejects.toThrow(/label set "category" has a value with no name/);
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

  it('the app reads a sample off its thread with the same checks: a truncated or foreign file says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-async-'));
    writeFileSync(join(dir, 'truncated.lsds.gz'), readFileSync(paths.datasetBinary).subarray(0, 1000));
    writeFileSync(join(dir, 'foreign.lsds.gz'), gzipSync(Buffer.from('PNG not a dataset')));
    await expect(readDatasetSample(join(dir, 'truncated.lsds.gz'), paths.datasetSidecar)).rejects.toThrow(/not gzip data/);
    await expect(readDatasetSample(join(dir, 'foreign.lsds.gz'), paths.datasetSidecar)).rejects.toThrow(/does not start with LSDS0001/);
  });
});
