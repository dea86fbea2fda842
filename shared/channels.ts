/**
 * The zod-free half of the IPC contract (shared/api.ts): channel names, the answer envelope and
 * its unwrapping. The sandboxed preload imports only this file, so it stays small.
 */
export const CHANNELS = {
  scan: 'paddock:scan',
  snapshot: 'paddock:snapshot',
  planFix: 'paddock:plan-fix',
  shareOffers: 'paddock:share-offers',
  applyFix: 'paddock:apply-fix',
  undo: 'paddock:undo',
  acceptRisk: 'paddock:accept-risk',
  withdrawRisk: 'paddock:withdraw-risk',
  history: 'paddock:history',
  getSettings: 'paddock:get-settings',
  updateSettings: 'paddock:update-settings',
  adminCopy: 'paddock:admin-copy',
} as const;

/** Main → renderer pushes go on this one channel, each validated with appEventSchema. */
export const EVENTS_CHANNEL = 'paddock:event';

export const ERROR_KINDS = [
  /** The request did not match its schema (nothing was done). */
  'invalid-request',
  /** The sender is not Paddock's own window. */
  'refused',
  /** The engine answered something that is not the contract's shape. */
  'invalid-result',
  /** The engine refused or failed, with its reason (no server, a busy lock, a stale plan). */
  'engine',
  /** The engine process is not running. */
  'unavailable',
] as const;
export type ApiErrorKind = (typeof ERROR_KINDS)[number];
export interface ApiError {
  kind: ApiErrorKind;
  message: string;
}
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export class PaddockError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PaddockError';
  }
}

/** What the preload does with each answer: the value, or a PaddockError with the engine's words. */
export function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope && envelope.ok === true) return envelope.value;
  const error = envelope && envelope.ok === false ? envelope.error : null;
  throw new PaddockError(
    error?.kind ?? 'invalid-result',
    error?.message ?? 'Paddock received an answer it cannot read.',
  );
}
