/**
 * The client of `npm run bench -- share-proxy`, run inside the lab host: streamed
 * POST /api/generate requests, each read to its end, against several targets interleaved (one
 * round = one request to each, the order rotating), over one kept-alive connection per target.
 * Then a fixed number of requests per target with 8 at a time, for requests per second.
 *
 *   node proxy-client.cjs ROUNDS CONCURRENT TARGETS.json
 *
 * TARGETS.json: [{ "name", "host", "port", "headerFile" | null }] (the header file holds one
 * "Name: value" line, so no credential is ever in argv). Prints one JSON object. Bounded: every
 * request has a 10 s timeout and every loop a fixed count.
 */
'use strict';
const http = require('node:http');
const fs = require('node:fs');

const [rounds, concurrent, targetsFile] = process.argv.slice(2);
const ROUNDS = Number(rounds);
const CONCURRENT = Number(concurrent);
const targets = JSON.parse(fs.readFileSync(targetsFile, 'utf8')).map((t) => {
  const headers = { 'Content-Type': 'application/json' };
  if (t.headerFile) {
    const line = fs.readFileSync(t.headerFile, 'utf8').trim();
    const at = line.indexOf(':');
    headers[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return { ...t, headers, agent: new http.Agent({ keepAlive: true, maxSockets: CONCURRENT }) };
});
const BODY = JSON.stringify({ model: 'llama3.2:3b', prompt: 'Why is the sky blue?' });

function once(t) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        host: t.host,
        port: t.port,
        path: '/api/generate',
        method: 'POST',
        agent: t.agent,
        headers: { ...t.headers, 'Content-Length': Buffer.byteLength(BODY) },
        timeout: 10_000,
      },
      (res) => {
        let bytes = 0;
        let text = '';
        res.on('data', (c) => {
          bytes += c.length;
          if (text.length < 4096) text += c.toString();
        });
        res.on('end', () => {
          if (res.statusCode !== 200 || !text.includes('"done":false'))
            return reject(new Error(`${t.name}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, bytes });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${t.name}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(BODY);
  });
}

const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main() {
  for (const t of targets) for (let i = 0; i < 50; i += 1) await once(t); // warm-up
  const times = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let r = 0; r < ROUNDS; r += 1) {
    for (let k = 0; k < targets.length; k += 1) {
      const t = targets[(r + k) % targets.length];
      times[t.name].push((await once(t)).ms);
    }
  }
  const throughput = {};
  const PER_TARGET = ROUNDS;
  for (const t of targets) {
    const started = process.hrtime.bigint();
    let next = 0;
    const worker = async () => {
      while (next < PER_TARGET) {
        next += 1;
        await once(t);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT }, worker));
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    throughput[t.name] = Math.round(PER_TARGET / s);
  }
  const out = {};
  for (const t of targets) {
    const sorted = [...times[t.name]].sort((a, b) => a - b);
    out[t.name] = {
      requests: sorted.length,
      medianMs: pct(sorted, 50),
      p90Ms: pct(sorted, 90),
      minMs: sorted[0],
      maxMs: sorted[sorted.length - 1],
      requestsPerSecond: throughput[t.name],
    };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  for (const t of targets) t.agent.destroy();
}

main().catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
