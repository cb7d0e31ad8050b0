import { env } from '@huggingface/transformers';

/**
 * ONNX Runtime's threads spin while they wait for work, like FAISS's OpenMP threads (openmp.ts). A
 * worker runs one small inference at a time between other activities, so on a 2-core machine the
 * spinning took the CPU from Temporal, PostgreSQL and the event loop: `npm run load:chat` at 100 users
 * answered at p95 696 and 770 ms spinning, 380 and 381 ms not (runs alternated on one machine).
 */
export const onnxSessionOptions = { extra: { session: { intra_op: { allow_spinning: '0' } } } };

/** transformers.js loads models from MODELS_DIR only; reaching for the Hugging Face hub is disabled. */
export function useLocalModels(modelsDir: string): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = modelsDir.endsWith('/') ? modelsDir : `${modelsDir}/`;
}
