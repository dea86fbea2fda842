/**
 * What root trusts (host/trust.ts) and how it runs programs (host/exec.ts as root), on this
 * machine's real file system: folders and files made here, owned by root or by nobody. These
 * need root (chown, and exec's root path); the security review's F2 and F3 in miniature.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execArgv } from '../../../electron/engine/host/exec';
import {
  installProblem,
  resolveRootProgram,
  trustedFileProblem,
  untrustedChainProblem,
} from '../../../electron/engine/host/trust';
import { describeWhen } from '../../support/prerequisites';

const NOBODY = 65534;
const asRoot = () =>
  process.geteuid?.() === 0 ? { ok: true as const } : { ok: false as const, reason: 'not root' };

describeWhen('root', asRoot, 'root’s trust in paths and programs', () => {
  let dir: string;
  let user: string;
  const script = (where: string, body: string) => {
    fs.writeFileSync(where, `#!/bin/sh\n${body}\n`);
    fs.chmodSync(where, 0o755);
    return where;
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-trust-'));
    fs.chmodSync(dir, 0o755);
    user = path.join(dir, 'user');
    fs.mkdirSync(user);
    fs.chownSync(user, NOBODY, NOBODY);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a root-owned folder chain, through sticky /tmp, is root-controlled', () => {
    expect(untrustedChainProblem(path.join(dir, 'x'))).toBeNull();
    expect(untrustedChainProblem('/usr/bin/ls')).toBeNull();
  });

  it('a folder another user owns, or may write, is not', () => {
    expect(untrustedChainProblem(path.join(user, 'x'))).toMatch(/owned by uid 65534/);
    const open = path.join(dir, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    expect(untrustedChainProblem(path.join(open, 'x'))).toMatch(
      /can be written by users other than root/,
    );
    // Sticky and world-writable: fine for root's own entry, not for a user's or a missing one.
    const sticky = path.join(dir, 'sticky');
    fs.mkdirSync(sticky);
    fs.chmodSync(sticky, 0o1777);
    fs.mkdirSync(path.join(sticky, 'root'));
    fs.mkdirSync(path.join(sticky, 'theirs'));
    fs.chownSync(path.join(sticky, 'theirs'), NOBODY, NOBODY);
    expect(untrustedChainProblem(path.join(sticky, 'root', 'x'))).toBeNull();
    expect(untrustedChainProblem(path.join(sticky, 'theirs', 'x'))).toMatch(/owned by uid 65534/);
    expect(untrustedChainProblem(path.join(sticky, 'missing'))).toMatch(/can be written/);
  });

  it('a link is followed only when root made it and it leads somewhere root controls', () => {
    const theirLink = path.join(dir, 'their-link');
    fs.symlinkSync('/usr/bin', theirLink);
    fs.lchownSync(theirLink, NOBODY, NOBODY);
    expect(untrustedChainProblem(path.join(theirLink, 'ls'))).toMatch(
      /symbolic link owned by uid 65534/,
    );
    const rootLinkToUser = path.join(dir, 'to-user');
    fs.symlinkSync(user, rootLinkToUser);
    expect(untrustedChainProblem(path.join(rootLinkToUser, 'x'))).toMatch(
      /leads to .*owned by uid 65534/,
    );
    const loop = path.join(dir, 'loop');
    fs.symlinkSync(loop, loop);
    expect(untrustedChainProblem(path.join(loop, 'x'))).toMatch(/leads nowhere/);
  });

  it('a program is trusted only as root’s, writable by no one else, and not deleted', () => {
    const mine = script(path.join(dir, 'mine'), 'true');
    expect(trustedFileProblem(mine)).toBeNull();
    fs.chmodSync(mine, 0o775);
    expect(trustedFileProblem(mine)).toMatch(/mode 775/);
    fs.chmodSync(mine, 0o4755);
    expect(trustedFileProblem(mine)).toMatch(/set-id/);
    const theirs = script(path.join(dir, 'theirs'), 'true');
    fs.chownSync(theirs, NOBODY, NOBODY);
    expect(trustedFileProblem(theirs)).toMatch(/owned by uid 65534/);
    expect(trustedFileProblem(`${path.join(dir, 'mine')} (deleted)`)).toMatch(/deleted/);
    expect(installProblem([process.execPath])).toBeNull();
  });

  it('F2: a bare name is found in the system folders only, whatever PATH says', async () => {
    expect(resolveRootProgram('ls')).toMatchObject({ ok: true, path: '/usr/bin/ls' });
    expect(resolveRootProgram('no-such-tool-pdk')).toMatchObject({ ok: false, code: 'ENOENT' });
    const evil = path.join(user, 'bin');
    fs.mkdirSync(evil);
    const marker = path.join(dir, 'PWNED-path');
    script(path.join(evil, 'ls'), `id > ${marker}`);
    fs.chownSync(evil, NOBODY, NOBODY);
    const saved = process.env.PATH;
    process.env.PATH = `${evil}:${saved}`;
    try {
      const ran = await execArgv(['ls', '/']);
      expect(ran.code).toBe(0);
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('F3: a program outside the system folders runs only when root-controlled, from the file checked, with root’s own environment', async () => {
    const marker = path.join(dir, 'PWNED-theirs');
    const theirs = script(path.join(user, 'ollama'), `id > ${marker}`);
    fs.chownSync(theirs, NOBODY, NOBODY);
    const refused = await execArgv([theirs, '--version']);
    expect(refused.spawnError).toBe('EUNTRUSTED');
    expect(refused.stderr).toMatch(/not run as root: .*owned by uid 65534/);
    expect(fs.existsSync(marker)).toBe(false);

    const ours = script(path.join(dir, 'ollama'), 'echo "ollama version is 0.12.3"; env');
    process.env.PDK_CALLER_SECRET = 'from-the-caller';
    try {
      const ran = await execArgv([ours, '--version']);
      expect(ran.code).toBe(0);
      expect(ran.stdout).toContain('ollama version is 0.12.3');
      expect(ran.stdout).toContain('PATH=/usr/sbin:/usr/bin:/sbin:/bin');
      expect(ran.stdout).not.toContain('PDK_CALLER_SECRET');
    } finally {
      delete process.env.PDK_CALLER_SECRET;
    }
  });
});
