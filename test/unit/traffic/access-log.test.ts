/**
 * Ollama's logs read as data: gin access lines (ollama-facts.md "Logs"; gin's
 * defaultLogFormatter), journald's short-iso prefix, the `server config` and `Listening on`
 * slog lines. Fixture: test/fixtures/logs (written from the formats; see its header).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AccessLogAggregator,
  FORGEABLE_CLIENT_SENTENCE,
  goUnquote,
  parseGinLine,
  parseGoDuration,
  parseListenAddress,
  parseServerConfigMap,
  parseServerLogFacts,
  summarizeAccessLog,
} from '../../../electron/engine/ollama/access-log';
import { accessLogReportSchema, serverLogFactsSchema } from '../../../shared/traffic';

const JOURNAL = readFileSync(
  join(__dirname, '../../fixtures/logs/journal-ollama-short-iso.txt'),
  'utf8',
)
  .split('\n')
  .filter((l) => !l.startsWith('#'))
  .join('\n');

describe('gin access lines', () => {
  it('reads the line of ollama-facts.md', () => {
    expect(
      parseGinLine(
        '[GIN] 2026/08/21 - 18:48:22 | 200 |    1.234567ms |    192.168.1.23 | POST     "/api/generate"',
        'utc',
      ),
    ).toEqual({
      timeMs: Date.UTC(2026, 7, 21, 18, 48, 22),
      status: 200,
      latencyMs: 1.234567,
      clientRaw: '192.168.1.23',
      method: 'POST',
      path: '/api/generate',
    });
  });

  it.each([
    ['812ns', 0.000812],
    ['48.112µs', 0.048112],
    ['48.112μs', 0.048112],
    ['48us', 0.048],
    ['1.5ms', 1.5],
    ['4.812345678s', 4812.345678],
    ['1m2.503s', 62503],
    ['1h0m0s', 3_600_000],
    ['0s', 0],
  ])('latency %s is %f ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '12parsecs', '1.2.3ms', 'ms', '5 s'])('%j is not a duration', (text) => {
    expect(parseGoDuration(text)).toBeNull();
  });

  it('reads an IPv6 client, a journald prefix (its time wins) and strips colour codes', () => {
    const line =
      '2026-08-21T18:50:13+0000 gpu-box ollama[1290]: [GIN] 2026/08/21 - 20:50:13 |\u001b[97;42m 200 \u001b[0m|       812ns | 2001:db8:42::17 |\u001b[97;44m GET     \u001b[0m "/"';
    expect(parseGinLine(line)).toMatchObject({
      timeMs: Date.UTC(2026, 7, 21, 18, 50, 13),
      clientRaw: '2001:db8:42::17',
      method: 'GET',
      path: '/',
    });
    expect(
      parseGinLine(
        '2026-08-21T18:50:13+02:00 h ollama[1]: [GIN] 2026/08/21 - 18:50:13 | 200 | 1ms | ::1 | GET "/"',
      ),
    ).toMatchObject({
      timeMs: Date.UTC(2026, 7, 21, 16, 50, 13),
    });
  });

  it('unquotes the Go-quoted path', () => {
    expect(goUnquote('"/api/\\"x\\"\\n\\u00e9\\x41"')).toBe('/api/"x"\né\x41');
    expect(goUnquote('"unterminated')).toBeNull();
    expect(goUnquote('"bad \\q escape"')).toBeNull();
  });

  it('tells an invalid gin line from a line that is not gin at all', () => {
    expect(parseGinLine('[GIN] garbage')).toBe('invalid');
    expect(parseGinLine('[GIN] 2026/13/40 - 18:48:22 | 200 | 1ms | 1.2.3.4 | GET "/"')).toBe(
      'invalid',
    );
    expect(
      parseGinLine('time=2026-08-21T18:53:00.000Z level=INFO msg="llama runner started"'),
    ).toBeNull();
    expect(parseGinLine('-- No entries --')).toBeNull();
  });

  // 1 MiB of `|` took the old regex minutes (fuzz-findings.md F1); the answers are what count.
  const MIB = 1024 * 1024;
  const HEAD = '[GIN] 2026/08/21 - 18:48:22 | 200 | ';

  it('fuzz F1: a 1 MiB line of `|` after a gin prefix is invalid, and read in linear time', () => {
    expect(parseGinLine(HEAD + '|'.repeat(MIB), 'utc')).toBe('invalid');
    expect(parseGinLine(`${HEAD}1ms | ${'|'.repeat(MIB)}`, 'utc')).toBe('invalid');
    expect(parseGinLine(`[GIN] 2026/08/21 - 18:48:22 | ${'|'.repeat(MIB)}`, 'utc')).toBe('invalid');
    expect(
      summarizeAccessLog(`${HEAD}${'|'.repeat(MIB)}\n${HEAD}1ms | 10.0.0.9 | GET "/api/tags"\n`, {
        timeZone: 'utc',
      }),
    ).toMatchObject({ requests: 1, invalidLines: 1 });
  });

  it('fuzz F1: `|` in the latency or client field is not gin; a 1 MiB path still counts', () => {
    expect(parseGinLine(`${HEAD}1|ms | 10.0.0.9 | GET "/"`, 'utc')).toBe('invalid');
    expect(parseGinLine(`${HEAD}1ms | 10.0|0.9 | GET "/"`, 'utc')).toBe('invalid');
    const path = `/api/${'a'.repeat(MIB)}`;
    expect(parseGinLine(`${HEAD}1ms | 10.0.0.9 | GET      "${path}"  `, 'utc')).toMatchObject({
      clientRaw: '10.0.0.9',
      method: 'GET',
      path,
    });
    // A path that is not one closed Go string is invalid, whatever its length.
    expect(parseGinLine(`${HEAD}1ms | 10.0.0.9 | GET "${'a'.repeat(MIB)}`, 'utc')).toBe('invalid');
    expect(parseGinLine(`${HEAD}1ms | 10.0.0.9 | GET "/a" x`, 'utc')).toBe('invalid');
    // Only the head goes through the regex: a method too long for gin's padding is invalid.
    expect(parseGinLine(`${HEAD}1ms | 10.0.0.9 | ${'G'.repeat(MIB)} "/"`, 'utc')).toBe('invalid');
  });
});

describe('per-client summary', () => {
  const report = summarizeAccessLog(JOURNAL, { timeZone: 'utc' });

  it('counts requests, endpoints, first and last seen and latency per client', () => {
    expect(report).toMatchObject({ requests: 9, invalidLines: 2 });
    const lan = report.clients.find((c) => c.client === '192.168.1.23')!;
    expect(lan).toMatchObject({
      requests: 4, // three plain and one logged as ::ffff:192.168.1.23
      failed: 0,
      forgeable: true,
      scope: 'private',
      firstSeen: '2026-08-21T18:48:22.000Z',
      lastSeen: '2026-08-21T18:52:01.000Z',
    });
    expect(lan.totalLatencyMs).toBeCloseTo(1.234567 + 4812.345678 + 0.9031 + 0.0101, 2);
    expect(lan.endpoints).toEqual([
      { path: '/api/chat', count: 1 },
      { path: '/api/generate', count: 1 },
      { path: '/api/ps', count: 1 },
      { path: '/api/tags', count: 1 },
    ]);
    expect(report.clients.find((c) => c.client === '2001:db8:42::17')).toMatchObject({
      requests: 2,
      scope: 'public',
    });
    expect(report.clients.find((c) => c.client === '10.0.0.99')).toMatchObject({
      failed: 1,
      endpoints: [{ path: '/api/show', count: 1 }], // query string dropped
    });
    expect(report.clients[0]!.client).toBe('192.168.1.23');
    expect(report.firstSeen).toBe('2026-08-21T09:05:10.000Z');
    expect(() =>
      accessLogReportSchema.parse({
        ...report,
        source: { kind: 'journald', ref: 'x' },
        truncated: false,
      }),
    ).not.toThrow();
  });

  it('every client carries the forgery warning', () => {
    expect(report.clients.every((c) => c.forgeable === true)).toBe(true);
    expect(FORGEABLE_CLIENT_SENTENCE).toMatch(/X-Forwarded-For/);
  });

  it('is bounded: clients beyond the cap are counted, paths beyond 100 per client pooled', () => {
    const a = new AccessLogAggregator({ timeZone: 'utc', maxClients: 3 });
    for (let i = 0; i < 10; i += 1)
      a.addLine(`[GIN] 2026/08/21 - 18:48:22 | 200 | 1ms | 10.0.0.${i} | GET "/x"`);
    for (let i = 0; i < 150; i += 1)
      a.addLine(`[GIN] 2026/08/21 - 18:48:22 | 200 | 1ms | 10.0.0.0 | GET "/p${i}"`);
    const r = a.report();
    expect(r.clients).toHaveLength(3);
    expect(r.clientsDropped).toBe(7);
    expect(r.requests).toBe(160);
    const first = r.clients.find((c) => c.client === '10.0.0.0')!;
    expect(first.requests).toBe(151);
    expect(first.endpoints.find((e) => e.path === '(other paths)')?.count).toBe(51);
    expect(first.endpoints.length).toBeLessThanOrEqual(20);
  });
});

describe('server log facts', () => {
  it('takes the last server config and Listening on lines (the latest start)', () => {
    const facts = parseServerLogFacts(JOURNAL);
    expect(facts.listening).toEqual({ address: '::', port: 11434, raw: '[::]:11434' });
    expect(facts.version).toBe('0.12.10');
    expect(facts.listeningAt).toBe('2026-08-21T18:40:01.000Z');
    expect(facts.configAt).toBe('2026-08-21T18:40:01.000Z');
    const config = Object.fromEntries(facts.config!.map((e) => [e.name, e.value]));
    expect(config.OLLAMA_HOST).toBe('http://0.0.0.0:11434');
    expect(config.OLLAMA_ORIGINS).toMatch(/^\[\* http:\/\/localhost /);
    expect(config.OLLAMA_KEEP_ALIVE).toBe('5m0s');
    expect(config.CUDA_VISIBLE_DEVICES).toBe('');
    expect(config.no_proxy).toBe('');
    expect(() => serverLogFactsSchema.parse(facts)).not.toThrow();
  });

  it('reads slog lines without journald (server.log), with the slog time', () => {
    const text =
      'time=2026-08-21T20:48:22.123+02:00 level=INFO source=routes.go:1528 msg="server config" env="map[OLLAMA_HOST:http://127.0.0.1:11434 OLLAMA_DEBUG:INFO]"\n' +
      'time=2026-08-21T20:48:22.130+02:00 level=INFO source=routes.go:1581 msg="Listening on 127.0.0.1:11434 (version 0.12.10)"\n';
    expect(parseServerLogFacts(text)).toEqual({
      config: [
        { name: 'OLLAMA_HOST', value: 'http://127.0.0.1:11434' },
        { name: 'OLLAMA_DEBUG', value: 'INFO' },
      ],
      configAt: '2026-08-21T18:48:22.123Z',
      listening: { address: '127.0.0.1', port: 11434, raw: '127.0.0.1:11434' },
      version: '0.12.10',
      listeningAt: '2026-08-21T18:48:22.130Z',
    });
  });

  it('nothing to say: all null', () => {
    expect(parseServerLogFacts('hello\n[GIN] x\n')).toEqual({
      config: null,
      configAt: null,
      listening: null,
      version: null,
      listeningAt: null,
    });
  });

  it('map parsing keeps bracketed lists and values with spaces', () => {
    expect(parseServerConfigMap('map[A:[x y] B:http://h:1 C: D:one two]')).toEqual([
      { name: 'A', value: '[x y]' },
      { name: 'B', value: 'http://h:1' },
      { name: 'C', value: '' },
      { name: 'D', value: 'one two' },
    ]);
    expect(parseServerConfigMap('not a map')).toEqual([]);
  });

  it.each([
    ['[::]:11434', { address: '::', port: 11434 }],
    ['0.0.0.0:80', { address: '0.0.0.0', port: 80 }],
    ['[fe80::1%eth0]:11434', { address: 'fe80::1%eth0', port: 11434 }],
    ['nope', null],
  ])('listen address %s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });
});
