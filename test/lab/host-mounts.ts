/**
 * Mounts inside a lab host (its own mount namespace): a tmpfs over /etc/paddock, a bind of a
 * private sudoers folder, so that what a test writes as root never lands on this machine. A
 * mount point missing on this machine is made (empty) and removed again afterwards.
 */
import fs from 'node:fs';
import { expect } from 'vitest';
import type { Lab } from './lab';

export interface HostMounts {
  /** An empty tmpfs at `where` (mode 755) inside the lab host. */
  tmpfs(where: string): Promise<void>;
  /** This machine's folder `source` seen at `where` inside the lab host. */
  bind(source: string, where: string): Promise<void>;
  unmount(where: string): Promise<void>;
  /** Unmounts everything still mounted, newest first, and removes the mount points it made. */
  release(): Promise<void>;
}

export function hostMounts(lab: Lab): HostMounts {
  const made: string[] = [];
  const mounted: string[] = [];
  const mountPoint = (where: string) => {
    if (fs.existsSync(where)) return;
    fs.mkdirSync(where, { recursive: true, mode: 0o755 });
    made.push(where);
  };
  const mount = async (argv: string[], where: string) => {
    mountPoint(where);
    const r = await lab.runInHost(['mount', ...argv, where], { timeoutMs: 5000 });
    expect(r.code, `mount ${argv.join(' ')} ${where}: ${r.stderr}`).toBe(0);
    mounted.push(where);
  };
  const unmount = async (where: string) => {
    await lab.runInHost(['umount', where], { timeoutMs: 5000 });
    const at = mounted.lastIndexOf(where);
    if (at >= 0) mounted.splice(at, 1);
  };
  return {
    tmpfs: (where) => mount(['-t', 'tmpfs', '-o', 'mode=755', 'pdk-lab'], where),
    bind: (source, where) => mount(['--bind', source], where),
    unmount,
    release: async () => {
      for (const where of [...mounted].reverse()) await unmount(where);
      for (const where of made.reverse()) fs.rmSync(where, { recursive: true, force: true });
      made.length = 0;
    },
  };
}
