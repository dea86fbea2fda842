/**
 * macOS ps output: who runs what, since when.
 *
 * Two runs, joined by pid (PS_PROCESS_ARGV then PS_ARGS_ARGV, both with PS_ENV):
 *   ps -axww -o pid=,ppid=,uid=,user=,lstart=,comm=
 *   ps -axww -o pid=,args=
 * Why two: `comm` and `args` may both contain spaces, and only the last column of a ps line
 * can be read to its end. Why `comm`: in Apple's ps (adv_cmds, ps/print.c, getproclline;
 * https://github.com/apple-oss-distributions/adv_cmds, unchanged from adv_cmds-199 in 2022
 * to adv_cmds-237 in 2025) `comm` is argv[0] exactly as the process received it, spaces and
 * all, and `args` is argv[0..] joined by single spaces. So `args` starting with `comm` gives
 * argv[0] intact (`/Applications/LM Studio.app/Contents/MacOS/LM Studio`), and the rest is
 * split on single spaces. ps cannot show where the original arguments began and ended: an
 * argument that itself contained a space comes back as two. When ps may not read a process's
 * arguments (another user's process without root, or one that just exited) both columns show
 * `(name)` with the kernel's 16-character p_comm; a zombie shows `<defunct>`.
 *
 * `lstart` is strftime("%c") of the start time in local time, after setlocale(LC_ALL, ""):
 * PS_ENV pins the C locale so it reads `Mon Jun  2 09:14:03 2025`. -ww: unlimited width, no
 * cutting. `=` after each keyword: no header line. ps passes commands through strvis(3)
 * (VIS_TAB | VIS_NL), so a newline inside an argument cannot split a line.
 */
import type { LineLimits, ParseProblems } from './common';
import { DEFAULT_LINE_LIMITS, MAX_UNPARSED, ProblemLog, boundedLines, safeInt } from './common';

export const PS_PROCESS_ARGV: readonly string[] = [
  'ps',
  '-axww',
  '-o',
  'pid=,ppid=,uid=,user=,lstart=,comm=',
];
export const PS_ARGS_ARGV: readonly string[] = ['ps', '-axww', '-o', 'pid=,args='];
/** lstart follows the locale; the C locale fixes its form. */
export const PS_ENV: Readonly<Record<string, string>> = { LC_ALL: 'C' };

/** A macOS argument area is at most ARG_MAX (1 MiB); a line may be that long. */
export const PS_LINE_LIMITS: LineLimits = {
  ...DEFAULT_LINE_LIMITS,
  maxChars: 64 * 1024 * 1024,
  maxLineLength: 1024 * 1024 + 64,
};

export interface DarwinProcess {
  pid: number;
  ppid: number;
  uid: number;
  user: string;
  /** ISO time the process started; null when lstart could not be read. */
  startedAt: string | null;
  /**
   * argv[0] when it is an absolute path. It is what the starter passed, usually the file it
   * ran (the Ollama app runs `/Applications/Ollama.app/Contents/Resources/ollama`), but a
   * program may set any argv[0]: confirm the binary elsewhere before trusting it.
   */
  executable: string | null;
  /** Short name: the last path element of argv[0], or ps's `(name)` without parentheses. */
  name: string;
  /**
   * argv as well as ps shows it: argv[0] intact, the rest split on single spaces (ps cannot
   * show where the original arguments began and ended). Empty when `argvStatus` is not 'ok'.
   */
  argv: string[];
  /**
   * ok: from `args`; comm-only: `args` had no line for this pid (the process came or went
   * between the two runs), argv holds argv[0] alone; unavailable: ps could not read the
   * arguments (`(name)`); zombie: `<defunct>`.
   */
  argvStatus: 'ok' | 'comm-only' | 'unavailable' | 'zombie';
}

export interface PsProcessRow {
  pid: number;
  ppid: number;
  uid: number;
  user: string;
  startedAt: string | null;
  comm: string;
}

export interface PsProcessesResult extends ParseProblems {
  rows: PsProcessRow[];
}

export interface PsArgsResult extends ParseProblems {
  /** pid → the `args` column verbatim. */
  args: Map<number, string>;
}

export interface PsResult extends ParseProblems {
  processes: DarwinProcess[];
}

export interface LstartOptions {
  /**
   * How to read lstart's local time. 'local' (default): the zone of this Node process, which
   * on the Mac is the zone ps used. A fixed offset east of UTC in minutes for tests.
   */
  timeZone?: 'local' | { offsetMinutes: number };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

// pid ppid uid user, then lstart in the C locale ("%a %b %e %H:%M:%S %Y", %e space-padded),
// then comm to the end of the line.
const PROCESS_LINE =
  /^ *(\d+) +(\d+) +(\d+) +(\S+) +([A-Z][a-z]{2}) ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) +(.*)$/;
const ARGS_LINE = /^ *(\d+) (.*)$/;

