// Types of lowformer.js (and of lowformer-node.js, which exports the same
// API): the npm package lowformer-webgpu. The API is documented in README.md;
// each name here says what it is in one line.
//
// The image sources are DOM types, so the DOM library comes along, also in a
// Node project whose tsconfig has no "dom" in lib.
/// <reference lib="dom" />

/** Name of the Cache API cache holding downloaded weights. */
export declare const CACHE_NAME: 'lowformer-weights-v1';

/** Default number of predictions returned by classify. */
export declare const DEFAULT_TOP_K: 5;

/** The smallest WebAssembly module that needs wasm SIMD128 (hasWasmSIMD's default probe). */
export declare const SIMD_PROBE: Uint8Array;

/** Whether this engine compiles wasm SIMD128: WebAssembly.validate on probe (SIMD_PROBE by default). */
export declare function hasWasmSIMD(probe?: Uint8Array): boolean;

/** Deletes every cached weights file; resolves to whether a cache existed (false where there is no Cache API). */
export declare function clearCache(): Promise<boolean>;

/**
 * A checkpoint: the official evalmodel.pt (any variant), a .safetensors file
 * (F32/F16/BF16) or a .zip of the official download folder. A string or URL
 * is fetched (relative to the page) and kept in the Cache API; in Node, a
 * string without a scheme is a path and a file: URL is read from disk.
 */
export type Weights = string | URL | Blob | ArrayBuffer | ArrayBufferView;

/**
 * Where load is: 'download' | 'cache' | 'read' (bytes), then 'init', 'compile' (GPU), 'ready';
 * with start 'progressive' on the GPU then a GPUPhase: 'specializing' (after the warm-up), and
 * 'specialized' (after load resolved, when the specialized pipelines replaced the generic ones);
 * with tune: 'background', 'tune' (each measured candidate) and 'tuned' (the run's end).
 */
export type ProgressPhase = 'download' | 'cache' | 'read' | 'init' | 'compile' | 'ready' | GPUPhase | 'tune' | 'tuned';

/**
 * Where a GPU model's pipelines are (ModelInfo.phase): generic first with start 'progressive',
 * specializing after the warm-up or the first result, specialized after the swap (generic again
 * if the specialization failed).
 */
export type GPUPhase = 'generic' | 'specializing' | 'specialized';

/**
 * A progress event of load: loaded of total bytes while reading weights (total 0: unknown), 0/1
 * and 1/1 otherwise; for 'tune' and 'tuned', candidates measured (this run and earlier ones) of
 * all the candidates of the model's kernel keys.
 */
export interface ProgressEvent {
  phase: ProgressPhase;
  loaded: number;
  total: number;
  /** 'tune': the kernel key measured, e.g. 'pointwise m196 k128 n512 hswish'. */
  key?: string;
  /** 'tune': the candidate measured, e.g. 'cpu r8x16_wg32 tex'. */
  candidate?: string;
  /** 'tune': its time per run in milliseconds (0 with error). */
  ms?: number;
  /** 'tune': why the candidate could not be built (it is skipped); 'tuned': why the run stopped. */
  error?: string;
}

/** On-device tuning of LowFormer.load: 'cached' (default) uses a stored or given table, 'background' also tunes, 'off' uses none. */
export type TuneMode = 'off' | 'cached' | 'background';

/** One candidate specialization of a kernel key (the Go tuning.Choice). */
export interface TuningChoice {
  set: 'cpu' | 'gpu';
  winograd?: number;
  tm: number;
  tn: number;
  wg: number;
  wm?: number;
  wn?: number;
  ks?: number;
  kc?: number;
  tex?: boolean;
}

/** A tuning table as JSON (model.tuningTable(), LowFormer.load's tuning): one adapter, per kernel key the measured candidates. */
export interface TuningTable {
  version: 1;
  adapter: { vendor: string; architecture: string; device: string; description: string; backend: string };
  /** The kernel set the defaults come from. */
  set: 'cpu' | 'gpu';
  entries: Record<string, {
    default: TuningChoice;
    candidates: Array<{ choice: TuningChoice; ms: number }>;
    /** Candidates not measured yet (a later background run measures them). */
    pending: number;
    /** The choice the plans use. */
    chosen: TuningChoice;
  }>;
}

