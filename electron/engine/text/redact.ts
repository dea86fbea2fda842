/**
 * Secrets never reach reports or `--json` (the brief's standard): a command line Paddock keeps
 * (a tunnel client's, to say what it publishes) has the value of every flag that carries a
 * credential replaced, in both `--flag VALUE` and `--flag=VALUE` forms: ngrok's `--authtoken`,
 * cloudflared's `--token`, bore's `--secret`, frpc's and zrok's tokens, API keys, passwords,
 * and `user:password@` inside URLs.
 */
export const REDACTED = '(hidden)';

/** Flag names (without dashes, lower case) whose value is a secret. */
const SECRET_FLAG =
  /^(?:authtoken|auth-token|token|secret|password|passwd|pass|api-?key|api-?keys|admin-?key|master-?key|auth|credentials?|private-?key|basic-auth|oauth.*|.*-token|.*-secret|.*-password)$/i;

function secretFlag(arg: string): boolean {
  const m = /^--?([A-Za-z][A-Za-z0-9_-]{0,63})$/.exec(arg);
  return m !== null && SECRET_FLAG.test(m[1]!.replaceAll('_', '-'));
}

/** `scheme://user:password@host` → `scheme://user:(hidden)@host`. */
function redactUrl(arg: string): string {
  return arg.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/, `$1:${REDACTED}@`);
}

export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') && eq > 0 && secretFlag(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq)}=${REDACTED}`);
      continue;
    }
    out.push(redactUrl(arg));
    if (secretFlag(arg) && i + 1 < argv.length) {
      out.push(REDACTED);
      i += 1;
    }
  }
  return out;
}