/** lstart's fields as an ISO time, or null when they do not make a real date. */
export function lstartToIso(
  weekday: string,
  month: string,
  day: number,
  hour: number,
  minute: number,
  second: number,
  year: number,
  options: LstartOptions = {},
): string | null {
  const monthIndex = MONTHS.indexOf(month);
  if (monthIndex < 0 || !DAYS.includes(weekday)) return null;
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1970) return null;
  // The wall-clock fields as if in UTC: Date rolls 31 Feb over into March, so a date the
  // calendar does not have shows up as a different day here and is refused.
  const wall = new Date(Date.UTC(year, monthIndex, day, hour, minute, second));
  if (wall.getUTCDate() !== day || wall.getUTCMonth() !== monthIndex) return null;
  const zone = options.timeZone ?? 'local';
  const date =
    zone === 'local'
      ? new Date(year, monthIndex, day, hour, minute, second)
      : new Date(wall.getTime() - zone.offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Parses `ps -axww -o pid=,ppid=,uid=,user=,lstart=,comm=`; never throws. */
export function parsePsProcesses(
  text: string,
  options: LstartOptions = {},
  limits: LineLimits = PS_LINE_LIMITS,
): PsProcessesResult {
  const log = new ProblemLog();
  const rows: PsProcessRow[] = [];
  for (const { number, text: line } of boundedLines(text, log, limits)) {
    if (line.trim() === '') continue;
    const match = PROCESS_LINE.exec(line);
    if (!match) {
      log.add(number, line, 'not pid ppid uid user lstart comm');
      continue;
    }
    const [, pidText, ppidText, uidText, user, weekday, month, day, hh, mm, ss, year, comm] = match;
    const pid = safeInt(pidText ?? '');
    const ppid = safeInt(ppidText ?? '');
    const uid = safeInt(uidText ?? '');
    if (pid === null || ppid === null || uid === null || !comm) {
      log.add(number, line, 'pid, ppid or uid out of range, or no command');
      continue;
    }
    const startedAt = lstartToIso(
      weekday ?? '',
      month ?? '',
      Number(day),
      Number(hh),
      Number(mm),
      Number(ss),
      Number(year),
      options,
    );
    if (startedAt === null) log.add(number, line, 'start time is not a real date');
    rows.push({ pid, ppid, uid, user: user ?? '', startedAt, comm });
  }
  return { rows, ...log.result() };
}

/** Parses `ps -axww -o pid=,args=`; never throws. */
export function parsePsArgs(text: string, limits: LineLimits = PS_LINE_LIMITS): PsArgsResult {
  const log = new ProblemLog();
  const args = new Map<number, string>();
  for (const { number, text: line } of boundedLines(text, log, limits)) {
    if (line.trim() === '') continue;
    const match = ARGS_LINE.exec(line);
    const pid = match ? safeInt(match[1] ?? '') : null;
    if (!match || pid === null) {
      log.add(number, line, 'not pid args');
      continue;
    }
    args.set(pid, match[2] ?? '');
  }
  return { args, ...log.result() };
}

function baseName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash >= 0 ? path.slice(slash + 1) : path;
}

/** One process from its `comm` row and its `args` line (undefined: no such line). */
export function toDarwinProcess(row: PsProcessRow, args: string | undefined): DarwinProcess {
  const base = {
    pid: row.pid,
    ppid: row.ppid,
    uid: row.uid,
    user: row.user,
    startedAt: row.startedAt,
  };
  if (row.comm === '<defunct>') {
    return { ...base, executable: null, name: '<defunct>', argv: [], argvStatus: 'zombie' };
  }
  const hidden = /^\((.*)\)$/.exec(row.comm);
  if (hidden && (args === undefined || args === row.comm)) {
    return {
      ...base,
      executable: null,
      name: hidden[1] ?? '',
      argv: [],
      argvStatus: 'unavailable',
    };
  }
  const argv0 = row.comm;
  const executable = argv0.startsWith('/') ? argv0 : null;
  const name = baseName(argv0);
  if (args === undefined || !args.startsWith(argv0)) {
    return { ...base, executable, name, argv: [argv0], argvStatus: 'comm-only' };
  }
  const rest = args.slice(argv0.length);
  if (rest !== '' && !rest.startsWith(' ')) {
    // `args` continues argv[0] without a space: not the same process (the pid was reused).
    return { ...base, executable, name, argv: [argv0], argvStatus: 'comm-only' };
  }
  const argv = rest === '' ? [argv0] : [argv0, ...rest.slice(1).split(' ')];
  return { ...base, executable, name, argv, argvStatus: 'ok' };
}

/** Both ps outputs, joined by pid; never throws. */
export function parsePs(
  processesText: string,
  argsText: string,
  options: LstartOptions = {},
): PsResult {
  const processes = parsePsProcesses(processesText, options);
  const args = parsePsArgs(argsText);
  return {
    processes: processes.rows.map((row) => toDarwinProcess(row, args.args.get(row.pid))),
    unparsed: [
      ...processes.unparsed,
      ...args.unparsed.map((u) => ({ ...u, reason: `args: ${u.reason}` })),
    ].slice(0, MAX_UNPARSED),
    unparsedTotal: processes.unparsedTotal + args.unparsedTotal,
    truncated: processes.truncated || args.truncated,
  };
}
