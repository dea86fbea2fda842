/**
 * Issue 13: telling the servers apart by harmless GETs (engine/servers/), on answers shaped
 * from ../shared/docs/servers-facts.md, section by section (the test names cite them), not
 * recorded from the servers, which are not installed here. Look-alikes first: LocalAI and
 * KoboldCpp answer Ollama's endpoints, LM Studio answers 200 to any path.
 */
import { describe, expect, it } from 'vitest';
import type { KindAnswer, KindAnswers, OwnerHint } from '../../../electron/engine/servers/kind';
import { tunnelFlagOf } from '../../../electron/engine/servers/kind';
import {
  identifyKind,
  kindById,
  pathsFor,
  kindsOfOwner,
  kindsOfPort,
} from '../../../electron/engine/servers/registry';

type Shape = Record<string, Partial<KindAnswer> & { json?: unknown }>;
function answers(shape: Shape, headers: Record<string, string> = {}): KindAnswers {
  return new Map(
    Object.entries(shape).map(([path, a]) => [
      path,
      {
        status: a.status ?? 200,
        headers: { ...headers, ...(a.headers ?? {}) },
        body: a.json !== undefined ? JSON.stringify(a.json) : (a.body ?? ''),
      },
    ]),
  );
}
const nobody: OwnerHint = { name: null, argv: null };
const owner = (name: string, ...argv: string[]): OwnerHint => ({ name, argv: [name, ...argv] });
/** LM Studio's answer to a path it does not know (servers-facts.md §1.6). */
const anything = {
  json: { error: 'Unexpected endpoint or method. (GET /x). Returning 200 anyway' },
};