/** What a background tuning run did (model.whenTuned()). */
export interface TuneSummary {
  /** Distinct dense kernel keys of the plan (one image at info.inputSize). */
  keys: number;
  /** Candidates measured by this run and earlier ones, of total. */
  measured: number;
  total: number;
  /** Candidates measured by this run. */
  thisRun: number;
  elapsedMs: number;
  /** Nothing is left to measure. */
  complete: boolean;
  /** The run went on from a stored table. */
  resumed: boolean;
  /** The model was disposed during the run. */
  cancelled: boolean;
  /** Where the table is stored, e.g. 'IndexedDB lowformer-tuning "llvmpipe ..." (webgpu)'. */
  where: string;
  /** Keys whose chosen kernel differs from the kernel set's. */
  changed: number;
  /** Stored tables found and not continued, with why. */
  notes: string[];
}

/** Options of LowFormer.load (README, "LowFormer.load"). */
export interface LoadOptions {
  /** The checkpoint (required). */
  weights: Weights;
  /** Progress events, throttled to about one per percent. */
  onProgress?: (progress: ProgressEvent) => void;
  /** Run everything in a dedicated module Worker (default false). */
  worker?: boolean;
  /** 'auto' (default): WebGPU, falling back to the CPU; 'gpu': WebGPU or fail; 'cpu': the wasm CPU path. */
  backend?: 'auto' | 'gpu' | 'cpu';
  /** The GPU kernel set: 'auto' (default) picks 'cpu' on a CPU adapter (lavapipe, SwiftShader), 'gpu' otherwise. */
  kernels?: 'auto' | 'gpu' | 'cpu';
  /** Expected variant ('b0', 'E1', ...): another one is an error; picks a checkpoint in a .zip. */
  variant?: string;
  /** Keep weights downloaded from an http(s) URL in the Cache API (default true). */
  cache?: boolean;
  /** On the GPU, compile every shader during load (default true): the generic ones with start 'progressive'. */
  warmup?: boolean;
  /**
   * On the GPU: 'progressive' (default) serves the first results from a few generic pipelines
   * while the specialized ones compile in the background and replace them between two calls;
   * 'specialized' compiles them all before the first result.
   */
  start?: 'progressive' | 'specialized';
  /** With backend 'cpu': spread a batch's images over this many Workers (default 1). */
  workers?: number;
  /** On the CPU backend, true: the wasm SIMD build (lowformer-cpu.wasm); false: the scalar build (lowformer-scalar.wasm); absent: detected per realm. */
  simd?: boolean;
  /** Where lowformer.wasm (the WebGPU build) is (default: the package's, next to the module). */
  wasmURL?: string | URL;
  /** Where lowformer-cpu.wasm (the CPU build with wasm SIMD) is (default: next to wasmURL, or the package's). */
  wasmCPUURL?: string | URL;
  /** Where lowformer-scalar.wasm (the CPU build without wasm SIMD) is (default: next to wasmURL, or the package's). */
  wasmScalarURL?: string | URL;
  /** Where lowformer-decoders.wasm, the decoder of GIF, WebP, BMP and TIFF files fetched the first time one arrives, is (default: next to wasmURL, or the package's). */
  wasmDecodersURL?: string | URL;
  /** Where lowformer-worker.js is (default: the package's). */
  workerURL?: string | URL;
  /** Debugging: dumpWGSL true logs every compute shader's WGSL; a function receives (label, wgsl). */
  debug?: DebugOptions;
  /**
   * On-device tuning (GPU backend): 'cached' (default) uses the table stored for this adapter
   * (IndexedDB) or options.tuning and never tunes; 'background' also tunes after the first
   * result (progress 'tune', 'tuned'), storing the table and going on from a partial one; 'off'.
   */
  tune?: TuneMode;
  /** A tuning table to use instead of the stored one: its URL, or the object (model.tuningTable()). */
  tuning?: string | URL | TuningTable;
  /** The time a background tuning run takes at most, in milliseconds (default 60000). */
  tuneBudgetMs?: number;
}

