/**
 * Issue 14, "password or token in front": the first step of that fix. The user picks the proxy
 * among those installed here (Paddock installs none: with neither, it says how), a token or a
 * password, which endpoints pass, and how the traffic is protected; each option says what it
 * does in one line. The dialog's footer previews the plan once the choice is complete (its
 * button says what is missing); the engine checks every choice when it plans, and nothing
 * changes until the preview that follows is applied.
 */
import type { ReactNode } from 'react';
import type { ProxyChoice } from '../../../shared/fixes';
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import { NEW_PROXY_DRAFT, resolveProxyDraft } from '../state';
import type { FixDialogState } from '../store';
import { useStore } from '../store';
import { CopyButton } from './CopyButton';

type Software = ProxyChoice['software'];

const SOFTWARE: Record<Software, { name: string; install: string; effect: string }> = {
  nginx: {
    name: 'nginx',
    install: 'sudo apt install nginx-light',
    effect: 'Paddock’s own nginx, as a service of its own; your nginx sites stay as they are.',
  },
  caddy: {
    name: 'Caddy',
    install: 'sudo apt install caddy',
    effect: 'Paddock’s own Caddy, as a service of its own; it can make its own HTTPS certificate.',
  },
};

/** One option: a radio, its name, and what choosing it does, in one line. */
function Choice({
  name,
  value,
  checked,
  onChange,
  title,
  effect,
  children,
}: {
  name: string;
  value: string;
  checked: boolean;
  onChange: () => void;
  title: string;
  effect: string;
  children?: ReactNode;
}) {
  return (
    <li className="choice">
      <label>
        <input
          type="radio"
          name={name}
          value={value}
          checked={checked}
          onChange={onChange}
          data-testid={`proxy-${name}-${value}`}
        />
        <span>
          <strong>{title}</strong>
          <span className="muted small choice-effect">{effect}</span>
        </span>
      </label>
      {children}
    </li>
  );
}

