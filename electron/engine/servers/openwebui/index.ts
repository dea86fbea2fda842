/**
 * Open WebUI (servers-facts.md §6): `GET /api/config` is public and names it (`name`,
 * `version`, `features.auth`), with `"onboarding": true` while no account exists: then the
 * first visitor creates the admin account. Default 0.0.0.0:8080.
 */
import type { ServerKind } from '../kind';
import { identity, json, stringField, versionOf } from '../kind';
import { isRecord } from '../../text/untrusted';

export const openwebui: ServerKind = {
  id: 'openwebui',
  facts: 'servers-facts.md §6',
  processNames: [/^open-webui$/],
  argvPatterns: [/open[-_]webui/],
  defaultPorts: [8080, 3000],
  paths: ['/api/config'],
  bind: {
    hostFlags: ['--host'],
    portFlags: ['--port'],
    keyFlags: [],
    hostEnv: ['HOST'],
    portEnv: ['PORT'],
    keyEnv: [],
  },
  // §6 (the sheet says: many; query OSV for PyPI `open-webui`).
  advisories: [
    {
      ids: ['CVE-2026-45675', 'GHSA-h3ww-q6xx-w7x3'],
      what: 'a race in LDAP/OAuth sign-up lets a stranger become the first admin',
      from: null,
      fixed: '0.9.0',
      severity: 'high',
      source: 'servers-facts.md §6',
    },
    {
      ids: ['CVE-2026-45339', 'GHSA-57q6-fvp4-pqmm'],
      what: 'API key endpoint restrictions are bypassed through x-api-key',
      from: null,
      fixed: '0.9.0',
      severity: 'medium',
      source: 'servers-facts.md §6',
    },
    {
      ids: ['CVE-2026-45349', 'CVE-2026-45671'],
      what: "any account reads other users' chats and files (IDOR)",
      from: null,
      fixed: '0.9.0',
      severity: 'medium',
      source: 'servers-facts.md §6 (third-party)',
    },
    {
      ids: ['GHSA-9vf8-xgwm-97r8', 'GHSA-5v9m-57mq-qc75'],
      what: 'file conversion endpoints answer without a login',
      from: null,
      fixed: '0.5.13',
      severity: 'medium',
      source: 'servers-facts.md §6',
    },
    {
      ids: ['CVE-2024-12537', 'GHSA-chf7-q7m5-fq92'],
      what: 'an unauthenticated request ties up the server (denial of service via the code formatter)',
      from: null,
      fixed: null,
      lastAffected: '0.3.32',
      severity: 'medium',
      source: 'servers-facts.md §6',
    },
  ],
  dangers: [
    'While no account exists, create the first account and become admin.',
    'As admin, run arbitrary Python in the server through Functions and Tools.',
    `Read stored provider API keys and every user's chats.`,
  ],
  identify(answers) {
    const config = json(answers, '/api/config');
    if (!isRecord(config) || config.status !== true || !isRecord(config.features)) return null;
    return identity(
      'openwebui',
      versionOf(stringField(config, 'version')),
      `GET /api/config: ${JSON.stringify(stringField(config, 'name') ?? 'Open WebUI').slice(0, 60)} with its features`,
    );
  },
  auth(answers) {
    const config = json(answers, '/api/config');
    if (!isRecord(config)) return { state: 'unknown', evidence: ['GET /api/config: no answer'] };
    if (config.onboarding === true)
      return {
        state: 'unclaimed-admin',
        evidence: ['GET /api/config: "onboarding": true (no account exists yet)'],
      };
    const features = isRecord(config.features) ? config.features : {};
    if (features.auth === false)
      return { state: 'none', evidence: ['GET /api/config: features.auth false (no login)'] };
    return { state: 'login-required', evidence: ['GET /api/config: login on, accounts exist'] };
  },
};