/** Options.debug of LowFormer.load. */
export interface DebugOptions {
  dumpWGSL?: boolean | ((label: string, wgsl: string) => void);
}

/** What a checkpoint records about its training (Go: Info.Training). */
export interface TrainingInfo {
  /** false when the file records nothing (test weights). */
  known: boolean;
  /** -1 when not recorded. */
  epoch: number;
  /** A fraction (0.9094), 0 when not recorded. */
  accuracy: number;
  /** 'val' | 'test' | '' */
  accuracySplit: string;
  dataset: string;
  trainImages: number;
  /** One line, e.g. 'dataset fashion-mnist, test accuracy 90.94%'. */
  summary: string;
}

/** model.info: what the model is and how it runs. */
export interface ModelInfo {
  /** 'B0', 'B1', 'B1.5', 'B3', 'E1', 'E2', 'E3' or 'custom'. */
  variant: string;
  /** Parameter count. */
  params: number;
  classes: number;
  /** Class names, classes long. */
  labels: readonly string[];
  format: 'pytorch' | 'safetensors';
  /** Dominant type of the file's weights: 'F32', 'F16', 'BF16', or 'I8' for int8 weights. */
  dtype: string;
  /** The scheme of int8 weights ('int8_symmetric_per_channel'), '' for a float file. */
  quantization: string;
  backend: 'gpu' | 'cpu';
  /** The WebGPU adapter, '' on the CPU. */
  adapter: string;
  /** Length of an embed vector: 1600 for B0, B1, B3, E2, E3; 2560 for B1.5 and E1. */
  embeddingSize: number;
  /** Channels of backbone stages 0..4 (features). */
  stageChannels: number[];
  /** The GPU kernel set in use ('cpu' or 'gpu'), '' on the CPU backend. */
  kernels: '' | 'cpu' | 'gpu';
  /** Why that kernel set, e.g. 'auto: CPU renderer llvmpipe'. */
  kernelsReason: string;
  /** The tuning table in use, e.g. 'cached table IndexedDB lowformer-tuning "…" (webgpu) (9 kernel keys tuned, 2 changed from the cpu set)'; '' for none. */
  tuning: string;
  /** Tuning tables found and ignored (another adapter or kernel set, corrupt), with why. */
  tuningNotes: string[];
  /** The GPU start mode ('' on the CPU backend). */
  start: '' | 'progressive' | 'specialized';
  /** Where the GPU pipelines are ('' on the CPU backend); a new info object follows each change. */
  phase: '' | GPUPhase;
  /** The load took a GPU device (and generic pipelines) started while the weights downloaded. */
  prestarted: boolean;
  /** The model's native input side, which classify resizes images to by default. */
  inputSize: number;
  /** The .pt carried optimizer state (ignored). */
  hasOptimizerState: boolean;
  training: TrainingInfo;
  /** Set when training.known is false: 'test weights: predictions are meaningless'. */
  note: string;
  warnings: string[];
  weightsSource: 'network' | 'cache' | 'file' | 'memory';
  weightsBytes: number;
  /** Runs in a Worker. */
  worker: boolean;
  /** Workers holding the model: 0 (this realm), 1 (worker: true) or N (workers: N). */
  workers: number;
  /**
   * The WebAssembly build running the model: 'gpu' lowformer.wasm (the WebGPU build), 'simd'
   * lowformer-cpu.wasm (the CPU build with wasm SIMD), 'scalar' lowformer-scalar.wasm.
   */
  wasm: 'gpu' | 'simd' | 'scalar';
  /** backend 'auto' found no WebGPU adapter and runs on the CPU. */
  fallback: boolean;
}

