/**
 * Issue 18: the engine's words a first-time user must not meet on the overview or the fix
 * dialog's first screen (ids, "listener", "pid", "nftables", "(direct)"). The browser tests
 * hold the visible text (innerText: what is rendered, folded details left out) to it.
 */
export const JARGON: readonly RegExp[] = [
  /ollama:port:/i,
  /ollama:pid:/i,
  /listener/i,
  /\bpid\b/i,
  /nftables/i,
  /\(direct\)/i,
];

/** The jargon found in a text, as the patterns that matched. */
export function jargonIn(text: string): string[] {
  return JARGON.filter((word) => word.test(text)).map((word) => word.source);
}
