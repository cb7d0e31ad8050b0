import { env } from '@huggingface/transformers';
import { loadConfig } from '../../src/config';
import { LocalTransformersEmbeddings } from '../../src/ai/embeddings';

const cosine = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

describe('local embedding model (transformers.js, offline)', () => {
  const { embeddings: config } = loadConfig();
  const embeddings = new LocalTransformersEmbeddings(config);

  it('returns 384-dimension unit vectors with remote downloads disabled', async () => {
    const [vector] = await embeddings.embedDocuments(['How do I reset my password?']);
    expect(env.allowRemoteModels).toBe(false);
    expect(vector).toHaveLength(384);
    expect(Math.hypot(...vector!)).toBeCloseTo(1, 4);
  });

  it('places similar sentences closer than unrelated ones', async () => {
    const [question, paraphrase, unrelated] = await embeddings.embedDocuments([
      'How do I reset my password?',
      'I forgot my password, how can I change it?',
      'The weather is sunny today.',
    ]);
    expect(cosine(question!, paraphrase!)).toBeGreaterThan(0.6);
    expect(cosine(question!, paraphrase!)).toBeGreaterThan(cosine(question!, unrelated!) + 0.3);
  });

  it('embeds a query the same way as a document', async () => {
    const [document] = await embeddings.embedDocuments(['Refunds are available within 30 days.']);
    const query = await embeddings.embedQuery('Refunds are available within 30 days.');
    expect(cosine(document!, query)).toBeCloseTo(1, 5);
  });

  it('embeds a query asked twice at once (a turn’s sentiment and retrieval) only once', async () => {
    const [first, second] = await Promise.all([
      embeddings.embedQuery('Where is my parcel?'),
      embeddings.embedQuery('Where is my parcel?'),
    ]);
    expect(second).toBe(first);
    expect(await embeddings.embedQuery('Where is my parcel now?')).not.toBe(first);
  });

  it('fails clearly when the model is not in the models folder', async () => {
    const missing = new LocalTransformersEmbeddings({ model: 'no-such-model', modelsDir: config.modelsDir });
    await expect(missing.embedQuery('hi')).rejects.toThrow(/local|no-such-model|not found/i);
    // A failure is not kept: the next call tries again.
    await expect(missing.embedQuery('hi')).rejects.toThrow(/local|no-such-model|not found/i);
  });
});
