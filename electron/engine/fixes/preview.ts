/**
 * What the user approves before a fix runs: the plan as plain text (every file change as a
 * unified diff, every command as its argv, the admin requirement, the undo of each step, what
 * the rescan must show), and the plan's digest. The executor refuses a plan whose digest is
 * not the one previewed, so what was shown is what runs.
 *
 * Everything shown passes through cleanText: file contents come from the system, and a
 * terminal escape in a config file must not repaint the preview the user is reading.
 */
import { redactLine } from '../text/redact';
import { createHash } from 'node:crypto';
import type { FixPlan, FixStep, Verification } from '../../../shared/fixes';
import { displayArgv } from '../host/exec';
import {
  POWERSHELL_EXE,
  POWERSHELL_OPTIONS,
  decodePowerShellCommand,
} from '../probes/win32/powershell';
import { cleanText } from '../text/untrusted';

const CONTEXT = 3;

// ── digest ─────────────────────────────────────────────────────────────────────────────

/** JSON with object keys sorted at every level: the same plan always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What a plan does, without its words and times: the fix, the server, whether it needs admin
 * rights, every step's path, bytes before and after, mode, whether undo keeps it (`kept`,
 * `keptWhile` and its folder), argv and undo, and what the rescan must show: every field of a
 * step but its description. The prose (title, summary, warnings,
 * descriptions), the finding it answers and the time of the scan it came from are left out:
 * the privileged side makes the plan again from its own scan as root (cli/privileged.ts), which
 * may word a warning with more detail than an ordinary user's scan could, but must do exactly
 * the same things. A field a step lacks (`kept` or `keptWhile` on runs recorded before they
 * existed) adds nothing, so their digests stay what was journaled.
 */
export function planEffect(plan: FixPlan): unknown {
  return {
    fixId: plan.fixId,
    instance: plan.instance,
    requiresAdmin: plan.requiresAdmin,
    steps: plan.steps.map((step) => {
      const { description: _description, ...effect } = step;
      return effect;
    }),
    verification: {
      kind: plan.verification.kind,
      instance: plan.verification.instance,
      port: plan.verification.port,
      setting: plan.verification.setting,
    },
  };
}

/**
 * sha256 (hex) of the canonical JSON of what the plan does (planEffect): the identity the
 * executor checks, and that the privileged side compares with the plan it made itself.
 */
export function planDigest(plan: FixPlan): string {
  return createHash('sha256')
    .update(canonicalJson(planEffect(plan)), 'utf8')
    .digest('hex');
}

// ── the order of an undo ──────────────────────────────────────────────────────────────

/**
 * The order in which started steps are reverted (rollback, undo, recovery), shared with the
 * executor so that the preview says what will really happen: the reverse of the order they
 * ran, every step mirrored. A recipe places its steps so that their undos come out right:
 * a restart that must follow the restored files is the undo of a step placed before the file
 * steps (recipes/common.ts, systemdReloadAround).
 */
export function revertOrder(started: readonly number[]): number[] {
  return [...new Set(started)].sort((a, b) => b - a);
}

// ── unified diff ───────────────────────────────────────────────────────────────────────

interface Lines {
  lines: string[];
  /** False when the text does not end with a newline (diff's "\ No newline at end of file"). */
  finalNewline: boolean;
}

function splitLines(text: string): Lines {
  if (text === '') return { lines: [], finalNewline: true };
  const finalNewline = text.endsWith('\n');
  return { lines: (finalNewline ? text.slice(0, -1) : text).split('\n'), finalNewline };
}

export type DiffOp = { kind: ' ' | '-' | '+'; a: number; b: number };

/**
 * Myers' O(ND) shortest edit script between two line arrays. `a` and `b` of each op are the
 * indices the op sits at in the old and new lines. Deletions come before insertions in a
 * change, as in diff(1).
 */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d += 1) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
      let x = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  return backtrack(trace, offset, n, m);
}

