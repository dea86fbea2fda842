/**
 * The privileged side as an administrator installs it (docs/security.md): the bundle copied
 * into a folder only root controls, and sudo rules of the exact argument form (sudo >= 1.9.10
 * regular expressions), never `*`. The lab tests that go through sudo use these, so the rules
 * the documentation recommends are the rules the tests prove.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PRIVILEGED_BUNDLE = path.join(ROOT, 'out', 'cli', 'paddock-privileged.cjs');

/**
 * The sudoers lines docs/security.md gives, for `user` and the program: `[path]` for the
 * installed program (its own `#!/usr/bin/node`), or `[node, script]`. A sudo regular
 * expression covers all the arguments, so with Node the script's path is part of it.
 */
export function sudoRules(user: string, program: readonly string[]): string {
  const [head, script] = program;
  const exact = (args: string) => `${user} ALL=(root) NOPASSWD: ${program.join(' ')} ${args}`;
  const regex = (args: string) =>
    script === undefined
      ? `${user} ALL=(root) NOPASSWD: ${head} ^${args}$`
      : `${user} ALL=(root) NOPASSWD: ${head} ^${script.replace(/\./g, '[.]')} ${args}$`;
  return [
    regex(
      '__apply-fix (rebind-systemd|block-port|tighten-origins|stop-request-logging|docker-localhost|stop-tunnel|rebind-server|share-vpn|share-proxy-rotate) [!-~]+ [0-9a-f]{64}',
    ),
    regex('__apply-fix share-allowlist [!-~]+ [0-9a-f]{64} [0-9a-f.:/,]+'),
    regex('__apply-fix block-client [!-~]+ [0-9a-f]{64} [0-9a-f.:]+'),
    regex(
      '__apply-fix share-proxy [!-~]+ [0-9a-f]{64} (nginx|caddy):(bearer|basic):(inference|all):(internal|vpn-plain|certificate:/[!-9;-~]+:/[!-9;-~]+)',
    ),
    regex('__undo-run [0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}'),
    exact('__firewall-facts'),
    '',
  ].join('\n');
}

/**
 * Copies the privileged program into `<dir>/opt/` (root's, 0755; `dir` itself must be a folder
 * only root controls) and returns its argv as sudo runs it.
 */
export function installPrivileged(dir: string): string[] {
  const opt = path.join(dir, 'opt');
  fs.mkdirSync(opt, { recursive: true, mode: 0o755 });
  fs.chmodSync(opt, 0o755);
  const target = path.join(opt, 'paddock-privileged.cjs');
  fs.copyFileSync(PRIVILEGED_BUNDLE, target);
  fs.chmodSync(target, 0o755);
  return [process.execPath, target];
}

/** Writes `<dir>/sudoers/paddock-lab` (0440) for binding over /etc/sudoers.d in a lab host. */
export function writeSudoers(dir: string, text: string): string {
  const rules = path.join(dir, 'sudoers');
  fs.mkdirSync(rules, { recursive: true, mode: 0o755 });
  fs.chmodSync(rules, 0o755);
  fs.writeFileSync(path.join(rules, 'paddock-lab'), text);
  fs.chmodSync(path.join(rules, 'paddock-lab'), 0o440);
  return rules;
}
