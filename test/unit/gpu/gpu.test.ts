/**
 * The GPU probe: nvidia-smi CSV parsing (fixtures written from NVIDIA's documented format,
 * see their headers), statuses on a fake host (no nvidia-smi or no driver is unavailable),
 * VRAM per instance from /api/ps, and the real controller list on this machine (no GPU here:
 * an empty list, without blocking the event loop).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vramByInstance } from '../../../electron/engine/judge/vram';
import { graphicsControllers } from '../../../electron/engine/host/gpu-controllers';
import { createNodeHost } from '../../../electron/engine/host/node-host';
import {
  NVIDIA_SMI_ARGV,
  NVIDIA_SMI_WIN32_ARGV,
  nvidiaNumber,
  parseNvidiaSmiCsv,
  probeGpu,
} from '../../../electron/engine/probes/gpu';
import { gpuReportSchema } from '../../../shared/gpu';
import { createFakeHost } from '../../support/fake-host';

const fixture = (name: string) =>
  readFileSync(join(__dirname, '../../fixtures/gpu', name), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
const NOHEADER = fixture('nvidia-smi-noheader-nounits.txt');
const WITH_HEADER = fixture('nvidia-smi-csv-header.txt');
const SMI_KEY = NVIDIA_SMI_ARGV.join(' ');

describe('parseNvidiaSmiCsv', () => {
  it('reads several GPUs from csv,noheader,nounits in the order Paddock asks for', () => {
    const { gpus, invalid, header } = parseNvidiaSmiCsv(NOHEADER);
    expect(invalid).toBe(0);
    expect(header).toBe(false);
    expect(gpus).toHaveLength(3);
    expect(gpus[0]).toEqual({
      index: 0,
      name: 'NVIDIA H100 80GB HBM3',
      uuid: 'GPU-5f0c1e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
      utilizationPercent: 87,
      memoryUsedMiB: 61234,
      memoryTotalMiB: 81559,
      temperatureC: 64,
      powerDrawW: 512.34,
    });
    expect(gpus[2]).toMatchObject({
      index: 2,
      temperatureC: null,
      powerDrawW: null,
      memoryUsedMiB: 1536,
    });
  });

  it('reads --format=csv with its header line and units, columns taken from the header', () => {
    const { gpus, header } = parseNvidiaSmiCsv(WITH_HEADER);
    expect(header).toBe(true);
    expect(
      gpus.map((g) => [
        g.index,
        g.utilizationPercent,
        g.memoryUsedMiB,
        g.memoryTotalMiB,
        g.powerDrawW,
      ]),
    ).toEqual([
      [0, 45, 20480, 40960, 250.12],
      [1, 0, 0, 40960, null],
    ]);
  });

  it('reads the output recorded on a real H200, in both formats, to the same figures', () => {
    const plain = parseNvidiaSmiCsv(fixture('nvidia-smi-h200-noheader-nounits.txt'));
    const headed = parseNvidiaSmiCsv(fixture('nvidia-smi-h200-csv-header.txt'));
    expect(plain).toMatchObject({ invalid: 0, header: false });
    expect(headed).toMatchObject({ invalid: 0, header: true });
    const expected = {
      index: 0,
      name: 'NVIDIA H200',
      uuid: 'GPU-04745895-dcc4-dc9d-ac05-8355d16be31e',
      utilizationPercent: 0,
      memoryUsedMiB: 0,
      memoryTotalMiB: 143771,
      temperatureC: 35,
    };
    expect(plain.gpus).toEqual([{ ...expected, powerDrawW: 115.35 }]);
    expect(headed.gpus).toEqual([{ ...expected, powerDrawW: 114.67 }]);
  });

  it('follows the header when columns come in another order', () => {
    const text = 'memory.total [MiB], name, index\n143771 MiB, NVIDIA H200, 0\n';
    expect(parseNvidiaSmiCsv(text).gpus[0]).toMatchObject({
      index: 0,
      name: 'NVIDIA H200',
      memoryTotalMiB: 143771,
      uuid: null,
    });
  });

  it('tolerates extra spaces, CRLF, blank lines and a comma in the name', () => {
    const text = '\r\n  0 ,  Weird, GPU  , GPU-1 , 5 , 10 , 20 , 30 , 40.5  \r\n\r\n';
    expect(parseNvidiaSmiCsv(text).gpus).toEqual([
      {
        index: 0,
        name: 'Weird, GPU',
        uuid: 'GPU-1',
        utilizationPercent: 5,
        memoryUsedMiB: 10,
        memoryTotalMiB: 20,
        temperatureC: 30,
        powerDrawW: 40.5,
      },
    ]);
  });

  it('counts and skips lines that are not rows (error text, short rows)', () => {
    const text = `${NOHEADER.trim()}\nNVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n1, 2\n`;
    const r = parseNvidiaSmiCsv(text);
    expect(r.gpus).toHaveLength(3);
    expect(r.invalid).toBe(2);
  });

  it.each([
    ['[N/A]', null],
    ['N/A', null],
    ['[Not Supported]', null],
    ['[Unknown Error]', null],
    ['[Insufficient Permissions]', null],
    ['75 %', 75],
    ['1024 MiB', 1024],
    ['74.56 W', 74.56],
    ['  41  ', 41],
    ['abc', null],
    ['', null],
  ])('value %j → %j', (text, expected) => {
    expect(nvidiaNumber(text)).toBe(expected);
  });
});

describe('fuzz F4: parseNvidiaSmiCsv takes linear time on 1 MiB inputs', () => {
  const MIB = 1024 * 1024;

  it('fuzz F4: a header whose unit follows 1 MiB of blanks, or is 1 MiB of `[`', () => {
    for (const header of [
      `index, name, memory.used${' '.repeat(MIB)}[MiB]`,
      `index, name, memory.used ${'['.repeat(MIB)}]`,
    ]) {
      const { gpus, invalid, header: seen } = parseNvidiaSmiCsv(`${header}\n0, Tesla T4, 100\n`);
      expect(seen).toBe(true);
      expect(invalid).toBe(0);
      expect(gpus).toEqual([
        expect.objectContaining({ index: 0, name: 'Tesla T4', memoryUsedMiB: 100 }),
      ]);
    }
  });

  it('fuzz (deeper seed): an index past 2^53 is unknown, the row still read', () => {
    const { gpus } = parseNvidiaSmiCsv(
      '114341143411434114340, NVIDIA H200, GPU-1, 0, 0, 143771, 35, 115.35\n',
    );
    expect(gpus).toEqual([expect.objectContaining({ index: null, name: 'NVIDIA H200' })]);
  });

  it('fuzz F4: a line of 1 MiB of `[`, or of blanks between two letters, is one invalid row', () => {
    expect(parseNvidiaSmiCsv('['.repeat(MIB))).toEqual({ gpus: [], invalid: 1, header: false });
    expect(parseNvidiaSmiCsv(`x${' '.repeat(MIB)}y`)).toEqual({
      gpus: [],
      invalid: 1,
      header: false,
    });
  });
});

describe('probeGpu (fake host)', () => {
  it('nvidia-smi not installed and no controller: unavailable, never error', async () => {
    const result = await probeGpu(createFakeHost(), {
      controllers: async () => ({ ok: true, controllers: [], durationMs: 1 }),
    });
    expect(result.status).toBe('unavailable');
    expect(result.message).toMatch(/No GPU found.*nvidia-smi is not installed/);
    expect(result.evidence).toContainEqual(
      expect.objectContaining({ kind: 'exec', outcome: 'not installed (ENOENT)' }),
    );
  });

  it('no NVIDIA driver loaded (no /proc/driver/nvidia, no /dev/nvidiactl): nvidia-smi is not run', async () => {
    const host = createFakeHost({ dirs: { '/dev': ['null', 'tty', 'zero'] } });
    const result = await probeGpu(host, { controllers: false });
    expect(host.execCalls).toEqual([]);
    expect(result.status).toBe('unavailable');
    expect(result.message).toMatch(/No NVIDIA driver is loaded/);
  });

  it('/dev/nvidiactl present: nvidia-smi is asked', async () => {
    const host = createFakeHost({ dirs: { '/dev': ['null', 'nvidiactl', 'nvidia0'] } });
    await probeGpu(host, { controllers: false });
    expect(host.execCalls.map((argv) => argv[0])).toEqual(['nvidia-smi']);
  });

  it('no driver (nvidia-smi cannot talk to it): unavailable', async () => {
    const host = createFakeHost({
      exec: {
        [SMI_KEY]: {
          code: 9,
          stdout:
            "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n",
        },
      },
    });
    const result = await probeGpu(host, { controllers: false });
    expect(result.status).toBe('unavailable');
  });

  it('Windows: nvidia-smi.exe by its System32 path, never a bare name found through PATH', async () => {
    const host = createFakeHost({
      platform: 'win32',
      exec: { [NVIDIA_SMI_WIN32_ARGV.join(' ')]: { code: 0, stdout: NOHEADER } },
    });
    const result = await probeGpu(host, { controllers: false });
    expect(result.status).toBe('ok');
    expect(host.execCalls).toEqual([[...NVIDIA_SMI_WIN32_ARGV]]);
    expect(NVIDIA_SMI_WIN32_ARGV[0]).toBe('C:\\Windows\\System32\\nvidia-smi.exe');
    const none = await probeGpu(createFakeHost({ platform: 'win32' }), { controllers: false });
    expect(none).toMatchObject({ status: 'unavailable' });
  });

  it('ok with live figures and the controller list', async () => {
    const host = createFakeHost({ exec: { [SMI_KEY]: { code: 0, stdout: NOHEADER } } });
    const result = await probeGpu(host, {
      controllers: async () => ({
        ok: true,
        controllers: [
          {
            vendor: 'NVIDIA Corporation',
            model: 'GH100 [H100 SXM5 80GB]',
            bus: '0000:18:00.0',
            vram: 81559,
          },
        ],
        durationMs: 3,
      }),
    });
    expect(result.status).toBe('ok');
    expect(result.data!.nvidia).toHaveLength(3);
    expect(result.data!.controllers).toEqual([
      {
        vendor: 'NVIDIA Corporation',
        model: 'GH100 [H100 SXM5 80GB]',
        bus: '0000:18:00.0',
        vramMiB: 81559,
      },
    ]);
    expect(() => gpuReportSchema.parse(result.data)).not.toThrow();
  });

  it('a controller but no nvidia-smi: ok, without live figures, and says so', async () => {
    const result = await probeGpu(createFakeHost(), {
      controllers: async () => ({
        ok: true,
        controllers: [
          {
            vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]',
            model: 'Navi 31',
            bus: null,
            vram: 24576,
          },
        ],
        durationMs: 3,
      }),
    });
    expect(result.status).toBe('ok');
    expect(result.data!.nvidia).toBeNull();
    expect(result.message).toMatch(/No live figures/);
  });

  it('a hung nvidia-smi (timed out) is an error, the scan goes on', async () => {
    const host = createFakeHost({
      exec: { [SMI_KEY]: { code: null, timedOut: true, signal: 'SIGKILL' } },
    });
    const result = await probeGpu(host, { controllers: false });
    expect(result.status).toBe('error');
  });
});

describe('vramByInstance', () => {
  it('sums /api/ps per instance, each model once across listeners', () => {
    const ps = [
      { name: 'llama3.2:3b', size: 3_000_000_000, sizeVram: 2_500_000_000 },
      { name: 'qwen2.5-coder:1.5b', size: 1_500_000_000, sizeVram: 1_500_000_000 },
    ];
    expect(
      vramByInstance([
        { id: 'ollama:pid:1', fingerprints: [{ loadedModels: ps }, { loadedModels: ps }] },
        { id: 'ollama:pid:2', fingerprints: [{ loadedModels: [] }] },
        { id: 'ollama:pid:3', fingerprints: [{ loadedModels: null }] },
        {
          id: 'ollama:pid:4',
          fingerprints: [{ loadedModels: [{ name: 'x', size: 5, sizeVram: null }] }],
        },
      ]),
    ).toEqual([
      {
        instanceId: 'ollama:pid:1',
        loadedModels: 2,
        vramBytes: 4_000_000_000,
        totalBytes: 4_500_000_000,
      },
      { instanceId: 'ollama:pid:2', loadedModels: 0, vramBytes: null, totalBytes: null },
      { instanceId: 'ollama:pid:3', loadedModels: 0, vramBytes: null, totalBytes: null },
      { instanceId: 'ollama:pid:4', loadedModels: 1, vramBytes: null, totalBytes: 5 },
    ]);
  });
});

describe('on this machine (no GPU)', () => {
  it('systeminformation in a worker: answers, and the event loop keeps turning meanwhile', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 2);
    const result = await graphicsControllers(10_000);
    clearInterval(timer);
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (result.ok) expect(Array.isArray(result.controllers)).toBe(true);
    expect(ticks).toBeGreaterThan(0);
  });

  it('a missing package is reported, not thrown', async () => {
    await expect(graphicsControllers(1000, null)).resolves.toMatchObject({
      ok: false,
      error: 'missing',
    });
  });

  it('the whole probe: unavailable without a GPU, or ok where there is one', async () => {
    const result = await probeGpu(createNodeHost(), { controllers: graphicsControllers });
    expect(['unavailable', 'ok']).toContain(result.status);
    if (result.status === 'unavailable') expect(result.message).toMatch(/No GPU found/);
  });
});
