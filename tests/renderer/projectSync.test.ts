// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { ProjectSchema } from '../../electron/api/project';
import { applyProject, snapshotProject } from '../../renderer/src/state/projectSync';
import { useLatentStore } from '../../renderer/src/state/latentStore';
import { useEditStore } from '../../renderer/src/state/editStore';
import { useResultsStore } from '../../renderer/src/state/inversionStore';

describe('the project the page sends: images as 8-bit planes', () => {
  // A picture read from a file (values k / 255) and a decoded sample (any floats, a little outside [0, 1] too).
  const picture = float32Tensor([1, 3, 4, 4], Float32Array.from({ length: 48 }, (_, i) => ((i * 37) % 256) / 255));
  const sample = float32Tensor([1, 3, 4, 4], Float32Array.from({ length: 48 }, (_, i) => Math.sin(i) * 0.6 + 0.5));
  const code = new Float32Array([0.5, -1, 2, 0]);

  it('sends pictures as bytes, exactly, decoded samples within half a level, and the same bytes again without converting', () => {
    useLatentStore.setState({ imported: [{ id: 'a', name: 'photo.png', model: 'm', code, image: picture }, { id: 'b', name: 'sample · seed 1', model: 'm', code, image: sample }] });
    useEditStore.setState({ base: { model: 'm', code, label: 'photo.png', image: picture } });
    useResultsStore.getState().replace([{ id: 'i', model: 'm', label: 'photo.png', z: float32Tensor([4], code), psnr: 20, ssim: 0.5, target: picture }], []);
    const project = snapshotProject('Bytes');
    expect(ProjectSchema.safeParse(project).success).toBe(true);
    const [photo, decoded] = project.imported.map((i) => i.image);
    expect(photo!.dtype).toBe('uint8');
    expect(Array.from(photo!.data)).toEqual(Array.from(picture.data, (v) => Math.round(v * 255)));
    expect(decoded!.dtype).toBe('uint8');
    decoded!.data.forEach((v, i) => expect(Math.abs(v - Math.min(255, Math.max(0, sample.data[i]! * 255)))).toBeLessThanOrEqual(0.5));
    expect(project.edit!.base.image).toBe(photo);
    expect(project.inversions[0]!.target).toBe(photo);
    // The next autosave sends the very same bytes: nothing is converted twice.
    expect(snapshotProject('Bytes').imported[0]!.image).toBe(photo);
  });

  it('opens them back as floats in [0, 1], the pictures exactly as they were', () => {
    const project = snapshotProject('Bytes');
    applyProject(project);
    const [photo] = useLatentStore.getState().imported;
    expect(photo!.image.dtype).toBe('float32');
    expect(Array.from(photo!.image.data)).toEqual(Array.from(picture.data));
    expect(useEditStore.getState().base!.image!.data).toEqual(picture.data);
    expect(useResultsStore.getState().inversions[0]!.target.data).toEqual(picture.data);
  });
});
