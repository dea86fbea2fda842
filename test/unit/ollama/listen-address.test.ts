import { describe, expect, it } from 'vitest';
import { parseOllamaHost } from '../../../electron/engine/ollama/listen-address';

// Every row of ollama-facts.md "OLLAMA_HOST: how Ollama turns it into a listen address".
const factsTable: Array<[string | undefined, string, number, 'all' | 'loopback' | 'specific']> = [
  [undefined, '127.0.0.1', 11434, 'loopback'],
  ['', '127.0.0.1', 11434, 'loopback'],
  ['0.0.0.0', '0.0.0.0', 11434, 'all'],
  [':11434', '', 11434, 'all'],
  ['[::]', '::', 11434, 'all'],
  ['::', '::', 11434, 'all'],
  ['http://0.0.0.0:11434', '0.0.0.0', 11434, 'all'],
  ['http://0.0.0.0', '0.0.0.0', 80, 'all'],
  ['192.168.1.20', '192.168.1.20', 11434, 'specific'],
  ['example.com', 'example.com', 11434, 'specific'],
  [':66000', '', 11434, 'all'],
];

// fuzz-findings.md F2: values Go reads as one spelling of the unspecified (or loopback) address.
// Go: envconfig.Host() keeps a host that net.SplitHostPort finds; otherwise it takes
// net.ParseIP(strings.Trim(hostport, "[]")).String(); net.Listen then binds it.
const fuzzF2: Array<[string, string, number, 'all' | 'loopback' | 'specific']> = [
  ['0:0:0:0:0:0:0:0', '::', 11434, 'all'],
  ['::0', '::', 11434, 'all'],
  ['0::', '::', 11434, 'all'],
  ['[0:0:0:0:0:0:0:0]:11434', '::', 11434, 'all'],
  ['[::0]:11434', '::', 11434, 'all'],
  ['::ffff:0.0.0.0', '0.0.0.0', 11434, 'all'],
  ['::ffff:0:0', '0.0.0.0', 11434, 'all'],
  ['::FFFF:0.0.0.0', '0.0.0.0', 11434, 'all'],
  ['[::ffff:0.0.0.0]:11434', '0.0.0.0', 11434, 'all'],
  ['http://[::ffff:0.0.0.0]:8080', '0.0.0.0', 8080, 'all'],
  [']0.0.0.0', '0.0.0.0', 11434, 'all'],
  ['0.0.0.0[', '0.0.0.0', 11434, 'all'],
  [']::', '::', 11434, 'all'],
  ['[[0.0.0.0]]', '0.0.0.0', 11434, 'all'],
  ['::%eth0', '::%eth0', 11434, 'all'],
  ['[::%lo]:9000', '::%lo', 9000, 'all'],
  ['::ffff:127.0.0.1', '127.0.0.1', 11434, 'loopback'],
  ['[::ffff:127.0.0.1]:11434', '127.0.0.1', 11434, 'loopback'],
  ['0:0:0:0:0:0:0:1', '::1', 11434, 'loopback'],
  ['[0:0:0:0:0:0:0:1]:11434', '::1', 11434, 'loopback'],
  // Still one address: a zone on a link-local address, a mapped LAN address.
  ['fe80::1%eth0', 'fe80::1%eth0', 11434, 'specific'],
  ['::ffff:192.168.1.20', '192.168.1.20', 11434, 'specific'],
  // Go's SplitHostPort refuses these and ParseIP cannot read what is left: net.Listen fails.
  ['[::]:11434]', '[::]:11434]', 11434, 'specific'],
  ['[::%eth0]', '[::%eth0]', 11434, 'specific'],
  ['::%eth0]', '::%eth0]', 11434, 'specific'],
];

