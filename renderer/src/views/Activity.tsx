import { create } from 'zustand';
import type { ScanView } from '../../../shared/api';
import { Badge } from '../components/Badge';
import { GpuChart } from '../components/GpuChart';
import {
  loadedModelPlace,
  formatMiB,
  hostPort,
  instanceModels,
  instancePorts,
  relativeTime,
} from '../format';
import { serverName } from '../fix-impact';

/**
 * Issue 18: Activity shown for one address ("See its requests" in a remote client's alert):
 * the connections and log lines of that address only, until the filter is cleared.
 */
export const useActivityFilter = create<{
  address: string | null;
  setAddress(address: string | null): void;
}>()((set) => ({ address: null, setAddress: (address) => set({ address }) }));

export function Activity({ view }: { view: ScanView }) {
  const { snapshot } = view;
  const filter = useActivityFilter((s) => s.address);
  const clearFilter = useActivityFilter((s) => s.setAddress);
  const only = <T,>(items: T[], address: (item: T) => string): T[] =>
    filter === null ? items : items.filter((item) => address(item) === filter);
  const peers = only(
    snapshot.instances.flatMap((i) =>
      i.peers.map((p) => ({ instance: i.id, name: serverName(i), peer: p })),
    ),
    (x) => x.peer.address,
  );
  const ports = instancePorts(snapshot);
  const established = (snapshot.probes.sockets.data ?? []).filter(
    (s) => s.state === 'established' && ports.has(s.localPort),
  );
  const accessLog = snapshot.probes.accessLog;
  const fullReport = accessLog.data?.accessLog ?? null;
  const report = fullReport
    ? { ...fullReport, clients: only(fullReport.clients, (c) => c.client) }
    : null;
  const forgeable = report?.clients.some((c) => c.forgeable) ?? false;
  const gpus = snapshot.probes.gpu.data?.nvidia ?? [];

  return (
    <div className="stack">
      <h1>Activity</h1>
      {filter !== null && (
        <div className="notice" data-testid="activity-filter" role="status">
          <p>
            Showing only <span className="mono">{filter}</span>: its connections now and its
            requests in the server’s log.{' '}
            <button type="button" className="button small" onClick={() => clearFilter(null)}>
              Show everyone
            </button>
          </p>
        </div>
      )}
      <section className="card" aria-labelledby="now-heading">
        <h2 id="now-heading" className="section-title">
          Connected right now <span className="count">{peers.length}</span>
        </h2>
        {peers.length === 0 ? (
          <p className="muted" data-testid="no-remote-peers">
            No other machine is connected to Ollama right now
            {established.length > 0
              ? ` (${established.length} connection${established.length === 1 ? '' : 's'} from this computer)`
              : ''}
            .
          </p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Scope</th>
                <th scope="col">Connections</th>
                <th scope="col">To</th>
              </tr>
            </thead>
            <tbody>
              {peers.map(({ name, peer }, i) => (
                <tr key={i} data-testid="remote-peer">
                  <td className="mono">
                    {peer.address}
                    {peer.isLocalAddress && <span className="muted small"> (this computer)</span>}
                  </td>
                  <td>
                    {peer.scope ? (
                      <Badge tone={peer.scope === 'public' ? 'bad' : 'warn'}>{peer.scope}</Badge>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{peer.connections}</td>
                  <td className="small">
                    {name}
                    {peer.ports.length > 0 &&
                      !name.endsWith(`port ${peer.ports.join(', ')}`) &&
                      ` (port ${peer.ports.join(', ')})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="card" aria-labelledby="log-heading">
        <h2 id="log-heading" className="section-title">
          Clients in Ollama’s log <span className="count">{report?.clients.length ?? 0}</span>
        </h2>
        {!report ? (
          <p className="muted small">
            {accessLog.status === 'denied'
              ? `Paddock may not read Ollama’s log without admin rights. ${accessLog.message ?? ''}`
              : (accessLog.message ?? 'No Ollama log was read.')}
          </p>
        ) : (
          <>
            <p className="muted small">
              {report.requests} requests in{' '}
              {report.source.kind === 'journald' ? 'the journal of ' : ''}
              <span className="mono">{report.source.ref}</span>
              {report.firstSeen &&
                `, ${relativeTime(report.firstSeen)} to ${relativeTime(report.lastSeen)}`}
              {report.truncated && ' (older lines not read)'}
            </p>
            {forgeable && (
              <p className="notice notice-warn small" data-testid="forgeable-warning">
                Addresses in this log can be forged: Ollama records the address a caller claims in
                X-Forwarded-For or X-Real-IP, so anyone can put any address here.
              </p>
            )}
            {report.clients.length > 0 && (
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Client (as logged)</th>
                    <th scope="col">Requests</th>
                    <th scope="col">Endpoints</th>
                    <th scope="col">Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {report.clients.map((c, i) => (
                    <tr key={i} data-testid="log-client">
                      <td className="mono">
                        {c.client}{' '}
                        {c.scope && (
                          <Badge
                            tone={
                              c.scope === 'loopback' ? 'ok' : c.scope === 'public' ? 'bad' : 'warn'
                            }
                          >
                            {c.scope}
                          </Badge>
                        )}
                      </td>
                      <td>
                        {c.requests}
                        {c.failed > 0 && <span className="muted small"> ({c.failed} failed)</span>}
                      </td>
                      <td className="small">
                        {c.endpoints.slice(0, 4).map((e, ei) => (
                          <span key={ei} className="mono endpoint">
                            {e.path} ×{e.count}
                          </span>
                        ))}
                      </td>
                      <td className="small">{relativeTime(c.lastSeen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {report.clientsDropped > 0 && (
              <p className="muted small">…and {report.clientsDropped} more clients not listed.</p>
            )}
          </>
        )}
      </section>

      <section className="card" aria-labelledby="gpu-heading">
        <h2 id="gpu-heading" className="section-title">
          GPU
        </h2>
        {gpus.length > 0 && (
          <ul className="plain gpu-list">
            {gpus.map((g, i) => (
              <li key={g.uuid ?? i} className="small">
                <strong>{g.name}</strong> · {g.utilizationPercent ?? '—'}% busy ·{' '}
                {formatMiB(g.memoryUsedMiB)} of {formatMiB(g.memoryTotalMiB)}
                {g.temperatureC !== null && ` · ${g.temperatureC} °C`}
              </li>
            ))}
          </ul>
        )}
        <GpuChart samples={view.gpuHistory} />
      </section>

      <section className="card" aria-labelledby="loaded-heading">
        <h2 id="loaded-heading" className="section-title">
          Loaded models
        </h2>
        {snapshot.instances.length === 0 && <p className="muted">No Ollama server is running.</p>}
        {snapshot.instances.map((instance) => {
          const { loaded } = instanceModels(instance);
          const places = new Map<string, string>();
          for (const fp of instance.fingerprints)
            for (const m of fp.loadedModels ?? [])
              places.set(m.name, loadedModelPlace(m.size, m.sizeVram));
          const at = instance.listeners[0];
          return (
            <div key={instance.id} className="sub-card">
              <p className="small">
                {serverName(instance)}
                {at && <span className="muted"> · {hostPort(at.address, at.port)}</span>}
              </p>
              {loaded.length === 0 ? (
                <p className="muted small">No model loaded.</p>
              ) : (
                <ul className="chips">
                  {loaded.map((name) => (
                    <li key={name} className="chip chip-loaded">
                      <span data-testid="model-name">{name}</span>{' '}
                      <span className="chip-note">{places.get(name) ?? '—'}</span>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          );
        })}
      </section>
    </div>
  );
}
