#!/usr/bin/env node
// The start-up floor of `npm run bench` (bench/README.md): the least a process must do for a
// truthful verdict (issue 12), in plain CommonJS with Node's own modules only: list TCP
// sockets with their owners (`ss -Htanp`), read the interfaces, list the firewall
// (`nft -j list ruleset`), read each server's environment (`/proc/PID/environ` of the owner of
// each listener named on the command line), and GET /, /api/version and /api/tags from each
// (`PORT` for 127.0.0.1, or `ADDRESS:PORT`, `[V6]:PORT`). Prints one JSON line. Loopback and
// lab addresses only; every step is bounded in time.
'use strict';
const { execFile } = require('node:child_process');
const http = require('node:http');
const os = require('node:os');

const TIMEOUT_MS = 3000;

function parseTarget(arg) {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(arg);
  if (bracketed) return { address: bracketed[1], port: Number(bracketed[2]) };
  const colon = arg.lastIndexOf(':');
  if (colon > 0 && arg.indexOf(':') === colon)
    return { address: arg.slice(0, colon), port: Number(arg.slice(colon + 1)) };
  return { address: '127.0.0.1', port: Number(arg) };
}

function run(file, args) {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) =>
      resolve(error ? '' : stdout),
    );
  });
}

/** The pids that own a listener on `port` (ss -p's `pid=N`). */
function ownersOf(ssText, port) {
  const pids = new Set();
  for (const line of ssText.split('\n')) {
    const local = line.trim().split(/\s+/)[3] ?? '';
    if (!local.endsWith(`:${port}`)) continue;
    for (const m of line.matchAll(/pid=(\d+)/g)) pids.add(Number(m[1]));
  }
  return [...pids];
}

function environ(pid) {
  try {
    return require('node:fs').readFileSync(`/proc/${pid}/environ`).length;
  } catch {
    return -1;
  }
}

function get(target, path = '/') {
  return new Promise((resolve) => {
    let settled = false;
    const done = (status) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(status);
    };
    const req = http.request({
      host: target.address,
      port: target.port,
      path,
      method: 'GET',
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(null);
    }, TIMEOUT_MS);
    req.on('error', () => done(null));
    req.on('response', (res) => {
      res.on('data', () => undefined);
      res.on('end', () => done(res.statusCode));
      res.on('error', () => done(null));
    });
    req.end();
  });
}

async function main() {
  const targets = process.argv.slice(2).map(parseTarget);
  const [ssText, firewall] = await Promise.all([
    run('ss', ['-Htanp']),
    run('nft', ['-j', 'list', 'ruleset']),
  ]);
  const interfaces = Object.keys(os.networkInterfaces()).length;
  const environments = targets.flatMap((t) => ownersOf(ssText, t.port)).map(environ);
  const statuses = await Promise.all(
    targets.flatMap((t) => ['/', '/api/version', '/api/tags'].map((p) => get(t, p))),
  );
  process.stdout.write(
    `${JSON.stringify({
      sockets: ssText.split('\n').filter(Boolean).length,
      interfaces,
      firewallBytes: firewall.length,
      environments,
      statuses,
    })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`floor-process: ${String(error)}\n`);
  process.exitCode = 1;
});