describe('identifying a server by its own signal', () => {
  it.each<[string, Shape, Record<string, string>, OwnerHint, string, string | null]>([
    [
      '§2 LM Studio: /lmstudio-greeting',
      {
        '/': anything,
        '/lmstudio-greeting': { json: { lmstudio: true } },
        '/v1/models': { json: { object: 'list', data: [] } },
      },
      {},
      owner('llmster'),
      'lmstudio',
      null,
    ],
    [
      '§3 llama-server: Server: llama.cpp',
      {
        '/v1/models': {
          json: { object: 'list', data: [{ id: 'm', object: 'model', owned_by: 'llamacpp' }] },
        },
      },
      { server: 'llama.cpp' },
      owner('llama-server', '--host', '0.0.0.0'),
      'llamacpp',
      null,
    ],
    [
      '§4 vLLM: owned_by vllm, /version',
      {
        '/v1/models': {
          json: {
            object: 'list',
            data: [{ id: 'm', object: 'model', owned_by: 'vllm', max_model_len: 4096 }],
          },
        },
        '/version': { json: { version: '0.11.0' } },
      },
      { server: 'uvicorn' },
      owner('python3', '-m', 'vllm.entrypoints.openai.api_server'),
      'vllm',
      '0.11.0',
    ],
    [
      '§5 LocalAI: /.well-known/localai.json',
      {
        '/.well-known/localai.json': {
          json: { version: 'v3.7.0', endpoints: { chat: '/v1/chat/completions' } },
        },
      },
      {},
      nobody,
      'localai',
      'v3.7.0',
    ],
    [
      '§6 Open WebUI: /api/config',
      {
        '/api/config': {
          json: {
            status: true,
            name: 'Open WebUI',
            version: '0.6.30',
            features: { auth: true },
            onboarding: true,
          },
        },
      },
      {},
      nobody,
      'openwebui',
      '0.6.30',
    ],
    [
      '§7 Jan: owned_by user, created 1, owner Jan',
      {
        '/v1/models': {
          json: {
            object: 'list',
            data: [{ id: 'm', object: 'model', created: 1, owned_by: 'user' }],
          },
        },
      },
      {},
      owner('jan'),
      'jan',
      null,
    ],
    [
      '§8 KoboldCpp: /api/extra/version',
      {
        '/api/extra/version': { json: { result: 'KoboldCpp', version: '1.98', protected: false } },
      },
      { server: 'ConcedoLlamaForKoboldServer' },
      nobody,
      'koboldcpp',
      '1.98',
    ],
    [
      '§9 text-generation-webui: /v1/internal/model/info',
      {
        '/v1/internal/model/info': {
          json: { model_name: 'm', lora_names: [], loader: 'llama.cpp' },
        },
      },
      {},
      nobody,
      'textgen-webui',
      null,
    ],
    [
      '§10 GPT4All: owned_by humanity',
      {
        '/v1/models': {
          json: { object: 'list', data: [{ id: 'm', object: 'model', owned_by: 'humanity' }] },
        },
      },
      {},
      nobody,
      'gpt4all',
      null,
    ],
    [
      '§11 LiteLLM: /health/liveliness',
      {
        '/health/liveliness': { body: '"I\'m alive!"' },
        '/health/readiness': { json: { status: 'healthy', litellm_version: '1.77.0' } },
      },
      {},
      nobody,
      'litellm',
      '1.77.0',
    ],
    [
      '§12 SGLang: owned_by sglang',
      {
        '/v1/models': {
          json: { object: 'list', data: [{ id: 'm', object: 'model', owned_by: 'sglang' }] },
        },
      },
      {},
      nobody,
      'sglang',
      null,
    ],
    [
      '§13 TGI: /info router',
      { '/info': { json: { model_id: 'm', router: 'text-generation-router', version: '3.3.6' } } },
      {},
      nobody,
      'tgi',
      '3.3.6',
    ],
    [
      '§14 Xinference: /v1/cluster/auth',
      { '/v1/cluster/auth': { json: { auth: false } } },
      {},
      owner('xinference-local'),
      'xinference',
      null,
    ],
    [
      '§15 llamafile v2: Server: llamafile/0.9.3',
      {
        '/v1/models': {
          json: { object: 'list', data: [{ id: 'm', object: 'model', owned_by: 'llamafile' }] },
        },
      },
      { server: 'llamafile/0.9.3' },
      nobody,
      'llamafile',
      '0.9.3',
    ],
    [
      '§15 llamafile classic: llama.cpp header from a .llamafile',
      { '/': { body: '<html>' } },
      { server: 'llama.cpp' },
      owner('mistral.llamafile'),
      'llamafile',
      null,
    ],
    [
      '§16 AnythingLLM: /api/ping',
      { '/api/ping': { json: { online: true } } },
      {},
      nobody,
      'anythingllm',
      null,
    ],
    [
      '§1.5 anything else with an OpenAI model list',
      {
        '/v1/models': {
          json: { object: 'list', data: [{ id: 'm', object: 'model', owned_by: 'someone' }] },
        },
      },
      {},
      nobody,
      'openai-compatible',
      null,
    ],
    [
      'Ollama: its banner',
      { '/': { body: 'Ollama is running' }, '/api/version': { json: { version: '0.12.10' } } },
      {},
      owner('ollama', 'serve'),
      'ollama',
      '0.12.10',
    ],
  ])('%s', (_name, shape, headers, who, kind, version) => {
    const found = identifyKind(answers(shape, headers), who);
    expect(found?.kind).toBe(kind);
    expect(found?.version ?? null).toBe(version);
    expect(found?.evidence.length).toBeGreaterThan(0);
  });

  it('§1.4 look-alikes: LocalAI with Ollama’s banner and endpoints is LocalAI, not Ollama', () => {
    const shape: Shape = {
      '/': { body: 'Ollama is running' },
      '/api/version': { json: { version: '0.9.0' } },
      '/api/tags': { json: { models: [] } },
      '/.well-known/localai.json': { json: { version: 'v3.7.0', endpoints: {} } },
    };
    expect(identifyKind(answers(shape), nobody)?.kind).toBe('localai');
  });

  it('§1.4 look-alikes: KoboldCpp answering /api/tags is KoboldCpp', () => {
    const shape: Shape = {
      '/api/tags': { json: { models: [{ name: 'koboldcpp/m' }] } },
      '/api/version': { json: { version: '0.6.4' } },
      '/api/extra/version': { json: { result: 'KoboldCpp', version: '1.98' } },
    };
    expect(identifyKind(answers(shape), nobody)?.kind).toBe('koboldcpp');
  });

  it('§1.6 LM Studio answers 200 to any path, and is never taken for something else', () => {
    const shape: Shape = Object.fromEntries(
      [
        '/',
        '/api/version',
        '/api/tags',
        '/info',
        '/api/config',
        '/api/extra/version',
        '/version',
      ].map((p) => [p, anything]),
    );
    expect(identifyKind(answers(shape), nobody)).toBeNull();
    expect(
      identifyKind(
        answers({ ...shape, '/lmstudio-greeting': { json: { lmstudio: true } } }),
        nobody,
      )?.kind,
    ).toBe('lmstudio');
  });

  it('§1.5 a wrapper that copies owned_by "user" is not Jan without Jan as its owner', () => {
    const shape: Shape = {
      '/v1/models': {
        json: {
          object: 'list',
          data: [{ id: 'm', object: 'model', created: 1, owned_by: 'user' }],
        },
      },
    };
    expect(identifyKind(answers(shape), owner('python3'))?.kind).toBe('openai-compatible');
  });

  it('§12 a key that hides every signal: the owner names the kind, and the evidence says why', () => {
    const found = identifyKind(
      answers({ '/v1/models': { status: 401, json: { error: 'Unauthorized' } } }),
      owner('python3', '-m', 'sglang.launch_server', '--api-key', 'k'),
    );
    expect(found?.kind).toBe('sglang');
    expect(found?.evidence.join(' ')).toMatch(/sglang\.launch_server.*a key may hide them/);
    // A silent listener, or an owner that names no kind, is no kind.
    expect(identifyKind(answers({}), owner('python3', '-m', 'sglang.launch_server'))).toBeNull();
    expect(identifyKind(answers({ '/v1/models': { status: 401 } }), owner('python3'))).toBeNull();
  });

  it('nothing telling: no kind', () => {
    expect(identifyKind(answers({ '/': { body: '<html>hello</html>' } }), nobody)).toBeNull();
    expect(
      identifyKind(answers({ '/v1/models': { status: 404, body: 'nope' } }), nobody),
    ).toBeNull();
  });
});

