import type { ScanView } from '../../../shared/api';
import type { FirewallEvaluation } from '../../../shared/firewall';
import type { Instance, ProbeResult } from '../../../shared/snapshot';
import { Badge } from '../components/Badge';
import { serverName } from '../fix-impact';
import './ReachMatrix.css';
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

// ── who can reach it (issue 18) ─────────────────────────────────────────────────────────────

export type ReachAnswer = 'yes' | 'no' | 'unknown';
export interface ReachCell {
  answer: ReachAnswer;
  /** The deciding fact, in one sentence. */
  fact: string;
}
type ReachPath = Instance['listeners'][number]['reachableVia'][number];
type Way = { port: number; path: ReachPath; docker: boolean };

const ANSWER_WORD: Record<ReachAnswer, string> = { yes: 'Yes', no: 'No', unknown: 'Unknown' };
const ANSWER_TONE: Record<ReachAnswer, Tone> = { yes: 'bad', no: 'ok', unknown: 'warn' };

function listenWords(instance: Instance): string {
  const direct = instance.listeners.filter((l) => l.path === 'direct');
  const list = [...new Set(direct.map((l) => hostPort(l.address, l.port)))];
  return list.length > 0 ? list.slice(0, 3).join(', ') : 'no address of its own';
}

function firewallWords(path: ReachPath): string {
  const step = path.firewall?.decidedBy[0];
  return step ? `${step.layer}: ${step.rule}` : 'the firewall';
}

/** One column of the matrix: the ways in whose address is in `scopes`. */
function reachOver(instance: Instance, ways: Way[], where: string): ReachCell {
  const open = ways.filter((w) => w.path.open);
  const allowed = open.find((w) => w.path.firewall?.decision === 'allowed' || !w.path.firewall);
  if (allowed) {
    const p = allowed.path;
    const only = p.onlyFrom?.length ? `, only from ${p.onlyFrom.slice(0, 3).join(', ')}` : '';
    const how = allowed.docker
      ? `Docker publishes port ${allowed.port} on ${p.address} (${p.interface})`
      : `It answers on ${hostPort(p.address, allowed.port)} (${p.interface})`;
    const fw = p.firewall
      ? `and ${firewallWords(p)} lets new connections in`
      : 'and no firewall reading blocks it';
    return { answer: 'yes', fact: `${how} ${fw}${only}.` };
  }
  const unsure = open.find((w) => w.path.firewall?.decision === 'unknown');
  if (unsure)
    return {
      answer: 'unknown',
      fact: `It answers on ${hostPort(unsure.path.address, unsure.port)} (${unsure.path.interface}), but Paddock could not tell what the firewall does there.`,
    };
  const blocked = ways[0];
  if (blocked)
    return {
      answer: 'no',
      fact: `It answers on ${hostPort(blocked.path.address, blocked.port)}, but ${firewallWords(blocked.path)} refuses new connections from ${where}.`,
    };
  return {
    answer: 'no',
    fact: `It listens on ${listenWords(instance)} only: no address ${where} reaches it.`,
  };
}

/** This computer / local network / internet, each with its deciding fact. */
export function reachRow(instance: Instance): {
  local: ReachCell;
  lan: ReachCell;
  internet: ReachCell;
} {
  const ways: Way[] = instance.listeners.flatMap((l) =>
    l.reachableVia.map((path) => ({ port: l.port, path, docker: l.path === 'docker' })),
  );
  const direct = instance.listeners.filter((l) => l.path === 'direct');
  const local: ReachCell =
    direct.length > 0
      ? {
          answer: 'yes',
          fact: `It listens on ${listenWords(instance)}, which this computer reaches.`,
        }
      : instance.listeners.length > 0
        ? {
            answer: 'yes',
            fact: `It answers on port ${instance.listeners[0]!.port} of this computer.`,
          }
        : { answer: 'unknown', fact: 'Paddock found no socket of its own for it.' };
  let lan = reachOver(
    instance,
    ways.filter((w) => w.path.scope !== 'public' && w.path.scope !== 'loopback'),
    'the local network',
  );
  let internet = reachOver(
    instance,
    ways.filter((w) => w.path.scope === 'public'),
    'the internet',
  );
  const tunnel = instance.tunnels?.[0];
  if (tunnel)
    internet = {
      answer: 'yes',
      fact: `${tunnel.tool} publishes it on the internet${tunnel.remote ? ` (${tunnel.remote})` : ''}, with no listener of its own.`,
    };
  const reason = instance.reasons[0] ?? '';
  // The verdict knows ways in this table does not list (a proxy, NAT): it decides.
  if (instance.exposure === 'internet' && internet.answer !== 'yes')
    internet = { answer: 'yes', fact: reason };
  if ((instance.exposure === 'lan' || instance.exposure === 'internet') && lan.answer === 'no')
    lan = { answer: 'yes', fact: reason };
  if (instance.exposure === 'unknown') {
    if (lan.answer === 'no') lan = { answer: 'unknown', fact: reason };
    if (internet.answer === 'no') internet = { answer: 'unknown', fact: reason };
  }
  return { local, lan, internet };
}

function Cell({ cell, id, mine = false }: { cell: ReachCell; id: string; mine?: boolean }) {
  return (
    <td>
      <span
        className="reach-cell"
        tabIndex={0}
        aria-describedby={`reach-tip-${id}`}
        data-testid={`reach-${id}`}
        data-answer={cell.answer}
      >
        <Badge tone={mine && cell.answer === 'yes' ? 'neutral' : ANSWER_TONE[cell.answer]}>
          {ANSWER_WORD[cell.answer]}
        </Badge>
        <span role="tooltip" id={`reach-tip-${id}`} className="reach-tip">
          {cell.fact}
        </span>
      </span>
    </td>
  );
}

/** Issue 18: who can reach each server, before the tables. */
export function ReachMatrix({ instances }: { instances: readonly Instance[] }) {
  return (
    <section className="card" aria-labelledby="reach-heading" data-testid="reach-matrix">
      <h2 id="reach-heading" className="section-title">
        Who can reach each server
      </h2>
      {instances.length === 0 ? (
        <p className="muted">No local AI server is running, so nothing can be reached.</p>
      ) : (
        <>
          <table className="table reach-matrix">
            <caption className="visually-hidden">
              Who can reach each server: this computer, the local network, the internet. Focus a
              cell for the fact that decides it.
            </caption>
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">This computer</th>
                <th scope="col">Local network</th>
                <th scope="col">Internet</th>
              </tr>
            </thead>
            <tbody>
              {instances.map((instance, i) => {
                const row = reachRow(instance);
                return (
                  <tr key={instance.id}>
                    <th scope="row">{serverName(instance)}</th>
                    <Cell cell={row.local} id={`${i}-local`} mine />
                    <Cell cell={row.lan} id={`${i}-lan`} />
                    <Cell cell={row.internet} id={`${i}-internet`} />
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="muted small">
            Hover over or focus an answer to see the fact that decides it.
          </p>
        </>
      )}
    </section>
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
      <ReachMatrix instances={snapshot.instances} />
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