function backtrack(trace: Int32Array[], offset: number, n: number, m: number): DiffOp[] {
  const ops: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d -= 1) {
    const v = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : v[offset + prevK]!;
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      x -= 1;
      y -= 1;
      ops.push({ kind: ' ', a: x, b: y });
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', a: x, b: y - 1 });
      else ops.push({ kind: '-', a: x - 1, b: y });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/** Groups ops into hunks: each change with CONTEXT lines around it, close changes merged. */
function hunks(ops: readonly DiffOp[]): DiffOp[][] {
  const changed = ops.flatMap((op, i) => (op.kind === ' ' ? [] : [i]));
  const groups: DiffOp[][] = [];
  let start = -1;
  let end = -1;
  for (const i of changed) {
    if (start >= 0 && i - end - 1 <= 2 * CONTEXT) {
      end = i;
      continue;
    }
    if (start >= 0) groups.push(ops.slice(Math.max(0, start - CONTEXT), end + CONTEXT + 1));
    start = i;
    end = i;
  }
  if (start >= 0) groups.push(ops.slice(Math.max(0, start - CONTEXT), end + CONTEXT + 1));
  return groups;
}

/** `l,n`, where an empty side names the line before it (0 for an empty file), as diff(1) does. */
function range(first: number, count: number): string {
  return `${count === 0 ? first : first + 1},${count}`;
}

function hunkText(hunk: readonly DiffOp[], oldLines: Lines, newLines: Lines): string[] {
  const first = hunk[0]!;
  const oldCount = hunk.filter((op) => op.kind !== '+').length;
  const newCount = hunk.filter((op) => op.kind !== '-').length;
  const out = [`@@ -${range(first.a, oldCount)} +${range(first.b, newCount)} @@`];
  for (const op of hunk) {
    const fromOld = op.kind !== '+';
    const side = fromOld ? oldLines : newLines;
    const index = fromOld ? op.a : op.b;
    // Shown to a person: a key on the line (its own file's) is hidden; the digest covers the
    // plan itself, not this text.
    out.push(`${op.kind}${redactLine(side.lines[index]!)}`);
    // The last line of a side without a final newline; a context line is the last of both.
    const lastOld = op.kind !== '+' && op.a === oldLines.lines.length - 1 && !oldLines.finalNewline;
    const lastNew = op.kind !== '-' && op.b === newLines.lines.length - 1 && !newLines.finalNewline;
    if (lastOld || lastNew) out.push('\\ No newline at end of file');
  }
  return out;
}

/**
 * A unified diff of one file, `before` null for a file that does not exist yet and `after`
 * null for one being removed (each side then named /dev/null). Empty when nothing changes.
 */
export function unifiedDiff(path: string, before: string | null, after: string | null): string {
  const oldLines = splitLines(before ?? '');
  const newLines = splitLines(after ?? '');
  // A change of the final newline alone is a change of the last line.
  const a = markLast(oldLines);
  const b = markLast(newLines);
  const ops = diffLines(a, b);
  const groups = hunks(ops);
  if (groups.length === 0) return '';
  const name = path.replace(/^\/+/, '');
  const lines = [
    before === null ? '--- /dev/null' : `--- a/${name}`,
    after === null ? '+++ /dev/null' : `+++ b/${name}`,
    ...groups.flatMap((hunk) => hunkText(hunk, oldLines, newLines)),
  ];
  return `${lines.join('\n')}\n`;
}

/** Lines compared with the final line tagged when it lacks its newline, so that differs. */
function markLast(side: Lines): string[] {
  if (side.finalNewline || side.lines.length === 0) return side.lines;
  return [...side.lines.slice(0, -1), `${side.lines[side.lines.length - 1]}\u0000no-newline`];
}

// ── the preview ────────────────────────────────────────────────────────────────────────

/** Untrusted text for display, one line or many, never cut. */
function shown(text: string): string {
  return text
    .split('\n')
    .map((line) => cleanText(line, Number.MAX_SAFE_INTEGER))
    .join('\n');
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** How a command is written in the preview (and compared with what ran, in the tests). */
export function shownArgv(argv: readonly string[]): string {
  return shown(displayArgv(argv));
}

/**
 * Windows (issue 17): the script a PowerShell `-EncodedCommand` argv runs, decoded, and the
 * values its data lines carry: the argv is base64 a person cannot read, the script is exactly
 * what PowerShell reads. Null for any other argv.
 */
export function encodedScriptLines(argv: readonly string[]): string[] | null {
  const options = argv.slice(1, -2);
  if (
    argv[0] !== POWERSHELL_EXE ||
    argv[argv.length - 2] !== '-EncodedCommand' ||
    options.length !== POWERSHELL_OPTIONS.length ||
    options.some((o, i) => o !== POWERSHELL_OPTIONS[i])
  )
    return null;
  const encoded = argv[argv.length - 1]!;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return null;
  const script = decodePowerShellCommand(encoded);
  const values = [
    ...script.matchAll(
      /^\$v_([A-Za-z0-9]+) = \[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/]*={0,2})'\)\)$/gm,
    ),
  ].map((m) => `$v_${m[1]} = ${JSON.stringify(Buffer.from(m[2]!, 'base64').toString('utf8'))}`);
  return [
    '   the PowerShell script it runs (-EncodedCommand decoded), exactly:',
    ...script.split('\n').map((line) => `   | ${shown(line)}`),
    ...(values.length > 0
      ? [
          '   its values (the base64 literals above, decoded):',
          ...values.map((v) => `   | ${shown(v)}`),
        ]
      : []),
  ];
}

/** A removed file longer than this is summed up in the preview, not printed. */
const REMOVED_LINES_SHOWN = 80;

function stepText(step: FixStep, index: number): string[] {
  const head = `${index + 1}. ${shown(step.description)}`;
  switch (step.kind) {
    case 'write-file': {
      const what =
        step.before === null ? 'create' : step.before === step.content ? 'rewrite' : 'replace';
      const diff = unifiedDiff(step.path, step.before, step.content);
      const undo = step.kept
        ? '; it stays after undo'
        : step.keptWhile !== undefined
          ? `; kept while other Paddock rules remain in ${shown(step.keptWhile)}; removed by the undo that removes the last one`
          : '';
      return [
        head,
        `   ${what} ${shown(step.path)} (mode ${octal(step.mode)}${undo})`,
        diff === '' ? '   (content unchanged)' : shown(diff.trimEnd()),
      ];
    }
    case 'remove-file': {
      // A long file (a history, a queue) is named by its size and digest, not printed whole:
      // the backup keeps every byte and undo puts it back.
      const lines = step.before.split('\n').length;
      if (lines > REMOVED_LINES_SHOWN)
        return [
          head,
          `   remove ${shown(step.path)} (${lines} lines, ${Buffer.byteLength(step.before)} bytes, sha256 ${createHash('sha256').update(step.before).digest('hex').slice(0, 16)}…; kept whole in the run's backup)`,
        ];
      return [
        head,
        `   remove ${shown(step.path)}`,
        shown(unifiedDiff(step.path, step.before, null).trimEnd()),
      ];
    }
    case 'run':
      return [head, `   run: ${shownArgv(step.argv)}`, ...(encodedScriptLines(step.argv) ?? [])];
    case 'write-secret':
      return [
        head,
        `   ${step.replace ? 'replace' : 'create'} ${shown(step.path)} (mode 0600, owner: the admin user that applies it)`,
        `   with a secret generated while the fix is applied (${step.format}); you see it once, at the end. It is in no plan, preview, journal or report.`,
      ];
  }
}

/** What undo does with shared plumbing (R1: `keptWhile`), in the preview's words. */
function sharedWords(dir: string): string {
  return `kept while other Paddock rules remain; removed by the undo that removes the last one (rules: ${shown(dir)}/*.nft)`;
}

function undoText(step: FixStep, index: number): string {
  const n = index + 1;
  switch (step.kind) {
    case 'write-file':
      if (step.kept)
        return `   step ${n}: keep ${shown(step.path)} as written (Paddock's other rules may rely on it)`;
      if (step.keptWhile !== undefined)
        return step.before === null || step.before === step.content
          ? `   step ${n}: ${shown(step.path)}: ${sharedWords(step.keptWhile)}`
          : `   step ${n}: ${shown(step.path)}: kept while other Paddock rules remain; the undo that removes the last one puts back the previous one, byte for byte, with its mode (rules: ${shown(step.keptWhile)}/*.nft)`;
      return step.before === null
        ? `   step ${n}: remove ${shown(step.path)} (it did not exist; folders created for it are removed)`
        : `   step ${n}: put back the previous ${shown(step.path)}, byte for byte, with its mode`;
    case 'remove-file':
      return `   step ${n}: put back ${shown(step.path)}, byte for byte, with its mode`;
    case 'run':
      if (step.keptWhile !== undefined && step.undo !== null)
        return `   step ${n}: kept while other Paddock rules remain (rules: ${shown(step.keptWhile)}/*.nft); the undo that removes the last one runs: ${shownArgv(step.undo)}`;
      return step.undo === null
        ? `   step ${n}: nothing to run (${shownArgv(step.argv)} is not reverted)`
        : [
            `   step ${n}: run: ${shownArgv(step.undo)}`,
            ...(encodedScriptLines(step.undo) ?? []),
          ].join('\n');
    case 'write-secret':
      return step.replace
        ? `   step ${n}: put back the previous secret in ${shown(step.path)} (kept root-only meanwhile)`
        : `   step ${n}: remove ${shown(step.path)}: the secret stops working`;
  }
}

function verificationText(verification: Verification): string[] {
  const facts = [
    verification.instance === null ? null : `instance ${shown(verification.instance)}`,
    verification.port === null ? null : `port ${verification.port}`,
    verification.setting === null ? null : `setting ${shown(verification.setting)}`,
  ].filter((f): f is string => f !== null);
  return [
    'Then Paddock scans again and expects:',
    `   ${shown(verification.description)}`,
    `   (${verification.kind}${facts.length > 0 ? `: ${facts.join(', ')}` : ''})`,
    'If it does not see that, or any step fails, every step that ran is undone as above.',
  ];
}

/** The plan as the user reads it before approving it. */
export function previewPlan(plan: FixPlan): string {
  const lines: string[] = [`Fix: ${shown(plan.title)}`, '', shown(plan.summary), ''];
  if (plan.warnings.length > 0) {
    lines.push('Before you go on:', ...plan.warnings.map((w) => `  ! ${shown(w)}`), '');
  }
  lines.push(
    plan.requiresAdmin
      ? 'Needs admin rights: yes (Paddock will ask for them before changing anything).'
      : 'Needs admin rights: no.',
    '',
    `Steps (${plan.steps.length}):`,
  );
  plan.steps.forEach((step, i) => lines.push(...stepText(step, i), ''));
  const order = revertOrder(plan.steps.map((_, i) => i));
  lines.push('Undo, in this order:', ...order.map((i) => undoText(plan.steps[i]!, i)), '');
  lines.push(...verificationText(plan.verification), '');
  lines.push(`Plan sha256: ${planDigest(plan)}`);
  return `${lines.join('\n')}\n`;
}
