/**
 * `paddock scan --elevated`: the firewall can only be read by root. The CLI re-runs just the
 * firewall probe with admin rights, through the OS's own prompt, and reads back its facts:
 *
 *   1. `sudo -n`  : no prompt (a cached sudo ticket, or a NOPASSWD rule for this command);
 *   2. `sudo`     : on a terminal, sudo asks for the password there;
 *   3. `pkexec`   : otherwise, polkit's own dialog.
 *
 * The privileged side is `paddock-privileged __firewall-facts` (privileged.ts): it takes no
 * argument, only reads, and prints the probe's JSON. What comes back crosses a trust
 * boundary, so it is validated with the schema before it is used. A cancelled prompt changes
 * nothing and says so. The same door serves fixes (`__apply-fix`) and undo (`__undo-run`).
 *
 * macOS: `sudo -n`, `sudo` on a terminal, else its own prompt through osascript (below).
 *
 * Windows (issue 17, win32-elevate.ts): UAC's own prompt, through Windows PowerShell's
 * `Start-Process -Verb RunAs -Wait -PassThru`, offered only for a privileged program that no
 * non-admin could change (a per-user install is refused before any prompt, with how to install
 * for all users). ShellExecute's runas hands back no stdout: the caller passes only a random
 * nonce (32 hex digits), and the elevated side writes its answer under that name into a folder
 * it makes and checks itself (`<ProgramData>\Paddock\answers`, ProgramData read from the
 * registry and the system directory, never the environment: only administrators may write
 * there); the caller reads it only after checking that folder and file the same way. A
 * cancelled prompt (ERROR_CANCELLED, 1223) is `{ ok: false, cancelled: true }`, nothing changed.
 */
import type { FirewallFacts } from '../../shared/firewall';
import type { ProbeResult } from '../../shared/snapshot';
import type { ExecResult, Host } from '../engine/host/types';
import { installProblem } from '../engine/host/trust';
import { FIREWALL_FACTS_COMMAND } from './privileged-commands';
import { macRuntimeFiles } from './privileged-program';

export type ElevatedFirewall =
  | { ok: true; result: ProbeResult<FirewallFacts>; via: string }
  | { ok: false; cancelled: boolean; message: string };

export interface ElevateContext {
  host: Host;
  /** argv that starts the privileged program (privileged-program.ts), before its command. */
  privileged: readonly string[];
  /** A terminal is attached: sudo may ask for a password there. */
  interactive: boolean;
}

const ELEVATED_TIMEOUT_MS = 120_000;
const MAX_FACTS_BYTES = 16 * 1024 * 1024;

/** One argument for sh, single-quoted: nothing in it is special to the shell then. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * macOS's own admin prompt (issue 16): `osascript -e 'do shell script "…" with administrator
 * privileges'`. AppleScript runs the text with /bin/sh, so each argument is quoted for sh, and
 * the whole for an AppleScript string (backslash and double quote escaped); an argument with a
 * control character is refused, never passed on. The argv of the privileged side holds only
 * Paddock's own values (its path, a command, a fix id, an instance id, a digest), but a hostile
 * one must still stay one argument.
 */
