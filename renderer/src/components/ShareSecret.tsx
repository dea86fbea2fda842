/**
 * Issue 14, after "password or token in front" is applied: the secret root generated, shown
 * this once, and what each client sets to use it (shared/share-clients.ts). The secret comes
 * from the fix dialog's own component state, never from the store: closing the dialog drops
 * it, and Paddock keeps no copy the user can read (the proxy's file is root's; undo removes it).
 */
import type { FixPlan } from '../../../shared/fixes';
import type { ShareForClients } from '../../../shared/share-clients';
import { shareClients } from '../../../shared/share-clients';
import { CopyButton } from './CopyButton';

const AUTHS = ['bearer', 'basic'] as const;
const TLS = ['certificate', 'internal', 'vpn-plain'] as const;

/**
 * The share's fields from the manifest the plan writes (its write-file step to …/share.json),
 * checked field by field; null when the plan has none or it does not read as one.
 */
export function shareOfPlan(plan: FixPlan): ShareForClients | null {
  for (const step of plan.steps) {
    if (step.kind !== 'write-file' || !step.path.endsWith('/share.json')) continue;
    let value: unknown;
    try {
      value = JSON.parse(step.content);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const m = value as Record<string, unknown>;
    const { port, listen, kind, auth, tls } = m;
    if (
      typeof port === 'number' &&
      Number.isInteger(port) &&
      port > 0 &&
      port < 65536 &&
      Array.isArray(listen) &&
      listen.length > 0 &&
      listen.every((a) => typeof a === 'string' && a !== '') &&
      typeof kind === 'string' &&
      AUTHS.includes(auth as (typeof AUTHS)[number]) &&
      TLS.includes(tls as (typeof TLS)[number])
    )
      return {
        port,
        listen: listen as string[],
        kind,
        auth: auth as ShareForClients['auth'],
        tls: tls as ShareForClients['tls'],
      };
  }
  return null;
}

export function ShareSecret({ plan, secret }: { plan: FixPlan; secret: string }) {
  const share = shareOfPlan(plan);
  const clients = share ? shareClients(share, secret) : null;
  const word = share?.auth === 'basic' ? 'password' : 'token';
  const line = clients?.secretLine ?? secret;
  return (
    <section className="secret-once" aria-labelledby="secret-title" data-testid="share-secret">
      <h3 id="secret-title">
        The {word}, shown once{share?.auth === 'basic' ? ' (user “paddock”)' : ''}
      </h3>
      <div className="secret-row">
        <code className="mono secret-value" data-testid="share-secret-value">
          {line}
        </code>
        <CopyButton text={line} label={`Copy the ${word}`} quiet={false} />
      </div>
      <p className="small">
        Copy it now into the clients, or a password manager.{' '}
        <strong>Paddock keeps no copy you can read; undo revokes it.</strong> Once this dialog
        closes, it is gone from this window.
      </p>
      {clients ? (
        <>
          <h3>Clients on other machines</h3>
          <p className="small">
            Base URL: <code className="mono">{clients.baseUrl}</code>
          </p>
          <ul className="snippets" data-testid="share-snippets">
            {clients.snippets.map((snippet) => (
              <li key={snippet.title}>
                <div className="snippet-head">
                  <span className="small">{snippet.title}</span>
                  <CopyButton text={snippet.text} />
                </div>
                <pre className="code">{snippet.text}</pre>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted small">
          Paddock could not read the share’s address from the plan, so it shows no client settings;
          the plan’s summary names the address and port.
        </p>
      )}
    </section>
  );
}
