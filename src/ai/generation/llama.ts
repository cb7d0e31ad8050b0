import { BaseChatModel, type BaseChatModelParams } from '@langchain/core/language_models/chat_models';
import { AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { LlamaContext, LlamaModel } from 'node-llama-cpp';
import { importEsm } from '../../lib/esm';

type NodeLlamaCpp = typeof NodeLlamaCppModule;

/**
 * A local GGUF model through node-llama-cpp, behind LangChain's chat-model interface. Loaded only
 * when GENERATION_PROVIDER=llama, so other deployments never load the native library.
 *
 * Written here rather than taken from @langchain/community: its ChatLlamaCpp streams by evaluating
 * raw tokens with no token limit and never releases the context sequence, so a second streamed call
 * waits forever. This adapter runs each call in a fresh chat session on its own sequence, streams
 * text chunks as they are produced, honours the token limit and the abort signal, and serialises
 * calls (the model is CPU-bound; parallel calls would only share the same cores).
 */

export interface LlamaOptions {
  modelPath: string;
  /** llama.cpp spin-waits between tokens; more threads than free cores makes generation crawl. */
  threads: number;
  maxTokens?: number;
  temperature?: number;
}

export class LlamaCppChatModel extends BaseChatModel {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly options: LlamaOptions,
    params: BaseChatModelParams = {},
  ) {
    super(params);
  }

  static async load(options: LlamaOptions): Promise<LlamaCppChatModel> {
    const { getLlama } = await importEsm<NodeLlamaCpp>('node-llama-cpp');
    const llama = await getLlama({ gpu: false, maxThreads: options.threads });
    const model = await llama.loadModel({ modelPath: options.modelPath });
    const context = await model.createContext({ contextSize: 4096, threads: options.threads });
    return new LlamaCppChatModel(model, context, options);
  }

  _llmType(): string {
    return 'llama_cpp';
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    let text = '';
    for await (const chunk of this._streamResponseChunks(messages, options)) text += chunk.text;
    return { generations: [{ text, message: new AIMessageChunk(text) }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
  ): AsyncGenerator<ChatGenerationChunk> {
    const pending: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: Error | undefined;
    const done = this.serialised(async () => {
      const { LlamaChatSession } = await importEsm<NodeLlamaCpp>('node-llama-cpp');
      const sequence = this.context.getSequence();
      try {
        const system = messages.filter((m) => m.getType() === 'system').map((m) => m.text);
        const rest = messages.filter((m) => m.getType() !== 'system');
        const session = new LlamaChatSession({
          contextSequence: sequence,
          systemPrompt: system.join('\n\n'),
        });
        session.setChatHistory([
          { type: 'system', text: system.join('\n\n') },
          ...rest
            .slice(0, -1)
            .map((m) =>
              m.getType() === 'human'
                ? { type: 'user' as const, text: m.text }
                : { type: 'model' as const, response: [m.text] },
            ),
        ]);
        await session.prompt(rest[rest.length - 1]?.text ?? '', {
          maxTokens: this.options.maxTokens ?? 400,
          temperature: this.options.temperature ?? 0.1,
          signal: options.signal,
          onTextChunk: (chunk) => {
            pending.push(chunk);
            wake?.();
          },
        });
      } finally {
        await sequence.dispose();
      }
    });
    void done
      .catch((error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => {
        finished = true;
        wake?.();
      });
    for (;;) {
      const chunk = pending.shift();
      if (chunk !== undefined) {
        yield new ChatGenerationChunk({ text: chunk, message: new AIMessageChunk(chunk) });
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failure) throw failure;
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
