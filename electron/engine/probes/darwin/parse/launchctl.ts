/**
 * `launchctl getenv NAME`: the value launchd hands to the processes it starts in the caller's
 * domain (what `launchctl setenv OLLAMA_HOST 0.0.0.0` sets, the way Ollama's FAQ tells Mac
 * users to expose the app). launchctl(1): "getenv key: Prints the value of the environment
 * variable named key as it exists in launchd" (Darwin man page, e.g.
 * http://john-chambers.us/~jc/cgi/m2h?S=1&T=launchctl). It prints the value and a newline,
 * and nothing for a variable that is not set.
 *
 * Uncertain, no Mac to ask: whether a variable set to "" prints an empty line (read here as
 * set and empty) or nothing (read as not set), and the exit status for an unset variable;
 * the parser relies on the text only.
 */
/** argv for one variable (passed as argv, never through a shell); null for a bad name. */
export function launchctlGetenvArgv(name: string): readonly string[] | null {
  return /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name) ? ['launchctl', 'getenv', name] : null;
}

export interface LaunchctlGetenvResult {
  /** false: launchctl printed nothing. */
  set: boolean;
  /** The value without launchctl's trailing newline; null when not set or refused. */
  value: string | null;
  /** The output was refused (longer than MAX_GETENV_CHARS); value is null, set unknown. */
  refused: string | null;
}

/** launchd keeps values short in practice; anything past this is not a setting to trust. */
export const MAX_GETENV_CHARS = 64 * 1024;

/** Parses `launchctl getenv NAME` output; never throws. */
export function parseLaunchctlGetenv(stdout: string): LaunchctlGetenvResult {
  const text = typeof stdout === 'string' ? stdout : '';
  if (text.length > MAX_GETENV_CHARS) {
    return {
      set: false,
      value: null,
      refused: `output longer than ${MAX_GETENV_CHARS} characters`,
    };
  }
  if (text === '') return { set: false, value: null, refused: null };
  // Only launchctl's own newline goes; a value may itself hold newlines or spaces.
  const value = text.endsWith('\r\n')
    ? text.slice(0, -2)
    : text.endsWith('\n')
      ? text.slice(0, -1)
      : text;
  return { set: true, value, refused: null };
}
