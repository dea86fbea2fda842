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
import {
  SERVICE_CONFIG_DIR,
  SERVICE_CONFIG_PATH,
  SERVICE_STATE_DIR,
  SERVICE_UNIT_NAME,
  SERVICE_UNIT_PATH,
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

function runProblem(step: Extract<FixStep, { kind: 'run' }>): string | null {
  const { argv, undo } = step;
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
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name);
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
  // remove-file: undo writes `before` back.
  if (step.path === SERVICE_UNIT_PATH) return unitProblem(step.before, false);
  if (step.path === SERVICE_CONFIG_PATH) return null;
  if (stateFile(step.path)) return null;
  if (
    plainUnitPath(step.path) &&
    step.path.endsWith('.prom') &&
    step.before.startsWith('# HELP paddock_')
  )
    return null;
  return `${step.path} is not a file of Paddock's service`;
}

/**
 * The problems of a service plan (empty: none). `applying`: the plan is about to be applied,
 * so the programs its unit names must be trusted now; an undo removes them from systemd.
 */
export function servicePlanProblems(plan: FixPlan, applying: boolean): string[] {
  const problems: string[] = [];
  if (plan.instance !== null) problems.push('a service plan names no server');
  plan.steps.forEach((step, index) => {
    const problem = step.kind === 'run' ? runProblem(step) : fileProblem(step, applying);
    if (problem) problems.push(`step ${index + 1}: ${problem}`);
  });
  return problems;
}

export function isServicePlan(plan: FixPlan): boolean {
  return plan.fixId === 'service-install' || plan.fixId === 'service-uninstall';
}
