/**
 * Issue 18: a remote client connected now is an alert, as Little Snitch says it: who (the
 * address, and what Paddock knows of it: where on the network it is, its connections, its
 * requests in the server's log), where (which server and port), and what to do: "See its
 * requests" (Activity, filtered to that address) or "Cut it off now" (the block-client fix:
 * preview, admin prompt, verification, undo, like every fix).
 */
import type { LogClient, RemotePeer } from '../../../shared/traffic';
import type { Instance, Snapshot } from '../../../shared/snapshot';
import { serverName } from '../fix-impact';
import { useStore } from '../store';
import { useActivityFilter } from '../views/Activity';
import './RemoteClientAlert.css';

export interface RemoteClient {
  instance: Instance;
  peer: RemotePeer;
  /** Its lines in the server's access log, if any (an address a caller can forge). */
  logged: LogClient | null;
}

/** Other machines connected to a server right now (not this computer, not loopback). */
export function remoteClients(snapshot: Snapshot): RemoteClient[] {
  const clients = snapshot.probes.accessLog?.data?.accessLog.clients ?? [];
  return snapshot.instances.flatMap((instance) =>
    instance.peers
      .filter((p) => !p.isLocalAddress && p.scope !== 'loopback')
      .map((peer) => ({
        instance,
        peer,
        logged:
          instance.kind === 'ollama'
            ? (clients.find((c) => c.client === peer.address) ?? null)
            : null,
      })),
  );
}

const WHERE: Record<string, string> = {
  public: 'a machine on the internet',
  private: 'a machine on your local network',
  cgnat: 'a machine on a VPN or your provider’s network',
  'link-local': 'a machine on the same network link',
};

function whoWords(client: RemoteClient): string {
  const { peer, logged } = client;
  const where = WHERE[peer.scope ?? ''] ?? 'another machine';
  const conns = peer.connections === 1 ? '1 connection' : `${peer.connections} connections`;
  const requests = logged
    ? `; the server’s log has ${logged.requests} request${logged.requests === 1 ? '' : 's'} from this address${
        logged.endpoints[0] ? `, most to ${logged.endpoints[0].path}` : ''
      }`
    : '';
  return `${where}, with ${conns} open now${requests}.`;
}

function AlertCard({ client }: { client: RemoteClient }) {
  const navigate = useStore((s) => s.navigate);
  const setFilter = useActivityFilter((s) => s.setAddress);
  const { instance, peer } = client;
  const severe = peer.scope === 'public';
  const server = serverName(instance);
  const ports = peer.ports.length > 0 ? peer.ports : [];
  const seeRequests = () => {
    setFilter(peer.address);
    navigate('activity');
  };
  const cutOff = () => useStore.getState().cutOffClient(instance.id, peer.address);
  const headingId = `remote-${instance.id}-${peer.address}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return (
    <section
      className={`remote-alert${severe ? ' remote-alert-severe' : ''}`}
      role="alert"
      aria-labelledby={headingId}
      data-testid="remote-client-alert"
      data-address={peer.address}
    >
      <div className="remote-alert-icon" aria-hidden="true">
        !
      </div>
      <div className="remote-alert-body">
        <h2 id={headingId} className="remote-alert-title">
          <span className="mono">{peer.address}</span> is using {server}
        </h2>
        <p className="remote-alert-who">
          <strong>Who:</strong> {whoWords(client)}
        </p>
        <p className="remote-alert-where">
          <strong>Where:</strong> {server}
          {ports.length > 0 && ports.join(', ') !== String(server.match(/port (\d+)/)?.[1] ?? '')
            ? ` (port ${ports.join(', ')})`
            : ''}
          . Anyone who reaches it can run prompts on your GPU and read, pull or delete your models.
        </p>
        {client.logged && (
          <p className="remote-alert-note small">
            The log’s address is what the caller claimed; the connection’s address above is the one
            the network saw.
          </p>
        )}
        <div className="remote-alert-actions">
          <button type="button" className="button small" onClick={seeRequests}>
            See its requests
          </button>
          <button
            type="button"
            className="button small primary"
            onClick={cutOff}
            data-testid="cut-off-client"
          >
            Cut it off now
          </button>
          <span className="remote-alert-admin small">
            Needs your admin password; you can undo it.
          </span>
        </div>
      </div>
    </section>
  );
}

/** The alerts for every other machine connected now; nothing when none is. */
export function RemoteClientAlert() {
  const snapshot = useStore((s) => s.scanView?.snapshot ?? null);
  if (!snapshot) return null;
  const clients = remoteClients(snapshot);
  if (clients.length === 0) return null;
  return (
    <div className="remote-alerts" data-testid="remote-client-alerts">
      {clients.slice(0, 4).map((client) => (
        <AlertCard key={`${client.instance.id}|${client.peer.address}`} client={client} />
      ))}
      {clients.length > 4 && (
        <p className="muted small">
          …and {clients.length - 4} more machines connected now (Activity lists them).
        </p>
      )}
    </div>
  );
}
