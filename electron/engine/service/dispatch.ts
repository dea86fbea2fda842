/**
 * One request to the engine, checked both ways against the contract (shared/api.ts): a request
 * that does not match its schema is refused before any work, and an answer that does not match
 * is never sent. Errors become envelopes with the engine's own words.
 */
import type { ApiMethod, Envelope } from '../../../shared/api';
import type { Service } from './service';
import { ServiceError } from './service';

function summary(issues: Array<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(request)'}: ${issue.message}`)
    .join('; ');
}

export async function dispatch(
  service: Service,
  method: string,
  request: unknown,
): Promise<Envelope<unknown>> {
  const { API } = await import('../../../shared/api');
  if (!Object.hasOwn(API, method))
    return {
      ok: false,
      error: { kind: 'invalid-request', message: `There is no method ${JSON.stringify(method)}.` },
    };
  const contract = API[method as ApiMethod];
  const parsed = contract.request.safeParse(request ?? {});
  if (!parsed.success)
    return {
      ok: false,
      error: {
        kind: 'invalid-request',
        message: `Refused ${method}: ${summary(parsed.error.issues)}. Nothing was done.`,
      },
    };
  let value: unknown;
  try {
    const handler = service[method as ApiMethod] as (request: unknown) => Promise<unknown>;
    value = await handler(parsed.data);
  } catch (error) {
    return {
      ok: false,
      error: {
        kind: 'engine',
        message:
          error instanceof ServiceError
            ? error.message
            : `Paddock's engine failed: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
  const checked = contract.result.safeParse(value);
  if (!checked.success)
    return {
      ok: false,
      error: {
        kind: 'invalid-result',
        message: `The engine's answer to ${method} is not in the expected shape (${summary(checked.error.issues)}).`,
      },
    };
  return { ok: true, value: checked.data };
}
