/**
 * What the privileged side accepts (issue 5: "a privileged entry point that accepts only
 * FixPlan steps from an allowlist: paths in the known Ollama and firewall configuration
 * locations, programs from a fixed list, and validates every argument"). The plan the user
 * approved is checked again here, as root, before anything runs: a bug or a hostile caller on
 * the unprivileged side must not turn the admin prompt into "run anything as root".
 */
import type { FixPlan, FixStep } from '../../../shared/fixes';
import { diffLines } from './preview';
import {
  NFT_MAIN_CONTENT,
  NFT_UNIT_CONTENT,
  PADDOCK_NFT_MAIN,
  PADDOCK_NFT_UNIT,
  nftPortFile,
  nftPortRules,
  nftTableName,
} from './recipes/block-port';

const UNIT = /^[A-Za-z0-9:_.@-]{1,200}\.service$/;
const DROPIN = /^[A-Za-z0-9:_.@-]{1,200}\.conf$/;
const PORT = /^\d{1,5}$/;
const ZONE = /^[A-Za-z0-9_+.-]{1,64}$/;
const RICH_RULE = /^rule(?: priority="-?\d{1,5}")? port port="\d{1,5}" protocol="tcp" reject$/;
const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

function validPort(text: string | undefined): boolean {
  return text !== undefined && PORT.test(text) && Number(text) > 0 && Number(text) <= 65535;
}

/** A plain absolute path: no `..`, no `.`, no doubled slashes, printable characters only. */
function plainPath(path: string): boolean {
  return (
    /^\/[\x21-\x7e]{1,4095}$/.test(path) &&
    !path
      .split('/')
      .slice(1)
      .some((part) => part === '' || part === '.' || part === '..')
  );
}

type Target = 'unit-environment' | 'paddock-unit' | 'nft-main' | 'nft-port' | 'env-file';

/** Which kind of file a path is, if Paddock may change it at all. */
function target(path: string): Target | null {
  if (!plainPath(path)) return null;
  if (path === PADDOCK_NFT_UNIT) return 'paddock-unit';
  if (path === PADDOCK_NFT_MAIN) return 'nft-main';
  if (/^\/etc\/paddock\/nftables\.d\/port-\d{1,5}\.nft$/.test(path)) return 'nft-port';
  // Where EnvironmentFile= files live in practice; edits there may touch OLLAMA_* lines only.
  if (
    path === '/etc/environment' ||
    /^\/etc\/(default|sysconfig|ollama)\/[A-Za-z0-9_.-]{1,100}$/.test(path) ||
    /^\/etc\/[A-Za-z0-9_.-]{1,100}\.env$/.test(path)
  )
    return 'env-file';
  for (const dir of UNIT_DIRS) {
    if (!path.startsWith(`${dir}/`)) continue;
    const rest = path.slice(dir.length + 1).split('/');
    if (rest.length === 1 && UNIT.test(rest[0]!)) return 'unit-environment';
    if (
      rest.length === 2 &&
      rest[0]!.endsWith('.service.d') &&
      UNIT.test(rest[0]!.slice(0, -2)) &&
      DROPIN.test(rest[1]!)
    )
      return 'unit-environment';
  }
  return null;
}

