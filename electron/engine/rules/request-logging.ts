/**
 * OLLAMA_DEBUG_LOG_REQUESTS is on: Ollama writes every request body, with a replayable curl
 * command, to $TMPDIR/ollama-request-logs-*. "On" follows Ollama's envconfig.Bool: any
 * non-empty value Go's ParseBool rejects (`yes`, `no`, `on`) counts as true.
 */
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { describeSetting, liveSettings, ollamaBool, settingsGroups } from './support/settings';
import { instanceLabel, plain } from './support/words';

const NAME = 'OLLAMA_DEBUG_LOG_REQUESTS';
const GO_BOOLS = /^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/;

export default defineRule(
  {
    id: 'request-logging',
    title: 'Ollama writes every request to disk',
    severity: 'medium',
    category: 'logging',
    why: 'With OLLAMA_DEBUG_LOG_REQUESTS on, Ollama saves the full body of every request (prompts, chat histories, documents pasted into them, images) with a ready-to-run curl command under $TMPDIR/ollama-request-logs-*. Anyone who can read that directory, a backup or a support bundle can read every conversation and replay it. Any value Ollama cannot read as false turns it on, "no" included.',
    references: [
      'https://github.com/ollama/ollama/blob/main/envconfig/config.go',
      'https://pkg.go.dev/strconv#ParseBool',
    ],
    fixes: ['stop-request-logging'],
  },
  (snapshot) =>
    settingsGroups(snapshot).flatMap(({ instance, settings }): RuleFinding[] => {
      const on = liveSettings(settings, NAME).filter((s) => ollamaBool(s.value));
      if (on.length === 0) return [];
      const effective = on.find((s) => s.state === 'effective');
      const shown = effective ?? on[0]!;
      return [
        {
          instance: instance?.id ?? null,
          ...(effective ? {} : { severity: 'low' as const }),
          summary: `${NAME}=${plain(shown.value, 60)} ${effective ? 'is in force for' : 'is saved for the next start of'} ${instance ? instanceLabel(instance) : 'Ollama'}: every prompt and answer is written, with a replayable curl command, under $TMPDIR/ollama-request-logs-*.`,
          attackerCan: [
            'Read every prompt, chat history and pasted document sent to this server, from the log files or any backup of them, and replay the requests with the saved curl commands.',
          ],
          evidence: on.map(
            (s) =>
              `${describeSetting(s)}${GO_BOOLS.test(s.value.trim()) ? '' : `: "${plain(s.value, 60)}" is not a value Go's ParseBool reads, and Ollama counts any such value as true`}.`,
          ),
        },
      ];
    }),
);
