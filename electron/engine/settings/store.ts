/**
 * Paddock's settings file: `$XDG_CONFIG_HOME/paddock/settings.json`, else
 * `~/.config/paddock/settings.json`, holding `{ version: 1, acceptedRisks: [...] }`.
 *
 * - Read through the host's capped reader and validated (zod, loaded only when a file is
 *   read, which keeps it out of start-up). A file that does not validate is never overwritten:
 *   every write refuses with an error naming the file, until the user fixes it by hand or
 *   asks for `resetSettings`, which keeps it as `settings.json.corrupt-<time>`.
 * - Written atomically (host/atomic-write.ts): a crash leaves the old file or the new one.
 * - Keys this version does not know are kept when the file is rewritten.
 * - Reasons are the user's free text and end up in terminals and reports: control and bidi
 *   characters are removed and the length is capped, on write and again on read.
 *
 * Two Paddock processes changing the file at the same moment can lose one change (the last
 * rename wins); the file is never torn.
 */
import type { AcceptedRisk, Finding } from '../../../shared/findings';
import { cleanText } from '../text/untrusted';
import { moveAside, writeFileAtomic } from '../host/atomic-write';
import type { Preferences } from '../../../shared/api';
import { readFileCapped } from '../host/files';
import type { Host } from '../host/types';

export const SETTINGS_VERSION = 1;
export const MAX_REASON_LENGTH = 500;
const MAX_SETTINGS_BYTES = 1024 * 1024;
const RULE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const MAX_RULE_ID_LENGTH = 100;
/** Instance ids are printable ASCII without spaces: "ollama:pid:1234", "ollama:docker:name". */
const INSTANCE_ID = /^[\x21-\x7e]{1,200}$/;

export interface Settings {
  version: 1;
  acceptedRisks: AcceptedRisk[];
  /** Keys a newer Paddock may have written; kept on rewrite. */
  [key: string]: unknown;
}

export type SettingsErrorKind =
  /** Not JSON, or not the shape of a settings file. */
  | 'corrupt'
  /** Written by a newer Paddock (version > 1). */
  | 'newer-version'
  /** Could not be read (permissions, not a regular file, too large). */
  | 'unreadable'
  /** The new file could not be written (the old one is untouched). */
  | 'unwritable'
  /** The caller's request is not valid (bad rule id, past expiry, empty reason). */
  | 'invalid-input';

export class SettingsError extends Error {
  constructor(
    readonly kind: SettingsErrorKind,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** `$XDG_CONFIG_HOME/paddock/settings.json` (an absolute one only, per XDG), else `~/.config/…`. */
export function defaultSettingsPath(host: Pick<Host, 'env' | 'homeDir'>): string {
  const xdg = host.env('XDG_CONFIG_HOME');
  const base = xdg && xdg.startsWith('/') ? xdg.replace(/\/+$/, '') : `${host.homeDir()}/.config`;
  return `${base}/paddock/settings.json`;
}

export function emptySettings(): Settings {
  return { version: 1, acceptedRisks: [] };
}

// ── reasons are untrusted text ──────────────────────────────────────────────────────────

// C0, DEL, C1, zero-width space, LRM/RLM, line/paragraph separators, bidi embeddings,
// overrides and isolates, word joiner and invisible operators, BOM.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A reason made safe to store and print: line breaks and tabs become spaces, other control,
 * bidi and invisible characters are removed, spaces are collapsed, and the text is capped at
 * MAX_REASON_LENGTH characters (code points, so no emoji is cut in half).
 */
export function cleanReason(text: unknown): string {
  const value = typeof text === 'string' ? text : '';
  const cleaned = value
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]/g, ' ')
    .replace(INVISIBLE, '')
    .replace(LONE_SURROGATE, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(cleaned);
  return chars.length > MAX_REASON_LENGTH
    ? `${chars.slice(0, MAX_REASON_LENGTH - 1).join('')}…`
    : cleaned;
}

// ── reading ─────────────────────────────────────────────────────────────────────────────

async function settingsSchema() {
  const [{ z }, { acceptedRiskSchema }] = await Promise.all([
    import('zod'),
    import('../../../shared/findings'),
  ]);
  return z.looseObject({ version: z.literal(1), acceptedRisks: z.array(acceptedRiskSchema) });
}

function fixAdvice(path: string): string {
  return (
    `Paddock has not changed it and will not write to it until it is fixed: correct it by hand, ` +
    `or reset the settings (the file will be kept as ${path}.corrupt-<time>).`
  );
}

/**
 * The settings, validated. A missing file is the empty settings (nothing is written).
 * Throws SettingsError naming the file when it cannot be read or does not validate.
 */
export async function loadSettings(path: string): Promise<Settings> {
  const read = await readFileCapped(path, MAX_SETTINGS_BYTES);
  if (!read.ok) {
    if (read.code === 'ENOENT') return emptySettings();
    throw new SettingsError(
      'unreadable',
      path,
      `Paddock's settings file ${path} could not be read (${read.code}): ${cleanText(read.message, 200)}`,
    );
  }
  if (read.truncated) {
    throw new SettingsError(
      'corrupt',
      path,
      `Paddock's settings file ${path} is larger than ${MAX_SETTINGS_BYTES} bytes, so it is not a file Paddock wrote. ${fixAdvice(path)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(read.text) as unknown;
  } catch (error) {
    throw new SettingsError(
      'corrupt',
      path,
      `Paddock's settings file ${path} is not valid JSON (${cleanText((error as Error).message, 120)}). ${fixAdvice(path)}`,
    );
  }
  const version =
    typeof json === 'object' && json !== null ? (json as Record<string, unknown>).version : null;
  if (typeof version === 'number' && version > SETTINGS_VERSION) {
    throw new SettingsError(
      'newer-version',
      path,
      `Paddock's settings file ${path} has version ${version}, written by a newer Paddock; this one reads version ${SETTINGS_VERSION} and will not change it.`,
    );
  }
  const result = (await settingsSchema()).safeParse(json);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`)
      .join('; ');
    throw new SettingsError(
      'corrupt',
      path,
      `Paddock's settings file ${path} is not a valid settings file (${cleanText(problems, 300)}). ${fixAdvice(path)}`,
    );
  }
  const settings = result.data as Settings;
  return {
    ...settings,
    acceptedRisks: settings.acceptedRisks.map((risk) => ({
      ...risk,
      reason: cleanReason(risk.reason) || '(no readable reason)',
    })),
  };
}

