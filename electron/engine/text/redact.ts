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
  /^(?:authtoken|auth-token|token|secret|password|passwd|pass|api-?key|api-?keys|admin-?key|master-?key|auth|credentials?|private-?key|basic-auth|oauth.*|.*-token|.*-secret|.*-password|.*-api-?keys?|.*-auth)$/i;

function secretFlag(arg: string): boolean {
  const m = /^--?([A-Za-z][A-Za-z0-9_-]{0,63})$/.exec(arg);
  return m !== null && SECRET_FLAG.test(m[1]!.replaceAll('_', '-'));
}

/** `scheme://user:password@host` → `scheme://user:(hidden)@host`. */
function redactUrl(arg: string): string {
  return arg.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/, `$1:${REDACTED}@`);
}

/**
 * `extra`: flags a server names for its own keys that the pattern does not know
 * (KoboldCpp's `--adminpassword`), matched exactly.
 */
export function redactArgv(argv: readonly string[], extra: readonly string[] = []): string[] {
  const out: string[] = [];
  const secret = (flag: string) => secretFlag(flag) || extra.includes(flag);
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') && eq > 0 && secret(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq)}=${REDACTED}`);
      continue;
    }
    out.push(redactUrl(arg));
    if (secret(arg) && i + 1 < argv.length) {
      out.push(REDACTED);
      i += 1;
    }
  }
  return out;
}

const SECRET_NAME =
  /(?:^|_)(?:API_?KEYS?|MASTER_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS)(?:$|_)/i;
const SECRET_JSON_KEY = /password|passwd|token|secret|api_?key/i;

/**
 * One line of a file shown to a person (a fix's diff): the values of secret flags
 * (`--api-key K`, `--password=K`), of secret variables (`LLAMA_API_KEY=K`, `HF_TOKEN=K`) and of
 * secret JSON keys (`"password": "K"`) hidden; everything else as it is.
 */
export function redactLine(line: string): string {
  let out = line.replace(
    /"([A-Za-z0-9_-]{1,64})"(\s*:\s*)"(?:[^"\\]|\\.)*"/g,
    (whole, key: string, colon: string) =>
      SECRET_JSON_KEY.test(key) ? `"${key}"${colon}"${REDACTED}"` : whole,
  );
  // NAME=VALUE wherever a name starts (after a space, a quote, `=` or the line's start).
  for (const m of [...out.matchAll(/(?<=^|[\s"'=-])([A-Za-z_][A-Za-z0-9_]{0,63})=/g)].reverse()) {
    if (!SECRET_NAME.test(m[1]!)) continue;
    const from = m.index + m[0].length;
    const quote = out[from] === '"' || out[from] === "'" ? out[from]! : null;
    const end = quote
      ? out.indexOf(quote, from + 1) + 1 || out.length
      : from + (/^[^\s"']*/.exec(out.slice(from))?.[0].length ?? 0);
    out = `${out.slice(0, from)}${quote ? `${quote}${REDACTED}${quote}` : REDACTED}${out.slice(end)}`;
  }
  // Words as a shell or systemd groups them: a quoted run is one word (`--api-key 'K 27'`),
  // and a quoted flag is still that flag (`"--api-key" K`).
  const words = out.match(/(?:"(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s"']+)+|\s+/g) ?? [];
  const unquote = (w: string) => w.replace(/^(["'])(.*)\1$/, '$2');
  for (let i = 0; i < words.length; i += 1) {
    const w = unquote(words[i]!);
    const eq = w.indexOf('=');
    if (w.startsWith('-') && eq > 0 && secretFlag(w.slice(0, eq)))
      words[i] = `${w.slice(0, eq)}=${REDACTED}`;
    else if (secretFlag(w) && i + 2 < words.length && !/^\s/.test(words[i + 2]!))
      words[i + 2] = REDACTED;
  }
  return words.join('');
}
