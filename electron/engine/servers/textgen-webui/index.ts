/**
 * text-generation-webui's API (servers-facts.md §9): `GET /v1/internal/model/info` →
 * `model_name`, `lora_names`, `loader`. API on 127.0.0.1:5000 with `--api` (`--listen` opens
 * it), the Gradio UI on 7860; `--api-key` guards `/v1/*`.
 */
import type { ConfigFileSpec, FileSetting, ServerKind } from '../kind';
import { identity, json, keyAuth } from '../kind';
import { isRecord } from '../../text/untrusted';

/** The flags of CMD_FLAGS.txt Paddock reports: the bind, the ports, the key, the tunnels (§9). */
const VALUE_FLAGS = new Set([
  '--gradio-auth',
  '--listen-host',
  '--listen-port',
  '--api-port',
  '--api-key',
  '--admin-key',
]);
const SWITCHES = new Set(['--listen', '--api', '--share', '--public-api']);

/**
 * `user_data/CMD_FLAGS.txt` ("Add persistent flags here", §9; older installs keep it beside
 * server.py): the start scripts add its flags to server.py's command line at the next start.
 */
export const cmdFlags: ConfigFileSpec = {
  label: 'text-generation-webui CMD_FLAGS.txt',
  paths({ argv, cwd }) {
    const script = argv.slice(0, 3).find((a) => /(?:^|\/)(?:server|one_click)\.py$/.test(a));
    if (!script) return [];
    const dir = script.includes('/') ? script.slice(0, script.lastIndexOf('/')) : '.';
    const base = dir.startsWith('/') ? dir : cwd ? `${cwd.replace(/\/+$/, '')}/${dir}` : null;
    if (base === null) return [];
    const root = base.replace(/\/\.$/, '');
    return [
      { path: `${root}/user_data/CMD_FLAGS.txt`, inForce: false },
      { path: `${root}/CMD_FLAGS.txt`, inForce: false },
    ];
  },
  read(text) {
    const out: FileSetting[] = [];
    text.split('\n').forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const words = line.split(/\s+/);
      for (let i = 0; i < words.length; i += 1) {
        const w = words[i]!;
        const eq = w.indexOf('=');
        const name = eq > 0 ? w.slice(0, eq) : w;
        if (SWITCHES.has(name)) out.push({ name, value: 'on', line: index + 1 });
        else if (VALUE_FLAGS.has(name)) {
          const value = eq > 0 ? w.slice(eq + 1) : (words[i + 1] ?? '');
          if (eq < 0) i += 1;
          out.push({ name, value, line: index + 1 });
        }
      }
    });
    // The server reads each flag once, the last one winning: so does Paddock (a file of a
    // thousand --listen is one setting, security review of issue 13).
    const last = new Map<string, FileSetting>();
    for (const s of out) {
      last.delete(s.name);
      last.set(s.name, s);
    }
    return [...last.values()];
  },
  hostKeys: ['--listen', '--listen-host'],
  secretKeys: ['--api-key', '--admin-key', '--gradio-auth'],
  replacesArgv: false,
  tunnelKeys: [
    { key: '--share', via: 'a public Gradio share link' },
    { key: '--public-api', via: 'a Cloudflare tunnel for the API' },
  ],
};

export const textgenWebui: ServerKind = {
  id: 'textgen-webui',
  facts: 'servers-facts.md §9',
  processNames: [],
  argvPatterns: [/(?:^|\/)(?:server|one_click)\.py\b.*--(?:api|listen)/],
  defaultPorts: [5000, 7860],
  paths: ['/v1/internal/model/info'],
  bind: {
    hostFlags: ['--listen-host'],
    portFlags: ['--listen-port', '--api-port'],
    keyFlags: ['--api-key', '--admin-key', '--gradio-auth', '--gradio-auth-path'],
    hostEnv: [],
    portEnv: [],
    keyEnv: [],
    configFile: cmdFlags,
  },
  dangers: [
    'Load and unload models with /v1/internal/model/load (unless --admin-key is set).',
    'Run prompts on your GPU.',
  ],
  tunnelFlags: [
    { flag: '--share', via: 'a public Gradio link (gradio.live)' },
    { flag: '--public-api', via: 'a Cloudflare tunnel for its API' },
  ],
  identify(answers) {
    const info = json(answers, '/v1/internal/model/info');
    if (isRecord(info) && 'model_name' in info && 'loader' in info && 'lora_names' in info)
      return identity('textgen-webui', null, 'GET /v1/internal/model/info: model_name, loader');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/v1/internal/model/info'),
};
