import type { AuthState } from '../../../shared/servers';
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import type { Instance } from '../../../shared/snapshot';
import {
  EXPOSURE_TONE,
  formatBytes,
  hostPort,
  instanceModels,
  instanceReachWords,
  serverName,
  wayIn,
} from '../format';
import { Badge } from './Badge';
import { CopyButton } from './CopyButton';

/** Who may use it, as the server's own answers said (issue 13). */
const AUTH_LABEL: Record<AuthState, string> = {
  none: 'no password',
  'key-required': 'key required',
  'key-partial': 'key set, some endpoints public',
  'login-required': 'login required',
  'unclaimed-admin': 'no admin yet: the first visitor becomes admin',
  unknown: 'credentials unknown',
};

const PATH_LABEL = {
  direct: 'Ollama',
  proxy: 'Proxy',
  docker: 'Docker',
  namespace: 'In its own network namespace',
} as const;

/** The credential a proxy's WWW-Authenticate scheme asks for, in words. */
function credentialWords(scheme: string | null): string {
  if (scheme === null) return 'credentials';
  if (/^bearer$/i.test(scheme)) return 'a token';
  if (/^basic$/i.test(scheme)) return 'a password';
  return `${scheme} credentials`;
}

/** One Ollama server: where it listens, how far it reaches, its version and models. */
export function InstanceCard({ instance }: { instance: Instance }) {
  const { models, loaded } = instanceModels(instance);
  const process = instance.process;
  // Issue 12: ways in that its own socket does not show (NAT, forwarding), open ones only.
  const indirect = instance.listeners.flatMap((l) =>
    l.reachableVia
      .filter((p) => p.open && (p.nat || p.forward))
      .map((p) => ({
        text: wayIn(p, l.port),
        at: `${p.address} (${p.interface})`,
        rule: p.nat?.rule,
      })),
  );
  const tunnels = instance.tunnels ?? [];
  // Issue 14: the proxies that ask for credentials in front of it (share-proxy).
  const behind = instance.sharedBehind ?? [];
  return (
    <article
      className="card instance"
      data-testid={`instance-${instance.id}`}
      aria-label={serverName(instance)}
    >
      <header className="instance-head">
        <div className="row spread">
          <h3 className="instance-id">{serverName(instance)}</h3>
          <Badge tone={EXPOSURE_TONE[instance.exposure]}>{instanceReachWords(instance)}</Badge>
        </div>
        <p className="muted small">
          <span data-testid="server-kind">{SERVER_KIND_NAMES[instance.kind]}</span>
          {instance.version ? ` ${instance.version}` : ' · version unknown'}
          {instance.pid !== null && !process && ` · pid ${instance.pid}`}
          {instance.auth && ` · ${AUTH_LABEL[instance.auth.state]}`}
          {process &&
            ` · pid ${process.pid}${process.user ? ` · user ${process.user}` : ''}${process.systemdUnit ? ` · ${process.systemdUnit}` : ''}`}
        </p>
        <p className="muted small">
          Id <span className="mono">{instance.id}</span> <CopyButton text={instance.id} />
        </p>
      </header>
      <dl className="facts">
        <dt>Listens on</dt>
        <dd>
          {instance.listeners.length === 0 ? (
            <span className="muted">No listening socket seen</span>
          ) : (
            <ul className="inline-list">
              {instance.listeners.map((l, i) => (
                <li key={i}>
                  <span className="mono">{hostPort(l.address, l.port)}</span>{' '}
                  <span className="muted small">
                    {l.path === 'direct' ? SERVER_KIND_NAMES[instance.kind] : PATH_LABEL[l.path]}
                    {l.dualStack ? ', IPv4+IPv6' : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </dd>
        {indirect.length > 0 && (
          <>
            <dt>Also reached through</dt>
            <dd>
              <ul className="bullets small" data-testid="indirect-paths">
                {indirect.map((p, i) => (
                  <li key={i} title={p.rule}>
                    {p.text}, on <span className="mono">{p.at}</span>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {behind.length > 0 && (
          <>
            <dt>Shared through</dt>
            <dd>
              <ul className="bullets small" data-testid="shared-behind">
                {behind.map((b, i) => (
                  <li key={i}>
                    <span className="mono">
                      {b.tls ? 'https' : 'http'}://{hostPort(b.address, b.port)}
                    </span>
                    , {b.software}, which asks for {credentialWords(b.scheme)}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {tunnels.length > 0 && (
          <>
            <dt>Published on the internet by</dt>
            <dd>
              <ul className="bullets small" data-testid="tunnels">
                {tunnels.map((t) => (
                  <li key={t.pid}>
                    <span className="mono">{t.tool}</span> (pid {t.pid})
                    {t.remote ? (
                      <>
                        {' '}
                        to <span className="mono">{t.remote}</span>
                      </>
                    ) : null}
                    {t.targets.length > 0
                      ? `, forwarding ${t.targets.map((x) => hostPort(x.host, x.port)).join(', ')}`
                      : ''}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {instance.configuredBind && (
          <>
            <dt>OLLAMA_HOST asks for</dt>
            <dd className="mono">
              {instance.configuredBind.host === ''
                ? `every interface, port ${instance.configuredBind.port}`
                : hostPort(instance.configuredBind.host, instance.configuredBind.port)}
            </dd>
          </>
        )}
        <dt>Models</dt>
        <dd>
          {models.length === 0 ? (
            <span className="muted">None listed</span>
          ) : (
            <ul className="chips">
              {models.map((name) => (
                <li key={name} className={`chip ${loaded.includes(name) ? 'chip-loaded' : ''}`}>
                  <span data-testid="model-name">{name}</span>
                  {loaded.includes(name) && <span className="chip-note"> loaded</span>}
                </li>
              ))}
            </ul>
          )}
        </dd>
        {instance.vram && (
          <>
            <dt>In memory</dt>
            <dd>
              {instance.vram.loadedModels} model{instance.vram.loadedModels === 1 ? '' : 's'},{' '}
              {formatBytes(instance.vram.vramBytes)} VRAM
            </dd>
          </>
        )}
        {instance.peers.length > 0 && (
          <>
            <dt>Connected now</dt>
            <dd>{instance.peers.map((p) => p.address).join(', ')}</dd>
          </>
        )}
      </dl>
    </article>
  );
}
