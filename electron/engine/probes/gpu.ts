/**
 * GPUs and what Ollama holds on them. Two sources, run together and both bounded:
 *
 *   - the controller list from `systeminformation` (host/gpu-controllers.ts: in a worker
 *     thread, with si's own blocking nvidia-smi call refused);
 *   - live figures from `nvidia-smi --query-gpu=… --format=csv,noheader,nounits`, run by argv
 *     with a timeout (utilisation, memory used/total, temperature, power).
 *
 * No GPU, no driver or no nvidia-smi is `unavailable`, never an error. The VRAM of Ollama's
 * loaded models comes from /api/ps (the fingerprint's loadedModels): see judge/vram.ts.
 */
import type { Evidence, ProbeResult } from '../../../shared/snapshot';
import type { GpuController, GpuReport, NvidiaGpu } from '../../../shared/gpu';
import type { GraphicsControllers, GraphicsControllersResult } from '../host/gpu-controllers';
import type { Host } from '../host/types';
import { cleanText } from '../text/untrusted';
import { execEvidence, fileEvidence, runProbe } from './probe';

export const NVIDIA_SMI_FIELDS = [
  'index',
  'name',
  'uuid',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
] as const;
export type NvidiaSmiField = (typeof NVIDIA_SMI_FIELDS)[number];

export const NVIDIA_SMI_ARGV: readonly string[] = [
  'nvidia-smi',
  `--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`,
  '--format=csv,noheader,nounits',
];

/**
 * Windows (issue 17): the NVIDIA driver (DCH, the only kind since 2019) installs nvidia-smi.exe
 * in System32; it is run by that path, never found through PATH.
 */
export const NVIDIA_SMI_WIN32_ARGV: readonly string[] = [
  'C:\\Windows\\System32\\nvidia-smi.exe',
  ...NVIDIA_SMI_ARGV.slice(1),
];

const NVIDIA_TIMEOUT_MS = 3000;
const CONTROLLERS_TIMEOUT_MS = 5000;
const PROBE_DEADLINE_MS = 6000;
const MAX_GPUS = 64;

// ── nvidia-smi CSV ───────────────────────────────────────────────────────────────────────

/** Values nvidia-smi prints instead of a figure, with or without the brackets. */
const NOT_A_VALUE =
  /^\[?\s*(?:N\/A|Not Supported|Unknown Error|Insufficient Permissions|GPU is lost|Not Available|Requested functionality has been deprecated)\s*\]?$/i;
const NUMBER_WITH_UNIT = /^(-?\d+(?:\.\d+)?)\s*(?:%|MiB|GiB|KiB|W|C|MHz|°C)?$/;

/** "75 %", "1024 MiB", "74.56 W", "41" → number; "[N/A]", "[Not Supported]", junk → null. */
export function nvidiaNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const value = text.trim();
  if (value === '' || NOT_A_VALUE.test(value)) return null;
  const m = NUMBER_WITH_UNIT.exec(value);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

function nvidiaText(text: string | undefined, max: number): string | null {
  if (text === undefined) return null;
  const value = text.trim();
  return value === '' || NOT_A_VALUE.test(value) ? null : cleanText(value, max);
}

/** "memory.used [MiB]" → "memory.used". */
/**
 * A header cell without its unit: "memory.used [MiB]" is "memory.used". The same as
 * cell.replace(/\s*\[[^\]]*\]\s*$/, ''), which was quadratic on a run of `[` or of blanks
 * (fuzz-findings.md F4): the unit is the first `[` after the last-but-one `]`, to a `]` that
 * only blanks follow, and the blanks before it go with it.
 */
function headerField(cell: string): string {
  const text = cell.trimEnd();
  let field = cell;
  if (text.endsWith(']')) {
    const open = text.indexOf('[', text.lastIndexOf(']', text.length - 2) + 1);
    if (open >= 0 && open < text.length - 1) {
      let start = open;
      while (start > 0 && /\s/.test(text.charAt(start - 1))) start--;
      field = text.slice(0, start);
    }
  }
  return field.trim().toLowerCase();
}

function isHeader(cells: string[]): boolean {
  const known = new Set<string>(NVIDIA_SMI_FIELDS);
  return cells.some((c) => known.has(headerField(c))) && !cells.some((c) => /^\d+$/.test(c.trim()));
}

export interface NvidiaSmiParse {
  gpus: NvidiaGpu[];
  /** Lines that could not be read (an error message, a short row); skipped. */
  invalid: number;
  /** The header line was present (`--format=csv` without noheader). */
  header: boolean;
}

