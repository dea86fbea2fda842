/**
 * The one way the renderer reaches the engine: `window.paddock`, exposed by the preload.
 * Errors thrown across the context bridge keep their message but not their class, so
 * `errorMessage` reads the message of anything thrown.
 */
import type { PaddockApi } from '../../shared/api';

declare global {
  interface Window {
    paddock?: PaddockApi;
  }
}

/** The bridge, or null when the page runs outside Paddock's window (a plain browser). */
export function getApi(): PaddockApi | null {
  return typeof window !== 'undefined' && window.paddock ? window.paddock : null;
}

/** The engine's own words for what went wrong. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const message = (error as { message: unknown }).message;
    if (typeof message === 'string' && message) return message;
  }
  if (typeof error === 'string' && error) return error;
  return 'Paddock’s engine did not answer as expected.';
}
