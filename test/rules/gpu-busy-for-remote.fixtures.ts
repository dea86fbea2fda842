/**
 * Good: the GPU is busy and a neighbour is connected, but so is a program on this computer
 * (curl over loopback). Bad: the GPU is 87% busy with llama3.2:3b loaded, a neighbour is
 * connected, and nothing local is.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, nvidiaGpu, peer, socket, wildcardOllama } from './snapshots';

const remote = wildcardOllama(null, {
  peers: [peer('192.168.1.23')],
  loadedModels: ['llama3.2:3b'],
});

export const good: Snapshot = buildSnapshot({
  instances: [remote],
  gpus: [nvidiaGpu(87)],
  sockets: [
    // Both ends of one loopback connection: Ollama's side, and curl's.
    socket({
      localAddress: '127.0.0.1',
      localPort: 11434,
      peerAddress: '127.0.0.1',
      peerPort: 51000,
      processes: [{ pid: 42, name: 'ollama' }],
    }),
    socket({
      localAddress: '127.0.0.1',
      localPort: 51000,
      peerAddress: '127.0.0.1',
      peerPort: 11434,
      processes: [{ pid: 5000, name: 'curl' }],
    }),
  ],
});

export const bad: Snapshot = buildSnapshot({ instances: [remote], gpus: [nvidiaGpu(87)] });
