/**
 * GPU readings between scans for the Activity chart: taken only when the last scan found an
 * NVIDIA GPU (no nvidia-smi spawned otherwise), kept with the scans' own readings, and pushed
 * to the window as gpu-sample events. nvidia-smi's answer is the one recorded on an H200.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { AppEvent } from '../../../shared/api';
import { NVIDIA_SMI_ARGV } from '../../../electron/engine/probes/gpu';
import { createService } from '../../../electron/engine/service/service';
import { createFakeHost } from '../../support/fake-host';

const RECORDED = fs
  .readFileSync(
    fileURLToPath(
      new URL('../../fixtures/gpu/nvidia-smi-h200-noheader-nounits.txt', import.meta.url),
    ),
    'utf8',
  )
  .split('\n')
  .filter((line) => !line.startsWith('#'))
  .join('\n');

function service(withGpu: boolean) {
  const host = createFakeHost({
    files: withGpu ? { '/proc/driver/nvidia/version': 'NVRM version: 580.159.04\n' } : {},
    dirs: { '/dev': withGpu ? ['null', 'nvidiactl'] : ['null'] },
    exec: withGpu ? { [NVIDIA_SMI_ARGV.join(' ')]: { code: 0, stdout: RECORDED } } : {},
  });
  const events: AppEvent[] = [];
  const made = createService({
    host,
    elevate: { host, privileged: ['/nonexistent'], interactive: false },
    settingsPath: '/nonexistent/settings.json',
    emit: (event) => events.push(event),
  });
  return { made, host, events };
}

it('with an NVIDIA GPU: a reading between scans joins the chart and is pushed', async () => {
  const { made, host, events } = service(true);
  expect(await made.sampleGpu()).toBeNull(); // no scan yet: nothing known, nothing run
  expect(host.execCalls.filter((argv) => argv[0] === 'nvidia-smi')).toHaveLength(0);
  const first = await made.scan({});
  expect(first.gpuHistory).toHaveLength(1);
  const sample = await made.sampleGpu();
  expect(sample).toMatchObject({ utilizationPercent: 0, memoryUsedMiB: 0, memoryTotalMiB: 143771 });
  expect(events.at(-1)).toEqual({ type: 'gpu-sample', sample });
  expect((await made.snapshot({}))?.gpuHistory).toHaveLength(2);
});

it('without one: nvidia-smi is never run between scans', async () => {
  const { made, host } = service(false);
  await made.scan({});
  expect(await made.sampleGpu()).toBeNull();
  expect(host.execCalls.filter((argv) => argv[0] === 'nvidia-smi')).toHaveLength(0);
});
