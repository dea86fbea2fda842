/**
 * LiteLLM proxy (servers-facts.md §11): `GET /health/liveliness` → "I'm alive!" (always
 * public), `/health/readiness` → `litellm_version`. Default 0.0.0.0:4000; without a master
 * key it checks no key at all.
 */
import type { ServerKind } from '../kind';
import { identity, json, keyAuth, stringField, versionOf } from '../kind';

export const litellm: ServerKind = {
  id: 'litellm',
  facts: 'servers-facts.md §11',
  processNames: [/^litellm$/],
  argvPatterns: [/(?:^|\/)litellm(?: |$)/],
  defaultPorts: [4000],
  paths: ['/health/liveliness', '/health/readiness'],
  bind: {
    hostFlags: ['--host'],
    portFlags: ['--port'],
    keyFlags: [],
    hostEnv: ['HOST'],
    portEnv: ['PORT'],
    keyEnv: ['LITELLM_MASTER_KEY'],
  },
  // §11, row for row (CISA KEV dates as the sheet gives them).
  advisories: [
    {
      ids: ['CVE-2026-42208', 'GHSA-r75f-5x8p-qvmc'],
      what: 'pre-auth SQL injection in key verification',
      from: '1.81.16',
      fixed: '1.83.7',
      severity: 'critical',
      kev: '2026-05-08',
      source: 'servers-facts.md §11',
    },
    {
      ids: ['CVE-2026-42271'],
      what: 'command execution through /mcp-rest/test endpoints (any key holder)',
      from: '1.74.2',
      fixed: '1.83.7',
      severity: 'critical',
      kev: '2026-06-08',
      source: 'servers-facts.md §11',
    },
    {
      ids: ['CVE-2026-59822', 'GHSA-7488-6r32-c95q'],
      what: 'MCP Streamable HTTP authentication bypass',
      from: null,
      fixed: '1.84.0',
      severity: 'critical',
      kev: '2026-09-02',
      source: 'servers-facts.md §11',
    },
    {
      ids: ['CVE-2026-47101'],
      what: 'an internal_user key reaches routes beyond its role (privilege escalation)',
      from: null,
      fixed: '1.83.14',
      severity: 'high',
      source: 'servers-facts.md §11 (third-party)',
    },
  ],
  dangers: [
    'Call every upstream provider configured, on your keys and your bill.',
    'Without a master key, manage keys, users and models.',
  ],
  identify(answers) {
    const alive = answers.get('/health/liveliness');
    const version = versionOf(stringField(json(answers, '/health/readiness'), 'litellm_version'));
    if (alive?.status === 200 && alive.body.includes("I'm alive!"))
      return identity('litellm', version, `GET /health/liveliness: "I'm alive!"`);
    if (version) return identity('litellm', version, 'GET /health/readiness: litellm_version');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
