/**
 * KoboldCpp (servers-facts.md §8): `GET /api/extra/version` → `{"result":"KoboldCpp",…}` and
 * the header `Server: ConcedoLlamaForKoboldServer`. It answers Ollama's `/api/tags` too
 * (§1.4). Port 5001 on every interface by default; `--password` guards text endpoints only,
 * and the version answer says `"protected"`.
 */
import type { ConfigFileSpec, FileSetting, ServerKind } from '../kind';
import { header, identity, json, stringField, versionOf } from '../kind';
import { isRecord, parseJson } from '../../text/untrusted';

/** The `.kcpps` keys Paddock reads: they mirror the flags (§8, the GUI's `dict["host"]` loader). */
const KCPPS_KEYS = ['host', 'port', 'password', 'adminpassword', 'remotetunnel'] as const;

/** The 1-based line of a top-level key's first appearance, or null. */
function lineOfKey(text: string, key: string): number | null {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.includes(`"${key}"`) && /"\s*:/.test(l));
  return at < 0 ? null : at + 1;
}

/**
 * A `.kcpps` file: JSON whose keys mirror the flags, loaded with `--config FILE` (or given
 * alone as the first argument); "Other arguments will be ignored" (§8).
 */
export const kcpps: ConfigFileSpec = {
  label: 'KoboldCpp settings file (.kcpps)',
  paths({ argv, cwd }) {
    const args = argv.slice(1);
    let named: string | null = null;
    for (let i = 0; i < args.length; i += 1) {
      const a = args[i]!;
      if (a === '--config' && i + 1 < args.length) named = args[i + 1]!;
      else if (a.startsWith('--config=')) named = a.slice('--config='.length);
    }
    // `koboldcpp model.kcpps` (a file dropped on the program) loads it the same way.
    named ??= args.find((a) => !a.startsWith('-') && a.toLowerCase().endsWith('.kcpps')) ?? null;
    if (named === null || named === '') return [];
    const path = named.startsWith('/') ? named : cwd ? `${cwd.replace(/\/+$/, '')}/${named}` : null;
    return path ? [{ path, inForce: true }] : [];
  },
  read(text) {
    const doc = parseJson(text);
    if (!isRecord(doc)) return { error: 'not a JSON object' };
    const out: FileSetting[] = [];
    for (const key of KCPPS_KEYS) {
      const value = doc[key];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        continue;
      out.push({ name: key, value: String(value), line: lineOfKey(text, key) });
    }
    return out;
  },
  hostKeys: ['host'],
  secretKeys: ['password', 'adminpassword'],
  replacesArgv: true,
  tunnelKeys: [{ key: 'remotetunnel', via: 'a Cloudflare quick tunnel (trycloudflare.com)' }],
};

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
    configFile: kcpps,
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
