/**
 * R1 (known since issue 14) and its gap: Paddock's nftables fixes share their boot plumbing, the
 * include file /etc/paddock/nftables.conf and paddock-nftables.service (enabled). Undoing one
 * fix must leave it while another rule of Paddock's relies on it, to be loaded after a reboot;
 * the undo that removes the last rule must remove it too, so that nothing is left to remove by
 * hand.
 *
 * In a container booted with systemd (test/lab/systemd.ts), with Ollama on 11434 and a
 * llama.cpp server on 8080, both on every interface: block-port on 11434 (A), block-port on
 * 8080 (B), each through the privileged side as a user runs them (`__apply-fix`, root's own
 * scan and plan, the allowlist), then `__undo-run` of A. The include file and the unit stay and
 * the unit stays enabled; "a reboot" (Paddock's tables gone, then the unit's ExecStart as
 * systemd loaded it, run as root: systemd itself cannot run nft in this container, see
 * block-port.test.ts) loads B's rule again while A stays open. Undoing B, the last rule, then
 * disables the unit and removes both files and Paddock's empty folders: the container is as
 * before the first fix, with no command run by hand.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  NFT_MAIN_CONTENT,
  NFT_UNIT_CONTENT,
  PADDOCK_NFT_MAIN,
  PADDOCK_NFT_UNIT,
  PADDOCK_NFT_UNIT_NAME,
  nftPortFile,
} from '../../electron/engine/fixes/recipes/block-port';
import type { SystemdLab } from './systemd';
import {
  LLAMA_SERVICE,
  REPO_IN_CONTAINER,
  STANDIN_PORT,
  applyAsRoot,
  createSystemdLab,
  describeSystemdLab,
  undoAsRoot,
} from './systemd';

const A = STANDIN_PORT;
const B = 8080;
const OLLAMA = 'ollama:service:ollama.service';
const LLAMA = 'llamacpp:port:8080';

describeSystemdLab(
  'block-port: undoing the first nftables fix keeps the later ones at boot',
  () => {
    let sd: SystemdLab;

    beforeAll(async () => {
      sd = await createSystemdLab({ services: [LLAMA_SERVICE] });
      // The container's Debian root has no nftables package: this machine's nft and the
      // libraries it links are copied in (same Debian release), as block-port.test.ts does.
      const ldd = spawnSync('ldd', ['/usr/sbin/nft'], { encoding: 'utf8' });
      const libs = [...ldd.stdout.matchAll(/=> (\/\S+)/g)].map((m) => m[1]!);
      for (const file of ['/usr/sbin/nft', ...libs]) {
        const target = sd.hostPath(file);
        if (fs.existsSync(target)) continue;
        fs.copyFileSync(file, target);
        fs.chmodSync(target, fs.statSync(file).mode & 0o7777);
      }
    }, 240_000);

    afterAll(async () => {
      await sd?.close();
    }, 30_000);

    const inContainer = (argv: string[]) => sd.runInContainer(argv, { timeoutMs: 20_000 });
    const read = (p: string): string | null => {
      try {
        return fs.readFileSync(sd.hostPath(p), 'utf8');
      } catch {
        return null;
      }
    };
    const enabled = async () =>
      (await inContainer(['systemctl', 'is-enabled', PADDOCK_NFT_UNIT_NAME])).stdout.trim();
    /**
     * What the LAN neighbour gets on each port (a dropped SYN is a timeout); the llama.cpp
     * stand-in listens on 0.0.0.0 only, so B is reached over IPv4.
     */
    const reach = async () => {
      const [a4, a6, b4] = await Promise.all([
        sd.connectFromLan(A, 4),
        sd.connectFromLan(A, 6),
        sd.connectFromLan(B, 4),
      ]);
      return `A ${a4}/${a6}, B ${b4}`;
    };
    const tables = async () =>
      (await sd.exec(['nft', 'list', 'tables'])).stdout
        .split('\n')
        .filter((l) => l.includes('paddock'))
        .sort();
    /** The unit's ExecStart as systemd loaded it. */
    const execStart = async () => {
      const shown = await inContainer([
        'systemctl',
        'show',
        '--property=ExecStart',
        '--value',
        PADDOCK_NFT_UNIT_NAME,
      ]);
      return /argv\[\]=([^;]*);/.exec(shown.stdout)?.[1]?.trim().split(' ') ?? [];
    };
    /** A reboot, as far as Paddock's rules go: its tables gone, then the unit's command. */
    const reboot = async () => {
      for (const line of await tables()) {
        const name = /^table inet (paddock_\S+)$/.exec(line)?.[1];
        if (name) await sd.exec(['nft', 'delete', 'table', 'inet', name]);
      }
      expect(await tables()).toEqual([]);
      const argv = await execStart();
      expect(argv).toEqual(['/usr/sbin/nft', '-f', PADDOCK_NFT_MAIN]);
      return sd.exec(argv);
    };
    /** systemd's unit folder (enablement included), and whether /etc/paddock exists. */
    const state = async () => {
      const units = (await inContainer(['find', '/etc/systemd/system', '-printf', '%p %y %l\\n']))
        .stdout;
      return `${units.split('\n').sort().join('\n')}\n---\n${fs.existsSync(sd.hostPath('/etc/paddock'))}`;
    };

    it('undo of A leaves the include file and the enabled unit; after a reboot B is still closed and A open; undo of B, the last, removes them', async () => {
      const OPEN = 'A open/open, B open';
      expect(await reach()).toBe(OPEN);
      const before = await state();

      const a = await applyAsRoot(sd, 'block-port', OLLAMA);
      expect(a.state, a.outcome).toBe('applied');
      expect(read(PADDOCK_NFT_MAIN)).toBe(NFT_MAIN_CONTENT);
      expect(read(PADDOCK_NFT_UNIT)).toBe(NFT_UNIT_CONTENT);
      expect(await enabled()).toBe('enabled');

      // B finds the plumbing in place: its plan writes its own rule only, and says nothing of it.
      const preview = await inContainer([
        '/usr/bin/node',
        `${REPO_IN_CONTAINER}/bin/paddock.cjs`,
        'fix',
        'block-port',
        '--instance',
        LLAMA,
        '--dry-run',
      ]);
      expect(preview.stdout).toContain(`create ${nftPortFile(B)}`);
      expect(preview.stdout).not.toContain(`create ${PADDOCK_NFT_MAIN}`);
      const b = await applyAsRoot(sd, 'block-port', LLAMA);
      expect(b.state, b.outcome).toBe('applied');
      expect(await reach()).toBe('A timeout/timeout, B timeout');

      // Undo A, through root's re-check of the recorded run.
      expect(await undoAsRoot(sd, a.id)).toBe('undone');
      expect(read(nftPortFile(A))).toBeNull();
      expect(read(nftPortFile(B))).not.toBeNull();
      expect(read(PADDOCK_NFT_MAIN)).toBe(NFT_MAIN_CONTENT);
      expect(read(PADDOCK_NFT_UNIT)).toBe(NFT_UNIT_CONTENT);
      expect(await enabled()).toBe('enabled');
      expect(await reach()).toBe('A open/open, B timeout');

      // The reboot loads B's rule, and only B's.
      const booted = await reboot();
      expect([booted.code, booted.stderr]).toEqual([0, '']);
      expect(await tables()).toEqual([`table inet paddock_${B}`]);
      expect(await reach()).toBe('A open/open, B timeout');

      // Undo B, the last rule: it takes the plumbing too, though A's run wrote it.
      expect(await undoAsRoot(sd, b.id)).toBe('undone');
      expect(read(nftPortFile(B))).toBeNull();
      expect(read(PADDOCK_NFT_MAIN)).toBeNull();
      expect(read(PADDOCK_NFT_UNIT)).toBeNull();
      expect(await enabled()).not.toBe('enabled');
      expect(await tables()).toEqual([]);
      expect(await reach()).toBe(OPEN);
      // No command by hand: the container is as it was before the first fix.
      expect(await state()).toBe(before);
    }, 180_000);
  },
);
