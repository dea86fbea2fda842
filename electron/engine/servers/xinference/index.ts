/**
 * Xinference (servers-facts.md §14): `GET /v1/cluster/auth` → `{"auth": true|false}`, and
 * `/v1/models` entries say `owned_by: "xinference"`. `xinference-local` binds 127.0.0.1:9997,
 * the supervisor and worker 0.0.0.0.
 */
import type { ServerKind } from '../kind';
import { identity, json, ownedBy } from '../kind';
import { isRecord } from '../../text/untrusted';

export const xinference: ServerKind = {
  id: 'xinference',
  facts: 'servers-facts.md §14',
  processNames: [/^xinference/],
  argvPatterns: [/xinference-(?:local|supervisor|worker)/],
  defaultPorts: [9997],
  paths: ['/v1/cluster/auth'],
  bind: {
    hostFlags: ['--host', '-H'],
    portFlags: ['--port', '-p'],
    keyFlags: [],
    hostEnv: [],
    portEnv: [],
    keyEnv: [],
  },
  dangers: [
    'Launch and terminate models, and run prompts, when auth is off.',
    `Reach the supervisor's actor pool on its other ports.`,
  ],
  identify(answers) {
    const auth = json(answers, '/v1/cluster/auth');
    if (ownedBy(answers).includes('xinference'))
      return identity('xinference', null, 'GET /v1/models: owned_by "xinference"');
    if (isRecord(auth) && typeof auth.auth === 'boolean' && Object.keys(auth).length === 1)
      return identity('xinference', null, 'GET /v1/cluster/auth: {"auth": …}');
    return null;
  },
  auth(answers) {
    const auth = json(answers, '/v1/cluster/auth');
    if (isRecord(auth) && typeof auth.auth === 'boolean')
      return auth.auth
        ? { state: 'login-required', evidence: ['GET /v1/cluster/auth: {"auth": true}'] }
        : { state: 'none', evidence: ['GET /v1/cluster/auth: {"auth": false}'] };
    return { state: 'unknown', evidence: ['GET /v1/cluster/auth: no answer'] };
  },
};