describe('who may use it, from the same answers', () => {
  it('§3 llama-server with --api-key: /props asks for it, /v1/models stays public → key-partial', () => {
    const a = answers({
      '/v1/models': { json: { object: 'list', data: [] } },
      '/props': { status: 401, json: { error: { message: 'Invalid API Key' } } },
    });
    expect(kindById('llamacpp').auth(a).state).toBe('key-partial');
    expect(
      kindById('llamacpp').auth(answers({ '/props': { json: { total_slots: 1 } } })).state,
    ).toBe('none');
  });
  it('§4 vLLM with --api-key: /v1/models asks for it → key-required', () => {
    expect(kindById('vllm').auth(answers({ '/v1/models': { status: 401 } })).state).toBe(
      'key-required',
    );
  });
  it('§6 Open WebUI: onboarding → unclaimed admin; accounts → login; auth off → none', () => {
    const cfg = (extra: object) =>
      answers({ '/api/config': { json: { status: true, features: { auth: true }, ...extra } } });
    expect(kindById('openwebui').auth(cfg({ onboarding: true })).state).toBe('unclaimed-admin');
    expect(kindById('openwebui').auth(cfg({})).state).toBe('login-required');
    expect(
      kindById('openwebui').auth(
        answers({ '/api/config': { json: { status: true, features: { auth: false } } } }),
      ).state,
    ).toBe('none');
  });
  it('§8 KoboldCpp: "protected" says whether a password guards the text endpoints', () => {
    expect(
      kindById('koboldcpp').auth(
        answers({ '/api/extra/version': { json: { result: 'KoboldCpp', protected: true } } }),
      ).state,
    ).toBe('key-partial');
  });
  it('§14 Xinference: /v1/cluster/auth', () => {
    expect(
      kindById('xinference').auth(answers({ '/v1/cluster/auth': { json: { auth: true } } })).state,
    ).toBe('login-required');
  });
});

describe('tunnels of their own (servers-facts.md §1.2)', () => {
  it('KoboldCpp --remotetunnel and text-generation-webui --share / --public-api', () => {
    expect(tunnelFlagOf(kindById('koboldcpp'), owner('koboldcpp', '--remotetunnel'))?.flag).toBe(
      '--remotetunnel',
    );
    expect(
      tunnelFlagOf(kindById('textgen-webui'), owner('python3', 'server.py', '--api', '--share'))
        ?.flag,
    ).toBe('--share');
    expect(
      tunnelFlagOf(kindById('textgen-webui'), owner('python3', 'server.py', '--public-api'))?.flag,
    ).toBe('--public-api');
    expect(tunnelFlagOf(kindById('koboldcpp'), owner('koboldcpp', '--port', '5001'))).toBeNull();
    expect(tunnelFlagOf(kindById('llamacpp'), owner('llama-server', '--remotetunnel'))).toBeNull();
  });
});

describe('which GETs a listener gets', () => {
  it('by its owner and its port, at most six, / and /v1/models first', () => {
    expect(kindsOfOwner(owner('llama-server')).map((k) => k.id)).toEqual(['llamacpp']);
    expect(kindsOfOwner(owner('python3', '-m', 'sglang.launch_server')).map((k) => k.id)).toEqual([
      'sglang',
    ]);
    expect(
      kindsOfPort(8080)
        .map((k) => k.id)
        .sort(),
    ).toEqual(['llamacpp', 'llamafile', 'localai', 'openwebui'].sort());
    const paths = pathsFor(kindsOfPort(8080));
    expect(paths.slice(0, 2)).toEqual(['/', '/v1/models']);
    expect(paths.length).toBeLessThanOrEqual(6);
  });
});

