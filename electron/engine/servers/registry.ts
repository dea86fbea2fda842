/**
 * Every server kind, in the order identification tries them: the kinds with a signal of their
 * own first (a look-alike's own path before Ollama's shared ones), the generic
 * OpenAI-compatible reading last.
 */
import type { KindIdentity, ServerKindId } from '../../../shared/servers';
import type { KindAnswers, OwnerHint, ServerKind } from './kind';
import { anythingllm } from './anythingllm';
import { gpt4all } from './gpt4all';
import { jan } from './jan';
import { koboldcpp } from './koboldcpp';
import { litellm } from './litellm';
import { llamacpp } from './llamacpp';
import { llamafile } from './llamafile';
import { lmstudio } from './lmstudio';
import { localai } from './localai';
import { ollama } from './ollama';
import { openaiCompatible } from './openai-compatible';
import { openwebui } from './openwebui';
import { sglang } from './sglang';
import { textgenWebui } from './textgen-webui';
import { tgi } from './tgi';
import { vllm } from './vllm';
import { xinference } from './xinference';
import { ownerMatches } from './kind';

export const KINDS: readonly ServerKind[] = [
  lmstudio,
  localai,
  koboldcpp,
  openwebui,
  litellm,
  tgi,
  xinference,
  textgenWebui,
  llamafile,
  llamacpp,
  vllm,
  sglang,
  gpt4all,
  jan,
  anythingllm,
  ollama,
  openaiCompatible,
];

export function kindById(id: ServerKindId): ServerKind {
  return KINDS.find((k) => k.id === id)!;
}

/** The kinds the owner's name or arguments point to. */
export function kindsOfOwner(owner: OwnerHint): ServerKind[] {
  return KINDS.filter((k) => ownerMatches(k, owner));
}

/** The kinds that take this port by default. */
export function kindsOfPort(port: number): ServerKind[] {
  return KINDS.filter((k) => k.defaultPorts.includes(port));
}

/**
 * The first kind whose own signal is in the answers. Failing that, a key may hide every
 * signal (SGLang and vLLM guard their model lists): when the listener answered HTTP and its
 * owner's name or arguments point to exactly one kind, that kind, and the evidence says so.
 */
export function identifyKind(answers: KindAnswers, owner: OwnerHint): KindIdentity | null {
  for (const kind of KINDS) {
    const found = kind.identify(answers, owner);
    if (found) return found;
  }
  const byOwner = kindsOfOwner(owner).filter((k) => k.id !== 'ollama');
  const answered = [...answers.values()].some((a) => a.status >= 200 && a.status < 500);
  if (byOwner.length !== 1 || !answered) return null;
  const what = owner.argv?.join(' ').match(byOwner[0]!.argvPatterns[0] ?? /$^/)?.[0] ?? owner.name;
  return {
    kind: byOwner[0]!.id,
    version: null,
    evidence: [
      `its process is ${what ?? 'named for it'}, and it answers HTTP; its answers do not name it (a key may hide them)`,
    ],
  };
}

/** The GETs to make on a listener, for the kinds it may be (at most `max`). */
export function pathsFor(kinds: readonly ServerKind[], max = 6): string[] {
  const paths = ['/', '/v1/models', ...kinds.flatMap((k) => k.paths)];
  return [...new Set(paths)].slice(0, max);
}
