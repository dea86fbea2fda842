/**
 * What a server kind is, as data plus a little code (issue 13): how its process is named, the
 * ports it takes by default, the harmless GETs that tell it apart, and how to read who may
 * use it from their answers. One folder per kind (`servers/<kind>/index.ts`), each citing
 * the section of ../shared/docs/servers-facts.md (or ollama-facts.md) its facts come from.
 *
 * Identification is pure: `identify(answers, hint)` sees the answers to the GETs a scan made
 * and what the listener's owner is called, and must find a signal only that kind gives (a
 * header, a path, a field value) before it names the kind: LocalAI and KoboldCpp imitate
 * Ollama's endpoints, wrappers copy `owned_by`, and LM Studio answers 200 to any path
 * (servers-facts.md §1.4-1.6).
 */
import type { AuthState, KindIdentity, ServerAuth, ServerKindId } from '../../../shared/servers';
import type { Setting } from '../../../shared/snapshot';
import { isRecord, parseJson } from '../text/untrusted';

/**
 * An advisory of a server kind, as its section of servers-facts.md gives it. Versions in
 * [from, fixed) are affected (`from` null: every earlier one); where no fixed version is
 * given, `lastAffected` is the last one known affected. Never a fixed version the sheet does
 * not give.
 */
export interface ServerAdvisory {
  ids: readonly string[];
  what: string;
  from: string | null;
  fixed: string | null;
  lastAffected?: string;
  /** How bad where other machines reach the server; a step lower on loopback. */
  severity: 'critical' | 'high' | 'medium' | 'low';
  /** The date CISA added it to its Known Exploited Vulnerabilities catalog. */
  kev?: string;
  /** Where the sheet took it from, "third-party" where it says so. */
  source: string;
}

