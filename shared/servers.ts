/**
 * The local LLM servers Paddock knows (issue 13), by id, and what it found out about one that
 * is not Ollama: which kind answered (with the signal that told), its version, and whether it
 * asks for credentials. No zod here: the CLI's scan path loads this file.
 */

export const SERVER_KINDS = [
  'ollama',
  'lmstudio',
  'llamacpp',
  'vllm',
  'localai',
  'openwebui',
  'jan',
  'koboldcpp',
  'textgen-webui',
  'gpt4all',
  'litellm',
  'sglang',
  'tgi',
  'xinference',
  'llamafile',
  'anythingllm',
  'openai-compatible',
] as const;
export type ServerKindId = (typeof SERVER_KINDS)[number];

export const SERVER_KIND_NAMES: Readonly<Record<ServerKindId, string>> = {
  ollama: 'Ollama',
  lmstudio: 'LM Studio',
  llamacpp: 'llama.cpp server',
  vllm: 'vLLM',
  localai: 'LocalAI',
  openwebui: 'Open WebUI',
  jan: 'Jan',
  koboldcpp: 'KoboldCpp',
  'textgen-webui': 'text-generation-webui',
  gpt4all: 'GPT4All',
  litellm: 'LiteLLM proxy',
  sglang: 'SGLang',
  tgi: 'Text Generation Inference',
  xinference: 'Xinference',
  llamafile: 'llamafile',
  anythingllm: 'AnythingLLM',
  'openai-compatible': 'OpenAI-compatible server',
};

/**
 * Who may use the server, as harmless requests showed. none: anyone who reaches it;
 * key-required: every endpoint tried asked for credentials; key-partial: a key is set but
 * endpoints that list or manage models stay public; login-required: accounts, the first one
 * taken; unclaimed-admin: accounts, but none yet, so the first visitor becomes admin (Open
 * WebUI's onboarding, Xinference's setup); unknown: the answers did not tell.
 */
export const AUTH_STATES = [
  'none',
  'key-required',
  'key-partial',
  'login-required',
  'unclaimed-admin',
  'unknown',
] as const;
export type AuthState = (typeof AUTH_STATES)[number];

export interface KindIdentity {
  kind: ServerKindId;
  version: string | null;
  /** The answers that told, in plain words ("GET /lmstudio-greeting: lmstudio true"). */
  evidence: string[];
}

export interface ServerAuth {
  state: AuthState;
  evidence: string[];
}
