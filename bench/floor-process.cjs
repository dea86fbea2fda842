#!/usr/bin/env node
// The start-up floor of `npm run bench` (bench/README.md): the least a process must do to
// answer what `paddock scan --json` answers, in plain CommonJS with Node's own modules only.
// It lists TCP sockets with `ss -Htanp`, reads the interfaces, then sends one GET / to each
// listener named on the command line (`PORT` for 127.0.0.1, or `ADDRESS:PORT`, `[V6]:PORT`).
// Prints one JSON line. Loopback and lab addresses only; every step is bounded in time.
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

function ss() {
  return new Promise((resolve) => {
    execFile(
      'ss',
      ['-Htanp'],
      { timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => resolve(error ? -1 : stdout.split('\n').filter(Boolean).length),
    );
  });
}

function get(target) {
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
      path: '/',
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
  const [sockets, interfaces] = await Promise.all([
    ss(),
    Promise.resolve(Object.keys(os.networkInterfaces()).length),
  ]);
  const statuses = await Promise.all(targets.map(get));
  process.stdout.write(`${JSON.stringify({ sockets, interfaces, statuses })}\n`);
}

main().catch((error) => {
  process.stderr.write(`floor-process: ${String(error)}\n`);
  process.exitCode = 1;
});