describe('fuzz F2: parseOllamaHost reads every spelling of an address as Go does', () => {
  it.each(fuzzF2)('OLLAMA_HOST=%j listens on %j port %i (%s)', (raw, host, port, reach) => {
    const bind = parseOllamaHost(raw);
    expect({ host: bind.host, port: bind.port, reach: bind.reach }).toEqual({ host, port, reach });
  });

  it('fuzz F4: brackets are trimmed in linear time (1 MiB of "]" between two letters)', () => {
    const MIB = 1024 * 1024;
    const bind = parseOllamaHost(`x${']'.repeat(MIB)}y`);
    expect(bind).toMatchObject({ port: 11434, reach: 'specific' });
    expect(bind.host).toHaveLength(MIB + 2);
    expect(parseOllamaHost(`${'['.repeat(MIB)}0.0.0.0${']'.repeat(MIB)}`)).toMatchObject({
      host: '0.0.0.0',
      reach: 'all',
    });
  });
});

describe('parseOllamaHost agrees with ollama-facts.md', () => {
  it.each(factsTable)('OLLAMA_HOST=%j listens on %j port %i (%s)', (raw, host, port, reach) => {
    const bind = parseOllamaHost(raw);
    expect({ host: bind.host, port: bind.port, reach: bind.reach }).toEqual({ host, port, reach });
  });

  it('strips spaces and quotes the way Ollama does', () => {
    expect(parseOllamaHost(' "0.0.0.0:8080" ')).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      reach: 'all',
    });
    expect(parseOllamaHost("'127.0.0.1'")).toMatchObject({
      host: '127.0.0.1',
      port: 11434,
      reach: 'loopback',
    });
    expect(parseOllamaHost(' "0.0.0.0" ').notes).toContain(
      'quotes or spaces around the value are ignored by Ollama',
    );
    // Host() trims spaces again after Var() strips the quotes (envconfig/config.go).
    expect(parseOllamaHost('" 0.0.0.0 "')).toMatchObject({
      host: '0.0.0.0',
      port: 11434,
      reach: 'all',
    });
    expect(parseOllamaHost('\t0.0.0.0:9000\n')).toMatchObject({ host: '0.0.0.0', port: 9000 });
  });

  it('https:// with no port means 443 and says so', () => {
    const bind = parseOllamaHost('https://0.0.0.0');
    expect(bind).toMatchObject({ port: 443, scheme: 'https', reach: 'all' });
    expect(bind.notes.join(' ')).toMatch(/443/);
  });

  it('a path after the address does not change the bind', () => {
    expect(parseOllamaHost('http://127.0.0.1:9000/ollama')).toMatchObject({
      host: '127.0.0.1',
      port: 9000,
      reach: 'loopback',
    });
  });

  it('a bad port falls back to the default port, with a note', () => {
    for (const raw of ['0.0.0.0:abc', '0.0.0.0:-1', '0.0.0.0:99999', 'localhost:']) {
      const bind = parseOllamaHost(raw);
      expect(bind.port, raw).toBe(11434);
      expect(bind.notes.join(' '), raw).toMatch(/invalid port/);
    }
    expect(parseOllamaHost('http://0.0.0.0:abc').port).toBe(80);
  });

  it('IPv6 forms: loopback, bracketed with port, canonical case', () => {
    expect(parseOllamaHost('[::1]:11434')).toMatchObject({ host: '::1', reach: 'loopback' });
    expect(parseOllamaHost('::1')).toMatchObject({ host: '::1', port: 11434, reach: 'loopback' });
    expect(parseOllamaHost('[FD00::5]:8000')).toMatchObject({
      host: 'fd00::5',
      port: 8000,
      reach: 'specific',
    });
  });

  it('localhost and the whole 127/8 are loopback; garbage is a specific (failing) name', () => {
    expect(parseOllamaHost('localhost:11434').reach).toBe('loopback');
    expect(parseOllamaHost('127.1.2.3').reach).toBe('loopback');
    expect(parseOllamaHost('not a host$%').reach).toBe('specific');
  });

  it('"ollama.com" is the client default, not a bind', () => {
    const bind = parseOllamaHost('ollama.com');
    expect(bind).toMatchObject({ host: 'ollama.com', port: 443, scheme: 'https' });
  });
});
