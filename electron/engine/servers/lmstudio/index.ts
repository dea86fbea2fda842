/**
 * LM Studio, the app's server and `llmster` (servers-facts.md §2): `GET /lmstudio-greeting`
 * answers JSON with `"lmstudio": true`, exactly what `lms` checks. Every other path answers
 * 200 (§1.6), so nothing else counts. Default 127.0.0.1:1234; "Require Authentication" makes
 * the REST API ask for a bearer token.
 */
import type { ConfigFileSpec, FileSetting, ServerKind } from '../kind';
import { identity, json, keyAuth } from '../kind';
import { isRecord, parseJson } from '../../text/untrusted';

/**
 * `<LM Studio home>/.internal/http-server-config.json`: `{"port", "networkInterface"}`, the
 * server's last status as `lms server status` reads it (§2). The home is `~/.lmstudio` (the
 * pointer file `~/.lmstudio-home-pointer` and the legacy `~/.cache/lm-studio` are not
 * followed: Paddock reads no path a file names for it here).
 */
export const serverConfig: ConfigFileSpec = {
  label: 'LM Studio server config',
  paths({ home }) {
    return home
      ? [
          {
            path: `${home.replace(/\/+$/, '')}/.lmstudio/.internal/http-server-config.json`,
            inForce: false,
          },
        ]
      : [];
  },
  read(text) {
    const doc = parseJson(text);
    if (!isRecord(doc)) return { error: 'not a JSON object' };
    const out: FileSetting[] = [];
    for (const key of ['networkInterface', 'port']) {
      const value = doc[key];
      if (typeof value === 'string' || typeof value === 'number')
        out.push({ name: key, value: String(value), line: null });
    }
    return out;
  },
  hostKeys: ['networkInterface'],
  secretKeys: [],
  replacesArgv: false,
};

export const lmstudio: ServerKind = {
  id: 'lmstudio',
  facts: 'servers-facts.md §2',
  processNames: [/^llmster$/, /^lm studio$/i, /^lm-studio$/i, /^lmstudio$/i],
  argvPatterns: [/(?:^|\/)(?:LM Studio|LM-Studio)[^/]*(?: |$)/],
  defaultPorts: [1234],
  // §2: Developer page > Server Settings > "Serve on Local Network" ("the server will bind to
  // your local network IP address instead of localhost" when on).
  // §2: `lms server start` asks for `bind ?? LMS_SERVER_HOST ?? "127.0.0.1"`, and --bind is not persisted.
  restartOnLoopback: {
    why: 'A plain `lms server start` listens on 127.0.0.1 unless --bind or LMS_SERVER_HOST says otherwise (make sure LMS_SERVER_HOST is not set where you run it).',
    commands: [
      ['lms', 'server', 'stop'],
      ['lms', 'server', 'start'],
    ],
  },
  desktopApp: {
    processNames: [/^lm studio$/i, /^lm-studio$/i, /^lmstudio$/i],
    steps: [
      'Open LM Studio and go to the Developer page (the green terminal icon on the left).',
      'Open "Server Settings" and turn off "Serve on Local Network".',
      'LM Studio restarts its server on localhost (127.0.0.1); nothing else changes.',
      'If other computers must keep using it, turn on "Require Authentication" instead and create a token under "Manage Tokens".',
    ],
  },
  paths: ['/lmstudio-greeting'],
  bind: {
    hostFlags: ['--bind'],
    portFlags: ['--port', '-p'],
    keyFlags: [],
    hostEnv: ['LMS_SERVER_HOST'],
    portEnv: [],
    keyEnv: [],
    configFile: serverConfig,
  },
  dangers: [
    'Download any model from the catalog or Hugging Face with POST /api/v1/models/download, and load or unload models.',
    'Run prompts on your GPU; with JIT loading, load any downloaded model.',
    'With per-request MCPs allowed, make the server call remote MCP servers.',
  ],
  identify(answers) {
    const greeting = json(answers, '/lmstudio-greeting');
    if (isRecord(greeting) && greeting.lmstudio === true)
      return identity('lmstudio', null, 'GET /lmstudio-greeting: {"lmstudio": true}');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
