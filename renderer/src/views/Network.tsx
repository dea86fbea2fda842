import type { ScanView } from '../../../shared/api';
import type { FirewallEvaluation } from '../../../shared/firewall';
import type { ProbeResult } from '../../../shared/snapshot';
import { Badge } from '../components/Badge';
import { EXPOSURE_TONE, VERDICT_SENTENCE, hostPort, instancePorts, wayIn } from '../format';
import type { Tone } from '../format';

const SCOPE_TONE: Record<string, Tone> = {
  loopback: 'ok',
  'link-local': 'warn',
  private: 'warn',
  cgnat: 'warn',
  reserved: 'warn',
  public: 'bad',
  unspecified: 'neutral',
  multicast: 'neutral',
};

/** A probe that gave nothing: why, in its words. */
function ProbeStatusNote({ result, what }: { result: ProbeResult<unknown>; what: string }) {
  if (result.status === 'ok')
    return result.message ? <p className="muted small">{result.message}</p> : null;
  const lead =
    result.status === 'denied'
      ? `Paddock may not read ${what} without admin rights.`
      : result.status === 'unavailable'
        ? `No ${what} here.`
        : `Reading ${what} failed.`;
  return (
    <p className={`muted small probe-${result.status}`}>
      {lead} {result.message}
    </p>
  );
}

function FirewallDecision({ evaluation }: { evaluation: FirewallEvaluation | null }) {
  if (!evaluation) return <span className="muted">not judged (counts as open)</span>;
  const tone: Tone =
    evaluation.decision === 'blocked' ? 'ok' : evaluation.decision === 'allowed' ? 'bad' : 'warn';
  return (
    <div>
      <Badge tone={tone}>{evaluation.decision}</Badge>
      {evaluation.decidedBy.length > 0 && (
        <ul className="decided-by">
          {evaluation.decidedBy.map((step, i) => (
            <li key={i} className="small">
              <span className="muted">{step.layer}</span>
              {step.where && <span className="muted"> · {step.where}</span>}:{' '}
              <code className="mono">{step.rule}</code>
            </li>
          ))}
        </ul>
      )}
      {evaluation.notes.map((note, i) => (
        <p key={i} className="muted small">
          {note}
        </p>
      ))}
    </div>
  );
}

