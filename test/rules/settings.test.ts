/**
 * Settings read the way Ollama reads them: envconfig.Bool's truthiness (ollama-facts.md,
 * "Boolean variables") and OLLAMA_HOST binds, through the rules that use them.
 */
import { describe, expect, it } from 'vitest';
import { ollamaBool } from '../../electron/engine/rules/support/settings';
import requestLogging from '../../electron/engine/rules/request-logging';
import hostLatent from '../../electron/engine/rules/ollama-host-latent';
import hostConflict from '../../electron/engine/rules/ollama-host-conflict';
import schemePort from '../../electron/engine/rules/ollama-host-scheme-port';
import { buildSnapshot, lanPaths, loopbackOllama, setting, wildcardOllama } from './snapshots';

describe('ollamaBool follows envconfig.Bool: ParseBool, and anything it rejects is true', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['   ', false],
    ['""', false],
    ['0', false],
    ['f', false],
    ['F', false],
    ['false', false],
    ['FALSE', false],
    ['False', false],
    [' false ', false],
    ['"false"', false],
    ["'0'", false],
    ['1', true],
    ['t', true],
    ['TRUE', true],
    ['True', true],
    ['no', true],
    ['off', true],
    ['yes', true],
    ['fAlse', true],
    ['nope', true],
    ['2', true],
  ];
  for (const [value, expected] of cases)
    it(`${JSON.stringify(value)} is ${expected}`, () => expect(ollamaBool(value)).toBe(expected));
});

describe('request-logging', () => {
  const withValue = (value: string, state: 'effective' | 'latent' = 'effective') =>
    buildSnapshot({
      instances: [
        loopbackOllama({ settings: [setting('OLLAMA_DEBUG_LOG_REQUESTS', value, { state })] }),
      ],
    });

  it('"off" turns request logging ON (ParseBool rejects it) and the evidence says why', () => {
    const [finding] = requestLogging.evaluate(withValue('off'));
    expect(finding?.evidence.join(' ')).toMatch(/"off" is not a value Go's ParseBool reads/);
    expect(finding?.severity).toBeUndefined(); // the rule's own: medium
  });

  it('"0" and "False" keep it off', () => {
    expect(requestLogging.evaluate(withValue('0'))).toEqual([]);
    expect(requestLogging.evaluate(withValue('False'))).toEqual([]);
  });

  it('a value saved for the next start only is low, and says so', () => {
    const [finding] = requestLogging.evaluate(withValue('1', 'latent'));
    expect(finding).toMatchObject({ severity: 'low' });
    expect(finding?.summary).toMatch(/saved for the next start/);
  });

  it('a shadowed value does not count', () => {
    const snapshot = buildSnapshot({
      instances: [
        loopbackOllama({
          settings: [setting('OLLAMA_DEBUG_LOG_REQUESTS', '1', { state: 'shadowed' })],
        }),
      ],
    });
    expect(requestLogging.evaluate(snapshot)).toEqual([]);
  });
});

describe('ollama-host-latent', () => {
  it('files saved while no server runs are judged host-wide (instance null)', () => {
    const snapshot = buildSnapshot({
      persistentSettings: [setting('OLLAMA_HOST', '0.0.0.0', { state: 'latent' })],
    });
    const [finding] = hostLatent.evaluate(snapshot);
    expect(finding?.instance).toBeNull();
    expect(finding?.summary).toMatch(/No Ollama server runs right now/);
    expect(finding?.summary).toMatch(/override\.conf:2/);
  });

  it('a latent value equal to the bind in force is not news (0.0.0.0 vs 0.0.0.0:11434)', () => {
    const snapshot = buildSnapshot({
      instances: [
        wildcardOllama(null, {
          settings: [
            setting('OLLAMA_HOST', '0.0.0.0'),
            setting('OLLAMA_HOST', '0.0.0.0:11434', { state: 'latent' }),
          ],
        }),
      ],
    });
    expect(hostLatent.evaluate(snapshot)).toEqual([]);
  });

  it('a latent LAN address names where it would listen, and a shell file that the service never reads still counts', () => {
    const snapshot = buildSnapshot({
      instances: [
        loopbackOllama({
          settings: [
            setting('OLLAMA_HOST', '192.168.1.20', {
              state: 'latent',
              kind: 'shell-rc',
              path: '/home/alice/.bashrc',
              line: 118,
              reason: 'not read by the service',
            }),
          ],
        }),
      ],
    });
    const [finding] = hostLatent.evaluate(snapshot);
    expect(finding?.summary).toMatch(/\/home\/alice\/\.bashrc:118 \(192\.168\.1\.20:11434\)/);
    expect(finding?.attackerCan.join(' ')).toMatch(/192\.168\.1\.20:11434/);
  });
});

describe('ollama-host-conflict', () => {
  it('two loopback spellings on different ports are a low-severity conflict', () => {
    const snapshot = buildSnapshot({
      instances: [
        loopbackOllama({
          settings: [
            setting('OLLAMA_HOST', '127.0.0.1:11434'),
            setting('OLLAMA_HOST', '127.0.0.1:11500', { state: 'latent' }),
          ],
        }),
      ],
    });
    const [finding] = hostConflict.evaluate(snapshot);
    expect(finding?.severity).toBe('low');
  });

  it('a shadowed assignment is history, not a conflict', () => {
    const snapshot = buildSnapshot({
      instances: [
        loopbackOllama({
          settings: [
            setting('OLLAMA_HOST', '127.0.0.1'),
            setting('OLLAMA_HOST', '0.0.0.0', { state: 'shadowed', kind: 'systemd-unit' }),
          ],
        }),
      ],
    });
    expect(hostConflict.evaluate(snapshot)).toEqual([]);
  });
});

describe('ollama-host-scheme-port', () => {
  it('https:// with no port means 443', () => {
    const snapshot = buildSnapshot({
      instances: [
        {
          settings: [setting('OLLAMA_HOST', 'https://0.0.0.0')],
          listeners: [{ address: '::', port: 443, via: lanPaths() }],
        },
      ],
    });
    const [finding] = schemePort.evaluate(snapshot);
    expect(finding?.summary).toMatch(/port 443, not 11434/);
    expect(finding?.severity).toBe('medium');
  });

  it('http://127.0.0.1 on port 80 is only low: loopback still', () => {
    const snapshot = buildSnapshot({
      instances: [loopbackOllama({ settings: [setting('OLLAMA_HOST', 'http://127.0.0.1')] })],
    });
    const [finding] = schemePort.evaluate(snapshot);
    expect(finding?.severity).toBeUndefined();
    expect(finding?.attackerCan).toEqual([]);
  });
});
