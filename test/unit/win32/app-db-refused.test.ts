/**
 * Issue 17, attack review W2: Windows' admin side never loads sql.js's WASM (Node's lookup
 * climbs to C:\node_modules, which any user may create). After refuseSqlJsWasm, the Ollama
 * app's settings read as unreadable, with why, and the WASM is not even looked for. Its own
 * file: the refusal is for the rest of the process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { readOllamaAppSettings, refuseSqlJsWasm } from '../../../electron/engine/probes/app-db';
import { buildOllamaAppDb } from '../../support/ollama-app-db';

it('a real database, read after the refusal: unreadable, with the reason', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-wasm-'));
  try {
    const db = path.join(dir, 'db.sqlite');
    fs.writeFileSync(db, await buildOllamaAppDb({ expose: 1, browser: 0 }));
    expect((await readOllamaAppSettings(db)).status).toBe('ok');
    refuseSqlJsWasm('not read with admin rights');
    const refused = await readOllamaAppSettings(db);
    expect(refused).toMatchObject({
      status: 'unreadable',
      message: expect.stringContaining('not read with admin rights'),
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