export function appleScriptAdminArgv(full: readonly string[]): string[] {
  // eslint-disable-next-line no-control-regex -- control characters are what we refuse
  if (full.some((arg) => /[\u0000-\u001f\u007f]/.test(arg)))
    throw new Error('an argument for the admin prompt holds a control character');
  const shell = `${full.map(shellQuote).join(' ')}${ADMIN_SHELL_SUFFIX}`;
  const literal = `"${shell.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [
    '/usr/bin/osascript',
    '-e',
    `do shell script ${literal} with administrator privileges without altering line endings`,
  ];
}

/**
 * What the shell line adds after the privileged side's argv: `do shell script` hands back
 * stdout only, and only when the command exits 0 (otherwise an error with stderr's text), so
 * stderr (the privileged side's notes) goes to stdout, the command's own exit status is printed
 * last, and the line itself exits 0. `without altering line endings` keeps its \n.
 */
export const ADMIN_EXIT_MARK = 'paddock-exit:';
const ADMIN_SHELL_SUFFIX = ` 2>&1; printf '\\n${ADMIN_EXIT_MARK}%s\\n' "$?"`;

/**
 * The privileged side's answer out of what `do shell script` handed back: its exit status from
 * the last line, its notes (lines `paddock-privileged: …`, from stderr) apart from the rest
 * (stdout); null when the status line is missing (the line did not run to its end).
 */
export function parseAdminShellOutput(
  text: string,
): { code: number; stdout: string; notes: string[] } | null {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  const last = lines.pop() ?? '';
  const m = new RegExp(`^${ADMIN_EXIT_MARK}(\\d{1,3})$`).exec(last);
  if (!m) return null;
  if (lines.at(-1) === '') lines.pop(); // the newline printf put before the mark
  const notes: string[] = [];
  const rest: string[] = [];
  for (const line of lines)
    if (line.startsWith('paddock-privileged: '))
      notes.push(line.slice('paddock-privileged: '.length));
    else rest.push(line);
  return { code: Number(m[1]), stdout: rest.length > 0 ? `${rest.join('\n')}\n` : '', notes };
}

interface Attempts {
  list: Array<{ argv: string[]; interactive: boolean; via: string }>;
  /** Why macOS's prompt was not offered (the program is not root's own); null: it was. */
  untrusted: string | null;
}

function attempts(context: ElevateContext, command: string[], input?: string): Attempts {
  let untrusted: string | null = null;
  const full = [...context.privileged, ...command];
  const list: Array<{ argv: string[]; interactive: boolean; via: string }> = [
    { argv: ['sudo', '-n', '--', ...full], interactive: false, via: 'sudo -n' },
  ];
  if (context.interactive)
    list.push({ argv: ['sudo', '--', ...full], interactive: true, via: 'sudo' });
  else if (context.host.platform === 'darwin') {
    // macOS's prompt has no sudo rule pinning a root-owned copy, and its dialog does not show
    // the command: only a program root could trust is offered (installProblem), started with
    // an environment of its own (env -i: no NODE_OPTIONS or DYLD_* of the caller's), and
    // osascript hands it no standard input.
    // Every word but the one variable the desktop app's argv sets must be a plain absolute
    // path (fail closed: a word that is not would not be checked below).
    const programs = context.privileged.filter((arg) => arg !== 'ELECTRON_RUN_AS_NODE=1');
    const odd = programs.find((arg) => !arg.startsWith('/') || arg.includes('='));
    const loaded = programs.map((arg) => macRuntimeFiles(arg));
    const trust =
      odd !== undefined
        ? `${JSON.stringify(odd)} is not a plain absolute path`
        : loaded.includes(null)
          ? "the files Paddock's app loads from its bundle could not all be listed"
          : installProblem([...programs, ...loaded.flatMap((files) => files ?? [])]);
    if (input === undefined && trust === null)
      list.push({
        argv: appleScriptAdminArgv([
          '/usr/bin/env',
          '-i',
          'PATH=/usr/bin:/bin:/usr/sbin:/sbin',
          'LC_ALL=C',
          ...full,
        ]),
        interactive: false,
        via: 'osascript',
      });
    else if (trust !== null) untrusted = trust;
  } else list.push({ argv: ['pkexec', ...full], interactive: false, via: 'pkexec' });
  return { list, untrusted };
}

/** pkexec: 126 the dialog was dismissed, 127 not authorised. sudo: 1 with its own words. */
function refusal(result: ExecResult, via: string): { cancelled: boolean; message: string } {
  if (result.spawnError === 'ENOENT')
    return { cancelled: false, message: `${via.split(' ')[0]} is not installed` };
  if (via === 'pkexec' && result.code === 126)
    return { cancelled: true, message: 'the admin prompt was cancelled' };
  if (via === 'osascript' && /\(-128\)/.test(result.stderr))
    return { cancelled: true, message: 'the admin prompt was cancelled' };
  if (via === 'pkexec' && result.code === 127)
    return { cancelled: false, message: 'admin rights were not granted' };
  if (result.timedOut) return { cancelled: true, message: 'no answer to the admin prompt in time' };
  const said = result.stderr.trim().split('\n').pop() ?? '';
  return {
    cancelled: via === 'sudo' && result.code === 1,
    message: said || `${via} exited with ${result.code}`,
  };
}

export type Elevated =
  | {
      ok: true;
      stdout: string;
      code: number;
      via: string;
      /** What the privileged side said on stderr besides its answer (interrupted runs it recovered). */
      notes: string[];
    }
  | {
      ok: false;
      cancelled: boolean;
      message: string;
      /** macOS: refused because the app is in /Applications; an admin copy would let it run. */
      adminCopy?: true;
    };

/**
 * Runs one of this CLI's privileged commands as root through the OS's own prompt. `input` goes
 * to its stdin (sudo asks on the terminal and polkit in a dialog, never on stdin). `ok: true`
 * means the command ran, whatever its own exit code; `ok: false` means it never ran.
 */
export async function runElevated(
  context: ElevateContext,
  command: string[],
  input?: string,
): Promise<Elevated> {
  if (context.host.platform === 'win32') {
    const { runElevatedWindows } = await import('./win32-elevate');
    return runElevatedWindows(context.host, context.privileged, command, input);
  }
  const refusals: string[] = [];
  let cancelled = false;
  const { list, untrusted } = attempts(context, command, input);
  for (const attempt of list) {
    const result = await context.host.exec(attempt.argv, {
      timeoutMs: ELEVATED_TIMEOUT_MS,
      maxBytes: MAX_FACTS_BYTES,
      interactive: attempt.interactive && input === undefined,
      input,
    });
    // sudo and pkexec fail before running anything with these codes and no output.
    const refused =
      result.spawnError !== null ||
      result.truncated ||
      result.timedOut ||
      (attempt.via === 'pkexec' && (result.code === 126 || result.code === 127)) ||
      (attempt.via === 'osascript' && result.code !== 0) ||
      (attempt.via.startsWith('sudo') && result.code === 1 && result.stdout === '');
    if (!refused && attempt.via === 'osascript') {
      const answer = parseAdminShellOutput(result.stdout);
      if (answer) return { ok: true, ...answer, via: attempt.via };
      refusals.push(`${attempt.via}: the admin side's exit status did not come back`);
      continue;
    }
    if (!refused)
      return {
        ok: true,
        stdout: result.stdout,
        code: result.code ?? -1,
        via: attempt.via,
        notes: result.stderr
          .split('\n')
          .filter((line) => line.startsWith('paddock-privileged: '))
          .map((line) => line.slice('paddock-privileged: '.length)),
      };
    const why = refusal(result, attempt.via);
    refusals.push(`${attempt.via}: ${why.message}`);
    cancelled ||= why.cancelled;
    if (why.cancelled) break;
  }
  if (untrusted)
    refusals.push(
      context.privileged.some((arg) => arg.includes('.app/Contents/'))
        ? `macOS's admin prompt was not offered: ${untrusted}. Paddock runs its admin side only from files nobody but root can change, and an app in /Applications can be replaced by any administrator account without a password. Make Paddock's admin copy once (Settings > Admin rights on this Mac: a copy in /Library/Paddock that only root can change, checked against Paddock's signature), or block the port in macOS's own firewall instead (System Settings > Network > Firewall > Options: Ollama, Block incoming connections)`
        : `macOS's admin prompt was not offered: ${untrusted} (install Paddock so that its privileged side is root's)`,
    );
  return {
    ok: false,
    cancelled,
    message: `${cancelled ? 'Cancelled' : 'Could not get admin rights'} (${refusals.join('; ')}); nothing was changed.`,
    ...(untrusted && context.privileged.some((arg) => arg.includes('.app/Contents/'))
      ? { adminCopy: true as const }
      : {}),
  };
}

export async function elevatedFirewallFacts(context: ElevateContext): Promise<ElevatedFirewall> {
  const elevated = await runElevated(context, [FIREWALL_FACTS_COMMAND]);
  if (!elevated.ok)
    return {
      ok: false,
      cancelled: elevated.cancelled,
      message: elevated.message.replace(
        'nothing was changed.',
        'the firewall stays unread and nothing was changed.',
      ),
    };
  const { firewallProbeResultSchema } = await import('../../shared/firewall');
  let json: unknown;
  try {
    json = JSON.parse(elevated.stdout);
  } catch {
    return {
      ok: false,
      cancelled: false,
      message: `${elevated.via}: the elevated probe did not print JSON`,
    };
  }
  const parsed = firewallProbeResultSchema.safeParse(json);
  if (!parsed.success || elevated.code !== 0)
    return {
      ok: false,
      cancelled: false,
      message: `${elevated.via}: the elevated probe's answer is not firewall facts`,
    };
  return { ok: true, result: parsed.data, via: elevated.via };
}
