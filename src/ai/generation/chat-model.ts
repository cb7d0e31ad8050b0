import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { AIMessageChunk } from '@langchain/core/messages';
import { estimateTokens } from '../text';
import { groundedReply } from './grounding';
import { buildAnswerPrompt, citedNumbers } from './prompt';
import { type AnswerGenerator, type GenerationRequest, type GenerationResult, type TokenSink } from './types';
import { citationsFor } from './citations';

/** Generation with a language model behind LangChain's chat-model interface (OpenAI-compatible or local GGUF). */
export class ChatModelGenerator implements AnswerGenerator {
  constructor(
    private readonly chat: BaseChatModel,
    readonly model: string,
  ) {}

  async generate(
    request: GenerationRequest,
    onToken: TokenSink,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    const messages = buildAnswerPrompt(request);
    let text = '';
    let usage: AIMessageChunk['usage_metadata'];
    for await (const chunk of await this.chat.stream(messages, { signal })) {
      const delta = typeof chunk.content === 'string' ? chunk.content : '';
      if (delta) {
        text += delta;
        await onToken(delta);
      }
      usage = chunk.usage_metadata ?? usage;
    }
    const grounded = groundedReply(text.trim(), request.passages);
    // Cite what the model referred to; an answer without markers cites the passages it was given.
    const cited = citedNumbers(grounded.text)
      .map((n) => request.passages[n - 1])
      .filter((p) => p !== undefined);
    return {
      text: grounded.text,
      citations: citationsFor(cited.length > 0 ? cited : request.passages.slice(0, 1)),
      ungrounded: grounded.text === '',
      model: this.model,
      promptTokens: usage?.input_tokens ?? estimateTokens(messages.map((m) => m.text).join('\n')),
      completionTokens: usage?.output_tokens ?? estimateTokens(text),
      stream: 'model',
    };
  }
}