/** model.timings: how long load took, in milliseconds. */
export interface LoadTimings {
  /** Getting the bytes (download, cache or file). */
  weights: number;
  /** Preparing the model (parse, fold, upload). */
  init: number;
  /** Compiling the shaders (0 with warmup false or on the CPU). */
  warmup: number;
  /** The whole load as the caller saw it. */
  total: number;
}

/** An image classify takes: an element, bitmap, canvas, frame, pixels or an encoded file. */
export type ImageSource =
  | HTMLImageElement
  | HTMLVideoElement
  | HTMLCanvasElement
  | ImageBitmap
  | OffscreenCanvas
  | VideoFrame
  | ImageData
  | Blob
  | RGBAPixels;

/** Raw RGBA pixels (not premultiplied, sRGB), as in ImageData; what to pass in Node. */
export interface RGBAPixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Options of classify. */
export interface ClassifyOptions {
  /** Number of classes returned (default 5; more than classes returns all; negative is an error). */
  topK?: number;
  /** Side of the square input, 32–2048 (default info.inputSize). */
  size?: number;
  /** For a Blob: 'go' (default; other formats fall back to the browser) or 'browser' (createImageBitmap). */
  decoder?: 'go' | 'browser';
  /** 'cpu' (default): the Pillow-exact CPU preprocessing; 'gpu': resize, crop and normalize in WGSL (GPU backend, decoded images only). */
  preprocess?: 'cpu' | 'gpu';
  /** Drop classes whose probability is below this, 0..1 (default 0). */
  scoreThreshold?: number;
  /** Keep only these labels (whole names); not with categoryDenylist. */
  categoryAllowlist?: string[];
  /** Drop these labels (whole names); not with categoryAllowlist. */
  categoryDenylist?: string[];
  /** Classify this part of the image, in fractions of its size (0..1, left < right, top < bottom). */
  regionOfInterest?: RegionOfInterest;
}

