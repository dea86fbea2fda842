/**
 * Issue 13, fix "rebind-server" against a real systemd (test/lab/systemd.ts): llama.cpp's
 * `llama-server` as `llama.service` with `--host 0.0.0.0` on its ExecStart= line
 * (servers-facts.md §3), and KoboldCpp as `koboldcpp.service` started with `--config` and a
 * `.kcpps` whose "host" is empty, every interface (§8). Both are the project's stand-in under
 * each server's process name. Paddock's own CLI scans inside the container, previews the fix,
 * and `paddock-privileged` (root) makes the plan again from its own scan, checks it against
 * the allowlist, applies it, verifies it by rescanning, and undoes it. The LAN namespace
 * tells open from closed; the files are compared byte for byte.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ScanJson } from '../../electron/cli/scan-json';
import type { SystemdLab } from './systemd';
import {
  LLAMA_SERVICE,
  LLAMA_UNIT,
  LLAMA_UNIT_TEXT,
  REPO_IN_CONTAINER,
  SERVER_STANDIN_IN_CONTAINER,
  applyAsRoot as applyFixAsRoot,
  createSystemdLab,
  describeSystemdLab,
  undoAsRoot as undoRunAsRoot,
} from './systemd';
import { sleep } from './proc';

const KCPPS = '/etc/koboldcpp/server.kcpps';
const KCPPS_TEXT = `{
  "model_param": "/srv/models/qwen2.5-0.5b.gguf",
  "host": "",
  "port": 5001,
  "remotetunnel": false,
  "multiuser": 1
}
`;
const KOBOLD_UNIT = '/etc/systemd/system/koboldcpp.service';
const KOBOLD_UNIT_TEXT = `[Unit]
Description=KoboldCpp

[Service]
Environment=PADDOCK_STANDIN_KIND=koboldcpp
ExecStart=/usr/local/bin/koboldcpp ${SERVER_STANDIN_IN_CONTAINER} --config ${KCPPS}
Restart=always

[Install]
WantedBy=default.target
`;

const PADDOCK = `${REPO_IN_CONTAINER}/bin/paddock.cjs`;

describeSystemdLab('rebind-server: llama-server and KoboldCpp in a real systemd', () => {
  let sd: SystemdLab;

  beforeAll(async () => {
    sd = await createSystemdLab({
      services: [
        LLAMA_SERVICE,
        {
          unit: 'koboldcpp.service',
          unitText: KOBOLD_UNIT_TEXT,
          links: { '/usr/local/bin/koboldcpp': '/usr/bin/node' },
          files: { [KCPPS]: KCPPS_TEXT },
        },
      ],
    });
    for (const port of [8080, 5001])
      expect(await sd.waitFromLan(port, 'open', { timeoutMs: 10_000 })).toBe('open');
  }, 240_000);
  afterAll(async () => {
    await sd?.close();
  }, 30_000);

  const file = (p: string) => fs.readFileSync(sd.hostPath(p), 'utf8');

  async function scan(): Promise<ScanJson> {
    const r = await sd.runInContainer(['/usr/bin/node', PADDOCK, 'scan', '--json'], {
      timeoutMs: 30_000,
    });
    return JSON.parse(r.stdout) as ScanJson;
  }

  async function listeners(port: number): Promise<string[]> {
    const r = await sd.runInContainer(['ss', '-Hltn', `sport = :${port}`]);
    return r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/)[3] ?? '')
      .sort();
  }

  async function waitListeners(port: number, want: string[]): Promise<string[]> {
    let last: string[] = [];
    for (let i = 0; i < 50; i++) {
      last = await listeners(port);
      if (JSON.stringify(last) === JSON.stringify(want)) break;
      await sleep(100);
    }
    return last;
  }

  const applyAsRoot = (instance: string) => applyFixAsRoot(sd, 'rebind-server', instance);
  const undoAsRoot = (id: string) => undoRunAsRoot(sd, id);

  it('the scan tells where each listen address is written: the ExecStart= line, the .kcpps', async () => {
    const { snapshot } = await scan();
    const llama = snapshot.instances.find((i) => i.kind === 'llamacpp');
    const kobold = snapshot.instances.find((i) => i.kind === 'koboldcpp');
    expect(llama?.process?.systemdUnit).toBe('llama.service');
    expect(llama?.exposure).toBe('lan');
    const row = (s: {
      name: string;
      value: string;
      state: string;
      source: { path: string; line: number | null };
    }) =>
      `${s.name}=${s.value} ${s.state} ${s.source.path}${s.source.line ? `:${s.source.line}` : ''}`;
    expect(llama?.settings.map(row)).toEqual(
      expect.arrayContaining([
        `--host=0.0.0.0 effective ${LLAMA_UNIT}:7`,
        `ExecStart=/usr/local/bin/llama-server effective ${LLAMA_UNIT}:7`,
      ]),
    );
    expect(kobold?.process?.systemdUnit).toBe('koboldcpp.service');
    expect(kobold?.exposure).toBe('lan');
    expect(kobold?.settings.map(row)).toEqual(
      expect.arrayContaining([`host= effective ${KCPPS}:3`, `port=5001 effective ${KCPPS}:4`]),
    );
  }, 60_000);

  it('§3 llama-server: root changes --host on the ExecStart= line; the LAN is refused; undo puts the unit back to the byte and the LAN in', async () => {
    expect(await sd.connectFromLan(8080, 4)).toBe('open');
    const run = await applyAsRoot('llamacpp:port:8080');
    expect(run.state, run.outcome).toBe('applied');
    expect(file(LLAMA_UNIT)).toBe(LLAMA_UNIT_TEXT.replace('--host 0.0.0.0', '--host 127.0.0.1'));
    expect(await sd.waitFromLan(8080, 'refused')).toBe('refused');
    expect(await waitListeners(8080, ['127.0.0.1:8080'])).toEqual(['127.0.0.1:8080']);

    expect(await undoAsRoot(run.id)).toBe('undone');
    expect(file(LLAMA_UNIT)).toBe(LLAMA_UNIT_TEXT);
    expect(await sd.waitFromLan(8080, 'open')).toBe('open');
  }, 120_000);

  it('§8 KoboldCpp: root sets "host" in the .kcpps it was started with; the LAN is refused; undo restores the file to the byte', async () => {
    expect(await sd.connectFromLan(5001, 4)).toBe('open');
    expect(await sd.connectFromLan(5001, 6)).toBe('open');
    const unitBefore = file(KOBOLD_UNIT);
    const run = await applyAsRoot('koboldcpp:port:5001');
    expect(run.state, run.outcome).toBe('applied');
    expect(file(KCPPS)).toBe(KCPPS_TEXT.replace('"host": ""', '"host": "127.0.0.1"'));
    expect(file(KOBOLD_UNIT)).toBe(unitBefore);
    expect(await sd.waitFromLan(5001, 'refused')).toBe('refused');
    expect(await sd.connectFromLan(5001, 6)).toBe('refused');
    expect(await waitListeners(5001, ['127.0.0.1:5001'])).toEqual(['127.0.0.1:5001']);

    expect(await undoAsRoot(run.id)).toBe('undone');
    expect(file(KCPPS)).toBe(KCPPS_TEXT);
    expect(await sd.waitFromLan(5001, 'open')).toBe('open');
  }, 120_000);
});
