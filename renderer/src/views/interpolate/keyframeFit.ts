import type { DatasetSummary, ModelSummary } from '../../../../electron/api/contract';
import { encodesImages, imageSize } from '../../lib/modelKinds';
import { BUNDLED_DATASET, datasetsFor } from '../../state/datasetStore';
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
    if (datasetsFor(datasets, model).some((d) => d.id === id)) return undefined;
    const from = datasets.find((d) => d.id === id);
    return from ? `a ${imageSize(from)} image; this model takes ${imageSize(model.image)}` : 'its dataset is not open';
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