/** Lines a unit or drop-in edit may add or remove: comments, [Service], Environment=. */
const UNIT_EDIT_LINE = /^(\s*|[#;].*|\[Service\]|Environment=.*)$/;
/** Lines an environment file edit may add or remove: comments and OLLAMA_* assignments. */
const ENV_EDIT_LINE = /^(\s*|#.*|(export\s+)?OLLAMA_[A-Z0-9_]{1,64}=.*)$/;

function changedLines(before: string | null, after: string | null): string[] {
  const a = (before ?? '').split('\n');
  const b = (after ?? '').split('\n');
  return diffLines(a, b)
    .filter((op) => op.kind !== ' ')
    .map((op) => (op.kind === '-' ? a[op.a]! : b[op.b]!));
}

function fileProblem(
  step: Extract<FixStep, { kind: 'write-file' | 'remove-file' }>,
): string | null {
  const kind = target(step.path);
  if (!kind) return `${step.path} is not a file Paddock may change`;
  const after = step.kind === 'write-file' ? step.content : null;
  if (kind === 'paddock-unit')
    return after === null || after === NFT_UNIT_CONTENT
      ? null
      : `${step.path} must hold Paddock's own unit, as written by the recipe`;
  if (kind === 'nft-main')
    return after === null || after === NFT_MAIN_CONTENT
      ? null
      : `${step.path} must hold Paddock's own include file`;
  if (kind === 'nft-port') {
    const port = Number(/port-(\d+)\.nft$/.exec(step.path)![1]);
    return after === null || (after === nftPortRules(port) && step.path === nftPortFile(port))
      ? null
      : `${step.path} must hold Paddock's rule for port ${port} and nothing else`;
  }
  const allowed = kind === 'env-file' ? ENV_EDIT_LINE : UNIT_EDIT_LINE;
  const before = step.before;
  const bad = changedLines(before, after).find((line) => !allowed.test(line));
  return bad === undefined
    ? null
    : `${step.path}: the change touches a line Paddock may not write (${JSON.stringify(bad.slice(0, 120))})`;
}

function systemctlProblem(args: string[]): string | null {
  const [verb, ...rest] = args;
  if (verb === 'daemon-reload' && rest.length === 0) return null;
  if (
    ['cat', 'restart', 'try-restart', 'enable', 'disable'].includes(verb ?? '') &&
    rest.length === 1 &&
    UNIT.test(rest[0]!)
  )
    return null;
  return `systemctl ${args.join(' ')} is not one of the systemctl commands a fix uses`;
}

function nftProblem(args: string[]): string | null {
  if (
    args.length === 2 &&
    args[0] === '-f' &&
    (args[1] === PADDOCK_NFT_MAIN ||
      /^\/etc\/paddock\/nftables\.d\/port-\d{1,5}\.nft$/.test(args[1]!))
  )
    return null;
  const table = args[3];
  const ownTable =
    table !== undefined &&
    /^paddock_\d{1,5}$/.test(table) &&
    table === nftTableName(Number(table.slice(8)));
  if (ownTable && args.join(' ') === `add table inet ${table} ; delete table inet ${table}`)
    return null;
  if (
    args.length === 4 &&
    args.slice(0, 3).join(' ') === 'delete table inet' &&
    /^paddock_\d{1,5}$/.test(args[3]!)
  )
    return null;
  return `nft ${args.join(' ')} touches more than Paddock's own tables`;
}

function ufwProblem(args: string[]): string | null {
  const spec = args.slice(-6);
  const head = args.slice(0, -6).join(' ');
  const specOk =
    spec.length === 6 &&
    spec.slice(0, 5).join(' ') === 'proto tcp to any port' &&
    validPort(spec[5]);
  const heads = [
    'prepend deny',
    'deny',
    'allow',
    'limit',
    'delete deny',
    'delete allow',
    'delete limit',
  ];
  return specOk && heads.includes(head)
    ? null
    : `ufw ${args.join(' ')} is not a port rule of the shape a fix uses`;
}

function firewallCmdProblem(args: string[]): string | null {
  const ok = args.every(
    (arg) =>
      arg === '--permanent' ||
      (arg.startsWith('--zone=') && ZONE.test(arg.slice(7))) ||
      (/^--(add|remove)-rich-rule=/.test(arg) && RICH_RULE.test(arg.slice(arg.indexOf('=') + 1))),
  );
  const hasRule = args.filter((arg) => /^--(add|remove)-rich-rule=/.test(arg)).length === 1;
  return ok && hasRule
    ? null
    : `firewall-cmd ${args.join(' ')} is not a reject rule of the shape a fix uses`;
}

const PROGRAMS: Record<string, (args: string[]) => string | null> = {
  systemctl: systemctlProblem,
  nft: nftProblem,
  ufw: ufwProblem,
  'firewall-cmd': firewallCmdProblem,
};

function argvProblem(argv: readonly string[]): string | null {
  const [program, ...args] = argv;
  const check = program === undefined ? undefined : PROGRAMS[program];
  if (!check)
    return `${program ?? '(nothing)'} is not a program a fix may run as root (only ${Object.keys(PROGRAMS).join(', ')}, by name)`;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (args.some((arg) => /[\u0000-\u001f\u007f]/.test(arg)))
    return `${program}: an argument holds a control character`;
  return check(args);
}

/** Every reason the privileged side refuses this plan; empty when it may run. */
export function privilegedPlanProblems(plan: FixPlan): string[] {
  const problems: string[] = [];
  plan.steps.forEach((step, index) => {
    const problem =
      step.kind === 'run'
        ? (argvProblem(step.argv) ?? (step.undo ? argvProblem(step.undo) : null))
        : fileProblem(step);
    if (problem) problems.push(`step ${index + 1}: ${problem}`);
  });
  return problems;
}
