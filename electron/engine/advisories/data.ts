/**
 * Known Ollama advisories, as data: the "Known advisories" table of docs/ollama-facts.md
 * (shared), row for row. When that table changes, this file changes with it; the unit tests
 * check every row at its boundaries.
 *
 * Honesty rules from that table:
 * - "none listed" / "not stated" / "no patch": no fixed version is known, so `fixed` is null
 *   and `fixedNote` keeps the table's words. Never invent a fixed version.
 * - "inferred X": the fix is our inference, and the displayed text says so ("X (inferred)").
 * - An affected text naming one version ("0.6.7") means only that version is known to be
 *   affected: the range is `exact`, even when a later fixed version is known or inferred.
 *
 * Source pages: NVD and osv.dev for every CVE (their standard URLs); the GitHub advisory and
 * the Go vulnerability database entry only where their ids were confirmed (GHSA-…, GO-…).
 */

/**
 * Versions affected, for matching. Bounds are Ollama versions (see ./version.ts).
 * `fixedIn` is exclusive (the first fixed version), `lastAffected` inclusive; `introduced`
 * is inclusive and defaults to "every earlier version". `exact` lists the only versions known
 * to be affected and is not combined with the other fields.
 */
export interface AffectedRange {
  introduced?: string;
  fixedIn?: string;
  lastAffected?: string;
  exact?: string[];
}

export interface AdvisoryRecord {
  /** CVE ids of this table row (a row may group several). */
  ids: string[];
  /** The name it is known by (Probllama, Bleeding Llama), if any. */
  name: string | null;
  /** What it lets an attacker do, in plain words. */
  summary: string;
  /** The affected versions exactly as the table writes them. */
  affected: string;
  range: AffectedRange;
  /** Display text of the fixed version; null when none is known. */
  fixed: string | null;
  /** The table's words when `fixed` is null: "none listed", "not stated", "no patch (by design)". */
  fixedNote: string | null;
  /** Only these platforms are affected; absent: every platform. */
  platforms?: NodeJS.Platform[];
  /** Advisory pages per CVE id, beyond NVD and osv.dev. */
  extraSources?: Record<string, string[]>;
}

const ghsa = (id: string) => `https://github.com/advisories/${id}`;
const goVuln = (id: string) => `https://pkg.go.dev/vuln/${id}`;

