/**
 * Which program the unprivileged side asks sudo or pkexec to run as root: always
 * `paddock-privileged` (privileged-entry.ts), never the desktop app's binary (Chromium reads
 * switches from the whole command line before any of Paddock's code runs) and never the
 * ordinary CLI. sudo's rules or polkit's action decide whether it may run; the privileged side
 * itself refuses to start from an install another user could change.
 *
 * 1. PADDOCK_PRIVILEGED, when set to an absolute path (an administrator's own install, tests);
 * 2. the copy the .deb installs root-owned (electron-builder.yml, build/linux/);
 * 3. the bundle beside this one (a development checkout: `out/cli/paddock-privileged.cjs`).
 *
 * A `.cjs` is run by this Node (`process.execPath`); the installed program by its own
 * `#!/usr/bin/node` line, which is the path polkit's exec.path annotation names.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the .deb installs it (electron-builder's /opt/${productName}/resources). */
export const INSTALLED_PRIVILEGED = '/opt/Paddock/resources/paddock-privileged';
export const PRIVILEGED_BUNDLE = 'paddock-privileged.cjs';

export function privilegedArgv(
  env: (name: string) => string | undefined = (name) => process.env[name],
  here: string = __dirname,
  exists: (path: string) => boolean = existsSync,
): string[] {
  const asked = env('PADDOCK_PRIVILEGED');
  // Windows' desktop app (issue 17) has no Node to run the admin side with: none is named, and
  // the admin prompt says so (cli/win32-elevate.ts).
  if (process.platform === 'win32' && process.versions.electron) return [];
  const node = process.versions.electron ? '/usr/bin/node' : process.execPath;
  const argvFor = (path: string) => (path.endsWith('.cjs') ? [node, path] : [path]);
  if (asked && asked.startsWith('/')) return argvFor(asked);
  if (exists(INSTALLED_PRIVILEGED)) return [INSTALLED_PRIVILEGED];
  for (const candidate of [
    join(here, PRIVILEGED_BUNDLE),
    join(here, '..', 'cli', PRIVILEGED_BUNDLE),
  ])
    if (exists(candidate)) return argvFor(candidate);
  return argvFor(join(here, PRIVILEGED_BUNDLE));
}
