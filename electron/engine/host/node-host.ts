import { hostname, networkInterfaces, release, userInfo } from 'node:os';
import { execArgv } from './exec';
import { fileOwner, readDirNames, readFileCapped, readLinkTarget } from './files';
import { httpRequest } from './http';
import { unixHttpGet } from './unix-http';
import type { Host, OsInterfaceAddress } from './types';

/** The real host: this machine, through Node's own APIs. */
export function createNodeHost(): Host {
  return {
    platform: process.platform,
    exec: execArgv,
    readFile: readFileCapped,
    readDir: readDirNames,
    readLink: readLinkTarget,
    fileOwner,
    http: httpRequest,
    unixHttp: unixHttpGet,
    networkInterfaces: () =>
      networkInterfaces() as Record<string, OsInterfaceAddress[] | undefined>,
    hostname,
    osRelease: release,
    uid: () => (typeof process.geteuid === 'function' ? process.geteuid() : null),
    userName: () => {
      try {
        return userInfo().username;
      } catch {
        return null;
      }
    },
    // $HOME first: it is where a shell looks for its start-up files.
    homeDir: () => {
      if (process.env.HOME) return process.env.HOME;
      try {
        return userInfo().homedir;
      } catch {
        return '/';
      }
    },
    env: (name) => process.env[name],
    now: () => new Date(),
    monotonicMs: () => performance.now(),
  };
}
