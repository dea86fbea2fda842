/**
 * Bounded fuzzing of what Paddock reads from Ollama: OLLAMA_HOST (listen-address.ts) and the
 * logs (access-log.ts). Random input must never throw and keeps its shape; generated input
 * that Ollama or gin could really produce must come back as what was generated.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  goUnquote,
  parseGinLine,
  parseGoDuration,
  parseListenAddress,
  parseServerConfigMap,
  parseServerLogFacts,
  summarizeAccessLog,
} from '../../../electron/engine/ollama/access-log';
import { parseOllamaHost } from '../../../electron/engine/ollama/listen-address';
import { bindSpecSchema } from '../../../shared/snapshot';
import { accessLogReportSchema, serverLogFactsSchema } from '../../../shared/traffic';
import { check, fixtures, isPort, parserInput } from './support';

const LOGS = fixtures(/^logs\//);
const HOSTS = [
  '0.0.0.0',
  '0.0.0.0:11434',
  'http://0.0.0.0:11434',
  'https://[::]:443/path',
  '[::1]:11434',
  '::',
  ':11434',
  '127.0.0.1',
  'localhost:8080',
  ' "0.0.0.0" ',
  'ollama.com',
  '[fe80::1%eth0]:11434',
  '::ffff:0.0.0.0',
];
const GIN_LINE =
  '[GIN] 2026/08/21 - 18:48:22 | 200 |    1.234567ms |    192.168.1.23 | POST     "/api/generate"';

describe('fuzz: OLLAMA_HOST', () => {
  it('parseOllamaHost: always a bind with a port in range, or the default port with a note', () => {
    check(parserInput(HOSTS), (raw) => {
      const bind = parseOllamaHost(raw);
      expect(bindSpecSchema.safeParse(bind).success).toBe(true);
      expect(isPort(bind.port)).toBe(true);
      if (bind.reach === 'all') expect(bind.notes.join(' ')).toMatch(/every interface/);
    });
  });

  // Every way to write an address that Go reads as the same one (fuzz-findings.md F2).
  const hex = (g: number, upper: boolean, width: number) => {
    const text = g.toString(16).padStart(width, '0');
    return upper ? text.toUpperCase() : text;
  };
  function spell(
    groups: number[],
    { upper, widths, gapAt, gapLength, dotted }: Spelling,
  ): string | null {
    const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
    const count = dotted && mapped ? 6 : 8;
    const parts = groups.slice(0, count).map((g, i) => hex(g, upper, widths[i]!));
    const tail =
      count === 6
        ? [`${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`]
        : [];
    const end = gapAt + gapLength;
    if (gapLength > 0 && end <= count && groups.slice(gapAt, end).every((g) => g === 0)) {
      const head = parts.slice(0, gapAt).join(':');
      const rest = [...parts.slice(end), ...tail].join(':');
      return `${head}::${rest}`;
    }
    return [...parts, ...tail].join(':');
  }
  interface Spelling {
    upper: boolean;
    widths: number[];
    gapAt: number;
    gapLength: number;
    dotted: boolean;
  }
  const spelling = fc.record({
    upper: fc.boolean(),
    widths: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 8, maxLength: 8 }),
    gapAt: fc.nat(7),
    gapLength: fc.nat(8),
    dotted: fc.boolean(),
  });
  const cases: Array<[string, fc.Arbitrary<number[]>, string | null, 'all' | 'loopback']> = [
    ['::', fc.constant([0, 0, 0, 0, 0, 0, 0, 0]), '::', 'all'],
    ['::ffff:0.0.0.0', fc.constant([0, 0, 0, 0, 0, 0xffff, 0, 0]), '0.0.0.0', 'all'],
    ['::1', fc.constant([0, 0, 0, 0, 0, 0, 0, 1]), '::1', 'loopback'],
    [
      '::ffff:127.x.y.z',
      fc
        .tuple(fc.nat(255), fc.nat(0xffff))
        .map(([b, cd]) => [0, 0, 0, 0, 0, 0xffff, 0x7f00 | b, cd]),
      null,
      'loopback',
    ],
  ];
  // Wrappers: bare (and stray brackets, which Go trims), bracketed with a port, a URL.
  const wrapper = fc.oneof(
    fc
      .tuple(fc.stringMatching(/^[[\]]{0,3}$/), fc.stringMatching(/^[[\]]{0,3}$/))
      .map(([before, after]) => ({ form: 'bare' as const, before, after, port: 11434 })),
    fc.nat(65535).map((port) => ({ form: 'port' as const, before: '', after: '', port })),
    fc.nat(65535).map((port) => ({ form: 'url' as const, before: '', after: '', port })),
  );

  it.each(cases)(
    'parseOllamaHost: every spelling of %s is read as Go reads it',
    (_, groupsArb, host, reach) => {
      check(
        fc.tuple(groupsArb, spelling, wrapper, fc.boolean()),
        ([groups, how, wrap, zoned]) => {
          const text = spell(groups, how);
          if (text === null) return;
          // A zone only on plain IPv6 (Go binds :: or ::1 on that device).
          const zone = zoned && groups[5] !== 0xffff ? '%eth0' : '';
          const value =
            wrap.form === 'bare'
              ? `${wrap.before}${text}${zone}${wrap.after}`
              : wrap.form === 'port'
                ? `[${text}${zone}]:${wrap.port}`
                : `http://[${text}${zone}]:${wrap.port}/ollama`;
          // Go keeps "[::%eth0]" with its brackets when ParseIP fails on the zone; listening fails.
          if (zone && wrap.form === 'bare' && (wrap.before !== '' || wrap.after !== '')) return;
          const bind = parseOllamaHost(value);
          expect(bind.reach, value).toBe(reach);
          expect(bind.port, value).toBe(wrap.port);
          const expected = host ?? `127.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
          expect(bind.host, value).toBe(`${expected}${zone}`);
        },
        100,
      );
    },
  );
});

describe('fuzz: gin access lines and the server log', () => {
  it('parseGinLine: null, invalid, or an entry with a status, a latency and a method', () => {
    check(parserInput([GIN_LINE, ...LOGS]), (line) => {
      const entry = parseGinLine(line, 'utc');
      if (entry === null || entry === 'invalid') return;
      expect(entry.status >= 100 && entry.status <= 999).toBe(true);
      expect(Number.isFinite(entry.latencyMs) && entry.latencyMs >= 0).toBe(true);
      expect(entry.timeMs === null || Number.isFinite(entry.timeMs)).toBe(true);
      expect(entry.method).toMatch(/^[A-Z]+$/);
      expect(typeof entry.path).toBe('string');
      expect(entry.clientRaw).not.toMatch(/[\s|]/);
    });
  });

  const UNITS: Array<[string, number]> = [
    ['ns', 1e-6],
    ['µs', 1e-3],
    ['ms', 1],
    ['s', 1e3],
  ];
  const ginLine = fc.record({
    date: fc.tuple(
      fc.integer({ min: 2000, max: 2099 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
      fc.nat(23),
      fc.nat(59),
      fc.nat(59),
    ),
    status: fc.integer({ min: 100, max: 599 }),
    latency: fc.tuple(fc.nat(999_999), fc.constantFrom(...UNITS)),
    client: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('')),
    method: fc.stringMatching(/^[A-Za-z]{1,12}$/),
    path: fc.string({ maxLength: 80 }),
  });
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');

  it('parseGinLine: any line gin writes comes back as written', () => {
    check(ginLine, ({ date: [y, mo, d, h, mi, s], status, latency, client, method, path }) => {
      const [amount, [unit, ms]] = latency;
      const line =
        `[GIN] ${y}/${pad(mo)}/${pad(d)} - ${pad(h)}:${pad(mi)}:${pad(s)} |` +
        ` ${status} | ${`${amount}${unit}`.padStart(13)} | ${client.padStart(15)} |` +
        ` ${method.padEnd(7)} ${JSON.stringify(path)}`;
      expect(parseGinLine(line, 'utc')).toEqual({
        timeMs: Date.UTC(y, mo - 1, d, h, mi, s),
        status,
        latencyMs: expect.closeTo(amount * ms, 9),
        clientRaw: client,
        method: method.toUpperCase(),
        path,
      });
    });
  });

  it('summarizeAccessLog: a report of the schema, every line counted once', () => {
    check(parserInput([GIN_LINE, ...LOGS]), (text) => {
      const report = summarizeAccessLog(text, { timeZone: 'utc' });
      expect(
        accessLogReportSchema.safeParse({
          ...report,
          source: { kind: 'file', ref: 'x' },
          truncated: false,
        }).success,
      ).toBe(true);
      expect(report.requests + report.invalidLines + report.otherLines).toBeLessThanOrEqual(
        report.lines,
      );
      const perClient = report.clients.reduce((sum, c) => sum + c.requests, 0);
      expect(perClient).toBeLessThanOrEqual(report.requests);
    });
  });

  it('parseServerLogFacts: facts of the schema', () => {
    check(parserInput(LOGS), (text) => {
      expect(serverLogFactsSchema.safeParse(parseServerLogFacts(text)).success).toBe(true);
    });
  });

  it('parseServerConfigMap: names and values, names as Go prints the keys', () => {
    const seeds = [
      'map[OLLAMA_HOST:http://0.0.0.0:11434 OLLAMA_ORIGINS:[* http://x] HTTPS_PROXY:]',
    ];
    check(parserInput(seeds), (text) => {
      for (const { name, value } of parseServerConfigMap(text)) {
        expect(name).toMatch(/^(?:[A-Z][A-Z0-9_]*|http_proxy|https_proxy|no_proxy)$/);
        expect(typeof value).toBe('string');
      }
    });
  });

  it('parseListenAddress: null, or an address and a port in range', () => {
    check(parserInput(['[::]:11434', '0.0.0.0:11434', '127.0.0.1:0']), (text) => {
      const listen = parseListenAddress(text);
      if (listen) expect(isPort(listen.port) && typeof listen.address === 'string').toBe(true);
    });
  });

  it('goUnquote: null or text; any string quoted comes back', () => {
    check(parserInput(['"/api/generate"', '"\\x41\\u00e9\\n"']), (text) => {
      const out = goUnquote(text);
      expect(out === null || typeof out === 'string').toBe(true);
    });
    check(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
      expect(goUnquote(JSON.stringify(text))).toBe(text);
    });
  });

  it('parseGoDuration: null or a finite, non-negative number of milliseconds', () => {
    check(parserInput(['1.234567ms', '12.5µs', '1m2.5s', '0s', '3h']), (text) => {
      const ms = parseGoDuration(text);
      expect(ms === null || (Number.isFinite(ms) && ms >= 0)).toBe(true);
    });
    check(fc.tuple(fc.nat(59), fc.nat(59), fc.nat(999)), ([m, s, frac]) => {
      expect(parseGoDuration(`${m}m${s}.${pad(frac, 3)}s`)).toBeCloseTo(
        m * 60_000 + s * 1000 + frac,
        6,
      );
    });
  });
});
