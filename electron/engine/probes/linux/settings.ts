/**
 * Where each OLLAMA_* setting of a Linux install comes from, and whether the running server uses
 * it. Three places are read, never run: the server's own environment (/proc/PID/environ, the
 * ground truth), the systemd unit that starts it (unit, drop-ins, EnvironmentFile=), and the
 * login session (/etc/environment and shell start-up files).
 *
 * Every assignment found becomes a Setting: 'effective' (the server runs with it), 'shadowed'
 * (a later assignment in the same chain wins), or 'latent' (would apply on another start, or to
 * another way of starting). Unreadable things are gaps, never "no settings".
 */
import type {
  Evidence,
  OllamaProcess,
  ProbeResult,
  ProbeStatus,
  Setting,
  SettingsReport,
} from '../../../../shared/snapshot';
import type { DirRead, FileRead, Host } from '../../host/types';
import { ollamaTrim } from '../../ollama/listen-address';
import { redactLine } from '../../text/redact';
import { fileEvidence, runProbe, statusForFsError } from '../probe';
import type { ParseProblem } from './systemd-unit';
import { parseEnvironmentFile, parseUnitFile, safeText } from './systemd-unit';
import type { EnvStatement, ParsedEnvSource, ShellDialect } from './env-files';
import { parseEtcEnvironment, parseShellFile } from './env-files';

export const DEFAULT_UNIT_ROOTS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

export interface SettingsProbeOptions {
  /** systemd unit directories, highest priority first. */
  roots?: string[];
  etcEnvironment?: string;
  /** Home directories whose shell start-up files make up a login session. */
  homes?: string[];
}

const DEFAULT_UNIT = 'ollama.service';
const MAX_VALUE_CHARS = 4096;
const PROBE_TIMEOUT_MS = 10_000;
// A hostile directory must not make the probe read without end.
const MAX_DROPINS = 256;
const MAX_GLOB_MATCHES = 64;
const MAX_NOTES = 30;
const NOT_FOUND = 'set in the environment that started the server (source not found)';

/** Login-session files in the order a session reads them: profile family, then rc files. */
const LOGIN_FILES: ReadonlyArray<{ path: string; dialect: ShellDialect }> = [
  { path: '.profile', dialect: 'sh' },
  { path: '.bash_profile', dialect: 'sh' },
  { path: '.bash_login', dialect: 'sh' },
  { path: '.zshenv', dialect: 'sh' },
  { path: '.zprofile', dialect: 'sh' },
  { path: '.bashrc', dialect: 'sh' },
  { path: '.zshrc', dialect: 'sh' },
  { path: '.config/fish/config.fish', dialect: 'fish' },
];

type SourceKind = Setting['source']['kind'];
type Gap = SettingsReport['gaps'][number];

// ── Ollama's view of a value: ollamaTrim (envconfig.Var) lives with the OLLAMA_HOST parser.

function isOllamaName(name: string): boolean {
  return name.startsWith('OLLAMA_');
}

// ── what was read ───────────────────────────────────────────────────────────────────────────

