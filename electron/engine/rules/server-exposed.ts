/**
 * Issue 13: a local LLM server other than Ollama (LM Studio, llama.cpp, vLLM and the rest)
 * that other machines can reach. How bad depends on who may use it, as its own answers said
 * (shared/servers.ts): no credentials asked is high from the LAN and critical from the
 * internet; a key that leaves the model list or other endpoints public is a step lower; a key
 * on everything tried, or a login with accounts in place, lower again. An unclaimed admin
 * account is its own rule (unclaimed-admin).
 */
import type { Severity } from '../../../shared/findings';
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import { AUTH_WORDS } from '../servers/kind';
import { kindById } from '../servers/registry';
import { defineRule } from './rule';
import { listenerWords, openPathsWhere, reachableAt } from './support/reach';
import { listed, plain } from './support/words';

const SEVERITY: Record<string, { lan: Severity; internet: Severity }> = {
  none: { lan: 'high', internet: 'critical' },
  unknown: { lan: 'high', internet: 'critical' },
  'key-partial': { lan: 'medium', internet: 'high' },
  'key-required': { lan: 'low', internet: 'medium' },
  'login-required': { lan: 'low', internet: 'medium' },
};

export default defineRule(
  {
    id: 'server-exposed',
    title: 'A local LLM server is reachable from other machines',
    severity: 'high',
    category: 'exposure',
    why: 'Most local LLM servers ask for no credentials by default, and some listen on every interface by default (vLLM, LocalAI, Open WebUI, KoboldCpp, LiteLLM, TGI). Whoever reaches one can run prompts on your GPU, read what it serves, and use its management endpoints: download or load models, read file paths, or worse where tools are enabled.',
    references: [
      'https://docs.vllm.ai/en/latest/usage/security.html',
      'https://github.com/ggml-org/llama.cpp/tree/master/tools/server',
      'https://lmstudio.ai/docs/developer/core/server/serve-on-network',
    ],
    fixes: ['rebind-server', 'block-port', 'share-allowlist', 'share-vpn', 'share-proxy'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance) => {
      if (instance.kind === 'ollama') return [];
      if (instance.exposure !== 'lan' && instance.exposure !== 'internet') return [];
      if ((instance.sharedWith || instance.sharedOver) && !instance.tunnels?.length) return [];
      const state = instance.auth?.state ?? 'unknown';
      if (state === 'unclaimed-admin') return [];
      const name = SERVER_KIND_NAMES[instance.kind];
      const where = instance.exposure === 'internet' ? 'the internet' : 'the local network';
      const open = openPathsWhere(instance, () => true);
      const at = reachableAt(open);
      const kind = kindById(instance.kind);
      const guarded = state === 'key-required' || state === 'login-required';
      return [
        {
          instance: instance.id,
          severity: SEVERITY[state]![instance.exposure],
          title: `${name} is reachable from ${where}`,
          summary: `${name}${instance.version ? ` ${plain(instance.version, 40)}` : ''} answers other machines at ${listed(at.length > 0 ? at : instance.listeners.map(listenerWords), 3)}: ${AUTH_WORDS[state]}.`,
          attackerCan: guarded
            ? [`Try keys or passwords against it, and use whatever it leaves public.`]
            : [...kind.dangers],
          evidence: [
            ...(instance.auth?.evidence ?? []),
            // Published by a tunnel of its own: no open path shows it, its reasons do.
            ...(open.length === 0 ? instance.reasons : []),
            ...open.map(
              ({ listener }) =>
                `Listener ${listenerWords(listener)}: ${listener.reasons.join(' ')}`,
            ),
          ],
        },
      ];
    }),
);
