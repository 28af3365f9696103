// A Node project's view of the types: its tsconfig has no "dom" library
// (package.test.mjs checks it with lib ["es2022"]); the package's types bring
// the DOM types its image sources need.
import { LowFormer } from 'lowformer-webgpu';
import type { ClassifyResult } from 'lowformer-webgpu';

const model = await LowFormer.load({ weights: 'model.safetensors', backend: 'cpu' });
export const result: ClassifyResult = await model.classify({ data: new Uint8ClampedArray(4), width: 1, height: 1 });
export const weights: Uint8Array = new Uint8Array(8);
await model.dispose();
