/**
 * The sockets probe against this machine's real kernel: a listener opened here on
 * 127.0.0.1 must come back with this process as its owner, through ss and through the
 * /proc fallback alike. Loopback only.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHost } from '../../../electron/engine/host';
import type { Host } from '../../../electron/engine/host/types';
import { probeSockets } from '../../../electron/engine/probes/linux/sockets';
import { labRequired } from '../../support/prerequisites';

const onLinux = process.platform === 'linux';
const ssInstalled = onLinux && spawnSync('ss', ['-V']).error === undefined;

describe.skipIf(!onLinux)('probeSockets on this machine', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const expectOurListener = async (host: Host) => {
    const result = await probeSockets(host);
    expect(result.status).toBe('ok');
    const listener = result.data.find((s) => s.state === 'listen' && s.localPort === port);
    expect(listener).toMatchObject({
      family: 4,
      localAddress: '127.0.0.1',
      dualStack: false,
      ownerVisibility: 'visible',
    });
    expect(listener?.processes.map((p) => p.pid)).toContain(process.pid);
    expect(listener?.uid).toBe(process.geteuid?.());
    return result;
  };

  it('finds our 127.0.0.1 listener, owned by this process, with ss', async (context) => {
    if (!ssInstalled) {
      const reason =
        'ss (iproute2) is not installed on this machine; the ss path cannot be tested for real';
      if (labRequired()) throw new Error(`${reason} (PADDOCK_REQUIRE_LAB=1)`);
      context.skip(reason);
    }
    const result = await expectOurListener(createNodeHost());
    expect(result.evidence[0]).toMatchObject({ kind: 'exec', outcome: 'exit 0' });
  });

  it('finds the same listener through /proc/net/tcp when ss is missing', async () => {
    const real = createNodeHost();
    const withoutSs: Host = {
      ...real,
      exec: async (argv) => ({
        argv: [...argv],
        code: null,
        signal: null,
        stdout: '',
        stderr: '',
        truncated: false,
        timedOut: false,
        spawnError: 'ENOENT',
        durationMs: 0,
      }),
    };
    const result = await expectOurListener(withoutSs);
    expect(result.evidence.map((e) => e.ref)).toContain('/proc/net/tcp');
  });
});