/** A rectangle in fractions of an image's width and height, as MediaPipe's regionOfInterest. */
export interface RegionOfInterest {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A GPUTexture or GPUBuffer created on model.gpuDevice() (preprocess: 'gpu' only). */
export type GPUSource = GPUTexture | GPUBuffer;

/** Options of embed. */
export interface EmbedOptions {
  /** L2-normalize the vector. */
  normalize?: boolean;
  /** Side of the square input, 32–2048 (default info.inputSize). */
  size?: number;
  decoder?: 'go' | 'browser';
  preprocess?: 'cpu' | 'gpu';
  /** A GPUBuffer source's size in pixels. */
  width?: number;
  height?: number;
}

/** What embed resolves to. */
export interface EmbedResult {
  /** info.embeddingSize values. */
  embedding: Float32Array;
  timings: Partial<ClassifyTimings>;
  width: number;
  height: number;
  decoder: 'go' | 'browser' | 'pixels' | 'gpu';
  /** With preprocess: 'gpu': how the pixels reached the GPU. */
  route?: GPURoute;
}

/** Options of features. */
export interface FeaturesOptions {
  /** Backbone stages, 0 (stem, stride 2) to 4 (stride 32); default [1, 2, 3, 4]. */
  stages?: number[];
  size?: number;
  /** With a Float32Array source: its shape [n, 3, h, w]. */
  shape?: number[];
  decoder?: 'go' | 'browser';
}

/** One backbone stage's output, NCHW. */
export interface Feature {
  stage: number;
  /** [n, c, h, w] */
  shape: number[];
  data: Float32Array;
}

/** What features resolves to. */
export interface FeaturesResult {
  features: Feature[];
  timings?: Partial<ClassifyTimings>;
}

/** Options of classifyStream: classify's (or embed's) options plus the stream's. */
export interface StreamOptions extends ClassifyOptions {
  /** At most this many inferences a second (default 0: as fast as the model goes). */
  fps?: number;
  /** Embeddings instead of classes. */
  embed?: boolean;
  normalize?: boolean;
  /** Receives each frame's error; without it the first error ends the stream (done rejects). */
  onError?: (err: Error) => void;
}

/** What onResult receives per frame: classify's (or embed's) result plus the stream's counters. */
export type StreamResult = (ClassifyResult | EmbedResult) & {
  /** Frames classified so far. */
  frame: number;
  /** When the frame was taken (performance.now()). */
  timestamp: number;
  /** Milliseconds from the frame to its result. */
  latency: number;
  /** Achieved rate over the last second. */
  fps: number;
  /** Frames skipped so far (stale, or over the fps cap). */
  dropped: number;
};

/** The counters of a running stream. */
export interface StreamStats {
  frames: number;
  dropped: number;
  errors: number;
  running: boolean;
  fps: number;
}

/** The handle classifyStream returns. */
export interface StreamHandle {
  /** Stops taking frames; resolves once the inference in flight has finished. */
  stop(): Promise<void>;
  stats(): StreamStats;
  /** Settles when the stream ends; rejects with the first error when onError is not given. */
  done: Promise<void>;
}

/** A source of frames for classifyStream. */
export type StreamSource = HTMLVideoElement | MediaStreamTrack | AsyncIterable<ImageSource>;

/** One class of a classification. */
export interface Prediction {
  index: number;
  label: string;
  /** Softmax over all classes. */
  probability: number;
}

/** Milliseconds spent in each step of classify. */
export interface ClassifyTimings {
  /** Blob sources: decoding the file. */
  decode?: number;
  /** The first GIF, WebP, BMP or TIFF file of a realm (page or worker): starting lowformer-decoders.wasm, which decodes them. */
  decodersLoad?: number;
  /** Non-Blob sources: drawing the source and reading its pixels. */
  pixels?: number;
  /** With preprocess: 'gpu': the upload to the GPU (writeBuffer of the pixels, or the copy call); the WGSL passes are part of inference. */
  preprocess: number;
  inference: number;
  postprocess: number;
  /** The whole call as the caller saw it. */
  total: number;
}

/**
 * How preprocess: 'gpu' took an image's pixels to the GPU: 'copyTo' (a video or VideoFrame:
 * VideoFrame.copyTo of the part the resize reads, then writeBuffer), 'canvas' (drawImage and
 * getImageData of that part: a canvas, or a frame copyTo cannot read), 'pixels' (an ImageData's
 * array, written with writeBuffer), 'copyExternalImage' (copyExternalImageToTexture: an
 * ImageBitmap or image), 'texture' (a GPUTexture, copied), 'buffer' (a GPUBuffer, read as is).
 */
export type GPURoute = 'copyTo' | 'canvas' | 'pixels' | 'copyExternalImage' | 'texture' | 'buffer';

/** Milliseconds spent in each step of preprocessOnly. */
export interface PreprocessTimings {
  /** Video, VideoFrame and canvas sources: reading the pixels of the part the resize reads (VideoFrame.copyTo; a canvas: drawImage and getImageData). */
  pixels?: number;
  /** Writing the pixels (writeBuffer) or copying the image (copyExternalImageToTexture call) to the GPU. */
  upload: number;
  /** The WGSL passes submitted and waited for (with readInput, read back too). */
  passes: number;
  /** upload + passes. */
  preprocess: number;
  /** The whole call as the caller saw it. */
  total: number;
}

/** What classify resolves to. */
export interface ClassifyResult {
  /** topK classes, most probable first. */
  predictions: Prediction[];
  timings: ClassifyTimings;
  /** The source image's size in pixels. */
  width: number;
  height: number;
  /** 'go' or 'browser' (a decoded Blob), 'pixels' (any other source), 'gpu' (preprocess: 'gpu'). */
  decoder: 'go' | 'browser' | 'pixels' | 'gpu';
  /** With preprocess: 'gpu': how the pixels reached the GPU. */
  route?: GPURoute;
}

/**
 * The Errors the API rejects with: the message starts with 'lowformer:' and
 * says what is wrong. code is set where a caller may act on it
 * ('unsupported-format': Go cannot decode the image). Bad argument types
 * reject with a TypeError.
 */
export interface LowFormerError extends Error {
  code?: string;
}

/** A loaded LowFormer model. Create it with LowFormer.load. */
export declare class LowFormer {
  private constructor();
  /** Loads a checkpoint and prepares the model. */
  static load(options: LoadOptions): Promise<LowFormer>;
  /** Deletes every cached weights file (see clearCache). */
  static clearCache(): Promise<boolean>;
  /** Deletes every stored tuning table of this origin (IndexedDB, else the Cache API or memory). */
  static clearTuning(): Promise<void>;
  /** What the model is (frozen; replaced by a new frozen object when the phase changes). */
  readonly info: Readonly<ModelInfo>;
  /**
   * Resolves once the plans run on specialized pipelines (info.phase 'specialized'); at once for
   * start 'specialized' and on the CPU. A progressive start specializes after its first run.
   */
  waitSpecialized(): Promise<void>;
  /** How long load took (frozen). */
  readonly timings: Readonly<LoadTimings>;
  /**
   * Runs the network on a normalized NCHW batch of shape [n, 3, h, w];
   * resolves to the n×classes logits, row-major.
   */
  logits(input: Float32Array, shape: readonly [number, number, number, number] | number[]): Promise<Float32Array>;
  /** Classifies one image. */
  classify(source: ImageSource, options?: ClassifyOptions): Promise<ClassifyResult>;
  /** Classifies 1–256 images as one batch; the results are in the images' order. */
  classify(sources: readonly ImageSource[], options?: ClassifyOptions): Promise<ClassifyResult[]>;
  /** The embedding of one image (the vector the classifier's last linear layer reads). */
  embed(source: ImageSource | GPUSource, options?: EmbedOptions): Promise<EmbedResult>;
  /** Backbone stage outputs of an image, or of a normalized NCHW Float32Array with options.shape. */
  features(source: ImageSource | Float32Array, options?: FeaturesOptions): Promise<FeaturesResult>;
  /** Embeddings of a normalized NCHW batch: n×info.embeddingSize values, row-major. */
  embeddings(input: Float32Array, shape: readonly [number, number, number, number] | number[]): Promise<Float32Array>;
  /** The model's GPUDevice (main-thread GPU models), null otherwise. */
  gpuDevice(): Promise<GPUDevice | null>;
  /** Runs only the GPU preprocessing of source (for measuring it); readInput returns the input written. */
  preprocessOnly(source: ImageSource | GPUSource, options?: ClassifyOptions & { readInput?: boolean; width?: number; height?: number }): Promise<{ timings: PreprocessTimings; route: GPURoute; input?: Float32Array }>;
  /** Classifies a video stream frame by frame, at most one inference in flight, stale frames dropped. */
  classifyStream(source: StreamSource, onResult: (result: StreamResult) => void, options?: StreamOptions): StreamHandle;
  /** Cosine similarity of two embeddings, -1..1. */
  static cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number;
  /** The table a finished background tuning run collected, else the one in use, else null (to ship and pass as load's tuning). */
  tuningTable(): Promise<TuningTable | null>;
  /** Resolves when the background tuning run (started after the first result) has ended; null at once without one (tune 'off'/'cached', the CPU, or no result yet). */
  whenTuned(): Promise<TuneSummary | { error: string } | null>;
  /** Frees the model (and its worker); calls after it reject. Safe to call twice. */
  dispose(): Promise<void>;
}

/** The IndexedDB database holding the tuning tables. */
export declare const TUNING_DB: 'lowformer-tuning';

/** The budget of a background tuning run when tuneBudgetMs is not set, in milliseconds. */
export declare const DEFAULT_TUNE_BUDGET_MS: 60000;

/** Cosine similarity a·b / (|a|·|b|) of two vectors of the same, non-zero length, in -1..1. */
export declare function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number;

/** model.classifyStream(source, onResult, options) as a function of the model. */
export declare function classifyStream(model: LowFormer, source: StreamSource, onResult: (result: StreamResult) => void, options?: StreamOptions): StreamHandle;

export default LowFormer;

/** @internal used by lowformer-worker.js and lowformer-node.js; not part of the API. */
export declare const _internal: unknown;
