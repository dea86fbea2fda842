/**
 * Issue 13: a server of another kind whose version, as its own answer gives it, is in the range
 * of an advisory its section of servers-facts.md lists (servers/<kind>/ `advisories`; those in
 * CISA's exploited list are server-known-exploited's). Each advisory says how bad it is where
 * other machines reach the server; on loopback it is a step lower, since a local program or a
 * web page can still reach it. One finding per server, as bad as its worst advisory.
 */
import type { Severity } from '../../../shared/findings';
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import { advisoriesOf, rangeWords, upgradeTarget } from '../servers/advisories';
import { defineRule } from './rule';
import { plain } from './support/words';

const ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
const lower = (s: Severity): Severity => ORDER[Math.max(1, ORDER.indexOf(s) - 1)]!;
const worst = (list: Severity[]): Severity =>
  list.reduce((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), 'info');

export default defineRule(
  {
    id: 'server-advisory',
    title: 'A server runs a version with known vulnerabilities',
    severity: 'high',
    category: 'vulnerability',
    why: 'Published advisories tell attackers exactly what to try against a version: a key that can be bypassed, an admin account taken in a race, a request that runs code. Upgrading closes them; until then whoever reaches the server can use them.',
    references: ['https://osv.dev/', 'https://github.com/advisories'],
    fixes: [],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance) => {
      const hits = advisoriesOf(instance).filter((a) => a.kev === undefined);
      if (hits.length === 0) return [];
      const name = SERVER_KIND_NAMES[instance.kind];
      const version = plain(instance.version ?? '', 40);
      const reachable = instance.exposure === 'lan' || instance.exposure === 'internet';
      const severity = worst(hits.map((h) => (reachable ? h.severity : lower(h.severity))));
      const upgrade = upgradeTarget(hits);
      return [
        {
          instance: instance.id,
          severity,
          title: `${name} ${version} has known vulnerabilities`,
          summary: `${name} ${version} is affected by ${hits.map((h) => h.ids[0]).join(', ')}. ${upgrade ? `Upgrade to ${upgrade} or later` : 'No fixed version is given for all of them; upgrade to the latest release'}${reachable ? '; other machines can reach it now' : ''}.`,
          attackerCan: hits.map(
            (h) => `${h.what[0]!.toUpperCase()}${h.what.slice(1)} (${h.ids.join(', ')}).`,
          ),
          evidence: [
            `Its version answer: ${version}.`,
            ...hits.map((h) => `${h.ids.join(' / ')}: ${rangeWords(h)} (${h.source}).`),
          ],
        },
      ];
    }),
);
