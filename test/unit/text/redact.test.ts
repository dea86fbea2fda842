/** Credentials in a kept command line are hidden (text/redact.ts), both flag forms and URLs. */
import { describe, expect, it } from 'vitest';
import { REDACTED, redactArgv } from '../../../electron/engine/text/redact';

describe('redactArgv', () => {
  it.each([
    [
      ['ngrok', 'http', '11434', '--authtoken', 'abc'],
      ['ngrok', 'http', '11434', '--authtoken', REDACTED],
    ],
    [
      ['cloudflared', 'tunnel', 'run', '--token=eyJ'],
      ['cloudflared', 'tunnel', 'run', `--token=${REDACTED}`],
    ],
    [
      ['bore', 'local', '11434', '--to', 'bore.pub', '--secret', 's'],
      ['bore', 'local', '11434', '--to', 'bore.pub', '--secret', REDACTED],
    ],
    [
      ['x', '--api-key', 'k', '--API_KEY=k2', '--admin-password', 'p'],
      ['x', '--api-key', REDACTED, `--API_KEY=${REDACTED}`, '--admin-password', REDACTED],
    ],
    [
      ['ssh', '-R', '8080:localhost:11434', 'user@host'],
      ['ssh', '-R', '8080:localhost:11434', 'user@host'],
    ],
    [
      ['frpc', '--server', 'https://me:pw@relay.example/x'],
      ['frpc', '--server', `https://me:${REDACTED}@relay.example/x`],
    ],
    [
      ['cloudflared', 'tunnel', '--url', 'http://localhost:11434'],
      ['cloudflared', 'tunnel', '--url', 'http://localhost:11434'],
    ],
  ])('%j', (argv, expected) => {
    expect(redactArgv(argv)).toEqual(expected);
  });

  it('a secret flag at the end has nothing to hide, and nothing else moves', () => {
    expect(redactArgv(['x', '--token'])).toEqual(['x', '--token']);
  });
});
