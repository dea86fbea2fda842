/**
 * Issue 13: a server's bind address, port and key as it was started, from its own arguments
 * and environment (engine/servers/kind.ts bindSettings), with where each came from. A key's
 * value never leaves: only that it is set.
 */
import { describe, expect, it } from 'vitest';
import { SECRET_SHOWN, bindSettings, bindVariables } from '../../../electron/engine/servers/kind';
import { kindById } from '../../../electron/engine/servers/registry';

const spec = (id: Parameters<typeof kindById>[0]) => kindById(id).bind!;

describe('bindSettings', () => {
  it('§3 llama-server: the command line beats LLAMA_ARG_HOST, which stays listed as shadowed', () => {
    const settings = bindSettings(
      spec('llamacpp'),
      300,
      ['llama-server', '-m', 'm.gguf', '--host', '0.0.0.0', '--port=8080', '--api-key', 'k-secret'],
      new Map([
        ['LLAMA_ARG_HOST', '127.0.0.1'],
        ['LLAMA_API_KEY', 'k-env-secret'],
      ]),
    );
    expect(settings.map((s) => [s.name, s.value, s.state, s.source.path])).toEqual([
      ['--host', '0.0.0.0', 'effective', 'pid 300 arguments'],
      ['LLAMA_ARG_HOST', '127.0.0.1', 'shadowed', 'pid 300 environment'],
      ['--port', '8080', 'effective', 'pid 300 arguments'],
      ['--api-key', SECRET_SHOWN, 'effective', 'pid 300 arguments'],
      ['LLAMA_API_KEY', SECRET_SHOWN, 'shadowed', 'pid 300 environment'],
    ]);
    expect(JSON.stringify(settings)).not.toMatch(/k-secret|k-env-secret/);
  });

  it('§5 LocalAI: --address carries host and port; the environment alone is effective', () => {
    const settings = bindSettings(
      spec('localai'),
      7,
      ['local-ai', 'run'],
      new Map([['LOCALAI_ADDRESS', ':8080']]),
    );
    expect(settings.map((s) => [s.name, s.value, s.state])).toEqual([
      ['LOCALAI_ADDRESS', ':8080', 'effective'],
    ]);
  });

  it('an unreadable environment (another user’s) gives the arguments only; no arguments, nothing', () => {
    expect(
      bindSettings(spec('vllm'), 8, ['vllm', 'serve', 'm', '--host', '::'], null).map(
        (s) => s.name,
      ),
    ).toEqual(['--host']);
    expect(bindSettings(spec('vllm'), 8, null, null)).toEqual([]);
  });

  it('reads only the variables a kind names', () => {
    expect(bindVariables(spec('llamacpp')).sort()).toEqual(
      ['LLAMA_API_KEY', 'LLAMA_ARG_API_KEY_FILE', 'LLAMA_ARG_HOST', 'LLAMA_ARG_PORT'].sort(),
    );
  });
});
