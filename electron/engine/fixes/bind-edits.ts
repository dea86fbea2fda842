/**
 * Narrowing a server's listen address where it is written (issue 13): the host value of an
 * ExecStart= line, or the `host` of a KoboldCpp `.kcpps`. Each edit changes that one value to a
 * loopback address and keeps every other byte; each is proved by parsing the file before and
 * after with the parsers the probes use. The same proofs are what the privileged side checks
 * (allowlist.ts): whatever a recipe wrote, root only ever writes a change that makes a server
 * listen on loopback, and nothing else.
 */
import { parseUnitFile } from '../probes/linux/systemd-unit';
import type { UnitEnvDirective } from '../probes/linux/systemd-unit';
import { KINDS } from '../servers/registry';
import { isRecord, parseJson } from '../text/untrusted';

export type BindEdit =
  { ok: true; content: string; oldValue: string } | { ok: false; reason: string };

const refuse = (reason: string): BindEdit => ({ ok: false, reason });

/** The loopback addresses Paddock writes: literals only (`localhost` resolves as /etc/hosts says). */
export const LOOPBACK_LITERALS = ['127.0.0.1', '::1'] as const;

export function isLoopbackLiteral(value: string): boolean {
  return (LOOPBACK_LITERALS as readonly string[]).includes(value);
}

/** Every kind's flags that take a host alone (`--host`, `--bind`, `-H`...). */
export const HOST_FLAGS: ReadonlySet<string> = new Set(
  KINDS.flatMap((k) => (k.id === 'ollama' ? [] : (k.bind?.hostFlags ?? []))),
);
/** Every kind's flags that take HOST:PORT together (`--address`, `-l`). */
export const ADDRESS_FLAGS: ReadonlySet<string> = new Set(
  KINDS.flatMap((k) => k.bind?.addressFlags ?? []),
);
/** Every kind's variables for the host (`LLAMA_ARG_HOST`...), not Ollama's (OLLAMA_HOST). */
export const HOST_VARS: ReadonlySet<string> = new Set(
  KINDS.flatMap((k) =>
    k.id === 'ollama' ? [] : [...(k.bind?.hostEnv ?? []), ...(k.bind?.addressEnv ?? [])],
  ),
);

/** Which addresses a change may narrow a server to: loopback, or (share-vpn) its VPN's own. */
export type AllowedHost = (value: string) => boolean;

/** `HOST:PORT` (or `[v6]:PORT`) with an allowed host and the same port as before. */
function narrowedAddress(before: string, after: string, allowed: AllowedHost): boolean {
  const port = (v: string) => /:(\d{1,5})$/.exec(v)?.[1] ?? null;
  const host = after.replace(/:\d{1,5}$/, '').replace(/^\[(.*)\]$/, '$1');
  return port(after) !== null && port(after) === port(before) && allowed(host);
}

/** The value a flag takes in `args` at index i (`--host X` or `--host=X`): its parts. */
function splitFlag(arg: string): { flag: string; value: string | null } {
  const eq = arg.indexOf('=');
  return eq > 0 ? { flag: arg.slice(0, eq), value: arg.slice(eq + 1) } : { flag: arg, value: null };
}

/**
 * Whether `after` is `before` with only its listen address narrowed to loopback: the value of
 * every host flag changed to a loopback literal (and of every address flag to loopback with the
 * same port), or `--host 127.0.0.1` appended to a command that had no host flag. The program
 * and every other word are unchanged.
 */
export function execHostOnlyChange(
  before: readonly string[],
  after: readonly string[],
  allowed: AllowedHost = isLoopbackLiteral,
): boolean {
  const isHostFlag = (f: string) => HOST_FLAGS.has(f) || ADDRESS_FLAGS.has(f);
  const narrowed = (flag: string, old: string, now: string) =>
    HOST_FLAGS.has(flag) ? allowed(now) : narrowedAddress(old, now, allowed);
  if (before.length === 0 || after.length === 0 || before[0] !== after[0]) return false;
  if (after.length === before.length + 2) {
    // Appended: no host flag before, one host flag with a loopback value after.
    if (before.some((a, i) => i > 0 && isHostFlag(splitFlag(a).flag))) return false;
    const [flag, value] = after.slice(before.length);
    return (
      after.slice(0, before.length).every((a, i) => a === before[i]) &&
      flag !== undefined &&
      value !== undefined &&
      HOST_FLAGS.has(flag) &&
      allowed(value)
    );
  }
  if (after.length !== before.length) return false;
  let changed = 0;
  for (let i = 1; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    changed++;
    const previous = before[i - 1]!;
    const joined = splitFlag(before[i]!);
    const joinedAfter = splitFlag(after[i]!);
    if (i > 1 && isHostFlag(previous) && previous === after[i - 1]) {
      if (!narrowed(previous, before[i]!, after[i]!)) return false;
    } else if (
      joined.value !== null &&
      joinedAfter.value !== null &&
      joined.flag === joinedAfter.flag &&
      isHostFlag(joined.flag)
    ) {
      if (!narrowed(joined.flag, joined.value, joinedAfter.value)) return false;
    } else return false;
  }
  return changed > 0;
}

// ── ExecStart= in a unit file or drop-in ─────────────────────────────────────────────────────

const PLAIN_WORD = /^[A-Za-z0-9_.:/@%+,=[\]-]+$/;

/** The host part of `HOST`, `HOST:PORT` or `[V6]:PORT`. */
export function hostOf(value: string): string {
  return /^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/.test(value) || /^\[.*\]:\d{1,5}$/.test(value)
    ? value.replace(/:\d{1,5}$/, '').replace(/^\[(.*)\]$/, '$1')
    : value;
}

