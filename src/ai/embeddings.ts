import { Embeddings } from '@langchain/core/embeddings';
import { OpenAIEmbeddings } from '@langchain/openai';
import { pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Config } from '../config';
import { onnxSessionOptions, useLocalModels } from './local-models';

/**
 * Embeddings behind LangChain's interface: the local transformers.js model (default, offline) or
 * OpenAI / a compatible server. Vectors are unit length, so inner product = cosine similarity.
 */

// pipeline()'s overloads are too complex for tsc to resolve (TS2590); this is the one we call.
const createExtractor = pipeline as unknown as (
  task: 'feature-extraction',
  model: string,
  options: { dtype: 'fp32' | 'q8'; session_options: typeof onnxSessionOptions },
) => Promise<FeatureExtractionPipeline>;

export interface LocalEmbeddingsOptions {
  model: string;
  modelsDir: string;
  batchSize?: number;
  /** 'q8' loads onnx/model_quantized.onnx (int8); 'fp32' loads onnx/model.onnx. */
  dtype?: 'q8' | 'fp32';
}

export class LocalTransformersEmbeddings extends Embeddings {
  private extractor: Promise<FeatureExtractionPipeline> | undefined;
  private readonly batchSize: number;

  constructor(private readonly options: LocalEmbeddingsOptions) {
    super({ maxConcurrency: 1 });
    this.batchSize = options.batchSize ?? 32;
  }

  private load(): Promise<FeatureExtractionPipeline> {
    useLocalModels(this.options.modelsDir);
    this.extractor ??= createExtractor('feature-extraction', this.options.model, {
      dtype: this.options.dtype ?? 'fp32',
      session_options: onnxSessionOptions,
    });
    return this.extractor;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const extractor = await this.load();
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      const output = await extractor(batch, { pooling: 'mean', normalize: true });
      vectors.push(...(output.tolist() as number[][]));
    }
    return vectors;
  }

  async embedQuery(text: string): Promise<number[]> {
    const [vector] = await this.embedDocuments([text]);
    return vector!;
  }
}

/** Scales vectors to unit length (OpenAI's are already; this keeps the cosine contract explicit). */
export const normalize = (vector: number[]): number[] => {
  const norm = Math.hypot(...vector) || 1;
  return vector.map((x) => x / norm);
};

export function createEmbeddings(config: Config['embeddings']): Embeddings {
  if (config.provider === 'openai') {
    return new OpenAIEmbeddings({
      model: config.openai.model,
      apiKey: config.openai.apiKey,
      configuration: config.openai.baseUrl ? { baseURL: config.openai.baseUrl } : undefined,
    });
  }
  return new LocalTransformersEmbeddings({
    model: config.model,
    modelsDir: config.modelsDir,
    dtype: config.dtype,
  });
}