export function Network({ view }: { view: ScanView }) {
  const { snapshot } = view;
  const { probes } = snapshot;
  const ports = instancePorts(snapshot);
  const listening = (probes.sockets.data ?? []).filter((s) => s.state === 'listen');
  const sorted = [...listening].sort(
    (a, b) =>
      Number(ports.has(b.localPort)) - Number(ports.has(a.localPort)) || a.localPort - b.localPort,
  );
  const firewall = probes.firewall.data;
  const backends = firewall
    ? [
        { name: 'nftables', status: firewall.nftables.status, message: firewall.nftables.message },
        ...firewall.iptables.map((t) => ({
          name: `iptables-${t.variant} (IPv${t.family})`,
          status: t.status,
          message: t.message,
        })),
        {
          name: 'ufw',
          status: firewall.ufw.status,
          message:
            firewall.ufw.message ??
            (firewall.ufw.model?.active === true
              ? 'active'
              : firewall.ufw.model?.active === false
                ? 'inactive'
                : undefined),
        },
        {
          name: 'firewalld',
          status: firewall.firewalld.status,
          message:
            firewall.firewalld.message ??
            (firewall.firewalld.model?.running
              ? `running, default zone ${firewall.firewalld.model.defaultZone ?? '—'}`
              : undefined),
        },
      ]
    : [];
  const proxies = probes.proxies.data ?? [];
  const docker = probes.docker.data;

  return (
    <div className="stack">
      <h1>Network</h1>
      <section className="card" aria-labelledby="listeners-heading">
        <h2 id="listeners-heading" className="section-title">
          Listening sockets <span className="count">{listening.length}</span>
        </h2>
        <ProbeStatusNote result={probes.sockets} what="the open sockets" />
        {sorted.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Program</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((s, i) => {
                const ours = ports.has(s.localPort);
                return (
                  <tr
                    key={i}
                    className={ours ? 'highlight' : undefined}
                    data-instance-port={ours ? 'true' : undefined}
                  >
                    <td className="mono">
                      {hostPort(s.localAddress, s.localPort)}
                      {s.boundInterface ? `%${s.boundInterface}` : ''}
                    </td>
                    <td>
                      {s.processes.length > 0
                        ? s.processes.map((p) => `${p.name} (${p.pid})`).join(', ')
                        : s.ownerVisibility === 'denied'
                          ? 'another user’s (hidden)'
                          : '—'}
                    </td>
                    <td className="small muted">
                      {ours && <Badge tone="neutral">Ollama port</Badge>}{' '}
                      {s.dualStack ? 'IPv4+IPv6' : `IPv${s.family}`}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <section className="card" aria-labelledby="interfaces-heading">
        <h2 id="interfaces-heading" className="section-title">
          Interfaces
        </h2>
        <ProbeStatusNote result={probes.interfaces} what="the network interfaces" />
        <ul className="iface-list">
          {(probes.interfaces.data ?? []).map((iface) => (
            <li key={iface.name}>
              <span className="mono iface-name">{iface.name}</span>
              <ul className="chips">
                {iface.addresses.map((a) => (
                  <li key={a.address} className="chip">
                    <span className="mono">
                      {a.address}
                      {a.prefixLength !== null ? `/${a.prefixLength}` : ''}
                    </span>{' '}
                    <Badge tone={SCOPE_TONE[a.scope] ?? 'neutral'}>{a.scope}</Badge>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </section>

      <section className="card" aria-labelledby="firewall-heading">
        <h2 id="firewall-heading" className="section-title">
          Firewall, per path to Ollama
        </h2>
        <ProbeStatusNote result={probes.firewall} what="the firewall" />
        {backends.length > 0 && (
          <ul className="chips">
            {backends.map((b) => (
              <li key={b.name} className="chip" title={b.message}>
                {b.name}:{' '}
                <Badge tone={b.status === 'ok' ? 'ok' : b.status === 'denied' ? 'warn' : 'neutral'}>
                  {b.status}
                </Badge>
                {b.message && <span className="muted small"> {b.message}</span>}
              </li>
            ))}
          </ul>
        )}
        {snapshot.instances.map((instance) => (
          <div key={instance.id} className="path-group">
            <h3 className="mono small">{instance.id}</h3>
            {instance.listeners.map((listener, li) => (
              <div key={li} className="path-listener">
                <p>
                  <span className="mono">{hostPort(listener.address, listener.port)}</span>{' '}
                  <span className="muted small">({listener.path})</span>{' '}
                  <Badge tone={EXPOSURE_TONE[listener.exposure]}>
                    {VERDICT_SENTENCE[listener.exposure]}
                  </Badge>
                </p>
                {listener.reachableVia.length === 0 ? (
                  <p className="muted small">No path from another machine.</p>
                ) : (
                  <table className="table">
                    <thead>
                      <tr>
                        <th scope="col">Interface</th>
                        <th scope="col">Address</th>
                        <th scope="col">Way in</th>
                        <th scope="col">Scope</th>
                        <th scope="col">The firewall</th>
                        <th scope="col">Counts</th>
                      </tr>
                    </thead>
                    <tbody>
                      {listener.reachableVia.map((p, pi) => (
                        <tr key={pi}>
                          <td className="mono">{p.interface}</td>
                          <td className="mono">{p.address}</td>
                          <td title={p.nat?.rule}>{wayIn(p, listener.port)}</td>
                          <td>
                            <Badge tone={SCOPE_TONE[p.scope] ?? 'neutral'}>{p.scope}</Badge>
                          </td>
                          <td>
                            <FirewallDecision evaluation={p.firewall} />
                          </td>
                          <td>{p.open ? 'open' : 'blocked'}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </div>
            ))}
          </div>
        ))}
      </section>

      <section className="card" aria-labelledby="proxies-heading">
        <h2 id="proxies-heading" className="section-title">
          Reverse proxies <span className="count">{proxies.length}</span>
        </h2>
        <ProbeStatusNote result={probes.proxies} what="reverse proxies" />
        {proxies.length === 0 && probes.proxies.status === 'ok' && (
          <p className="muted small">No proxy leads to Ollama.</p>
        )}
        {proxies.map((p, i) => (
          <div key={i} className="sub-card">
            <p>
              <span className="mono">{hostPort(p.listenAddress, p.port)}</span> · {p.software}
              {p.owner ? ` (pid ${p.owner.pid})` : ''}{' '}
              {p.authRequired ? (
                <Badge tone="ok">
                  asks for credentials{p.authScheme ? ` (${p.authScheme})` : ''}
                </Badge>
              ) : (
                <Badge tone="bad">no password</Badge>
              )}
            </p>
            <ul className="bullets small">
              {p.reasons.map((r, ri) => (
                <li key={ri}>{r}</li>
              ))}
            </ul>
          </div>
        ))}
      </section>

      <section className="card" aria-labelledby="docker-heading">
        <h2 id="docker-heading" className="section-title">
          Docker containers <span className="count">{docker?.containers.length ?? 0}</span>
        </h2>
        <ProbeStatusNote result={probes.docker} what="Docker engine" />
        {docker && docker.containers.length === 0 && <p className="muted small">No containers.</p>}
        {docker && docker.containers.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Image</th>
                <th scope="col">State</th>
                <th scope="col">Published</th>
              </tr>
            </thead>
            <tbody>
              {docker.containers.map((c) => {
                const ollama = docker.ollama.find((o) => o.id === c.id);
                return (
                  <tr key={c.id} className={ollama ? 'highlight' : undefined}>
                    <td>
                      {c.names.join(', ')} {ollama && <Badge tone="neutral">Ollama</Badge>}
                    </td>
                    <td className="mono small">{c.image}</td>
                    <td>{c.status ?? c.state}</td>
                    <td>
                      {c.published.length === 0 ? (
                        <span className="muted">none</span>
                      ) : (
                        <ul className="plain">
                          {c.published.map((p, pi) => (
                            <li key={pi}>
                              <span className="mono">
                                {hostPort(p.hostIp, p.hostPort)} → {p.containerPort}/{p.protocol}
                              </span>{' '}
                              <Badge tone={p.scope === 'loopback' ? 'ok' : 'warn'}>{p.scope}</Badge>
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
