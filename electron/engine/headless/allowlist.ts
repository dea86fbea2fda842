/**
 * What a plan of Paddock's own service (unit.ts) may do, checked before it is applied and again
 * before a recorded one is undone or recovered (fixes/allowlist.ts hands these plans here and
 * no other plan may touch these paths). Each step must be one that planServiceInstall or
 * planServiceUninstall makes, with exactly its undo:
 *
 * - files: the unit, byte for byte as serviceUnitText writes it from plain paths (Node and the
 *   launcher root's own files); the configuration, valid for the service's schema; files of
 *   the service's state folder (removed, by plain name); a `.prom` textfile Paddock wrote;
 * - commands: daemon-reload, enable --now / disable --now of paddock.service (each the other's
 *   undo), rmdir of /etc/paddock or the state folder with `install -d` as undo.
 */
import type { FixPlan, FixStep } from '../../../shared/fixes';
import { trustedFileProblem } from '../host/trust';
import type { UnitInputs } from './unit';
import {
  SERVICE_CONFIG_DIR,
  SERVICE_CONFIG_PATH,
  SERVICE_STATE_DIR,
  SERVICE_UNIT_NAME,
  SERVICE_UNIT_PATH,
  REMOVE_TEXTFILE,
  parseServiceUnit,
  plainUnitPath,
  textfileOf,
} from './unit';

const same = (a: readonly string[] | null, b: readonly string[] | null) =>
  a !== null && b !== null && a.length === b.length && a.every((v, i) => v === b[i]);

const ENABLE = ['systemctl', 'enable', '--now', '--', SERVICE_UNIT_NAME];
const DISABLE = ['systemctl', 'disable', '--now', '--', SERVICE_UNIT_NAME];
const RELOAD = ['systemctl', 'daemon-reload'];
const FOLDERS: Record<string, string> = {
  [SERVICE_CONFIG_DIR]: '0755',
  [SERVICE_STATE_DIR]: '0700',
};

function unitProblem(text: string, checkTrust: boolean): string | null {
  const inputs = parseServiceUnit(text);
  if (!inputs) return `${SERVICE_UNIT_PATH} is not the unit Paddock writes`;
  if (!checkTrust) return null;
  for (const file of [inputs.node, inputs.launcher]) {
    const problem = trustedFileProblem(file);
    if (problem) return `the unit would run ${file} as root: ${problem}`;
  }
  return null;
}

function runProblem(
  step: Extract<FixStep, { kind: 'run' }>,
  unit: UnitInputs | null,
  applying: boolean,
): string | null {
  const { argv, undo } = step;
  if (argv[3] === REMOVE_TEXTFILE) {
    // Paddock's own program, the one the unit runs, removing the textfile (unit.ts).
    if (
      !unit ||
      argv.length !== 5 ||
      argv[0] !== unit.node ||
      argv[1] !== unit.launcher ||
      argv[2] !== 'service'
    )
      return 'the textfile is removed only by the program the unit runs';
    const path = argv[4]!;
    if (!plainUnitPath(path) || !path.endsWith('.prom')) return `${path} is not a textfile`;
    if (undo !== null) return 'removing the textfile has no undo of its own';
    if (applying)
      for (const file of [unit.node, unit.launcher]) {
        const problem = trustedFileProblem(file);
        if (problem) return `${file} would run as root: ${problem}`;
      }
    return null;
  }
  if (same(argv, RELOAD))
    return undo === null || same(undo, RELOAD) ? null : 'daemon-reload with another undo';
  if (same(argv, ENABLE)) return same(undo, DISABLE) ? null : `enable without disable as its undo`;
  if (same(argv, DISABLE)) return same(undo, ENABLE) ? null : `disable without enable as its undo`;
  if (argv.length === 3 && argv[0] === 'rmdir' && argv[1] === '--') {
    const dir = argv[2]!;
    const mode = FOLDERS[dir];
    if (!mode) return `rmdir of ${dir}, which is not Paddock's service folder`;
    return same(undo, ['install', '-d', '-m', mode, '--', dir])
      ? null
      : `rmdir of ${dir} without its undo`;
  }
  return `${argv.join(' ')} is not a command of Paddock's service plans`;
}

function stateFile(path: string): boolean {
  const name = path.startsWith(`${SERVICE_STATE_DIR}/`)
    ? path.slice(SERVICE_STATE_DIR.length + 1)
    : '';
  // Its own files, and what an atomic write interrupted by a crash leaves (host/atomic-write.ts).
  return (
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) ||
    /^\.[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.tmp-\d{1,10}-[0-9a-f]{12}$/.test(name)
  );
}

function fileProblem(step: Exclude<FixStep, { kind: 'run' }>, applying: boolean): string | null {
  if (step.kind === 'write-secret') return 'a service plan writes no secret';
  if (step.kind === 'write-file') {
    if (step.before !== null) return `${step.path} is only ever written new`;
    if (step.mode !== 0o644) return `${step.path} with mode ${step.mode.toString(8)}`;
    if (step.path === SERVICE_UNIT_PATH) return unitProblem(step.content, applying);
    if (step.path === SERVICE_CONFIG_PATH) {
      const config = textfileOf(step.content);
      return 'error' in config ? config.error : null;
    }
    return `${step.path} is not a file of Paddock's service`;
  }
  // remove-file: undo writes `before` back, and its enable --now runs it: trusted, always.
  if (step.path === SERVICE_UNIT_PATH) return unitProblem(step.before, true);
  if (step.path === SERVICE_CONFIG_PATH) return null;
  if (stateFile(step.path)) return null;
  return `${step.path} is not a file of Paddock's service`;
}

/**
 * The problems of a service plan (empty: none). `applying`: the plan is about to be applied,
 * so the programs its unit names must be trusted now; an undo removes them from systemd.
 */
export function servicePlanProblems(plan: FixPlan, applying: boolean): string[] {
  const problems: string[] = [];
  if (plan.instance !== null) problems.push('a service plan names no server');
  // The unit this plan writes or removes: the textfile's removal runs its program.
  let unit: UnitInputs | null = null;
  for (const s of plan.steps)
    if ((s.kind === 'write-file' || s.kind === 'remove-file') && s.path === SERVICE_UNIT_PATH)
      unit = parseServiceUnit(s.kind === 'write-file' ? s.content : s.before);
  plan.steps.forEach((step, index) => {
    const problem =
      step.kind === 'run' ? runProblem(step, unit, applying) : fileProblem(step, applying);
    if (problem) problems.push(`step ${index + 1}: ${problem}`);
  });
  return problems;
}

export function isServicePlan(plan: FixPlan): boolean {
  return plan.fixId === 'service-install' || plan.fixId === 'service-uninstall';
}
