/** Credentials in a kept command line are hidden (text/redact.ts), both flag forms and URLs. */
import { describe, expect, it } from 'vitest';
import { REDACTED, redactArgv, redactLine } from '../../../electron/engine/text/redact';

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

describe('redactArgv: a server kind’s own key flags', () => {
  it('hides the value of a flag the kind names (KoboldCpp --adminpassword), in both forms', () => {
    expect(
      redactArgv(
        ['koboldcpp', '--adminpassword', 'a1', '--adminpassword=a2', '--port', '5001'],
        ['--adminpassword'],
      ),
    ).toEqual([
      'koboldcpp',
      '--adminpassword',
      REDACTED,
      `--adminpassword=${REDACTED}`,
      '--port',
      '5001',
    ]);
  });
});

describe('redactLine: the lines of a fix’s diff shown to a person', () => {
  it.each([
    [
      'ExecStart=/usr/local/bin/llama-server -m m --host 0.0.0.0 --api-key k-secret --port 8080',
      `ExecStart=/usr/local/bin/llama-server -m m --host 0.0.0.0 --api-key ${REDACTED} --port 8080`,
    ],
    ['ExecStart=/x --api-key=k-secret', `ExecStart=/x --api-key=${REDACTED}`],
    ['Environment=LLAMA_API_KEY=k-secret OTHER=1', `Environment=LLAMA_API_KEY=${REDACTED} OTHER=1`],
    ['Environment="HF_TOKEN=hf_abc"', `Environment="HF_TOKEN=${REDACTED}"`],
    ['  "password": "pw-secret",', `  "password": "${REDACTED}",`],
    ['  "host": "",', '  "host": "",'],
    ['Environment="OLLAMA_HOST=0.0.0.0:11434"', 'Environment="OLLAMA_HOST=0.0.0.0:11434"'],
    ['OLLAMA_ORIGINS=*', 'OLLAMA_ORIGINS=*'],
    // Security review of issue 13: a quoted flag, a quoted value, an unknown *-api-key flag.
    ['ExecStart=/x "--api-key" K26', `ExecStart=/x "--api-key" ${REDACTED}`],
    ["ExecStart=/x --api-key 'K 27' --port 1", `ExecStart=/x --api-key ${REDACTED} --port 1`],
    ['ExecStart=/x --openai-api-key K18', `ExecStart=/x --openai-api-key ${REDACTED}`],
    ['systemd ignores "HF-TOKEN=hf_secret2"', `systemd ignores "HF-TOKEN=${REDACTED}"`],
  ])('%s', (line, shown) => {
    expect(redactLine(line)).toBe(shown);
  });
});

describe('redactArgv: flags the security review of issue 13 found', () => {
  it('hides an unknown *-api-key flag', () => {
    expect(redactArgv(['x', '--openai-api-key', 'K18'])).toEqual([
      'x',
      '--openai-api-key',
      REDACTED,
    ]);
  });
});
