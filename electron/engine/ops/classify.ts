import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import type { ModelHost } from '../models/host';
import { runGraph } from '../runtime/sessions';
import { fromUnitRange } from './imageRange';
import { checkImageShape } from './latentCodec';

export interface Classification {
  probabilities: Float32Tensor;
  predicted: number[];
  labels: string[];
}

/** Class probabilities (softmax of the logits) for images in [0, 1]. */
export async function classifyImages(host: ModelHost, modelId: string, images: Float32Tensor): Promise<Classification> {
  const model = host.model(modelId);
  if (model.manifest.kind !== 'classifier') throw new ApiError('bad-input', `model "${modelId}" is a ${model.manifest.kind}, not a classifier`, 'args.model');
  checkImageShape(model, images);
  const graph = await host.graph(model, 'classifier');
  const out = await runGraph(graph, { [graph.spec.inputs[0]!.name]: float32Tensor(images.shape, fromUnitRange(images.data, model.manifest.image.range)) });
  const logits = out['logits'] ?? out[graph.spec.outputs[0]!.name]!;
  const [batch, classes] = logits.shape as [number, number];
  const probabilities = new Float32Array(batch * classes);
  const predicted: number[] = [];
  for (let b = 0; b < batch; b++) {
    const row = logits.data.subarray(b * classes, (b + 1) * classes);
    const max = Math.max(...row);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += probabilities[b * classes + k] = Math.exp(row[k]! - max);
    let best = 0;
    for (let k = 0; k < classes; k++) {
      probabilities[b * classes + k]! /= sum;
      if (probabilities[b * classes + k]! > probabilities[b * classes + best]!) best = k;
    }
    predicted.push(best);
  }
  return { probabilities: float32Tensor([batch, classes], probabilities), predicted, labels: model.manifest.labels ?? [] };
}
