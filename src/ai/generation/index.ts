import path from 'node:path';
import { ChatOpenAI } from '@langchain/openai';
import type { Config } from '../../config';
import { ChatModelGenerator } from './chat-model';
import { ExtractiveGenerator } from './extractive';
import type { AnswerGenerator } from './types';

/** The generator chosen by GENERATION_PROVIDER. */
export async function createGenerator(config: Config['generation']): Promise<AnswerGenerator> {
  switch (config.provider) {
    case 'extractive':
      return new ExtractiveGenerator();
    case 'openai': {
      const chat = new ChatOpenAI({
        model: config.openai.model,
        apiKey: config.openai.apiKey ?? 'not-needed-for-local-servers',
        configuration: config.openai.baseUrl ? { baseURL: config.openai.baseUrl } : undefined,
        temperature: 0.1,
        streamUsage: true,
        timeout: config.timeoutSeconds * 1000,
      });
      return new ChatModelGenerator(chat, config.openai.model);
    }
    case 'llama': {
      const { LlamaCppChatModel } = await import('./llama');
      const chat = await LlamaCppChatModel.load({
        modelPath: config.llamaModelPath,
        threads: config.llamaThreads,
      });
      return new ChatModelGenerator(chat, `llama:${path.basename(config.llamaModelPath)}`);
    }
  }
}
