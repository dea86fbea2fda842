import { describe, expect, it } from 'vitest';
import { parseRegistryEnvironment } from '../../../electron/engine/probes/win32/parse';
import { fixtureOutput } from '../../support/fixture-file';

/** A fixture's tool output: its `#fixture:` header lines are dropped. */
const fixture = (name: string): string => fixtureOutput('win32', name);

describe('registry environment (HKCU\\Environment and the machine key)', () => {
  it('reads each OLLAMA_ value with its scope, its saved text and its type', () => {
    const result = parseRegistryEnvironment(fixture('registry/environment-template-win11.txt'));
    expect(result.unparsed).toEqual([]);
    expect(result.values).toEqual([
      { scope: 'user', name: 'OLLAMA_HOST', value: '0.0.0.0:11434', type: 'REG_SZ' },
      {
        scope: 'user',
        name: 'OLLAMA_MODELS',
        value: '%USERPROFILE%\\Modelle\\Ollama',
        type: 'REG_EXPAND_SZ',
      },
      { scope: 'machine', name: 'OLLAMA_ORIGINS', value: '*', type: 'REG_SZ' },
      { scope: 'machine', name: 'ollama_keep_alive', value: '300', type: 'REG_DWORD' },
      { scope: 'machine', name: 'OLLAMA_HOST', value: '127.0.0.1:11434', type: 'REG_SZ' },
    ]);
  });

  it('reads nothing saved as no values', () => {
    expect(parseRegistryEnvironment(fixture('registry/environment-none.txt'))).toMatchObject({
      values: [],
      unparsed: [],
      unparsedTotal: 0,
    });
  });

  it('reads the kind as a number too, and keeps rows without a scope or name as unparsed', () => {
    const result = parseRegistryEnvironment(
      JSON.stringify([
        { Scope: 'User', Name: 'OLLAMA_HOST', Value: '0.0.0.0', Kind: 1 },
        { Scope: 'machine', Name: 'OLLAMA_X', Value: '%A%', Kind: 2 },
        { Scope: 'machine', Name: 'OLLAMA_Y', Value: '', Kind: -1 },
        { Scope: 'volatile', Name: 'OLLAMA_HOST', Value: 'x', Kind: 1 },
        { Scope: 'user', Value: 'x', Kind: 1 },
        { Scope: 'user', Name: 'OLLAMA_Z', Value: 5, Kind: 1 },
        { Scope: 'user', Name: 'OLLAMA_Z', Value: 'x', Kind: 'Sideways' },
        { Scope: 'toString', Name: 'OLLAMA_Z', Value: 'x', Kind: 1 },
      ]),
    );
    expect(result.values.map((v) => [v.scope, v.name, v.type])).toEqual([
      ['user', 'OLLAMA_HOST', 'REG_SZ'],
      ['machine', 'OLLAMA_X', 'REG_EXPAND_SZ'],
      ['machine', 'OLLAMA_Y', 'REG_NONE'],
    ]);
    expect(result.unparsedTotal).toBe(5);
  });
});
