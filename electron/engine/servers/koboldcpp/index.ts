/**
 * KoboldCpp (servers-facts.md §8): `GET /api/extra/version` → `{"result":"KoboldCpp",…}` and
 * the header `Server: ConcedoLlamaForKoboldServer`. It answers Ollama's `/api/tags` too
 * (§1.4). Port 5001 on every interface by default; `--password` guards text endpoints only,
 * and the version answer says `"protected"`.
 */
import type { ServerKind } from '../kind';
import { header, identity, json, stringField, versionOf } from '../kind';
import { isRecord } from '../../text/untrusted';

export const koboldcpp: ServerKind = {
  id: 'koboldcpp',
  facts: 'servers-facts.md §8',
  processNames: [/^koboldcpp/i],
  argvPatterns: [/koboldcpp(?:\.py|\.exe)?(?: |$)/i],
  defaultPorts: [5001],
  paths: ['/api/extra/version'],
  bind: {
    hostFlags: ['--host'],
    portFlags: ['--port'],
    keyFlags: ['--password', '--adminpassword'],
    hostEnv: [],
    portEnv: [],
    keyEnv: [],
  },
  dangers: [
    'Run prompts on your GPU (a --password guards only the text endpoints).',
    'With admin endpoints enabled, reload models and configs.',
  ],
  tunnelFlags: [{ flag: '--remotetunnel', via: 'a Cloudflare quick tunnel (trycloudflare.com)' }],
  identify(answers) {
    const doc = json(answers, '/api/extra/version');
    if (isRecord(doc) && doc.result === 'KoboldCpp')
      return identity(
        'koboldcpp',
        versionOf(stringField(doc, 'version')),
        'GET /api/extra/version: "result": "KoboldCpp"',
      );
    if (header(answers, 'server')?.startsWith('ConcedoLlamaForKoboldServer'))
      return identity('koboldcpp', null, 'header Server: ConcedoLlamaForKoboldServer');
    return null;
  },
  auth(answers) {
    const doc = json(answers, '/api/extra/version');
    if (isRecord(doc) && typeof doc.protected === 'boolean')
      return doc.protected
        ? {
            state: 'key-partial',
            evidence: [
              'GET /api/extra/version: "protected": true (a password guards text endpoints only)',
            ],
          }
        : { state: 'none', evidence: ['GET /api/extra/version: "protected": false'] };
    return { state: 'unknown', evidence: ['GET /api/extra/version: no "protected" field'] };
  },
};
