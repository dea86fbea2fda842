/**
 * The engine process. Under Electron it is a utility process (electron/main/engine-host.ts)
 * and talks over process.parentPort; under the test bridge and `node` it talks one JSON object
 * per line over stdin/stdout. Either way the UI never waits on a probe, and a probe that hangs
 * or crashes takes down this process, not the window.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { AppEvent } from '../../../shared/api';
import { createNodeHost } from '../host/node-host';
import { defaultSettingsPath } from '../settings/store';
import { dispatch } from './dispatch';
import type { EngineMessage, EngineRequest } from './protocol';
import { CONTROL_METHODS, isEngineRequest } from './protocol';
import type { ServiceDeps } from './service';
import { createService } from './service';

/** A request line longer than this is not one the shell sent: refused, never parsed. */
const MAX_LINE = 4 * 1024 * 1024;

interface Port {
  send(message: EngineMessage): void;
  onMessage(handler: (message: unknown) => void): void;
}

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function electronPort(): Port | null {
  const parent = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (!parent) return null;
  return {
    send: (message) => parent.postMessage(message),
    onMessage: (handler) => parent.on('message', (event) => handler(event.data)),
  };
}

function stdioPort(): Port {
  return {
    send: (message) => {
      process.stdout.write(`${JSON.stringify(message)}\n`);
    },
    onMessage: (handler) => {
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.length === 0 || line.length > MAX_LINE) return;
        try {
          handler(JSON.parse(line));
        } catch {
          // Not JSON: nothing to answer (there is no id to answer to).
        }
      });
      lines.on('close', () => process.exit(0));
    },
  };
}

/**
 * argv that starts the `paddock` CLI for its privileged side (sudo/pkexec). Under Electron the
 * app's own binary runs it (`--paddock-cli`, electron/main/app-cli.ts; the runAsNode fuse is
 * off). Chromium refuses to start as root without --no-sandbox (it opens no window there), and
 * pkexec clears DISPLAY, hence the headless platform. Under Node: the CLI bundle beside this one.
 */
export function cliSelf(): string[] {
  if (process.versions.electron)
    return [process.execPath, '--no-sandbox', '--ozone-platform=headless', '--paddock-cli'];
  for (const candidate of [
    path.join(__dirname, 'paddock.cjs'),
    path.join(__dirname, '..', 'cli', 'paddock.cjs'),
  ]) {
    if (fs.existsSync(candidate)) return [process.execPath, candidate];
  }
  return [process.execPath, path.join(__dirname, 'paddock.cjs')];
}

export function startWorker(overrides: Partial<ServiceDeps> = {}): void {
  const port = electronPort() ?? stdioPort();
  const host = overrides.host ?? createNodeHost();
  const emit = (event: AppEvent) => port.send({ type: 'event', event });
  const service = createService({
    host,
    elevate: { host, self: cliSelf(), interactive: false },
    settingsPath: defaultSettingsPath(host),
    emit,
    ...overrides,
  });

  const handle = async (request: EngineRequest): Promise<void> => {
    if ((CONTROL_METHODS as readonly string[]).includes(request.method)) {
      port.send({
        type: 'answer',
        id: request.id,
        envelope: { ok: true, value: { pid: process.pid } },
      });
      return;
    }
    const envelope = await dispatch(service, request.method, request.request);
    port.send({ type: 'answer', id: request.id, envelope });
  };

  port.onMessage((message) => {
    if (!isEngineRequest(message)) return;
    void handle(message);
  });
  void service.recover().then((said) => {
    port.send({ type: 'ready', pid: process.pid });
    for (const text of said) if (text) process.stderr.write(`${text}\n`);
  });
}
