/**
 * `paddock scan` run as an ordinary user while Ollama runs as another: what cannot be seen is
 * reported as denied, never as absent, and the verdict still matches the network.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab, describeLab } from './lab';
import { expectedVerdict, runScan } from './scan-helpers';

const NOBODY = 65534;

describeLab('scan as an unprivileged user', () => {
  let lab: Lab;
  let standin: Standin;
  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' }); // runs as root
  });
  afterAll(async () => {
    await standin?.stop();
    await lab?.close();
  });

  it('another user’s socket owner shows as denied, not absent; root sees it', async () => {
    const asNobody = await runScan(lab, { uid: NOBODY, env: { HOME: '/nonexistent' } });
    const asRoot = await runScan(lab);
    expect(asNobody.json.snapshot.host.uid).toBe(NOBODY);

    const hidden = asNobody.json.snapshot.probes.sockets.data.find(
      (s) => s.state === 'listen' && s.localPort === 11434,
    );
    expect(hidden).toMatchObject({ ownerVisibility: 'denied', processes: [] });
    expect(asNobody.json.snapshot.probes.sockets.message).toMatch(/other users/);

    const seen = asRoot.json.snapshot.probes.sockets.data.find(
      (s) => s.state === 'listen' && s.localPort === 11434,
    );
    expect(seen).toMatchObject({
      ownerVisibility: 'visible',
      processes: [{ pid: standin.hostPid, name: 'ollama' }],
    });
  });

  it('the server is still found, its listener still judged, and the verdict matches the network', async () => {
    const { json, code } = await runScan(lab, { uid: NOBODY, env: { HOME: '/nonexistent' } });
    const truth = await expectedVerdict(lab, 11434);
    expect(truth).toBe('lan');
    expect(json.verdict).toBe(truth);
    expect(code).toBe(1);
    const [instance] = json.snapshot.instances;
    expect(instance).toMatchObject({ pid: standin.hostPid, exposure: 'lan' });
    expect(instance!.listeners[0]).toMatchObject({ ownerVisibility: 'denied', port: 11434 });
    expect(instance!.process?.executableStatus).toBe('denied');
  });

  it('the server’s environment is denied, and its OLLAMA_HOST is unknown rather than "unset"', async () => {
    const { json } = await runScan(lab, { uid: NOBODY, env: { HOME: '/nonexistent' } });
    const settings = json.snapshot.probes.settings;
    expect(settings.status).toBe('denied');
    const gaps = Object.values(settings.data).flatMap((r) => r.gaps);
    expect(gaps).toContainEqual(
      expect.objectContaining({ path: `/proc/${standin.hostPid}/environ`, status: 'denied' }),
    );
    expect(json.snapshot.instances[0]!.configuredBind).toBeNull();
  });
});
