/** What a benchmark ran on, recorded beside its figures. */
import fs from 'node:fs';
import os from 'node:os';

export function machine() {
  const cpus = os.cpus();
  let distro: string | null = null;
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))![1]!;
  } catch {
    // unknown
  }
  return {
    os: distro,
    kernel: os.release(),
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}