export function ProxyChooser({ fix }: { fix: FixDialogState }) {
  const editProxy = useStore((s) => s.editProxy);
  const server = useStore((s) => {
    const instance = s.scanView?.snapshot.instances.find((i) => i.id === fix.instance);
    if (!instance) return 'The server';
    return instance.kind === 'ollama' ? 'Ollama' : SERVER_KIND_NAMES[instance.kind];
  });
  const offers = fix.offers ?? null;
  const installed = offers ? (offers.proxies ?? []) : null;
  const vpn = offers?.vpn ?? null;
  // In the dialog's state, so "Change choices" comes back to them and the footer's Preview
  // button reads them.
  const draft = fix.proxyDraft ?? NEW_PROXY_DRAFT;
  const { software: chosenSoftware, tls: chosenTls } = resolveProxyDraft(draft, offers);
  const { auth, endpoints, cert, key } = draft;
  const absent = installed
    ? (['nginx', 'caddy'] as const).filter((s) => !installed.includes(s))
    : [];

  return (
    <div className="share-chooser proxy-chooser" data-testid="proxy-chooser">
      <p>
        {server} goes back to listening on this computer only; a proxy of Paddock’s own takes its
        port on the network and lets a request through only with the token or password.
      </p>
      {fix.error && (
        <div className="notice notice-bad" role="alert">
          <p>{fix.error}</p>
        </div>
      )}
      <div className="proxy-pair">
        <fieldset>
          <legend>Proxy</legend>
          {installed === null ? (
            <p className="loading" role="status">
              Looking at what is installed…
            </p>
          ) : installed.length === 0 ? (
            <div className="notice notice-warn" data-testid="proxy-none-installed">
              <p>
                <strong>Neither nginx nor Caddy is installed.</strong> Paddock installs nothing by
                itself: install one in a terminal, then choose this again.
              </p>
              <ul className="commands install">
                {(['nginx', 'caddy'] as const).map((s) => (
                  <li key={s} className="command">
                    <code className="mono">{SOFTWARE[s].install}</code>
                    <CopyButton text={SOFTWARE[s].install} />
                  </li>
                ))}
              </ul>
            </div>
          ) : (
            <>
              <ul className="choices">
                {installed.map((s) => (
                  <Choice
                    key={s}
                    name="software"
                    value={s}
                    checked={chosenSoftware === s}
                    onChange={() => editProxy({ software: s })}
                    title={SOFTWARE[s].name}
                    effect={SOFTWARE[s].effect}
                  />
                ))}
              </ul>
              {absent.map((s) => (
                <p key={s} className="muted small">
                  {SOFTWARE[s].name} is not installed (
                  <code className="mono">{SOFTWARE[s].install}</code>
                  ); Paddock installs nothing by itself.
                </p>
              ))}
            </>
          )}
        </fieldset>
        {installed !== null && installed.length > 0 && (
          <fieldset>
            <legend>Who may use it</legend>
            <ul className="choices">
              <Choice
                name="auth"
                value="bearer"
                checked={auth === 'bearer'}
                onChange={() => editProxy({ auth: 'bearer' })}
                title="A token"
                effect="A random key, sent as “Authorization: Bearer …” by curl, the OpenAI SDK and Open WebUI."
              />
              <Choice
                name="auth"
                value="basic"
                checked={auth === 'basic'}
                onChange={() => editProxy({ auth: 'basic' })}
                title="A password"
                effect="HTTP basic auth, user “paddock”: browsers ask for it; Open WebUI cannot send it."
              />
            </ul>
          </fieldset>
        )}
      </div>
      {installed !== null && installed.length > 0 && (
        <>
          <fieldset>
            <legend>What passes</legend>
            <ul className="choices">
              <Choice
                name="endpoints"
                value="inference"
                checked={endpoints === 'inference'}
                onChange={() => editProxy({ endpoints: 'inference' })}
                title="Inference only"
                effect="Generation, chat, embeddings and the model list; never pulling, pushing or deleting models."
              />
              <Choice
                name="endpoints"
                value="all"
                checked={endpoints === 'all'}
                onChange={() => editProxy({ endpoints: 'all' })}
                title="Everything"
                effect="Every endpoint, model management included: pulling, pushing and deleting models too."
              />
            </ul>
          </fieldset>
          <fieldset>
            <legend>How the traffic is protected</legend>
            <ul className="choices">
              <Choice
                name="tls"
                value="certificate"
                checked={chosenTls === 'certificate'}
                onChange={() => editProxy({ tls: 'certificate' })}
                title="My certificate"
                effect="HTTPS with a certificate you have: the token or password never crosses the network in clear text."
              >
                {chosenTls === 'certificate' && (
                  <div className="cert-paths">
                    <label className="field">
                      <span>Certificate (PEM file owned by root)</span>
                      <input
                        type="text"
                        className="mono"
                        value={cert}
                        onChange={(e) => editProxy({ cert: e.target.value })}
                        placeholder="/etc/ssl/certs/workstation.pem"
                        spellCheck={false}
                        data-testid="proxy-cert"
                      />
                    </label>
                    <label className="field">
                      <span>Its private key (PEM file owned by root)</span>
                      <input
                        type="text"
                        className="mono"
                        value={key}
                        onChange={(e) => editProxy({ key: e.target.value })}
                        placeholder="/etc/ssl/private/workstation.key"
                        spellCheck={false}
                        data-testid="proxy-key"
                      />
                    </label>
                  </div>
                )}
              </Choice>
              {chosenSoftware === 'caddy' && (
                <Choice
                  name="tls"
                  value="internal"
                  checked={chosenTls === 'internal'}
                  onChange={() => editProxy({ tls: 'internal' })}
                  title="Caddy’s own authority"
                  effect="HTTPS with a certificate Caddy makes on this computer: encrypted, but each client must trust its root certificate once (or skip verification)."
                />
              )}
              {vpn !== null && (
                <Choice
                  name="tls"
                  value="vpn-plain"
                  checked={chosenTls === 'vpn-plain'}
                  onChange={() => editProxy({ tls: 'vpn-plain' })}
                  title="Plain HTTP on the VPN only"
                  effect={`No HTTPS: the proxy listens on ${vpn.interface} (${vpn.address}) only, and the VPN already encrypts the traffic between its machines.`}
                />
              )}
            </ul>
            {(chosenSoftware !== 'caddy' || vpn === null) && (
              <p className="muted small">
                {[
                  ...(chosenSoftware !== 'caddy'
                    ? ['A certificate of its own is Caddy’s feature']
                    : []),
                  ...(vpn === null
                    ? ['plain HTTP is offered only on a VPN, and none is up here']
                    : []),
                ]
                  .join('; ')
                  .replace(/^./, (c) => c.toUpperCase())}
                .
              </p>
            )}
          </fieldset>
        </>
      )}
    </div>
  );
}