export const ADVISORIES: readonly AdvisoryRecord[] = [
  {
    ids: ['CVE-2024-28224'],
    name: null,
    summary:
      'DNS rebinding: a web page the user visits can reach the full API of a server that listens only on this machine (chat with models, delete them, exhaust the machine).',
    affected: '< 0.1.29',
    range: { fixedIn: '0.1.29' },
    fixed: '0.1.29',
    fixedNote: null,
    extraSources: {
      'CVE-2024-28224': [ghsa('GHSA-5jx5-hqx5-2vrj'), goVuln('GO-2024-2699')],
    },
  },
  {
    ids: ['CVE-2024-37032'],
    name: 'Probllama',
    summary:
      'Probllama: model digests are not validated, so pulling from a malicious registry can write files outside the model folder (path traversal), leading to remote code execution.',
    affected: '< 0.1.34',
    range: { fixedIn: '0.1.34' },
    fixed: '0.1.34',
    fixedNote: null,
    extraSources: {
      'CVE-2024-37032': [ghsa('GHSA-8hqg-whrw-pv92'), goVuln('GO-2024-2901')],
    },
  },
  {
    ids: ['CVE-2024-39721'],
    name: null,
    summary:
      'Anyone who can reach the API can tie up the server by creating a model from /dev/random with /api/create (denial of service).',
    affected: '< 0.1.34',
    range: { fixedIn: '0.1.34' },
    fixed: '0.1.34',
    fixedNote: null,
  },
  {
    ids: ['CVE-2025-44779'],
    name: null,
    summary: 'A crafted request to /api/pull can delete arbitrary files on the server.',
    affected: '0.1.33',
    range: { exact: ['0.1.33'] },
    fixed: '0.1.34',
    fixedNote: null,
  },
  {
    ids: ['CVE-2024-39720'],
    name: null,
    summary: 'A 4-byte GGUF model file crashes the server (denial of service).',
    affected: '< 0.1.46',
    range: { fixedIn: '0.1.46' },
    fixed: '0.1.46',
    fixedNote: null,
  },
  {
    ids: ['CVE-2024-39722'],
    name: null,
    summary: 'Path traversal in /api/push reveals which files exist on the server.',
    affected: '< 0.1.46',
    range: { fixedIn: '0.1.46' },
    fixed: '0.1.46',
    fixedNote: null,
  },
  {
    ids: ['CVE-2024-45436'],
    name: null,
    summary:
      'Zip slip: extracting a model archive can write files outside the model folder, which can lead to code execution.',
    affected: '< 0.1.47',
    range: { fixedIn: '0.1.47' },
    fixed: '0.1.47',
    fixedNote: null,
    extraSources: {
      'CVE-2024-45436': [ghsa('GHSA-846m-99qv-67mg'), goVuln('GO-2024-3104')],
    },
  },
  {
    ids: ['CVE-2024-39719'],
    name: null,
    summary:
      'Error messages from /api/create tell a caller whether any given file exists on the server.',
    affected: '<= 0.3.14',
    range: { lastAffected: '0.3.14' },
    fixed: null,
    fixedNote: 'not stated',
  },
  {
    ids: ['CVE-2024-12886'],
    name: null,
    summary:
      'A malicious registry can answer with a gzip bomb that exhausts memory and crashes the server.',
    affected: '0.3.14',
    range: { exact: ['0.3.14'] },
    fixed: '0.4.0',
    fixedNote: null,
    extraSources: { 'CVE-2024-12886': [goVuln('GO-2025-3548')] },
  },
  {
    ids: ['CVE-2025-0312', 'CVE-2025-0315', 'CVE-2025-0317', 'CVE-2024-12055'],
    name: null,
    summary:
      'A malicious GGUF model file uploaded to the server can crash it or exhaust its memory (a family of denial-of-service bugs).',
    affected: '<= 0.3.14',
    range: { lastAffected: '0.3.14' },
    fixed: null,
    fixedNote: 'none listed',
    extraSources: { 'CVE-2025-0315': [goVuln('GO-2025-3557')] },
  },
  {
    ids: ['CVE-2025-1975'],
    name: null,
    summary: 'A crafted model manifest served to /api/pull crashes the server.',
    affected: '0.5.11',
    range: { exact: ['0.5.11'] },
    fixed: null,
    fixedNote: 'none listed',
  },
  {
    ids: ['CVE-2025-51471'],
    name: null,
    summary:
      "A malicious registry can make the server send the user's registry auth token to another domain (through the WWW-Authenticate realm).",
    affected: '0.6.7',
    range: { exact: ['0.6.7'] },
    fixed: '0.14.3 (inferred)',
    fixedNote: null,
  },
  {
    ids: ['CVE-2025-63389'],
    name: null,
    summary:
      'The model-management API (pull, push, create, copy, delete) needs no authentication: anyone who can reach the server can use it.',
    affected: '<= 0.12.3',
    range: { lastAffected: '0.12.3' },
    fixed: null,
    fixedNote: 'no patch (by design)',
    extraSources: {
      'CVE-2025-63389': [ghsa('GHSA-f6mr-38g8-39rg'), goVuln('GO-2025-4251')],
    },
  },
  {
    ids: ['CVE-2026-7482'],
    name: 'Bleeding Llama',
    summary:
      'Bleeding Llama: a crafted GGUF file makes the server read past a heap buffer and leak its memory (prompts, environment, keys) through /api/push.',
    affected: '< 0.17.1',
    range: { fixedIn: '0.17.1' },
    fixed: '0.17.1',
    fixedNote: null,
  },
  {
    ids: ['CVE-2026-42248', 'CVE-2026-42249'],
    name: null,
    summary:
      "The Windows updater does not check the update's signature and is open to path traversal, so a tampered update can be installed and run.",
    affected: '0.12.10 - 0.17.5',
    range: { introduced: '0.12.10', lastAffected: '0.17.5' },
    fixed: '0.23.3 (inferred)',
    fixedNote: null,
    platforms: ['win32'],
  },
  {
    ids: ['CVE-2026-7020'],
    name: null,
    summary:
      'Path traversal in the image-generation model transfer (x/imagegen/transfer) can write files outside the model folder.',
    affected: '<= 0.20.2',
    range: { lastAffected: '0.20.2' },
    fixed: null,
    fixedNote: 'none listed',
  },
];

/** The pages that describe one CVE: NVD, osv.dev, then the confirmed GHSA and Go entries. */
export function sourcesFor(record: AdvisoryRecord, id: string): string[] {
  return [
    `https://nvd.nist.gov/vuln/detail/${id}`,
    `https://osv.dev/vulnerability/${id}`,
    ...(record.extraSources?.[id] ?? []),
  ];
}