function isAbsent(code: string): boolean {
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function display(path: string): string {
  return safeText(path, 1024).text;
}

/** Every read goes through here, so evidence, gaps and notes cannot be forgotten. */
export class ReadLog {
  readonly evidence: Evidence[] = [];
  readonly gaps: Gap[] = [];
  readonly notes: string[] = [];

  constructor(readonly host: Host) {}

  async file(path: string, what: string): Promise<FileRead> {
    const read = await this.host.readFile(path);
    this.evidence.push({ ...fileEvidence(read), ref: display(path) });
    if (!read.ok) this.failed(path, read.code, what);
    else if (read.truncated)
      this.note(`${display(path)}: only the first part was read (the file is very large)`);
    return read;
  }

  async dir(path: string, what: string): Promise<DirRead> {
    const read = await this.host.readDir(path);
    this.evidence.push({
      kind: 'file',
      ref: display(path),
      outcome: read.ok ? `listed (${read.entries.length} entries)` : read.code,
    });
    if (!read.ok) this.failed(path, read.code, what);
    return read;
  }

  note(text: string): void {
    this.notes.push(text);
  }

  problems(path: string, problems: ParseProblem[]): void {
    // A problem quotes the line's words, and a unit may hold a key (security review, issue 13).
    for (const p of problems) this.note(`${display(path)}:${p.line}: ${redactLine(p.message)}`);
  }

  status(): ProbeStatus {
    if (this.gaps.some((g) => g.status === 'denied')) return 'denied';
    if (this.gaps.some((g) => g.status === 'error')) return 'error';
    return 'ok';
  }

  message(): string | undefined {
    const lines: string[] = [];
    if (this.gaps.length > 0) {
      lines.push(
        `Settings may be incomplete; could not read: ${this.gaps.map((g) => `${g.path} (${g.message})`).join('; ')}.`,
      );
    }
    lines.push(...this.notes.slice(0, MAX_NOTES));
    if (this.notes.length > MAX_NOTES)
      lines.push(`…and ${this.notes.length - MAX_NOTES} more notes.`);
    return lines.length > 0 ? lines.join('\n') : undefined;
  }

  private failed(path: string, code: string, what: string): void {
    // A source that is not there is simply not a source.
    if (isAbsent(code)) return;
    const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
    this.gaps.push({
      path: display(path),
      status: statusForFsError(code),
      message: `${what}: ${reason}`,
    });
  }
}

// ── candidates and chains ───────────────────────────────────────────────────────────────────

/** One assignment found somewhere, before its state is decided. */
export interface Candidate {
  name: string;
  /** As the environment would hold it (after the file format's own quoting), made safe. */
  value: string;
  kind: SourceKind;
  path: string;
  line: number | null;
  notes: string[];
  /** Set when a later assignment in the same chain wins, or the value is removed. */
  shadowedBy: string | null;
}

export function candidate(
  name: string,
  raw: string,
  kind: SourceKind,
  path: string,
  line: number | null,
  notes: string[] = [],
): Candidate {
  const { text, truncated } = safeText(raw, MAX_VALUE_CHARS);
  const allNotes = truncated ? [...notes, `value cut to ${MAX_VALUE_CHARS} characters`] : notes;
  return { name, value: text, kind, path: display(path), line, notes: allNotes, shadowedBy: null };
}

export function where(c: { path: string; line: number | null }): string {
  return c.line === null ? c.path : `${c.path}:${c.line}`;
}

// ── the server's own environment ────────────────────────────────────────────────────────────

interface ProcessEntry {
  name: string;
  value: string;
  truncated: boolean;
  /** Go reads the first of several entries with one name (syscall.copyenv). */
  duplicate: boolean;
}

type ServerEnv =
  | { state: 'none' }
  | { state: 'gone' | 'unreadable'; pid: number }
  | { state: 'read'; pid: number; entries: ProcessEntry[]; trimmed: Map<string, string> };

function parseEnviron(text: string): ProcessEntry[] {
  const seen = new Set<string>();
  const entries: ProcessEntry[] = [];
  for (const item of text.split('\0')) {
    const eq = item.indexOf('=');
    if (eq <= 0 || !isOllamaName(item)) continue;
    const name = safeText(item.slice(0, eq), 256).text;
    const { text: value, truncated } = safeText(item.slice(eq + 1), MAX_VALUE_CHARS);
    entries.push({ name, value, truncated, duplicate: seen.has(name) });
    seen.add(name);
  }
  return entries;
}

async function readServerEnv(log: ReadLog, process: OllamaProcess | null): Promise<ServerEnv> {
  if (!process) return { state: 'none' };
  const pid = process.pid;
  if (!Number.isSafeInteger(pid) || pid <= 0) return { state: 'none' };
  const read = await log.file(
    `/proc/${pid}/environ`,
    `the running server's environment (pid ${pid})`,
  );
  if (read.ok) {
    if (read.truncated)
      log.note(`pid ${pid}: the environment is very large; only its first part was read`);
    const entries = parseEnviron(read.text);
    const trimmed = new Map<string, string>();
    for (const e of entries) if (!e.duplicate) trimmed.set(e.name, ollamaTrim(e.value));
    return { state: 'read', pid, entries, trimmed };
  }
  if (isAbsent(read.code)) {
    log.note(`process ${pid} exited before its environment could be read`);
    return { state: 'gone', pid };
  }
  return { state: 'unreadable', pid };
}

// ── systemd ─────────────────────────────────────────────────────────────────────────────────

const SERVICE_NAME = /^[A-Za-z0-9:_.\\-]+(?:@[A-Za-z0-9:_.\\-]*)?\.service$/;

/** The process's service unit, only when it is a well-formed .service name (it is untrusted). */
export function serviceUnitOf(process: OllamaProcess | null): string | null {
  const unit = process?.systemdUnit;
  return unit && unit.length <= 255 && SERVICE_NAME.test(unit) ? unit : null;
}

/** The unit itself, then for an instance (a@b.service) its template (a@.service). */
function unitFileNames(unit: string): string[] {
  const match = /^([^@]*)@(.+)\.service$/.exec(unit);
  return match ? [unit, `${match[1]}@.service`] : [unit];
}

/**
 * Drop-in directory names for a unit, most specific first, as systemd's unit_file_find_dirs:
 * the unit, its template, each dash prefix (a-b-c.service: a-b-.service, a-.service), and the
 * top-level service.d that applies to every service (systemd 246 and later).
 */
/** The drop-in folders systemd reads for a unit: its own, its template's, dash prefixes, `service.d`. */
export function dropinDirNames(unit: string): string[] {
  const names = unitFileNames(unit);
  const prefix = unit.replace(/\.service$/, '').split('@')[0] ?? '';
  for (let dash = prefix.lastIndexOf('-'); dash > 0; dash = prefix.lastIndexOf('-', dash - 1)) {
    names.push(`${prefix.slice(0, dash + 1)}.service`);
  }
  names.push('service');
  return names.map((n) => `${n}.d`);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface UnitText {
  path: string;
  text: string;
  kind: 'systemd-unit' | 'systemd-dropin';
  /** The bytes were not valid UTF-8 (FileRead.invalidUtf8). */
  invalidUtf8?: boolean;
}

/** The first root that has the unit wins (/etc before /usr/lib). An unreadable copy stops the search. */
async function findUnitFile(log: ReadLog, unit: string, roots: string[]): Promise<UnitText | null> {
  for (const name of unitFileNames(unit)) {
    for (const root of roots) {
      const path = `${root}/${name}`;
      const read = await log.file(path, `unit file of ${unit}`);
      if (read.ok)
        return { path, text: read.text, kind: 'systemd-unit', invalidUtf8: read.invalidUtf8 };
      // Falling back to a lower-priority copy would describe a unit systemd does not use.
      if (!isAbsent(read.code)) return null;
    }
  }
  return null;
}

/**
 * Drop-ins from every root and every drop-in directory. A file name seen in a higher-priority
 * place masks the same name further down; the survivors apply in file-name order.
 */
async function findDropins(log: ReadLog, unit: string, roots: string[]): Promise<UnitText[]> {
  const chosen = new Map<string, string>();
  for (const root of roots) {
    for (const dir of dropinDirNames(unit)) {
      const listing = await log.dir(`${root}/${dir}`, `drop-in directory of ${unit}`);
      if (!listing.ok) continue;
      for (const entry of listing.entries) {
        if (entry.endsWith('.conf') && !entry.startsWith('.') && !chosen.has(entry))
          chosen.set(entry, `${root}/${dir}/${entry}`);
      }
    }
  }
  const names = [...chosen.keys()].sort(byName);
  if (names.length > MAX_DROPINS)
    log.note(`${unit}: ${names.length} drop-ins; only the first ${MAX_DROPINS} were read`);
  const dropins: UnitText[] = [];
  for (const name of names.slice(0, MAX_DROPINS)) {
    const path = chosen.get(name)!;
    const read = await log.file(path, `drop-in of ${unit}`);
    if (read.ok)
      dropins.push({
        path,
        text: read.text,
        kind: 'systemd-dropin',
        invalidUtf8: read.invalidUtf8,
      });
  }
  return dropins;
}

interface EnvFileRef {
  path: string;
  optional: boolean;
  at: string;
}

interface UnsetRule {
  name: string;
  value: string | null;
  at: string;
}

/** The chain in systemd's order, before EnvironmentFile= contents are read. */
interface UnitDirectives {
  /** Environment= candidates and EnvironmentFile= references, in the order they appear. */
  order: Array<Candidate | EnvFileRef>;
  unsets: UnsetRule[];
}

function applyDirectives(
  files: Array<UnitText & { directives: ReturnType<typeof parseUnitFile>['directives'] }>,
  wanted: (name: string) => boolean,
): UnitDirectives {
  const order: Array<Candidate | EnvFileRef> = [];
  let live: Candidate[] = [];
  let liveFiles: EnvFileRef[] = [];
  let unsets: UnsetRule[] = [];
  for (const file of files) {
    for (const d of file.directives) {
      const at = `${display(file.path)}:${d.line}`;
      if (d.kind === 'set') {
        if (!wanted(d.name)) continue;
        const c = candidate(d.name, d.value, file.kind, file.path, d.line, d.notes);
        order.push(c);
        live.push(c);
      } else if (d.kind === 'clear-environment') {
        for (const c of live) c.shadowedBy = `cleared by the empty Environment= at ${at}`;
        live = [];
      } else if (d.kind === 'environment-file') {
        const ref = { path: d.path, optional: d.optional, at };
        order.push(ref);
        liveFiles.push(ref);
      } else if (d.kind === 'clear-environment-files') {
        for (const ref of liveFiles) order.splice(order.indexOf(ref), 1);
        liveFiles = [];
      } else if (d.kind === 'unset') {
        unsets.push({ name: d.name, value: d.value, at });
      } else if (d.kind === 'clear-unset') {
        unsets = [];
      }
    }
  }
  return { order, unsets };
}

/** The glob as a RegExp, or null when it cannot be one (a class like [z-a] from a hostile file). */
function globToRegExp(pattern: string): RegExp | null {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    const close = c === '[' ? pattern.indexOf(']', i + 2) : -1;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (close > 0) {
      const body = pattern
        .slice(i + 1, close)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\');
      source += `[${body}]`;
      i = close;
    } else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  try {
    return new RegExp(`^${source}$`);
  } catch {
    return null;
  }
}

/** EnvironmentFile= accepts a glob; Paddock expands one in the last path component. */
async function expandEnvFilePath(log: ReadLog, ref: EnvFileRef): Promise<string[]> {
  if (!/[*?[]/.test(ref.path)) return [ref.path];
  const slash = ref.path.lastIndexOf('/');
  const dir = ref.path.slice(0, slash) || '/';
  const pattern = ref.path.slice(slash + 1);
  if (/[*?[]/.test(dir)) {
    log.note(
      `${ref.at}: EnvironmentFile=${display(ref.path)} has a wildcard in a directory name; Paddock did not expand it`,
    );
    return [];
  }
  const listing = await log.dir(dir, `directory of EnvironmentFile= named at ${ref.at}`);
  if (!listing.ok) return [];
  const match = globToRegExp(pattern);
  if (!match) {
    log.note(
      `${ref.at}: EnvironmentFile=${display(ref.path)} is not a wildcard Paddock understands; not read`,
    );
    return [];
  }
  const found = listing.entries
    .filter((e) => match.test(e) && (!e.startsWith('.') || pattern.startsWith('.')))
    .sort(byName);
  if (found.length > MAX_GLOB_MATCHES)
    log.note(
      `${ref.at}: EnvironmentFile= matches ${found.length} files; only ${MAX_GLOB_MATCHES} were read`,
    );
  return found.slice(0, MAX_GLOB_MATCHES).map((e) => `${dir === '/' ? '' : dir}/${e}`);
}

async function readEnvFile(
  log: ReadLog,
  unit: string,
  ref: EnvFileRef,
  wanted: (name: string) => boolean,
): Promise<Candidate[]> {
  const paths = await expandEnvFilePath(log, ref);
  if (paths.length === 0 && !ref.optional && /[*?[]/.test(ref.path)) {
    log.note(
      `${ref.at}: EnvironmentFile=${display(ref.path)} matches no file; systemd will refuse to start ${unit}`,
    );
  }
  const found: Candidate[] = [];
  for (const path of paths) {
    const read = await log.file(path, `EnvironmentFile= named at ${ref.at}`);
    if (!read.ok) {
      if (isAbsent(read.code) && !ref.optional)
        log.note(
          `${ref.at}: EnvironmentFile=${display(path)} does not exist; systemd will refuse to start ${unit} (a leading '-' would make it optional)`,
        );
      continue;
    }
    const parsed = parseEnvironmentFile(read.text, { invalidUtf8: read.invalidUtf8 });
    log.problems(path, parsed.problems);
    if (parsed.problems.some((p) => p.fatal)) {
      log.note(
        `${display(path)}: systemd rejects this file as a whole; ${ref.optional ? `${unit} starts without it` : `${unit} will fail to start`}`,
      );
      continue;
    }
    for (const a of parsed.assignments)
      if (wanted(a.name)) found.push(candidate(a.name, a.value, 'systemd-envfile', path, a.line));
  }
  return found;
}

/**
 * Last assignment wins, except that EnvironmentFile= beats Environment= wherever it appears:
 * systemd merges the files' variables after the unit's own (exec_context_load_environment).
 * UnsetEnvironment= is applied after both.
 */
function chooseSystemdWinners(all: Candidate[], unsets: UnsetRule[]): Map<string, Candidate> {
  const winners = new Map<string, Candidate>();
  for (const c of all) {
    if (c.shadowedBy !== null) continue;
    const previous = winners.get(c.name);
    if (!previous || c.kind === 'systemd-envfile' || previous.kind !== 'systemd-envfile')
      winners.set(c.name, c);
  }
  for (const c of all) {
    const winner = winners.get(c.name);
    if (c.shadowedBy !== null || !winner || winner === c) continue;
    const order =
      winner.kind === 'systemd-envfile' && c.kind !== 'systemd-envfile'
        ? ' (systemd applies EnvironmentFile= after Environment=)'
        : '';
    c.shadowedBy = `overridden by ${where(winner)}${order}`;
  }
  for (const [name, winner] of winners) {
    const rule = unsets.find(
      (u) => u.name === name && (u.value === null || u.value === winner.value),
    );
    if (!rule) continue;
    winner.shadowedBy = `removed by UnsetEnvironment= at ${rule.at}`;
    winners.delete(name);
  }
  return winners;
}

export interface Chain {
  candidates: Candidate[];
  winners: Map<string, Candidate>;
}

/** The unit's files in systemd's order (unit, then drop-ins), as parsed. */
export type UnitFiles = Array<
  UnitText & { directives: ReturnType<typeof parseUnitFile>['directives'] }
>;

/**
 * The unit's environment chain for the variables `wanted` names (OLLAMA_* by default), and
 * its files as parsed, for what else they say (ExecStart=).
 */
export async function readSystemdChain(
  log: ReadLog,
  unit: string,
  roots: string[],
  serverIsUnit: boolean,
  wanted: (name: string) => boolean = isOllamaName,
): Promise<Chain & { files: UnitFiles }> {
  const main = await findUnitFile(log, unit, roots);
  const dropins = await findDropins(log, unit, roots);
  if (main && main.text.trim() === '')
    log.note(`${display(main.path)} is empty: ${unit} is masked and systemd will not start it`);
  if (!main && serverIsUnit)
    log.note(
      `no unit file for ${unit} in ${roots.join(', ')}; it may be transient or live elsewhere`,
    );
  if (!main && !serverIsUnit && dropins.length > 0)
    log.note(`drop-ins exist for ${unit} but no unit file; systemd has nothing to start`);
  const files = [...(main ? [main] : []), ...dropins].map((f) => {
    const parsed = parseUnitFile(f.text, { unitName: unit, invalidUtf8: f.invalidUtf8 });
    log.problems(f.path, parsed.problems);
    return { ...f, directives: parsed.directives };
  });
  const { order, unsets } = applyDirectives(files, wanted);
  const candidates: Candidate[] = [];
  for (const item of order) {
    if ('optional' in item) candidates.push(...(await readEnvFile(log, unit, item, wanted)));
    else candidates.push(item);
  }
  return { candidates, winners: chooseSystemdWinners(candidates, unsets), files };
}

// ── login session ───────────────────────────────────────────────────────────────────────────

interface LoginSource {
  path: string;
  kind: 'etc-environment' | 'shell-rc';
  parsed: ParsedEnvSource;
}

async function readLoginSource(
  log: ReadLog,
  path: string,
  parse: (text: string) => ParsedEnvSource,
  kind: LoginSource['kind'],
): Promise<LoginSource | null> {
  const read = await log.file(
    path,
    kind === 'etc-environment' ? 'login environment' : 'shell start-up file',
  );
  if (!read.ok) return null;
  const parsed = parse(read.text);
  log.problems(path, parsed.problems);
  return { path, kind, parsed };
}

async function readHome(log: ReadLog, home: string): Promise<LoginSource[]> {
  const base = home.replace(/\/+$/, '');
  const sources: LoginSource[] = [];
  for (const file of LOGIN_FILES) {
    const source = await readLoginSource(
      log,
      `${base}/${file.path}`,
      (text) => parseShellFile(text, file.dialect),
      'shell-rc',
    );
    if (source) sources.push(source);
  }
  return sources;
}

function expansionNote(statement: EnvStatement): string[] {
  if (statement.kind !== 'assign' || statement.unexpanded.length === 0) return [];
  return [
    `contains ${statement.unexpanded.join(' ')}, which Paddock did not expand (files are read, never run)`,
  ];
}

interface LoginChain extends Chain {
  /** Winners whose name is never exported: no program started from the session sees them. */
  unexported: Candidate[];
}

/**
 * A shell session in order: /etc/environment (pam_env exports everything), then each file.
 * A value reaches programs only if its name carries the export attribute when the files are
 * done, whichever statement gave it (`A=1` then `export A`, or `export A` then `A=1`).
 */
function resolveLoginChain(sources: LoginSource[]): LoginChain {
  const exported = new Set<string>();
  const candidates: Candidate[] = [];
  for (const source of sources) {
    for (const st of source.parsed.statements) {
      if (!isOllamaName(st.name)) continue;
      if (st.kind === 'assign') {
        candidates.push(
          candidate(st.name, st.value, source.kind, source.path, st.line, expansionNote(st)),
        );
        if (st.exported) exported.add(st.name);
      } else if (st.kind === 'export') exported.add(st.name);
      else {
        exported.delete(st.name);
        if (st.kind === 'unset') {
          for (const c of candidates)
            if (c.name === st.name && c.shadowedBy === null)
              c.shadowedBy = `removed by unset at ${display(source.path)}:${st.line}`;
        }
      }
    }
  }
  const winners = new Map<string, Candidate>();
  for (const c of candidates) if (c.shadowedBy === null) winners.set(c.name, c);
  for (const c of candidates) {
    const winner = winners.get(c.name);
    if (c.shadowedBy === null && winner && winner !== c)
      c.shadowedBy = `overridden by ${where(winner)}`;
  }
  const unexported = [...winners.values()].filter((w) => !exported.has(w.name));
  for (const w of unexported) winners.delete(w.name);
  const hidden = new Set(unexported.map((w) => w.name));
  return { candidates: candidates.filter((c) => !hidden.has(c.name)), winners, unexported };
}

/** The home of the process's user, from /etc/passwd (read through the log, so a failure is a gap). */
export async function passwdHome(log: ReadLog, process: OllamaProcess): Promise<string | null> {
  const read = await log.file('/etc/passwd', 'user database');
  if (!read.ok) return null;
  for (const line of read.text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const matches =
      process.uid !== null
        ? Number(fields[2]) === process.uid && fields[2] !== ''
        : fields[0] === process.user;
    const home = fields[5] ?? '';
    if (matches) return home.startsWith('/') && safeText(home, 4096).text === home ? home : null;
  }
  return null;
}

async function defaultHomes(log: ReadLog, process: OllamaProcess | null): Promise<string[]> {
  const homes: string[] = [];
  if (process && (process.uid !== null || process.user)) {
    const home = await passwdHome(log, process);
    if (home) homes.push(home);
  }
  homes.push(log.host.homeDir());
  return [...new Set(homes.map((h) => h.replace(/\/+$/, '') || '/'))];
}

/**
 * One chain per home, each starting with /etc/environment. /etc/environment's own entries are
 * reported once, with the state they have in the first home's session.
 */
async function readLoginChains(
  log: ReadLog,
  etcPath: string,
  homes: string[],
): Promise<LoginChain[]> {
  const etc = await readLoginSource(log, etcPath, parseEtcEnvironment, 'etc-environment');
  const chains: LoginChain[] = [];
  for (const home of homes.length > 0 ? homes : [null]) {
    const sources = [...(etc ? [etc] : []), ...(home === null ? [] : await readHome(log, home))];
    const chain = resolveLoginChain(sources);
    for (const w of chain.unexported)
      log.note(
        `${where(w)}: ${w.name} is set but never exported, so programs started from that shell do not see it`,
      );
    if (chains.length > 0)
      chain.candidates = chain.candidates.filter((c) => c.kind !== 'etc-environment');
    chains.push(chain);
  }
  return chains;
}

// ── states ──────────────────────────────────────────────────────────────────────────────────

interface Relation {
  unit: string;
  /** The running server is this unit's service (its cgroup says so). */
  serverIsUnit: boolean;
  server: ServerEnv;
}

type Verdict = Pick<Setting, 'state' | 'reason'>;

function runsWith(server: ServerEnv, c: Candidate): boolean {
  return server.state === 'read' && server.trimmed.get(c.name) === ollamaTrim(c.value);
}

function systemdVerdict(c: Candidate, rel: Relation): Verdict {
  const { server, unit } = rel;
  if (server.state === 'none' || server.state === 'gone')
    return { state: 'latent', reason: `no server is running: takes effect when ${unit} starts` };
  if (!rel.serverIsUnit)
    return {
      state: 'latent',
      reason: `the running server was not started by ${unit}: takes effect when ${unit} starts`,
    };
  if (server.state === 'unreadable')
    return {
      state: 'effective',
      reason: "assumed: the running server's environment is not readable",
    };
  return runsWith(server, c)
    ? { state: 'effective', reason: `the running server (pid ${server.pid}) has this value` }
    : {
        state: 'latent',
        reason: 'differs from the running server: takes effect at the next restart',
      };
}

function loginVerdict(c: Candidate, rel: Relation): Verdict {
  const { server } = rel;
  if (rel.serverIsUnit) return { state: 'latent', reason: `not read by the ${rel.unit} unit` };
  if (server.state === 'none' || server.state === 'gone')
    return {
      state: 'latent',
      reason: 'no server is running: applies to a server started from a login session',
    };
  if (server.state === 'unreadable') {
    return {
      state: 'latent',
      reason:
        "the running server's environment is not readable, so Paddock cannot tell whether it uses this",
    };
  }
  return runsWith(server, c)
    ? { state: 'effective', reason: `the running server (pid ${server.pid}) has this value` }
    : {
        state: 'latent',
        reason:
          'differs from the running server: takes effect when the server is next started from a login session',
      };
}

function withNotes(reason: string, notes: string[]): string {
  return [reason, ...notes].join('; ');
}

function toSettings(
  chain: Chain,
  candidates: Candidate[],
  verdict: (c: Candidate) => Verdict,
): Setting[] {
  return candidates.map((c) => {
    const decided: Verdict =
      chain.winners.get(c.name) === c
        ? verdict(c)
        : { state: 'shadowed', reason: c.shadowedBy ?? 'overridden' };
    return {
      name: c.name,
      value: c.value,
      source: { kind: c.kind, path: c.path, line: c.line },
      state: decided.state,
      reason: withNotes(decided.reason, c.notes),
    };
  });
}

/** Names the source of a value in the server's environment, when one of the chains explains it. */
function explainServerValue(
  entry: ProcessEntry,
  rel: Relation,
  systemd: Chain,
  login: LoginChain[],
): string {
  const trimmed = ollamaTrim(entry.value);
  if (rel.serverIsUnit) {
    const w = systemd.winners.get(entry.name);
    if (w && ollamaTrim(w.value) === trimmed) return `set by ${where(w)}`;
    return w
      ? `${NOT_FOUND}; ${where(w)} now sets a different value, which takes effect at the next restart`
      : NOT_FOUND;
  }
  for (const chain of login) {
    const w = chain.winners.get(entry.name);
    if (w && ollamaTrim(w.value) === trimmed)
      return `likely from ${where(w)}: the server was not started by systemd, and this login-session file sets the same value`;
  }
  return NOT_FOUND;
}

function serverSettings(rel: Relation, systemd: Chain, login: LoginChain[]): Setting[] {
  const server = rel.server;
  if (server.state !== 'read') return [];
  return server.entries.map((e) => ({
    name: e.name,
    value: e.value,
    source: { kind: 'process', path: `pid ${server.pid}`, line: null },
    state: e.duplicate ? 'shadowed' : 'effective',
    reason: withNotes(
      e.duplicate
        ? 'a second entry with the same name; Go programs such as Ollama read the first'
        : explainServerValue(e, rel, systemd, login),
      e.truncated ? [`value cut to ${MAX_VALUE_CHARS} characters`] : [],
    ),
  }));
}

// ── the probe ───────────────────────────────────────────────────────────────────────────────

async function collect(
  host: Host,
  process: OllamaProcess | null,
  options: SettingsProbeOptions,
): Promise<Omit<ProbeResult<SettingsReport>, 'durationMs'>> {
  const log = new ReadLog(host);
  const roots = (options.roots ?? DEFAULT_UNIT_ROOTS).map((r) => r.replace(/\/+$/, '') || '/');
  const serviceUnit = serviceUnitOf(process);
  const server = await readServerEnv(log, process);
  const rel: Relation = {
    unit: serviceUnit ?? DEFAULT_UNIT,
    serverIsUnit: serviceUnit !== null,
    server,
  };
  const systemd = await readSystemdChain(log, rel.unit, roots, rel.serverIsUnit);
  const homes = options.homes ?? (await defaultHomes(log, process));
  const login = await readLoginChains(log, options.etcEnvironment ?? '/etc/environment', homes);
  const settings = [
    ...serverSettings(rel, systemd, login),
    ...toSettings(systemd, systemd.candidates, (c) => systemdVerdict(c, rel)),
    ...login.flatMap((chain) => toSettings(chain, chain.candidates, (c) => loginVerdict(c, rel))),
  ];
  const message = log.message();
  return {
    status: log.status(),
    data: { settings, gaps: log.gaps },
    evidence: log.evidence,
    ...(message === undefined ? {} : { message }),
  };
}

/**
 * Every OLLAMA_* setting of one Ollama server on Linux, with where it comes from and whether
 * the server runs with it. Status: 'ok' when every source was read or is simply absent,
 * 'denied' when something exists but could not be read (the server's environment, a unit file,
 * an env file), 'error' for any other failure.
 */
export async function probeSettings(
  host: Host,
  target: { process: OllamaProcess | null },
  options: SettingsProbeOptions = {},
): Promise<ProbeResult<SettingsReport>> {
  return runProbe(host, 'settings', { settings: [], gaps: [] }, PROBE_TIMEOUT_MS, () =>
    collect(host, target.process, options),
  );
}