function save(path: string, settings: Settings): void {
  try {
    writeFileAtomic(path, `${JSON.stringify(settings, null, 2)}\n`, 0o600);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SettingsError(
      'unwritable',
      path,
      `Paddock's settings file ${path} could not be written (${e.code ?? 'error'}): ${cleanText(e.message, 200)}. It is unchanged.`,
    );
  }
}

// ── changing accepted risks ─────────────────────────────────────────────────────────────

export interface AcceptRiskRequest {
  ruleId: string;
  /** Instance.id, or null for a host-wide finding. */
  instance: string | null;
  reason: string;
  /** When the acceptance lapses; null: until withdrawn. */
  expiresAt: Date | string | null;
}

function checkTarget(path: string, ruleId: unknown, instance: unknown): void {
  if (typeof ruleId !== 'string' || ruleId.length > MAX_RULE_ID_LENGTH || !RULE_ID.test(ruleId)) {
    throw new SettingsError('invalid-input', path, 'A rule id is kebab-case: letters, digits, -.');
  }
  if (instance !== null && (typeof instance !== 'string' || !INSTANCE_ID.test(instance))) {
    throw new SettingsError(
      'invalid-input',
      path,
      'An instance id is printable ASCII without spaces (at most 200 characters), or none.',
    );
  }
}

/**
 * Accepts the risk of one finding (rule + instance), replacing an earlier acceptance of the
 * same finding. Refuses, without writing, when the file does not validate.
 */
export async function acceptRisk(
  path: string,
  request: AcceptRiskRequest,
  now: Date,
): Promise<AcceptedRisk> {
  checkTarget(path, request.ruleId, request.instance);
  const reason = cleanReason(request.reason);
  if (reason.length === 0) {
    throw new SettingsError('invalid-input', path, 'Accepting a risk needs a reason.');
  }
  let expiresAt: string | null = null;
  if (request.expiresAt !== null && request.expiresAt !== undefined) {
    const when = new Date(request.expiresAt);
    if (Number.isNaN(when.getTime())) {
      throw new SettingsError('invalid-input', path, 'The expiry is not a date.');
    }
    if (when.getTime() <= now.getTime()) {
      throw new SettingsError('invalid-input', path, 'The expiry is already in the past.');
    }
    expiresAt = when.toISOString();
  }
  const settings = await loadSettings(path);
  const risk: AcceptedRisk = {
    ruleId: request.ruleId,
    instance: request.instance,
    reason,
    acceptedAt: now.toISOString(),
    expiresAt,
  };
  const same = (r: AcceptedRisk) => r.ruleId === risk.ruleId && r.instance === risk.instance;
  const index = settings.acceptedRisks.findIndex(same);
  const acceptedRisks =
    index === -1
      ? [...settings.acceptedRisks, risk]
      : settings.acceptedRisks
          .map((r, i) => (i === index ? risk : r))
          .filter((r, i) => i <= index || !same(r));
  save(path, { ...settings, acceptedRisks });
  return risk;
}

