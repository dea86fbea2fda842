/**
 * Paddock could not read the running Ollama's version (no /api/version answer, no usable
 * `ollama --version`), or the version says nothing about the code (a `0.0.0` development
 * build, text that is not a version: advisories/match.ts versionAdvisoryStatus), so known
 * advisories cannot be checked. Info on its own; medium when
 * the server is exposed, where an old version would matter most.
 */
import { versionAdvisoryStatus } from '../advisories/match';
import { isExposed } from '../exposure';
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { hostPort, instanceLabel, plain } from './support/words';

export default defineRule(
  {
    id: 'version-unknown',
    title: "Ollama's version is unknown, so advisories cannot be checked",
    severity: 'info',
    category: 'vulnerability',
    why: 'Without the version, Paddock cannot tell whether this server is affected by published advisories such as remote code execution through /api/pull (CVE-2024-37032) or model-file memory leaks (CVE-2026-7482). An exposed server of unknown version may be an old one that anyone on the network can exploit.',
    references: [
      'https://github.com/ollama/ollama/security',
      'https://github.com/ollama/ollama/releases',
    ],
    fixes: ['upgrade-ollama'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      const status = versionAdvisoryStatus(instance.version, snapshot.host.platform);
      if (status.status === 'checked') return [];
      const exposed = isExposed(instance.exposure);
      const problems = instance.fingerprints.flatMap((f) =>
        f.problems.map((p) => `${hostPort(plain(f.address, 60), f.port)}: ${plain(p, 200)}`),
      );
      return [
        {
          instance: instance.id,
          ...(exposed ? { severity: 'medium' as const } : {}),
          summary:
            instance.version === null
              ? `Paddock could not tell which version ${instanceLabel(instance)} is${exposed ? ', and other machines can reach it' : ''}: known advisories cannot be checked.`
              : `${instanceLabel(instance)} reports a version that says nothing about its code (${plain(status.note, 120)})${exposed ? ', and other machines can reach it' : ''}: known advisories cannot be checked.`,
          attackerCan: [],
          evidence: [
            ...(instance.version !== null
              ? [`Version "${plain(instance.version, 60)}": ${plain(status.note, 200)}.`]
              : []),
            instance.version !== null
              ? `Read from ${instance.versionSource === 'api' ? 'GET /api/version' : '`ollama --version`'}.`
              : instance.fingerprints.length > 0
                ? 'GET /api/version gave no version.'
                : 'No listener of this server could be asked for /api/version.',
            ...(snapshot.probes.versions.message
              ? [plain(snapshot.probes.versions.message, 300)]
              : []),
            ...problems,
          ],
        },
      ];
    }),
);
