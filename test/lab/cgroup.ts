/**
 * Puts a lab process into a cgroup named the way systemd names a service's, so that
 * /proc/PID/cgroup reads ".../ollama.service" as it does for a real `ollama.service`. The
 * process probe reads that file the real way; real systemd itself is exercised by the fix
 * issue's container lab.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function cgroup2Mount(): string | null {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, mountPoint, type] = line.split(' ');
    if (type === 'cgroup2' && mountPoint) return mountPoint;
  }
  return null;
}

export interface ServiceCgroup {
  /** Moves the process back to the root cgroup and removes the created folders. */
  release(): void;
}

export function placeInServiceCgroup(pid: number, slice: string, unit: string): ServiceCgroup {
  const root = cgroup2Mount();
  if (!root)
    throw new Error('no cgroup2 hierarchy is mounted; cannot place a process in a service cgroup');
  const sliceDir = join(root, slice);
  const unitDir = join(sliceDir, unit);
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(join(unitDir, 'cgroup.procs'), String(pid));
  return {
    release() {
      try {
        writeFileSync(join(root, 'cgroup.procs'), String(pid));
      } catch {
        // the process has exited, which empties the cgroup anyway
      }
      for (const dir of [unitDir, sliceDir]) {
        try {
          rmdirSync(dir);
        } catch {
          // not empty yet (a process still exiting) or already gone
        }
      }
    },
  };
}