function execAt(text: string, line: number, unitName: string) {
  return parseUnitFile(text, { unitName }).directives.find(
    (d): d is Extract<UnitEnvDirective, { kind: 'exec-start' }> =>
      d.kind === 'exec-start' && d.line === line,
  );
}

/**
 * The ExecStart= on `line` with its last host flag's value set to `value` (127.0.0.1), or
 * `--host 127.0.0.1` appended when it has none and the kind takes `--host`. Refused when the
 * line is continued, quoted or escaped (its raw words would not be systemd's words), or holds
 * several commands.
 */
export function editExecStartHost(
  text: string,
  line: number,
  unitName: string,
  flags: readonly string[],
  value: string,
  options: { appendFlag?: string } = {},
): BindEdit {
  if (text.includes('\r') || text.includes('\0'))
    return refuse('the file has carriage returns or NUL bytes');
  const lines = text.split('\n');
  const raw = lines[line - 1];
  if (raw === undefined) return refuse(`line ${line} is not in the file any more`);
  if (/\\\s*$/.test(raw) || (line > 1 && /\\\s*$/.test(lines[line - 2]!)))
    return refuse(`line ${line} is continued over several lines`);
  const m = /^(\s*ExecStart\s*=\s*)(.*?)(\s*)$/.exec(raw);
  if (!m) return refuse(`line ${line} is not an ExecStart= line`);
  const [, head, command, tail] = m as unknown as [string, string, string, string];
  if (/["'\\;$]/.test(command))
    return refuse(`the command on line ${line} uses quotes, escapes, variables or ";"`);
  const before = execAt(text, line, unitName);
  if (!before || before.several) return refuse(`line ${line} is not one command systemd reads`);
  const words = command.split(/[ \t]+/);
  let at = -1;
  let joined = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (flags.includes(w) && i + 1 < words.length) {
      at = i + 1;
      joined = false;
    } else if (flags.some((f) => w.startsWith(`${f}=`))) {
      at = i;
      joined = true;
    }
  }
  let oldValue: string;
  if (at < 0) {
    if (!options.appendFlag) return refuse(`line ${line} sets no listen address`);
    words.push(options.appendFlag, value);
    oldValue = '';
  } else {
    const w = words[at]!;
    const eq = w.indexOf('=');
    oldValue = joined ? w.slice(eq + 1) : w;
    if (!PLAIN_WORD.test(oldValue))
      return refuse(`the listen address on line ${line} is not plain`);
    words[at] = joined ? `${w.slice(0, eq + 1)}${value}` : value;
  }
  lines[line - 1] = `${head}${words.join(' ')}${tail}`;
  const content = lines.join('\n');
  // The proof: the same directives but this command, which only narrows its address.
  const after = execAt(content, line, unitName);
  const key = (t: string) =>
    parseUnitFile(t, { unitName })
      .directives.filter((d) => !(d.kind === 'exec-start' && d.line === line))
      .map((d) => JSON.stringify(d));
  if (
    !after ||
    after.prefix !== before.prefix ||
    !execHostOnlyChange(
      before.argv,
      after.argv,
      (v) => isLoopbackLiteral(v) || v === hostOf(value),
    ) ||
    key(text).join('\n') !== key(content).join('\n')
  )
    return refuse('the edited file would not mean what it should (checked by parsing it again)');
  return { ok: true, content, oldValue };
}

// ── a KoboldCpp .kcpps (JSON) ────────────────────────────────────────────────────────────────

const KCPPS_HOST = /("host"\s*:\s*)("(?:[^"\\]|\\.)*"|null)/g;

/**
 * Two `.kcpps` texts equal byte for byte but for the value of their one `"host"`, which is a
 * loopback literal after (and both parse to the same JSON but for it: a number written
 * another way would reach KoboldCpp as a float, security review of issue 13).
 */
export function kcppsHostOnlyChange(
  before: string,
  after: string,
  allowed: AllowedHost = isLoopbackLiteral,
): boolean {
  const spans = (text: string) => [...text.matchAll(KCPPS_HOST)];
  const x = spans(before);
  const y = spans(after);
  if (x.length !== 1 || y.length !== 1) return false;
  const outside = (text: string, m: RegExpMatchArray) => [
    text.slice(0, m.index! + m[1]!.length),
    text.slice(m.index! + m[0].length),
  ];
  const [xa, xb] = outside(before, x[0]!);
  const [ya, yb] = outside(after, y[0]!);
  if (xa !== ya || xb !== yb) return false;
  const a = parseJson(before);
  const b = parseJson(after);
  if (!isRecord(a) || !isRecord(b)) return false;
  if (typeof b.host !== 'string' || !allowed(b.host)) return false;
  const rest = (o: Record<string, unknown>) => JSON.stringify({ ...o, host: null });
  return rest(a) === rest(b) && a.host !== b.host;
}

/** The `.kcpps` with its `"host"` value set to `value`; every other byte kept. */
export function editKcppsHost(text: string, value: string): BindEdit {
  const matches = [...text.matchAll(KCPPS_HOST)];
  if (matches.length !== 1)
    return refuse(
      matches.length === 0
        ? 'the file has no "host" value'
        : 'the file names "host" more than once',
    );
  const match = matches[0]!;
  const old = parseJson(match[2]!);
  const content =
    text.slice(0, match.index!) +
    match[1]! +
    JSON.stringify(value) +
    text.slice(match.index! + match[0].length);
  if (!kcppsHostOnlyChange(text, content, (v) => isLoopbackLiteral(v) || v === value))
    return refuse('the edited file would not mean what it should (checked by parsing it again)');
  return { ok: true, content, oldValue: typeof old === 'string' ? old : '' };
}
