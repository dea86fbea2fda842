/**
 * The GPU is busy (nvidia-smi ≥ 50 %, or Ollama holds a model in memory) while other
 * machines are connected to Ollama and no program on this computer is: someone else is most
 * likely using it. Local clients come from the sockets probe (instance.peers leaves loopback
 * out): an established connection to one of the instance's ports from a loopback or local
 * address, unless its client end belongs to a reverse proxy in front of Ollama (that one
 * relays the remote peers).
 */
import type { Instance, Snapshot } from '../../../shared/snapshot';
import { isLoopback, normalizeAddress } from '../net/address';
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import {
  computeWords,
  instanceLabel,
  listed,
  loadedModelNames,
  plain,
  plural,
} from './support/words';

const BUSY_PERCENT = 50;

/** Programs on this computer connected to the instance right now ("pid 123 curl"). */
function localClients(snapshot: Snapshot, instance: Instance): string[] {
  const sockets = snapshot.probes.sockets.data ?? [];
  const ports = new Set(instance.listeners.filter((l) => l.path === 'direct').map((l) => l.port));
  const own = new Set(
    (snapshot.probes.interfaces.data ?? []).flatMap((i) =>
      i.addresses.map((a) => normalizeAddress(a.address)),
    ),
  );
  const proxyPids = new Set(instance.proxyPaths.flatMap((p) => (p.owner ? [p.owner.pid] : [])));
  const clients: string[] = [];
  for (const socket of sockets) {
    if (socket.state !== 'established' || !ports.has(socket.localPort)) continue;
    const peer = normalizeAddress(socket.peerAddress);
    if (!isLoopback(peer) && !own.has(peer)) continue;
    // The client's own end of the same connection, when visible: who is asking.
    const clientEnd = sockets.find(
      (s) =>
        s.state === 'established' &&
        s.localPort === socket.peerPort &&
        s.peerPort === socket.localPort &&
        normalizeAddress(s.localAddress) === peer,
    );
    if (clientEnd?.processes.some((p) => proxyPids.has(p.pid))) continue;
    const who = clientEnd?.processes[0];
    clients.push(
      who ? `${plain(who.name, 40)} (pid ${who.pid})` : `${plain(peer, 60)}:${socket.peerPort}`,
    );
  }
  for (const peer of instance.peers)
    if (peer.isLocalAddress) clients.push(`${plain(peer.address, 60)} (this computer)`);
  return clients;
}

export default defineRule(
  {
    id: 'gpu-busy-for-remote',
    title: 'Your GPU is working for another machine',
    severity: 'high',
    category: 'activity',
    why: 'When the GPU is busy or a model sits in memory while only other machines are connected, someone else is running prompts on your hardware: long generations that make your own requests wait, use your power and wear, and may be prompts you would not want run on your machine.',
    references: ['https://docs.ollama.com/faq', 'https://www.tenable.com/plugins/nessus/302134'],
    fixes: ['rebind-systemd', 'block-port'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      const remote = instance.peers.filter((p) => !p.isLocalAddress);
      if (remote.length === 0) return [];
      if (localClients(snapshot, instance).length > 0) return [];
      const gpus = (snapshot.probes.gpu.data?.nvidia ?? []).filter(
        (g) => g.utilizationPercent !== null && g.utilizationPercent >= BUSY_PERCENT,
      );
      const loaded = loadedModelNames(instance);
      const loadedCount = Math.max(loaded.length, instance.vram?.loadedModels ?? 0);
      if (gpus.length === 0 && loadedCount === 0) return [];
      const busy = [
        ...gpus.map((g) => `${plain(g.name, 60)} at ${g.utilizationPercent}%`),
        ...(loadedCount > 0
          ? [
              loaded.length > 0
                ? `${listed(loaded)} loaded in memory`
                : `${plural(loadedCount, 'model')} loaded in memory`,
            ]
          : []),
      ];
      const who = remote.map((p) => plain(p.address, 60));
      return [
        {
          instance: instance.id,
          summary: `While ${listed(who, 3)} ${remote.length === 1 ? 'is' : 'are'} connected to ${instanceLabel(instance)} and no program on this computer is, it is busy: ${listed(busy)}.`,
          attackerCan: [
            `Keep ${computeWords(snapshot)} busy with their own generations, so your requests wait behind theirs, for as long as they stay connected.`,
          ],
          evidence: [
            ...remote.map(
              (p) =>
                `${plain(p.address, 60)} (${p.scope ?? 'unreadable address'}): ${plural(p.connections, 'connection')} to port ${p.ports.join(', ')}.`,
            ),
            'No established connection to its ports comes from this computer (loopback or its own addresses), other than a reverse proxy relaying remote clients.',
            ...gpus.map(
              (g) =>
                `nvidia-smi: ${plain(g.name, 60)} ${g.utilizationPercent}% busy${g.memoryUsedMiB !== null ? `, ${g.memoryUsedMiB} MiB in use` : ''}.`,
            ),
            ...(instance.vram && instance.vram.loadedModels > 0
              ? [
                  `/api/ps: ${plural(instance.vram.loadedModels, 'model')} loaded${instance.vram.vramBytes ? `, ${Math.round(instance.vram.vramBytes / 2 ** 20)} MiB of VRAM` : ''}.`,
                ]
              : []),
          ],
        },
      ];
    }),
);