/** Withdraws the acceptance of one finding. False (and nothing written) when there was none. */
export async function withdrawRisk(
  path: string,
  ruleId: string,
  instance: string | null,
): Promise<boolean> {
  checkTarget(path, ruleId, instance);
  const settings = await loadSettings(path);
  const acceptedRisks = settings.acceptedRisks.filter(
    (r) => !(r.ruleId === ruleId && r.instance === instance),
  );
  if (acceptedRisks.length === settings.acceptedRisks.length) return false;
  save(path, { ...settings, acceptedRisks });
  return true;
}

/**
 * The user asked to start over: the current file, valid or not, is kept beside it
 * (`settings.json.corrupt-<time>` when it did not validate, `settings.json.previous-<time>`
 * when it did) and empty settings are written. Nothing is deleted.
 */
export async function resetSettings(path: string, now: Date): Promise<{ keptAs: string | null }> {
  let suffix = 'previous';
  try {
    await loadSettings(path);
  } catch (error) {
    if (!(error instanceof SettingsError) || error.kind === 'unreadable') throw error;
    suffix = 'corrupt';
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  let keptAs: string | null;
  try {
    keptAs = moveAside(path, `${suffix}-${stamp}`);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SettingsError(
      'unwritable',
      path,
      `Paddock's settings file ${path} could not be moved aside (${e.code ?? 'error'}); nothing was reset.`,
    );
  }
  save(path, emptySettings());
  return { keptAs };
}

// ── applying them to findings ───────────────────────────────────────────────────────────

/**
 * Marks the findings whose risk the user accepted. An acceptance counts while its expiry is
 * in the future (or it has none); an expired one, or one whose expiry is not a date, leaves
 * the finding unaccepted and says so in its evidence. Returns new findings; the input is not
 * changed.
 */
export function applyAcceptances(
  findings: Finding[],
  acceptedRisks: AcceptedRisk[],
  now: Date,
): Finding[] {
  return findings.map((finding) => {
    const risk = acceptedRisks.findLast(
      (r) => r.ruleId === finding.ruleId && r.instance === finding.instance,
    );
    if (!risk) return { ...finding, accepted: null };
    const reason = cleanReason(risk.reason) || '(no readable reason)';
    const expiry = risk.expiresAt === null ? null : new Date(risk.expiresAt);
    if (expiry !== null && !(expiry.getTime() > now.getTime())) {
      const note = Number.isNaN(expiry.getTime())
        ? `The acceptance has an expiry that is not a date (${cleanText(risk.expiresAt, 40)}), so it does not count and this finding counts again (reason given: "${reason}").`
        : `The acceptance expired on ${expiry.toISOString()}, so this finding counts again (reason given: "${reason}").`;
      return { ...finding, accepted: null, evidence: [...finding.evidence, note] };
    }
    return {
      ...finding,
      accepted: { reason, acceptedAt: risk.acceptedAt, expiresAt: risk.expiresAt },
    };
  });
}

// ── the app's preferences ───────────────────────────────────────────────────────────────

/**
 * The desktop app's preferences (scan interval, notifications, start at login), kept in the
 * same file under "preferences". A missing or invalid key reads as its default; the file's
 * other keys (accepted risks, a newer Paddock's keys) are kept on rewrite.
 */
export async function loadPreferences(path: string): Promise<Preferences> {
  const [settings, { DEFAULT_PREFERENCES, preferencesSchema }] = await Promise.all([
    loadSettings(path),
    import('../../../shared/api'),
  ]);
  const stored = settings.preferences;
  const result: Preferences = { ...DEFAULT_PREFERENCES };
  if (typeof stored === 'object' && stored !== null) {
    const shape = preferencesSchema.shape;
    for (const key of Object.keys(shape) as Array<keyof Preferences>) {
      const parsed = shape[key].safeParse((stored as Record<string, unknown>)[key]);
      if (parsed.success) (result as Record<string, unknown>)[key] = parsed.data;
    }
  }
  return result;
}

/** Changes some preferences; refuses (writing nothing) when the file does not validate. */
export async function updatePreferences(
  path: string,
  patch: Partial<Preferences>,
): Promise<Preferences> {
  const { preferencesSchema } = await import('../../../shared/api');
  const checked = preferencesSchema.partial().strict().safeParse(patch);
  if (!checked.success) {
    throw new SettingsError(
      'invalid-input',
      path,
      `Not a valid preference: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const settings = await loadSettings(path);
  const next = { ...(await loadPreferences(path)), ...checked.data };
  save(path, { ...settings, preferences: next });
  return next;
}
