/**
 * Ollama's access log shows requests from addresses that are not this computer's. Host-wide:
 * the log belongs to the service, not to one listener. Gin takes the client address from
 * X-Forwarded-For / X-Real-IP when a caller sends one, so each address may be forged; the
 * finding says so.
 */
import type { LogClient } from '../../../shared/traffic';
import { isLoopback, isUnspecified } from '../net/address';
import { FORGEABLE_CLIENT_SENTENCE } from '../ollama/access-log';
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { listed, plain, plural } from './support/words';

function ago(from: string | null, to: string): string {
  if (!from) return 'at an unknown time';
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms)) return `at ${plain(from, 40)}`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'less than a minute before this scan';
  if (minutes < 120) return `${plural(minutes, 'minute')} before this scan`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${plural(hours, 'hour')} before this scan`;
  return `${plural(Math.round(hours / 24), 'day')} before this scan`;
}

function endpoints(client: LogClient): string {
  return listed(
    client.endpoints.map((e) => `${plain(e.path, 80)} ×${e.count}`),
    3,
  );
}

export default defineRule(
  {
    id: 'remote-clients-in-log',
    title: "Ollama's log shows requests from other machines",
    severity: 'medium',
    category: 'activity',
    why: 'Requests in the access log from addresses that are not this computer mean other machines have used this server: listing your models, running prompts on your GPU, pulling or deleting models. The addresses can be forged (X-Forwarded-For), but the requests themselves happened.',
    references: ['https://docs.ollama.com/troubleshooting', 'https://github.com/gin-gonic/gin'],
    fixes: ['rebind-systemd', 'block-port'],
  },
  (snapshot) => {
    const data = snapshot.probes.accessLog.data;
    if (!data) return [];
    const own = new Set(
      (snapshot.probes.interfaces.data ?? []).flatMap((i) =>
        i.addresses.map((a) => a.address.toLowerCase()),
      ),
    );
    const remote = data.accessLog.clients.filter(
      (c) =>
        c.scope !== null &&
        !isLoopback(c.client) &&
        !isUnspecified(c.client) &&
        !own.has(c.client.toLowerCase()),
    );
    if (remote.length === 0) return [];
    const requests = remote.reduce((sum, c) => sum + c.requests, 0);
    const source = `${data.accessLog.source.kind === 'journald' ? 'journald, unit ' : ''}${plain(data.accessLog.source.ref, 200)}`;
    const result: RuleFinding[] = [
      {
        instance: null,
        summary: `Ollama's access log (${source}) has ${plural(requests, 'request')} from ${plural(remote.length, 'address', 'addresses')} that ${remote.length === 1 ? 'is' : 'are'} not this computer: ${listed(
          remote.map((c) => plain(c.client, 60)),
          4,
        )}. These addresses can be forged.`,
        attackerCan: remote
          .slice(0, 3)
          .map(
            (c) =>
              `${plain(c.client, 60)} (or someone posing as it) called ${endpoints(c)}, last ${ago(c.lastSeen, snapshot.takenAt)}, and can keep doing so while the server is reachable.`,
          ),
        evidence: [
          FORGEABLE_CLIENT_SENTENCE,
          ...remote.map(
            (c) =>
              `${plain(c.client, 60)} (${c.scope}): ${plural(c.requests, 'request')}${c.failed > 0 ? ` (${c.failed} failed)` : ''}, first ${c.firstSeen ? plain(c.firstSeen, 40) : 'unknown'}, last ${c.lastSeen ? plain(c.lastSeen, 40) : 'unknown'}; ${endpoints(c)}.`,
          ),
          ...(data.accessLog.truncated
            ? ['The log was cut at a size cap: older requests are not counted.']
            : []),
        ],
      },
    ];
    return result;
  },
);
