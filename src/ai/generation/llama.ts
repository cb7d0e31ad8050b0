import type { BaseChatModel } from '@langchain/core/language_models/chat_models';

/**
 * A local GGUF model through node-llama-cpp, behind LangChain's chat-model interface. Loaded only
 * when GENERATION_PROVIDER=llama, so other deployments never load the native library.
 */
export async function createLlamaChatModel(modelPath: string): Promise<BaseChatModel> {
  const { ChatLlamaCpp } = await import('@langchain/community/chat_models/llama_cpp');
  return ChatLlamaCpp.initialize({ modelPath, temperature: 0.1, maxTokens: 400 });
}
