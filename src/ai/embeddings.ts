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
  private readonly recentQueries = new Map<string, Promise<number[]>>();

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

  /**
   * A chat turn embeds the visitor's message twice at once — its sentiment and its retrieval read
   * the same vector — so the latest queries' vectors are shared (in flight too).
   */
  embedQuery(text: string): Promise<number[]> {
    let vector = this.recentQueries.get(text);
    if (vector) {
      this.recentQueries.delete(text); // re-inserted below: the most recent stay
    } else {
      vector = this.embedDocuments([text]).then(([first]) => first!);
      vector.catch(() => this.recentQueries.delete(text));
    }
    this.recentQueries.set(text, vector);
    if (this.recentQueries.size > RECENT_QUERIES)
      this.recentQueries.delete(this.recentQueries.keys().next().value!);
    return vector;
  }
}

/** Query vectors kept for reuse: enough for the turns a worker runs at once. */
const RECENT_QUERIES = 256;

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
