import { createRequire } from 'node:module';
import type * as OrtTypes from 'onnxruntime-node';

/** onnxruntime-node is CommonJS with a native binding; load it the way Node expects. */
export const nodeRequire = createRequire(import.meta.url);
export const ort: typeof OrtTypes = nodeRequire('onnxruntime-node');
export const ortVersion: string = nodeRequire('onnxruntime-node/package.json').version;