/**
 * Parses nvidia-smi `--query-gpu` CSV, with or without the header line and with or without
 * units ("nounits"). Columns are taken from the header when there is one, else `fields`
 * (default: NVIDIA_SMI_FIELDS, the order Paddock asks for). nvidia-smi does not quote: a row
 * with more cells than columns has commas in the GPU name, and the extra cells are put back
 * into it. Several GPUs give several rows.
 */
export function parseNvidiaSmiCsv(
  text: string,
  fields: readonly string[] = NVIDIA_SMI_FIELDS,
): NvidiaSmiParse {
  const result: NvidiaSmiParse = { gpus: [], invalid: 0, header: false };
  let columns = fields.map((f) => f.toLowerCase());
  const lines = text.replace(/\r/g, '').split('\n');
  let first = true;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    let cells = line.split(',').map((c) => c.trim());
    if (first) {
      first = false;
      if (isHeader(cells)) {
        columns = cells.map(headerField);
        result.header = true;
        continue;
      }
    }
    const nameAt = columns.indexOf('name');
    if (cells.length > columns.length && nameAt >= 0) {
      const extra = cells.length - columns.length;
      cells = [
        ...cells.slice(0, nameAt),
        cells.slice(nameAt, nameAt + extra + 1).join(', '),
        ...cells.slice(nameAt + extra + 1),
      ];
    }
    if (cells.length !== columns.length) {
      result.invalid += 1;
      continue;
    }
    const cell = (field: NvidiaSmiField) => {
      const i = columns.indexOf(field);
      return i >= 0 ? cells[i] : undefined;
    };
    const index = nvidiaNumber(cell('index'));
    const uuid = nvidiaText(cell('uuid'), 80);
    const name = nvidiaText(cell('name'), 120);
    // A row must at least say which GPU it is.
    if (name === null && uuid === null && index === null) {
      result.invalid += 1;
      continue;
    }
    if (result.gpus.length >= MAX_GPUS) break;
    result.gpus.push({
      index: index !== null && Number.isSafeInteger(index) ? index : null,
      name: name ?? '',
      uuid,
      utilizationPercent: nvidiaNumber(cell('utilization.gpu')),
      memoryUsedMiB: nvidiaNumber(cell('memory.used')),
      memoryTotalMiB: nvidiaNumber(cell('memory.total')),
      temperatureC: nvidiaNumber(cell('temperature.gpu')),
      powerDrawW: nvidiaNumber(cell('power.draw')),
    });
  }
  return result;
}

// ── controllers ──────────────────────────────────────────────────────────────────────────

export function toControllers(result: GraphicsControllersResult): GpuController[] {
  if (!result.ok) return [];
  return result.controllers
    .filter((c) => c.vendor !== '' || c.model !== '')
    .map((c) => ({
      vendor: cleanText(c.vendor, 80),
      model: cleanText(c.model, 120),
      bus: c.bus === null ? null : cleanText(c.bus, 40),
      vramMiB: c.vram,
    }));
}

// ── the probe ────────────────────────────────────────────────────────────────────────────

const NO_DRIVER =
  /couldn't communicate with the nvidia driver|no devices were found|driver\/library version mismatch|nvml/i;

export interface GpuProbeOptions {
  /** The controller list (host/gpu-controllers.ts graphicsControllers); false to skip it. */
  controllers?: GraphicsControllers | false;
}

/**
 * The NVIDIA kernel driver announces itself in /proc/driver/nvidia and /dev/nvidiactl. Without
 * either, nvidia-smi has nothing to say and is not run (a spawn saved on every scan).
 */
async function nvidiaDriverLoaded(host: Host): Promise<{ loaded: boolean; evidence: Evidence }> {
  const version = await host.readFile('/proc/driver/nvidia/version', 4096);
  if (version.ok) return { loaded: true, evidence: fileEvidence(version) };
  const dev = await host.readDir('/dev');
  const loaded = !dev.ok || dev.entries.includes('nvidiactl');
  return {
    loaded,
    evidence: {
      kind: 'file',
      ref: '/proc/driver/nvidia/version, /dev/nvidiactl',
      outcome: loaded
        ? `${version.code}; /dev/nvidiactl present`
        : 'neither exists: no NVIDIA driver loaded',
    },
  };
}

