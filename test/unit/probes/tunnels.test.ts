/**
 * Issue 12, class 5: tunnel clients' arguments and configuration as the documented command
 * lines and file formats write them (cloudflared's `--url` and config.yml ingress, ngrok's
 * `http PORT`, frpc's `localPort`, bore's `local PORT`, zrok's `share public`, ssh's `-R`,
 * `tailscale funnel`, `devtunnel host -p`), and the join with instances (engine/tunnels.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  parseTarget,
  parseTunnelArgv,
  probeTunnels,
  targetsFromConfig,
} from '../../../electron/engine/probes/linux/tunnels';
import { applyTunnels } from '../../../electron/engine/tunnels';
import type { Tunnel } from '../../../shared/snapshot';
import { createFakeHost } from '../../support/fake-host';
import { buildSnapshot, loopbackOllama } from '../../rules/snapshots';

const target = (host: string, port: number) => ({ host, port });

describe('parseTunnelArgv', () => {
  it.each<[string, string[], Array<{ host: string; port: number }>]>([
    [
      'cloudflared',
      ['cloudflared', 'tunnel', '--url', 'http://localhost:11434'],
      [target('localhost', 11434)],
    ],
    [
      'cloudflared',
      ['cloudflared', 'tunnel', '--url=http://127.0.0.1:11434/'],
      [target('127.0.0.1', 11434)],
    ],
    ['ngrok', ['ngrok', 'http', '11434'], [target('localhost', 11434)]],
    [
      'ngrok',
      ['ngrok', 'http', '--url=x.ngrok.app', 'localhost:11434'],
      [target('localhost', 11434)],
    ],
    ['bore', ['bore', 'local', '11434', '--to', 'bore.pub'], [target('localhost', 11434)]],
    ['zrok', ['zrok', 'share', 'public', 'localhost:11434'], [target('localhost', 11434)]],
    ['zrok', ['zrok', 'share', 'private', 'localhost:11434'], []],
    ['ssh', ['ssh', '-N', '-R', '80:localhost:11434', 'serveo.net'], [target('localhost', 11434)]],
    ['ssh', ['ssh', '-R8080:[::1]:11434', 'host'], [target('::1', 11434)]],
    ['ssh', ['ssh', 'build-box'], []],
    ['tailscale', ['tailscale', 'funnel', '--bg', '11434'], [target('localhost', 11434)]],
    ['devtunnel', ['devtunnel', 'host', '-p', '11434'], [target('localhost', 11434)]],
  ])('%s %j', (tool, argv, targets) => {
    expect(parseTunnelArgv(tool, argv).targets).toEqual(targets);
  });

  it('names the configuration file a client will read', () => {
    expect(parseTunnelArgv('cloudflared', ['cloudflared', 'tunnel', 'run', 'x']).config).toBe(
      '/etc/cloudflared/config.yml',
    );
    expect(parseTunnelArgv('frpc', ['frpc', '-c', '/etc/frp/mine.toml']).config).toBe(
      '/etc/frp/mine.toml',
    );
  });
});

describe('targetsFromConfig', () => {
  it('cloudflared ingress services and frpc local ports', () => {
    const cloudflared = [
      'tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef',
      'ingress:',
      '  - hostname: llm.example.com',
      '    service: http://localhost:11434',
      '  - service: http_status:404',
    ].join('\n');
    expect(targetsFromConfig('cloudflared', cloudflared)).toEqual([target('localhost', 11434)]);
    const frpc = [
      'serverAddr = "x.example.com"',
      '[[proxies]]',
      'name = "ollama"',
      'type = "tcp"',
      'localIP = "127.0.0.1"',
      'localPort = 11434',
      'remotePort = 6000',
    ].join('\n');
    expect(targetsFromConfig('frpc', frpc)).toEqual([target('127.0.0.1', 11434)]);
  });

  it('parseTarget refuses what is not a host and port', () => {
    expect(parseTarget('http_status:404')).toBeNull();
    expect(parseTarget('99999')).toBeNull();
    expect(parseTarget('https://localhost')).toEqual(target('localhost', 443));
  });
});

describe('applyTunnels', () => {
  const snapshot = buildSnapshot({ instances: [loopbackOllama()] });
  const tunnel = (port: number, host = 'localhost'): Tunnel => ({
    tool: 'ngrok',
    pid: 900,
    argv: ['ngrok', 'http', String(port)],
    remote: 'ngrok',
    config: null,
    targets: [{ host, port, source: 'argv' }],
  });

  it('a tunnel to the server’s port makes it internet, with the tunnel named', () => {
    const [instance] = applyTunnels(snapshot.instances, [tunnel(11434)]);
    expect(instance!.exposure).toBe('internet');
    expect(instance!.tunnels).toHaveLength(1);
    expect(instance!.reasons.join(' ')).toMatch(
      /ngrok \(pid 900\) publishes localhost:11434 on the internet through ngrok/,
    );
  });

  it('a tunnel to another port, or to another machine, changes nothing', () => {
    expect(applyTunnels(snapshot.instances, [tunnel(8080)])[0]!.exposure).toBe('private');
    expect(applyTunnels(snapshot.instances, [tunnel(11434, '10.9.9.9')])[0]!.exposure).toBe(
      'private',
    );
  });
});

describe('probeTunnels: which files it opens', () => {
  const secret = 'ingress:\n  - service: http://localhost:11434\n';
  const hostWith = (uid: number) =>
    createFakeHost({
      uid: 0,
      files: {
        '/proc/700/comm': 'cloudflared\n',
        '/proc/700/cmdline': 'cloudflared\0tunnel\0--config\0/srv/cf/config.yml\0run\0',
        '/proc/700/status': `Name:\tcloudflared\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`,
        '/srv/cf/config.yml': secret,
      },
    });

  it('reads the configuration a client of the scanning user names', async () => {
    const result = await probeTunnels(hostWith(0));
    expect(result.data.map((t) => [t.tool, t.config, t.targets.map((x) => x.port)])).toEqual([
      ['cloudflared', '/srv/cf/config.yml', [11434]],
    ]);
  });

  it('as root, never opens a file another user’s process names, and says what is unknown', async () => {
    const result = await probeTunnels(hostWith(1000));
    expect(result.data.map((t) => [t.config, t.targets])).toEqual([[null, []]]);
    expect(result.evidence).toContainEqual(
      expect.objectContaining({
        ref: '/srv/cf/config.yml',
        outcome: expect.stringMatching(/not read/),
      }),
    );
    expect(result.message).toMatch(/not read: what it publishes beyond its arguments is unknown/);
  });
});