/** One answer of a GET the scan made (the body untrusted, cut to the scan's caps). */
export interface KindAnswer {
  status: number;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** The answers by path; a path that got no HTTP answer is absent. */
export type KindAnswers = ReadonlyMap<string, KindAnswer>;

/** What is known of the listener's owner: its name (comm) and arguments, where readable. */
export interface OwnerHint {
  name: string | null;
  argv: readonly string[] | null;
}

export interface ServerKind {
  id: ServerKindId;
  /** servers-facts.md section (or ollama-facts.md) the facts below come from. */
  facts: string;
  /** The owner's process name (comm, at most 15 characters) or argv[0]'s base name. */
  processNames: readonly RegExp[];
  /** The command line, joined by spaces (interpreters: `python -m vllm...`). */
  argvPatterns: readonly RegExp[];
  defaultPorts: readonly number[];
  /** GETs that identify it, besides `/` and `/v1/models` which every candidate gets. */
  paths: readonly string[];
  /** What someone who reaches it can do there, in the server's own words (the facts sheet). */
  dangers: readonly string[];
  /**
   * Flags with which the server publishes itself on the internet through a tunnel of its own,
   * whatever its socket says (servers-facts.md §1.2), and where the tunnel goes.
   */
  tunnelFlags?: ReadonlyArray<{ flag: string; via: string }>;
  /** Where it takes its bind address, port and key (flags and environment). */
  bind?: BindSpec;
  /**
   * Flags that turn on something dangerous for whoever reaches it (file or shell tools, code
   * sent in requests, a URL-fetching proxy), each with what it gives them and whether it runs
   * code. Only their names are kept, never their values.
   */
  riskyFlags?: ReadonlyArray<{ flag: string; what: string; runsCode: boolean }>;
  /**
   * A desktop app whose listen address is a switch in the app, not a file Paddock edits: the
   * app's own process names and the exact steps to make it listen on this computer only.
   */
  desktopApp?: { processNames: readonly RegExp[]; steps: readonly string[] };
  /** Its own commands that start it again on loopback, where its address is not a flag of its process. */
  restartOnLoopback?: { why: string; commands: ReadonlyArray<readonly string[]> };
  /** Its advisories with version ranges the facts sheet gives (its own section), by version. */
  advisories?: readonly ServerAdvisory[];
  identify(answers: KindAnswers, owner: OwnerHint): KindIdentity | null;
  /** Who may use it, from the same answers. */
  auth(answers: KindAnswers): ServerAuth;
}

// ── helpers for the kinds ────────────────────────────────────────────────────────────────

export function json(answers: KindAnswers, path: string): unknown {
  const answer = answers.get(path);
  if (!answer || answer.status !== 200) return undefined;
  return parseJson(answer.body);
}

export function header(answers: KindAnswers, name: string): string | null {
  for (const answer of answers.values()) {
    const value = answer.headers[name];
    if (typeof value === 'string') return value;
  }
  return null;
}

/** `owned_by` of the entries of an OpenAI-style model list (`GET /v1/models`). */
export function ownedBy(answers: KindAnswers): string[] {
  const list = json(answers, '/v1/models');
  if (!isRecord(list) || !Array.isArray(list.data)) return [];
  return list.data.flatMap((entry) =>
    isRecord(entry) && typeof entry.owned_by === 'string' ? [entry.owned_by] : [],
  );
}

/** An OpenAI-style model list: `{"object":"list","data":[{"id":…,"object":"model"}…]}`. */
export function isModelList(answers: KindAnswers): boolean {
  const list = json(answers, '/v1/models');
  return (
    isRecord(list) &&
    Array.isArray(list.data) &&
    (list.object === 'list' || list.data.every((e) => isRecord(e) && typeof e.id === 'string'))
  );
}

export function stringField(value: unknown, key: string): string | null {
  return isRecord(value) && typeof value[key] === 'string' ? (value[key] as string) : null;
}

export function versionOf(value: string | null): string | null {
  if (value === null) return null;
  const v = value.trim();
  return /^v?[0-9][0-9A-Za-z.+-]{0,40}$/.test(v) ? v : null;
}

/** The kind's risky flags present in the owner's arguments (`--tools`, `--tools=…`). */
export function riskyFlagsOf(
  kind: ServerKind,
  owner: OwnerHint,
): Array<{ flag: string; what: string; runsCode: boolean }> {
  const args = owner.argv ?? [];
  return (kind.riskyFlags ?? []).filter((r) =>
    args.some((a) => a === r.flag || a.startsWith(`${r.flag}=`)),
  );
}

/** The first tunnel flag of the kind in the owner's arguments (`--remotetunnel`), or null. */
export function tunnelFlagOf(
  kind: ServerKind,
  owner: OwnerHint,
): { flag: string; via: string } | null {
  const args = owner.argv ?? [];
  return (
    kind.tunnelFlags?.find((t) => args.some((a) => a === t.flag || a.startsWith(`${t.flag}=`))) ??
    null
  );
}

export function ownerMatches(
  kind: Pick<ServerKind, 'processNames' | 'argvPatterns'>,
  owner: OwnerHint,
): boolean {
  const base = owner.argv?.[0]?.split('/').pop() ?? null;
  const names = [owner.name, base].filter((n): n is string => n !== null && n !== '');
  if (names.some((n) => kind.processNames.some((p) => p.test(n)))) return true;
  const line = owner.argv?.join(' ') ?? '';
  return line !== '' && kind.argvPatterns.some((p) => p.test(line));
}

const denied = (answer: KindAnswer | undefined) =>
  answer !== undefined && (answer.status === 401 || answer.status === 403);

/**
 * The usual reading: `protectedPath` asks for a key when one is set. A 401/403 there is
 * key-required (key-partial when `/v1/models` still lists the models); a 200 is none.
 */
export function keyAuth(answers: KindAnswers, protectedPath: string): ServerAuth {
  const guarded = answers.get(protectedPath);
  const models = answers.get('/v1/models');
  if (denied(guarded)) {
    const listed = protectedPath !== '/v1/models' && models?.status === 200;
    return {
      state: listed ? 'key-partial' : 'key-required',
      evidence: [
        `GET ${protectedPath}: ${guarded!.status}`,
        ...(listed ? ['GET /v1/models: 200 without a key (the model list stays public)'] : []),
      ],
    };
  }
  if (guarded?.status === 200)
    return { state: 'none', evidence: [`GET ${protectedPath}: 200 without credentials`] };
  return { state: 'unknown', evidence: [`GET ${protectedPath}: no telling answer`] };
}

export function identity(
  kind: ServerKindId,
  version: string | null,
  ...evidence: string[]
): KindIdentity {
  return { kind, version, evidence };
}

export const AUTH_WORDS: Readonly<Record<AuthState, string>> = {
  none: 'no credentials asked',
  'key-required': 'a key is required',
  'key-partial': 'a key is set, but some endpoints stay public',
  'login-required': 'a login is required',
  'unclaimed-admin': 'no account yet: the first visitor becomes admin',
  unknown: 'unknown',
};

// ── settings from the server's own command line and environment ───────────────────────────

/**
 * Where a kind takes its bind address, port and key: flags (`--host`, `--host=…`) and
 * environment variables, in the order the server reads them (servers-facts.md per kind).
 */
export interface BindSpec {
  hostFlags: readonly string[];
  portFlags: readonly string[];
  keyFlags: readonly string[];
  hostEnv: readonly string[];
  portEnv: readonly string[];
  keyEnv: readonly string[];
  /** Flags that take `HOST:PORT` together (`--address :8080`, `-l 0.0.0.0:8080`). */
  addressFlags?: readonly string[];
  addressEnv?: readonly string[];
  /** A settings file of its own that holds the bind (a KoboldCpp `.kcpps`). */
  configFile?: ConfigFileSpec;
}

/** One setting a server's own file holds: the file's name for it, its value, its line. */
export interface FileSetting {
  name: string;
  value: string;
  line: number | null;
}

/**
 * A settings file of the server's own (servers-facts.md: KoboldCpp's `.kcpps`, §8;
 * text-generation-webui's CMD_FLAGS.txt, §9; LM Studio's server config, §2). Read, never run.
 */
export interface ConfigFileSpec {
  /** What the file is called in messages. */
  label: string;
  /**
   * Where it is, from the owner's arguments, working directory and home (null: unknown).
   * `inForce`: the running server read it at start (its arguments name it).
   */
  paths(where: {
    argv: readonly string[];
    cwd: string | null;
    home: string | null;
  }): Array<{ path: string; inForce: boolean }>;
  /** The settings it holds, or why it could not be read. */
  read(text: string): FileSetting[] | { error: string };
  /** Names (the file's own) of the listen address, and of values never shown. */
  hostKeys: readonly string[];
  secretKeys: readonly string[];
  /** While the file is in force the command line's own flags are ignored (`--config`, §8). */
  replacesArgv: boolean;
  /** Names whose true value publishes the server through a tunnel (§8 `remotetunnel`). */
  tunnelKeys?: ReadonlyArray<{ key: string; via: string }>;
}

/** What a key setting shows: that it is set, never its value. */
export const SECRET_SHOWN = '(set; not shown)';

/** The value of the last `flag VALUE` or `flag=VALUE` in argv (the last one wins). */
export function flagValue(
  argv: readonly string[],
  flags: readonly string[],
): { flag: string; value: string } | null {
  let found: { flag: string; value: string } | null = null;
  for (let i = 1; i < argv.length; i += 1) {
    const arg = argv[i]!;
    for (const flag of flags) {
      if (arg === flag && i + 1 < argv.length) found = { flag, value: argv[i + 1]! };
      else if (arg.startsWith(`${flag}=`)) found = { flag, value: arg.slice(flag.length + 1) };
    }
  }
  return found;
}

/**
 * The bind, port and key a server was started with, each with where it came from: its
 * arguments (`pid N arguments`) before its environment (`pid N environment`), the way these
 * servers read them (a flag beats a variable, servers-facts.md §3). A key's value is never
 * kept: only that it is set.
 */
export function bindSettings(
  spec: BindSpec,
  pid: number,
  argv: readonly string[] | null,
  env: ReadonlyMap<string, string> | null,
): Setting[] {
  const out: Setting[] = [];
  const fromArgv = (name: string, value: string): Setting => ({
    name,
    value,
    source: { kind: 'process', path: `pid ${pid} arguments`, line: null },
    state: 'effective',
    reason: 'on the command line of the running server',
  });
  const fromEnv = (name: string, value: string, shadowedBy: string | null): Setting => ({
    name,
    value,
    source: { kind: 'process', path: `pid ${pid} environment`, line: null },
    state: shadowedBy ? 'shadowed' : 'effective',
    reason: shadowedBy
      ? `the command line's ${shadowedBy} wins over the environment`
      : "in the running server's environment",
  });
  const one = (flags: readonly string[], vars: readonly string[], secret: boolean): void => {
    const flag = argv ? flagValue(argv, flags) : null;
    if (flag) out.push(fromArgv(flag.flag, secret ? SECRET_SHOWN : flag.value));
    for (const name of vars) {
      const value = env?.get(name);
      if (value === undefined) continue;
      out.push(fromEnv(name, secret ? SECRET_SHOWN : value, flag?.flag ?? null));
    }
  };
  one(
    [...spec.hostFlags, ...(spec.addressFlags ?? [])],
    [...spec.hostEnv, ...(spec.addressEnv ?? [])],
    false,
  );
  one(spec.portFlags, spec.portEnv, false);
  one(spec.keyFlags, spec.keyEnv, true);
  return out;
}

/** Every variable name a spec reads, so a probe reads those and nothing else. */
export function bindVariables(spec: BindSpec): string[] {
  return [...spec.hostEnv, ...spec.portEnv, ...spec.keyEnv, ...(spec.addressEnv ?? [])];
}
