import type { DatasetSummary, ModelSummary } from '../../../../electron/api/contract';
import { encodesImages, imageSize } from '../../lib/modelKinds';
import { BUNDLED_DATASET, datasetFits } from '../../state/datasetStore';
import type { ImportedCode, Keyframe } from '../../state/latentStore';

/**
 * Why a keyframe cannot take part in an interpolation with `model`, or undefined where it can.
 * Keyframes stay in the list when the model changes (coming back to the model brings them back), but one made with
 * another model, or from a dataset this model cannot read, has no code here: it is skipped, with this line beside it.
 */
export function keyframeMisfit(keyframe: Keyframe, model: ModelSummary, datasets: readonly DatasetSummary[], imported: readonly ImportedCode[], models: readonly ModelSummary[]): string | undefined {
  if (keyframe.kind === 'dataset') {
    const id = keyframe.dataset ?? BUNDLED_DATASET;
    if (!encodesImages(model)) return `${model.name} has no encoder for dataset images`;
    const from = datasets.find((d) => d.id === id);
    if (!from) return 'its dataset is not open';
    return datasetFits(from, model.image) ? undefined : `a ${imageSize(from)} image; this model takes ${imageSize(model.image)}`;
  }
  const item = imported.find((i) => i.id === keyframe.id);
  if (!item) return 'no longer in the project';
  if (item.model === model.id) return undefined;
  const [, channels, height, width] = item.image.shape;
  const fits = encodesImages(model) && channels === model.image.channels && height === model.image.height && width === model.image.width;
  if (fits) return undefined;
  const madeWith = models.find((m) => m.id === item.model)?.name ?? item.model;
  // A prior sample or an inversion is a code of its own model; an imported image was fitted to that model's input.
  return `a code of ${madeWith}`;
}

/** A dataset image as a key: the dataset and the image's number. */
export const datasetImageKey = (dataset: string, index: number) => `${dataset}:${index}`;

/** A keyframe as a key: which dataset image (of the bundled sample where none is named), or which imported code. */
export const keyframeKey = (k: Keyframe) => (k.kind === 'dataset' ? datasetImageKey(k.dataset ?? BUNDLED_DATASET, k.index) : k.id);
