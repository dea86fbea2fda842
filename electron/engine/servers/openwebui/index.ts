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
