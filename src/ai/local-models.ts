import { env } from '@huggingface/transformers';

/** transformers.js loads models from MODELS_DIR only; reaching for the Hugging Face hub is disabled. */
export function useLocalModels(modelsDir: string): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = modelsDir.endsWith('/') ? modelsDir : `${modelsDir}/`;
}
