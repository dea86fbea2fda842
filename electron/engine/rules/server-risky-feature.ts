/**
 * Issue 13: a server started with a flag that gives whoever reaches it more than prompts
 * (llama-server's `--tools`, `--agent`, MCP servers, `--slot-save-path`, `--ui-mcp-proxy`,
 * `--media-path`; SGLang's `--enable-custom-logit-processor`; servers-facts.md §3 and §12),
 * and other machines can reach it. Code execution is critical; the rest high.
 */
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import { defineRule } from './rule';
import { listenerWords, openPathsWhere, reachableAt } from './support/reach';
import { listed } from './support/words';

export default defineRule(
  {
    id: 'server-risky-feature',
    title: 'A reachable server has file, shell or code features turned on',
    severity: 'high',
    category: 'exposure',
    why: "Some servers can do far more than answer prompts when started with the right flag: llama-server's --tools reads and writes files and runs shell commands, its MCP options start other programs, SGLang's custom logit processors run code sent in a request. Reachable from other machines, that is their code running on yours.",
    references: [
      'https://github.com/ggml-org/llama.cpp/tree/master/tools/server',
      'https://kb.cert.org/vuls/id/777338',
    ],
    fixes: ['block-port'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance) => {
      const features = instance.features ?? [];
      if (features.length === 0) return [];
      if (instance.exposure !== 'lan' && instance.exposure !== 'internet') return [];
      const name = SERVER_KIND_NAMES[instance.kind];
      const at = reachableAt(openPathsWhere(instance, () => true));
      const runsCode = features.some((f) => f.runsCode);
      return [
        {
          instance: instance.id,
          severity: runsCode ? 'critical' : 'high',
          title: `${name} runs with ${listed(
            features.map((f) => f.flag),
            3,
          )}, and other machines can reach it`,
          summary: `${name} at ${listed(at.length > 0 ? at : instance.listeners.map(listenerWords), 3)} was started with ${listed(
            features.map((f) => f.flag),
            4,
          )}: whoever reaches it can ${listed(
            features.map((f) => f.what),
            4,
          )}.`,
          attackerCan: features.map(
            (f) => `${f.what[0]!.toUpperCase()}${f.what.slice(1)} (${f.flag}).`,
          ),
          evidence: [
            `Its command line has ${features.map((f) => f.flag).join(', ')}.`,
            ...instance.reasons,
          ],
        },
      ];
    }),
);
