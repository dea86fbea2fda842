/**
 * The one place where the renderer reaches the engine. Every `window.paddock` method arrives
 * here on its own channel; a sender that is not Paddock's own page is refused, the payload is
 * validated against the contract (shared/api.ts) before the engine hears of it, and the
 * engine's answer is validated again before the page sees it. Handlers always answer an
 * envelope: nothing is thrown across IPC.
 */
import type { IpcMainInvokeEvent } from 'electron';
import type { z } from 'zod';
import { API, API_METHODS, EVENTS_CHANNEL, apiErrorSchema, appEventSchema } from '../../shared/api';
import type { ApiErrorKind, ApiMethod, AppEvent, Envelope } from '../../shared/api';

/** The part of Electron's ipcMain the manager uses. */
export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>,
  ): void;
  removeHandler(channel: string): void;
}

/** Asks the engine; answers an envelope (the engine host never rejects). */
export type EngineCall = (method: ApiMethod, request: unknown) => Promise<Envelope<unknown>>;

export interface ApiRegistration {
  ipcMain: IpcMainLike;
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  call: EngineCall;
  log?: (message: string) => void;
}

const MAX_ISSUES_SHOWN = 5;

function failure(kind: ApiErrorKind, message: string): Envelope<never> {
  return { ok: false, error: { kind, message } };
}

/** Zod's issues in one line a person can read: "fixId: Invalid option…; instance: …". */
export function describeIssues(error: z.ZodError): string {
  const lines = error.issues.slice(0, MAX_ISSUES_SHOWN).map((issue) => {
    const where = issue.path.map(String).join('.');
    return where ? `${where}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length - MAX_ISSUES_SHOWN;
  if (more > 0) lines.push(`and ${more} more`);
  return lines.join('; ');
}

/**
 * One call from the page, start to end: sender, payload, engine, answer. Exported for the
 * tests and for anything else that must answer exactly as the IPC handler does.
 */
export async function handleApiCall(
  method: ApiMethod,
  event: IpcMainInvokeEvent,
  args: readonly unknown[],
  registration: Omit<ApiRegistration, 'ipcMain'>,
): Promise<Envelope<unknown>> {
  const log = registration.log ?? ((message: string) => console.warn(message));
  let trusted = false;
  try {
    trusted = registration.isTrustedSender(event);
  } catch {
    trusted = false;
  }
  if (!trusted) {
    log(`Paddock refused ${method} from a sender that is not its window`);
    return failure('refused', 'Only Paddock’s own window may ask this.');
  }
  if (args.length !== 1) {
    return failure('invalid-request', `${method} takes exactly one request object.`);
  }
  const request = API[method].request.safeParse(args[0]);
  if (!request.success) {
    return failure('invalid-request', `${method}: ${describeIssues(request.error)}`);
  }
  let answer: unknown;
  try {
    answer = await registration.call(method, request.data);
  } catch (error) {
    return failure('unavailable', `The engine could not be asked (${String(error)}).`);
  }
  return checkAnswer(method, answer, log);
}

function checkAnswer(
  method: ApiMethod,
  answer: unknown,
  log: (message: string) => void,
): Envelope<unknown> {
  const envelope = answer as Partial<{ ok: unknown; value: unknown; error: unknown }> | null;
  if (typeof envelope === 'object' && envelope !== null && envelope.ok === false) {
    const error = apiErrorSchema.safeParse(envelope.error);
    if (error.success) return { ok: false, error: error.data };
  } else if (typeof envelope === 'object' && envelope !== null && envelope.ok === true) {
    const value = API[method].result.safeParse(envelope.value);
    if (value.success) return { ok: true, value: value.data };
    log(`The engine's answer to ${method} is not the contract's: ${describeIssues(value.error)}`);
    return failure(
      'invalid-result',
      `The engine's answer to ${method} does not have the expected shape (${describeIssues(value.error)}).`,
    );
  }
  log(`The engine's answer to ${method} is not an envelope`);
  return failure('invalid-result', `The engine's answer to ${method} could not be read.`);
}

/**
 * Registers a handler for every API method; returns the function that removes them all.
 */
export function registerApi(registration: ApiRegistration): () => void {
  const { ipcMain, ...rest } = registration;
  for (const method of API_METHODS) {
    ipcMain.handle(API[method].channel, (event, ...args) =>
      handleApiCall(method, event, args, rest),
    );
  }
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(API[method].channel);
  };
}

/** The parts of a window the sender check needs. */
export interface OwnWindow {
  webContents: { mainFrame: { processId: number; routingId: number } };
}

/**
 * The sender check for Paddock's window: the call comes from that window's web contents, from
 * its main frame (never an iframe), and the frame shows Paddock's page.
 */
export function ownWindowSenderCheck(
  getWindow: () => OwnWindow | null,
  isAppUrl: (url: string) => boolean,
): (event: IpcMainInvokeEvent) => boolean {
  return (event) => {
    const window = getWindow();
    if (!window) return false;
    if (event.sender !== window.webContents) return false;
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return false;
    // WebFrameMain wrappers are not guaranteed to be the same object: compare the ids.
    const main = window.webContents.mainFrame;
    if (frame.processId !== main.processId || frame.routingId !== main.routingId) return false;
    return isAppUrl(frame.url);
  };
}

/** The part of WebContents sendEvent uses. */
export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/**
 * Pushes one AppEvent to the page, only when it matches the contract; others are dropped and
 * logged. Returns whether it was sent.
 */
export function sendEvent(
  target: EventTarget | null | undefined,
  event: unknown,
  log: (message: string) => void = (message) => console.warn(message),
): boolean {
  const parsed = appEventSchema.safeParse(event);
  if (!parsed.success) {
    const type = (event as { type?: unknown } | null)?.type;
    log(
      `Paddock dropped an event (${String(type)}) that is not the contract's: ${describeIssues(parsed.error)}`,
    );
    return false;
  }
  if (!target || target.isDestroyed()) return false;
  const appEvent: AppEvent = parsed.data;
  target.send(EVENTS_CHANNEL, appEvent);
  return true;
}
