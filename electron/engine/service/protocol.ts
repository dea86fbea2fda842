/**
 * How the Electron main process (or the test bridge) talks to the engine process: plain
 * structured-clone messages over Electron's utility-process port, or one JSON object per line
 * over stdio. The engine never trusts what it is sent: each request is validated with the
 * contract's schema (shared/api.ts) before any work, and the main process validates each answer.
 */
import type { ApiMethod, AppEvent, Envelope } from '../../../shared/api';

/** Work the shell asks of the engine that is not part of `window.paddock` (the tray, the monitor). */
export const CONTROL_METHODS = ['watch', 'pause', 'status', 'gpu'] as const;
export type ControlMethod = (typeof CONTROL_METHODS)[number];

/** main → engine */
export interface EngineRequest {
  id: number;
  method: ApiMethod | ControlMethod;
  request: unknown;
}

/** engine → main */
export type EngineMessage =
  | { type: 'ready'; pid: number }
  | { type: 'answer'; id: number; envelope: Envelope<unknown> }
  | { type: 'event'; event: AppEvent };

export function isEngineRequest(value: unknown): value is EngineRequest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return Number.isSafeInteger(v.id) && typeof v.method === 'string';
}

export function isEngineMessage(value: unknown): value is EngineMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    (v.type === 'ready' && typeof v.pid === 'number') ||
    (v.type === 'answer' && Number.isSafeInteger(v.id) && typeof v.envelope === 'object') ||
    (v.type === 'event' && typeof v.event === 'object')
  );
}
