/** Who is using Ollama: live peers, the access log, and the GPU working for someone else. */
import { describe, expect, it } from 'vitest';
import gpuBusy from '../../electron/engine/rules/gpu-busy-for-remote';
import remoteConnected from '../../electron/engine/rules/remote-clients-connected';
import remoteInLog from '../../electron/engine/rules/remote-clients-in-log';
import {
  LAN4,
  buildSnapshot,
  lanPaths,
  nvidiaGpu,
  peer,
  proxyPath,
  socket,
  wildcardOllama,
} from './snapshots';

describe('gpu-busy-for-remote', () => {
  const remote = peer('192.168.1.23');

  it('the GPU busy with no model loaded is enough', () => {
    const s = buildSnapshot({
      instances: [wildcardOllama(null, { peers: [remote] })],
      gpus: [nvidiaGpu(64)],
    });
    expect(gpuBusy.evaluate(s)[0]?.summary).toMatch(/NVIDIA H200 at 64%/);
  });

  it('an idle GPU with nothing loaded is not', () => {
    const s = buildSnapshot({
      instances: [wildcardOllama(null, { peers: [remote] })],
      gpus: [nvidiaGpu(12)],
    });
    expect(gpuBusy.evaluate(s)).toEqual([]);
  });

  it('a model loaded counts even without nvidia-smi', () => {
    const s = buildSnapshot({
      instances: [wildcardOllama(null, { peers: [remote], loadedModels: ['qwen3:8b'] })],
    });
    expect(gpuBusy.evaluate(s)[0]?.summary).toMatch(/qwen3:8b loaded in memory/);
  });

  it('this computer connecting through its own LAN address is a local client', () => {
    const s = buildSnapshot({
      instances: [
        wildcardOllama(null, {
          peers: [remote, peer(LAN4, { isLocalAddress: true })],
          loadedModels: ['qwen3:8b'],
        }),
      ],
    });
    expect(gpuBusy.evaluate(s)).toEqual([]);
  });

  it('a reverse proxy relaying remote clients over loopback is not a local client', () => {
    const s = buildSnapshot({
      instances: [
        {
          listeners: [
            { address: '127.0.0.1' },
            {
              path: 'proxy',
              address: '0.0.0.0',
              port: 8080,
              owner: { pid: 77, name: 'nginx' },
              via: lanPaths(),
            },
          ],
          proxyPaths: [proxyPath()],
          peers: [peer('192.168.1.23', { ports: [8080], processes: [{ pid: 77, name: 'nginx' }] })],
          loadedModels: ['qwen3:8b'],
        },
      ],
      sockets: [
        socket({
          localAddress: '127.0.0.1',
          localPort: 11434,
          peerAddress: '127.0.0.1',
          peerPort: 52000,
          processes: [{ pid: 42, name: 'ollama' }],
        }),
        socket({
          localAddress: '127.0.0.1',
          localPort: 52000,
          peerAddress: '127.0.0.1',
          peerPort: 11434,
          processes: [{ pid: 77, name: 'nginx' }],
        }),
      ],
    });
    expect(gpuBusy.evaluate(s)).toHaveLength(1);
  });

  it('a loopback client whose owner is hidden counts as local (the cautious reading)', () => {
    const s = buildSnapshot({
      instances: [wildcardOllama(null, { peers: [remote], loadedModels: ['qwen3:8b'] })],
      sockets: [
        socket({
          localAddress: '::ffff:127.0.0.1',
          localPort: 11434,
          peerAddress: '::ffff:127.0.0.1',
          peerPort: 53000,
        }),
      ],
    });
    expect(gpuBusy.evaluate(s)).toEqual([]);
  });
});

describe('remote-clients-connected', () => {
  it('lists every remote peer and leaves this computer’s own addresses out', () => {
    const s = buildSnapshot({
      instances: [
        wildcardOllama(null, {
          peers: [
            peer('192.168.1.23'),
            peer('100.101.102.103'),
            peer(LAN4, { isLocalAddress: true }),
          ],
        }),
      ],
    });
    const [finding] = remoteConnected.evaluate(s);
    expect(finding?.summary).toMatch(/2 other machines are connected/);
    expect(finding?.summary).not.toContain(LAN4);
    expect(finding?.evidence.join(' ')).toMatch(/100\.101\.102\.103 \(cgnat\)/);
  });
});

describe('remote-clients-in-log', () => {
  it('says the addresses can be forged, and how long ago each was seen, from takenAt', () => {
    const s = buildSnapshot({
      instances: [wildcardOllama()],
      accessLogClients: [
        { client: '10.0.0.9', lastSeen: '2026-11-28T11:55:00.000Z' },
        { client: '198.51.100.7', lastSeen: '2026-11-25T12:00:00.000Z' },
      ],
    });
    const [finding] = remoteInLog.evaluate(s);
    expect(finding?.instance).toBeNull();
    expect(finding?.summary).toMatch(/can be forged/);
    expect(finding?.evidence[0]).toMatch(/X-Forwarded-For/);
    expect(finding?.attackerCan[0]).toMatch(/5 minutes before this scan/);
    expect(finding?.attackerCan[1]).toMatch(/3 days before this scan/);
  });

  it('an unreadable log says nothing', () => {
    expect(remoteInLog.evaluate(buildSnapshot({ instances: [wildcardOllama()] }))).toEqual([]);
  });
});