describe('server-known-exploited: LiteLLM versions in CISA KEV (servers-facts.md §11)', async () => {
  const { default: rule } = await import('../../../electron/engine/rules/server-known-exploited');
  const { buildSnapshot } = await import('../../rules/snapshots');
  const cves = (version: string) =>
    rule
      .evaluate(
        buildSnapshot({
          instances: [
            { kind: 'litellm', pid: 1, version, listeners: [{ address: '127.0.0.1', port: 4000 }] },
          ],
        }),
      )
      .flatMap((f) => f.evidence.filter((e) => e.startsWith('CVE')).map((e) => e.slice(0, 14)));
  it.each([
    ['1.74.1', ['CVE-2026-59822']],
    ['1.74.2', ['CVE-2026-42271', 'CVE-2026-59822']],
    ['1.81.16', ['CVE-2026-42208', 'CVE-2026-42271', 'CVE-2026-59822']],
    ['1.83.7', ['CVE-2026-59822']],
    ['1.84.0', []],
  ])('%s → %j', (version, expected) => {
    expect(cves(version)).toEqual(expected);
  });
});

describe('server-advisory: each kind’s advisories at their edges (servers-facts.md §4, §6, §11, §13)', async () => {
  const { default: rule } = await import('../../../electron/engine/rules/server-advisory');
  const { buildSnapshot, lanPaths } = await import('../../rules/snapshots');
  type Kind = 'vllm' | 'openwebui' | 'litellm' | 'tgi' | 'llamacpp';
  const found = (kind: Kind, version: string, reachable = false) =>
    rule.evaluate(
      buildSnapshot({
        instances: [
          {
            kind,
            pid: 1,
            version,
            listeners: [
              reachable
                ? { address: '0.0.0.0', port: 9000, via: lanPaths() }
                : { address: '127.0.0.1', port: 9000 },
            ],
          },
        ],
      }),
    );
  const ids = (kind: Kind, version: string) =>
    found(kind, version).flatMap((f) => f.evidence.slice(1).map((e) => e.split(':')[0]));
  it.each([
    ['vllm', '0.2.9', ['CVE-2026-22778 / GHSA-4r2x-xpjr-7cvv']],
    ['vllm', '0.3.0', ['CVE-2026-48746', 'CVE-2026-22778 / GHSA-4r2x-xpjr-7cvv']],
    ['vllm', '0.14.1', ['CVE-2026-48746']],
    ['vllm', '0.22.0', []],
    [
      'openwebui',
      '0.3.32',
      [
        'CVE-2026-45675 / GHSA-h3ww-q6xx-w7x3',
        'CVE-2026-45339 / GHSA-57q6-fvp4-pqmm',
        'CVE-2026-45349 / CVE-2026-45671',
        'GHSA-9vf8-xgwm-97r8 / GHSA-5v9m-57mq-qc75',
        'CVE-2024-12537 / GHSA-chf7-q7m5-fq92',
      ],
    ],
    [
      'openwebui',
      '0.3.33',
      [
        'CVE-2026-45675 / GHSA-h3ww-q6xx-w7x3',
        'CVE-2026-45339 / GHSA-57q6-fvp4-pqmm',
        'CVE-2026-45349 / CVE-2026-45671',
        'GHSA-9vf8-xgwm-97r8 / GHSA-5v9m-57mq-qc75',
      ],
    ],
    [
      'openwebui',
      '0.5.13',
      [
        'CVE-2026-45675 / GHSA-h3ww-q6xx-w7x3',
        'CVE-2026-45339 / GHSA-57q6-fvp4-pqmm',
        'CVE-2026-45349 / CVE-2026-45671',
      ],
    ],
    ['openwebui', '0.9.0', []],
    ['litellm', '1.83.13', ['CVE-2026-47101']],
    ['litellm', '1.83.14', []],
    ['tgi', '3.3.6', ['CVE-2026-0599 / GHSA-j7x9-7j54-2v3h']],
    ['tgi', '3.3.7', []],
    ['llamacpp', '0.0.0', []],
  ] as const)('%s %s → %j', (kind, version, expected) => {
    expect(ids(kind, version)).toEqual(expected);
  });
  it('as bad as its worst advisory where other machines reach it, a step lower on loopback; KEV ones are not repeated', () => {
    expect(found('vllm', '0.10.0', true)[0]?.severity).toBe('critical');
    expect(found('vllm', '0.10.0', false)[0]?.severity).toBe('high');
    expect(found('litellm', '1.77.0', true)[0]?.evidence.join(' ')).not.toMatch(/CVE-2026-42271/);
  });
});
