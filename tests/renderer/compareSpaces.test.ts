import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../electron/api/contract';
import { comparisonName, reconstructionIndices, roleOf } from '../../renderer/src/views/explore/spaceRoles';

const model = (kind: ModelSummary['kind'], method?: string) => ({ kind, method }) as ModelSummary;

describe('the PCA / AE / VAE comparison', () => {
  it('reconstructs the first image of each label, in dataset order, then fills up with the first images', () => {
    expect(reconstructionIndices([3, 3, 1, 0, 1, 2, 0, 4, 5, 6, 7, 8, 9], 8)).toEqual([0, 2, 3, 5, 7, 8, 9, 10]);
    // One label only (an unlabelled folder): the first eight images.
    expect(reconstructionIndices(new Array(20).fill(0), 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(reconstructionIndices([0, 1], 8)).toEqual([0, 1]);
  });

  it('tells PCA from an autoencoder by how its manifest says it was made', () => {
    expect(roleOf(model('autoencoder', 'PCA (eigen-decomposition of the pixel covariance, ml-matrix)'))).toBe('pca');
    expect(roleOf(model('autoencoder', 'Adam, 8 epochs'))).toBe('autoencoder');
    expect(roleOf(model('autoencoder'))).toBe('autoencoder');
    expect(roleOf(model('vae'))).toBe('vae');
    expect(roleOf(model('gan'))).toBeUndefined();
    expect(comparisonName(['pca', 'autoencoder', 'vae'])).toBe('Compare PCA, AE and VAE');
    expect(comparisonName(['autoencoder', 'vae'])).toBe('Compare AE and VAE');
  });
});
