import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * The machine's graphics controllers from the `systeminformation` package, kept off the
 * event loop. si.graphics() runs commands synchronously (dmidecode, and nvidia-smi with no
 * timeout), which would freeze the scan, the CLI's output and Electron's main process while
 * they run, and forever if the NVIDIA driver hangs. So:
 *
 *   - it runs in a worker thread: blocking calls there never stall the main thread, and the
 *     worker is abandoned (terminated, unref'd) at the deadline;
 *   - inside the worker, si's nvidia-smi call is refused before si loads (its own copy of
 *     child_process.execFileSync is wrapped; workers have their own module cache, so nothing
 *     outside the worker changes). Live NVIDIA figures come from our own async, bounded
 *     `nvidia-smi` run by argv instead (probes/gpu.ts). What si still runs here is its fixed
 *     lspci/dmidecode/clinfo command text, never anything built from system data.
 *
 * Without the package (not installed), the answer is `missing`, never an exception.
 */
export interface RawGpuController {
  vendor: string;
  model: string;
  bus: string | null;
  /** MiB, as si reports `vram`. */
  vram: number | null;
}

export type GraphicsControllersResult =
  | { ok: true; controllers: RawGpuController[]; durationMs: number }
  | { ok: false; error: 'missing' | 'timeout' | 'failed'; message: string; durationMs: number };

export type GraphicsControllers = (timeoutMs?: number) => Promise<GraphicsControllersResult>;

const DEFAULT_TIMEOUT_MS = 5000;
const MAX_CONTROLLERS = 64;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const childProcess = require('node:child_process');
const realExecFileSync = childProcess.execFileSync;
childProcess.execFileSync = function (file, ...rest) {
  if (/nvidia-smi(\\.exe)?$/i.test(String(file))) {
    const error = new Error('nvidia-smi is queried by Paddock itself, asynchronously');
    error.code = 'ENOENT';
    throw error;
  }
  return realExecFileSync.call(this, file, ...rest);
};
const si = require(workerData.modulePath);
si.graphics().then(
  (g) => {
    const list = (g && Array.isArray(g.controllers) ? g.controllers : []).slice(0, ${MAX_CONTROLLERS});
    parentPort.postMessage({
      ok: true,
      controllers: list.map((c) => ({
        vendor: typeof c.vendor === 'string' ? c.vendor : '',
        model: typeof c.model === 'string' ? c.model : '',
        bus: typeof c.busAddress === 'string' && c.busAddress ? c.busAddress : typeof c.bus === 'string' && c.bus ? c.bus : null,
        vram: typeof c.vram === 'number' && Number.isFinite(c.vram) ? c.vram : null,
      })),
    });
  },
  (e) => parentPort.postMessage({ ok: false, message: String((e && e.message) || e) }),
);
`;

/** Where `systeminformation` is, from this file (also inside the CLI bundle) or the working directory. */
export function resolveSystemInformation(): string | null {
  const bases = [
    typeof __filename === 'string' ? __filename : null,
    path.join(process.cwd(), 'package.json'),
  ];
  for (const base of bases) {
    if (!base) continue;
    try {
      return createRequire(base).resolve('systeminformation');
    } catch {
      // next base
    }
  }
  return null;
}

export function graphicsControllers(
  timeoutMs = DEFAULT_TIMEOUT_MS,
  modulePath: string | null = resolveSystemInformation(),
): Promise<GraphicsControllersResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  if (!modulePath)
    return Promise.resolve({
      ok: false,
      error: 'missing',
      message: 'the systeminformation package is not installed',
      durationMs: elapsed(),
    });
  return new Promise((resolve) => {
    let settled = false;
    let worker: Worker;
    const done = (result: GraphicsControllersResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate().catch(() => undefined);
      resolve(result);
    };
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { modulePath },
        stdout: true,
        stderr: true,
        resourceLimits: { maxOldGenerationSizeMb: 128 },
      });
    } catch (error) {
      resolve({ ok: false, error: 'failed', message: String(error), durationMs: elapsed() });
      return;
    }
    worker.unref();
    const timer = setTimeout(
      () =>
        done({
          ok: false,
          error: 'timeout',
          message: `the controller list did not come within ${timeoutMs} ms`,
          durationMs: elapsed(),
        }),
      timeoutMs,
    );
    worker.on('message', (message: unknown) => {
      const m = message as { ok?: boolean; controllers?: RawGpuController[]; message?: string };
      if (m.ok && Array.isArray(m.controllers))
        done({ ok: true, controllers: m.controllers, durationMs: elapsed() });
      else
        done({
          ok: false,
          error: 'failed',
          message: String(m.message ?? 'systeminformation failed'),
          durationMs: elapsed(),
        });
    });
    worker.on('error', (error) =>
      done({ ok: false, error: 'failed', message: error.message, durationMs: elapsed() }),
    );
    worker.on('exit', (code) =>
      done({
        ok: false,
        error: 'failed',
        message: `the worker exited (${code}) without an answer`,
        durationMs: elapsed(),
      }),
    );
  });
}
