/**
 * The verdict of the real `paddock scan`, run inside the lab's host, against what the LAN
 * neighbour and the "internet" peer really get when they connect. One case per OLLAMA_HOST
 * value of the issue; ollama-facts.md for what each means.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab } from './lab';
import { createLab, describeLab } from './lab';
import { CLI, expectedVerdict, runScan } from './scan-helpers';

describeLab('scan verdict equals what the network really reaches', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({ publicInterface: true });
  });
  afterAll(async () => {
    await lab?.close();
  });

  const cases: Array<{ name: string; host: (lab: Lab) => string | undefined; port: number }> = [
    { name: 'unset', host: () => undefined, port: 11434 },
    { name: '0.0.0.0', host: () => '0.0.0.0', port: 11434 },
    { name: ':11434', host: () => ':11434', port: 11434 },
    { name: '[::]', host: () => '[::]', port: 11434 },
    { name: 'the LAN address only', host: (l) => l.hostAddress4, port: 11434 },
    { name: 'http://0.0.0.0 (port 80)', host: () => 'http://0.0.0.0', port: 80 },
    { name: '0.0.0.0:8081', host: () => '0.0.0.0:8081', port: 8081 },
    { name: '" 0.0.0.0 " with quotes and spaces', host: () => '" 0.0.0.0 "', port: 11434 },
  ];

  for (const testCase of cases) {
    it(`OLLAMA_HOST=${testCase.name}`, async () => {
      const value = testCase.host(lab);
      const standin = await lab.startStandin(value === undefined ? {} : { OLLAMA_HOST: value });
      try {
        const { json, code } = await runScan(lab);
        const truth = await expectedVerdict(lab, testCase.port);
        expect(json.verdict).toBe(truth);
        expect(code).toBe(truth === 'private' ? 0 : 1);
        const instance = json.instances.find((i) => i.pid === standin.hostPid);
        expect(instance, JSON.stringify(json.instances)).toBeDefined();
        expect(instance!.exposure).toBe(truth);
        expect(instance!.listeners.map((l) => l.port)).toEqual([testCase.port]);
        expect(instance!.version).toBe('0.12.10');
        const setting = instance!.settings.find((s) => s.name === 'OLLAMA_HOST');
        if (value === undefined) expect(setting).toBeUndefined();
        else
          expect(setting).toMatchObject({
            value,
            source: `pid ${standin.hostPid}`,
            state: 'effective',
          });
      } finally {
        await standin.stop();
      }
    });
  }
});

describeLab('scan verdict without a public interface', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('0.0.0.0 on a host with only a LAN link is reachable from the local network, not the internet', async () => {
    const standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    try {
      const { json } = await runScan(lab);
      expect(await expectedVerdict(lab, 11434)).toBe('lan');
      expect(json.verdict).toBe('lan');
      const reach = json.snapshot.instances[0]!.listeners[0]!.reachableVia.map((p) => p.address);
      expect(reach).toEqual(expect.arrayContaining([lab.hostAddress4, lab.hostAddress6]));
    } finally {
      await standin.stop();
    }
  });

  it('the human output leads with the verdict and names the listener', async () => {
    const standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    try {
      const result = await lab.runInHost([process.execPath, CLI, 'scan'], {
        env: { NO_COLOR: '1' },
      });
      expect(result.code).toBe(1);
      const lines = result.stdout.split('\n');
      expect(lines[0]).toBe('! Reachable from the local network');
      expect(result.stdout).toContain('[::]:11434  IPv4+IPv6  lan');
      expect(result.stdout).not.toContain('\u001b[');
    } finally {
      await standin.stop();
    }
  });

  it('no Ollama running: private, exit 0', async () => {
    const { json, code } = await runScan(lab);
    expect(json.verdict).toBe('private');
    expect(code).toBe(0);
    expect(json.instances).toEqual([]);
  });
});
