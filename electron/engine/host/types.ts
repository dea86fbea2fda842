/**
 * The one door to the OS. Everything in the engine that needs the host receives a `Host`;
 * only the implementation in this folder spawns processes, reads system files or opens
 * sockets. Tests hand the engine a real Host (lab) or a fake one (unit).
 */
export type FsErrorCode =
  'ENOENT' | 'EACCES' | 'EPERM' | 'ENOTDIR' | 'EISDIR' | 'ELOOP' | 'EIO' | string;

export type FileRead =
  | {
      ok: true;
      path: string;
      text: string;
      truncated: boolean;
      /**
       * The bytes were not valid UTF-8; `text` has U+FFFD where they were. Absent when they
       * were valid (or the host does not say).
       */
      invalidUtf8?: boolean;
    }
  | { ok: false; path: string; code: FsErrorCode; message: string };

export type DirRead =
  | { ok: true; path: string; entries: string[] }
  | { ok: false; path: string; code: FsErrorCode; message: string };

export type LinkRead =
  | { ok: true; path: string; target: string }
  | { ok: false; path: string; code: FsErrorCode; message: string };

export interface ExecOptions {
  /** Kill the process after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Stop reading stdout and stderr past this many bytes each (default 4 MiB). */
  maxBytes?: number;
  /**
   * Leave stdin and stderr to the terminal, so that a program can ask there (sudo's password
   * prompt); only stdout is captured. For the CLI's --elevated, never for a probe.
   */
  interactive?: boolean;
  /** Written to the program's stdin, which is then closed (never with `interactive`). */
  input?: string;
}

export interface ExecResult {
  argv: string[];
  /** Exit code; null when killed or not started. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
  /** Set when the program could not be started: 'ENOENT' (not installed), 'EACCES'. */
  spawnError: FsErrorCode | null;
  durationMs: number;
}

/**
 * Bytes that several HTTP requests share: one scan's budget over every answer it reads, so
 * that many hostile listeners cannot make a scan hold more than this much, whatever each
 * request's own cap (host/http.ts `createByteBudget`).
 */
export interface ByteBudget {
  /** Its size in bytes, for messages. */
  readonly total: number;
  /** Takes up to `bytes`; returns how many were granted (fewer, or 0, once it runs out). */
  take(bytes: number): number;
  /** Bytes left. */
  remaining(): number;
}

/** Bounds and headers every HTTP request of the host takes (TCP and unix socket alike). */
export interface HttpBounds {
  headers?: Record<string, string>;
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
  /**
   * Body bytes read at most; an answer whose Content-Length says more is refused before its
   * body is read (truncated, `cut: 'content-length'`).
   */
  maxBodyBytes?: number;
  /**
   * A budget shared with other requests: each body byte is taken from it as it arrives, and
   * the body is cut (`cut: 'budget'`) when it grants no more, or refused before reading when
   * its Content-Length is more than is left. A Host's http honours it.
   */
  budget?: ByteBudget;
}

export interface HttpRequest extends HttpBounds {
  /** A literal IPv4 or IPv6 address (no brackets); names are never resolved here. */
  address: string;
  port: number;
  path: string;
  method?: 'GET' | 'HEAD';
  /**
   * HTTPS instead of HTTP. The certificate is not checked: Paddock asks what a listener
   * answers (does it demand credentials, is it Ollama), never trusts it with anything.
   */
  tls?: boolean;
}

/** An answer, over TCP or a unix socket. */
export interface HttpResponse {
  ok: true;
  /** For display (a unix socket's is `unix:<socket>:<path>`). */
  url: string;
  status: number;
  headers: Record<string, string>;
  /** Body decoded as UTF-8 (invalid bytes replaced); untrusted text. */
  body: string;
  truncated: boolean;
  /**
   * Why the body is cut short, with `truncated`: more than maxBodyBytes ('size-cap'), a
   * Content-Length over it (the body was not read at all: 'content-length'), or the shared
   * budget spent ('budget'). Absent when whole (and from hosts that do not say).
   */
  cut?: BodyCut;
  durationMs: number;
}

export type BodyCut = 'size-cap' | 'content-length' | 'budget';

export type HttpResult =
  | HttpResponse
  | {
      ok: false;
      url: string;
      error:
        'connect-timeout' | 'timeout' | 'refused' | 'reset' | 'unreachable' | 'protocol' | 'other';
      message: string;
      durationMs: number;
    };

export interface OsInterfaceAddress {
  address: string;
  netmask: string;
  family: 'IPv4' | 'IPv6' | number;
  cidr: string | null;
  internal: boolean;
  scopeid?: number;
}

export type { UnixHttpRequest, UnixHttpResult } from './unix-http';
import type { UnixHttpRequest, UnixHttpResult } from './unix-http';

export interface Host {
  readonly platform: NodeJS.Platform;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string, maxBytes?: number): Promise<FileRead>;
  readDir(path: string): Promise<DirRead>;
  readLink(path: string): Promise<LinkRead>;
  /** Owner and permission bits of a file (following links); null when it cannot be read. */
  fileOwner(path: string): Promise<{ uid: number; mode: number } | null>;
  http(request: HttpRequest): Promise<HttpResult>;
  /** One bounded GET over a unix socket (the Docker Engine API). */
  unixHttp(request: UnixHttpRequest): Promise<UnixHttpResult>;
  networkInterfaces(): Record<string, OsInterfaceAddress[] | undefined>;
  hostname(): string;
  osRelease(): string;
  /** Effective uid of this process; null where the OS has none (Windows). */
  uid(): number | null;
  userName(): string | null;
  homeDir(): string;
  env(name: string): string | undefined;
  now(): Date;
  /** Monotonic milliseconds, for durations. */
  monotonicMs(): number;
}
