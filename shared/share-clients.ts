/**
 * Issue 14: what a client of a server shared behind Paddock's proxy sets, for the CLI and the
 * app alike, shown once with the secret right after the fix is applied (never stored, never
 * logged). Pure: built from the share's manifest fields and the secret.
 */
export interface ShareForClients {
  port: number;
  listen: readonly string[];
  kind: string;
  auth: 'bearer' | 'basic';
  tls: 'certificate' | 'internal' | 'vpn-plain';
}

export interface ShareClients {
  /** The base URL a client uses (the first address the proxy listens on). */
  baseUrl: string;
  /** The secret as the user copies it: the token, or "paddock:password". */
  secretLine: string;
  snippets: Array<{ title: string; text: string }>;
}

const SHARE_USER = 'paddock';

/** Where Caddy's own authority keeps its root certificate, for a share on `port`. */
export function internalRootCertPath(port: number): string {
  return `/var/lib/paddock-share-${port}/caddy/pki/authorities/local/root.crt`;
}

function base64(text: string): string {
  // btoa exists in browsers and in Node 16+; the text is ASCII (a base64url token).
  return btoa(text);
}

export function shareClients(share: ShareForClients, secret: string): ShareClients {
  const address = share.listen[0] ?? '127.0.0.1';
  const host = address.includes(':') ? `[${address}]` : address;
  const scheme = share.tls === 'vpn-plain' ? 'http' : 'https';
  const baseUrl = `${scheme}://${host}:${share.port}`;
  const bearer = share.auth === 'bearer';
  const header = bearer
    ? `Authorization: Bearer ${secret}`
    : `Authorization: Basic ${base64(`${SHARE_USER}:${secret}`)}`;
  const cacert = share.tls === 'internal' ? ` --cacert root.crt` : '';
  const probe = share.kind === 'ollama' ? '/api/tags' : '/v1/models';
  // The secret stays out of command lines (other users read them in /proc) and shell history:
  // curl reads the header from a file, the SDK from the environment.
  const snippets: ShareClients['snippets'] = [
    {
      title: 'Header file (once; readable by you only)',
      text: `umask 077; cat > ~/.paddock-share.header   # paste this line, then Ctrl-D:\n${header}`,
    },
    {
      title: 'curl',
      text: `curl${cacert} -H @$HOME/.paddock-share.header ${baseUrl}${probe}`,
    },
    {
      title: 'OpenAI SDK (Python)',
      text: bearer
        ? `import os\nfrom openai import OpenAI\n# PADDOCK_TOKEN holds the token (set it in your environment, not in the code)\nclient = OpenAI(base_url="${baseUrl}/v1", api_key=os.environ["PADDOCK_TOKEN"])`
        : `import os\nfrom openai import OpenAI\n# PADDOCK_AUTH holds "${header.slice('Authorization: '.length, 'Authorization: Basic '.length)}…" (the header's value)\nclient = OpenAI(base_url="${baseUrl}/v1", api_key="unused",\n                default_headers={"Authorization": os.environ["PADDOCK_AUTH"]})`,
    },
    {
      title: 'Open WebUI',
      text:
        share.kind === 'ollama'
          ? `Admin Settings > Connections > Ollama API: URL ${baseUrl}${bearer ? `, Auth: Bearer, Key ${secret}` : `; basic auth is not a field there: choose a token instead`}`
          : `Admin Settings > Connections > OpenAI API: URL ${baseUrl}/v1${bearer ? `, Key ${secret}` : '; basic auth is not a field there: choose a token instead'}`,
    },
  ];
  if (share.tls === 'internal')
    snippets.push({
      title: "Caddy's root certificate (trust it once on each client)",
      text: `sudo cat ${internalRootCertPath(share.port)} > root.crt   # on this computer, then copy root.crt to the client`,
    });
  return { baseUrl, secretLine: bearer ? secret : `${SHARE_USER}:${secret}`, snippets };
}