/** Issue 16: what a Mac lets an ordinary program know of its GPU. */
export const DARWIN_GPU_MESSAGE =
  'Apple silicon gives programs without admin rights no GPU utilisation counter (only powermetrics, as root, has one); the models Ollama has loaded and their memory come from its /api/ps.';

export async function probeGpu(
  host: Host,
  options: GpuProbeOptions = {},
): Promise<ProbeResult<GpuReport | null>> {
  return runProbe<GpuReport | null>(host, 'gpu', null, PROBE_DEADLINE_MS, async () => {
    if (host.platform === 'darwin')
      return {
        status: 'unavailable',
        data: null,
        evidence: [],
        message: DARWIN_GPU_MESSAGE,
      };
    const evidence: Evidence[] = [];
    const controllersCall = options.controllers
      ? options.controllers(CONTROLLERS_TIMEOUT_MS)
      : Promise.resolve(null);
    // Windows has no /proc or /dev to ask: nvidia-smi.exe's absence says there is no driver.
    const driver =
      host.platform === 'win32' ? { loaded: true, evidence: null } : await nvidiaDriverLoaded(host);
    if (driver.evidence) evidence.push(driver.evidence);
    const [smi, listed] = await Promise.all([
      driver.loaded
        ? host.exec(host.platform === 'win32' ? NVIDIA_SMI_WIN32_ARGV : NVIDIA_SMI_ARGV, {
            timeoutMs: NVIDIA_TIMEOUT_MS,
            maxBytes: 256 * 1024,
          })
        : Promise.resolve(null),
      controllersCall,
    ]);
    if (smi) evidence.push(execEvidence(smi));
    const notes: string[] = [];
    if (listed) {
      evidence.push({
        kind: 'os',
        ref: 'systeminformation graphics() controller list (worker thread)',
        outcome: listed.ok ? `${listed.controllers.length} controller(s)` : listed.message,
      });
      if (!listed.ok && listed.error !== 'missing')
        notes.push(`The controller list could not be read (${listed.message}).`);
    }
    const controllers = listed ? toControllers(listed) : [];

    let nvidia: NvidiaGpu[] | null = null;
    let nvidiaProblem: { status: 'unavailable' | 'error'; message: string } | null = null;
    if (!smi) nvidiaProblem = { status: 'unavailable', message: 'No NVIDIA driver is loaded.' };
    else if (smi.spawnError === 'ENOENT')
      nvidiaProblem = { status: 'unavailable', message: 'nvidia-smi is not installed.' };
    else if (smi.spawnError)
      nvidiaProblem = {
        status: 'error',
        message: `nvidia-smi could not be started (${smi.spawnError}).`,
      };
    else if (smi.timedOut)
      nvidiaProblem = {
        status: 'error',
        message: `nvidia-smi did not answer within ${NVIDIA_TIMEOUT_MS} ms.`,
      };
    else if (smi.code !== 0) {
      const said = cleanText(`${smi.stdout}\n${smi.stderr}`.trim().split('\n')[0] ?? '', 200);
      nvidiaProblem = NO_DRIVER.test(`${smi.stdout}\n${smi.stderr}`)
        ? { status: 'unavailable', message: `No NVIDIA GPU is usable: ${said}` }
        : { status: 'error', message: `nvidia-smi failed (exit ${smi.code}): ${said}` };
    } else {
      const parsed = parseNvidiaSmiCsv(smi.stdout);
      nvidia = parsed.gpus;
      if (parsed.invalid > 0)
        notes.push(
          `${parsed.invalid} line${parsed.invalid === 1 ? '' : 's'} of nvidia-smi could not be read.`,
        );
      if (parsed.gpus.length === 0)
        nvidiaProblem = { status: 'unavailable', message: 'nvidia-smi listed no GPU.' };
    }

    if (nvidia === null || nvidia.length === 0) {
      if (controllers.length === 0) {
        if (nvidiaProblem?.status === 'error')
          return {
            status: 'error',
            data: null,
            evidence,
            message: [nvidiaProblem.message, ...notes].join(' '),
          };
        return {
          status: 'unavailable',
          data: null,
          evidence,
          message: ['No GPU found.', nvidiaProblem?.message ?? '', ...notes]
            .filter(Boolean)
            .join(' '),
        };
      }
      if (nvidiaProblem) notes.unshift(`No live figures: ${nvidiaProblem.message}`);
    }
    return {
      status: 'ok',
      data: { controllers, nvidia: nvidia && nvidia.length > 0 ? nvidia : null },
      evidence,
      message: notes.length > 0 ? notes.join(' ') : undefined,
    };
  });
}
