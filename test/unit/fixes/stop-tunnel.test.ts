/**
 * stop-tunnel (issue 12, class 5), pure: a plan only when every tunnel publishing the server
 * runs as a system service (stopped, started again on undo, verified by a rescan); a manual
 * fix naming the process otherwise. The lab test (rebind-systemd.test.ts) runs it in a real
 * systemd through the privileged side.
 */
import { describe, expect, it } from 'vitest';
import { checkVerification } from '../../../electron/engine/fixes/verify';
import { planStopTunnel } from '../../../electron/engine/fixes/recipes/stop-tunnel';
import { systemServiceOf } from '../../../electron/engine/probes/linux/tunnels';
import { fixPlanSchema, manualFixSchema } from '../../../shared/fixes';
import type { Tunnel } from '../../../shared/snapshot';
import { buildSnapshot, loopbackOllama } from '../../rules/snapshots';

const tunnel = (over: Partial<Tunnel> = {}): Tunnel => ({
  tool: 'cloudflared',
  pid: 77,
  argv: ['cloudflared', 'tunnel', '--url', 'http://localhost:11434'],
  remote: null,
  config: null,
  systemdUnit: 'cloudflared.service',
  targets: [{ host: 'localhost', port: 11434, source: 'argv' }],
  ...over,
});
function withTunnels(tunnels: Tunnel[]) {
  const snapshot = buildSnapshot({ instances: [loopbackOllama()] });
  snapshot.instances[0]!.tunnels = tunnels;
  return { snapshot, id: snapshot.instances[0]!.id };
}

describe('planStopTunnel', () => {
  it('a tunnel run by a system service: stop it, undo starts it, a rescan must find no tunnel', () => {
    const { snapshot, id } = withTunnels([tunnel()]);
    const plan = fixPlanSchema.parse(planStopTunnel(snapshot, id));
    expect(plan.steps).toEqual([
      expect.objectContaining({
        kind: 'run',
        argv: ['systemctl', 'stop', '--', 'cloudflared.service'],
        undo: ['systemctl', 'start', '--', 'cloudflared.service'],
      }),
    ]);
    expect(plan.requiresAdmin).toBe(true);
    expect(plan.verification).toMatchObject({ kind: 'tunnel-stopped', instance: id });
    expect(plan.warnings.join(' ')).toMatch(/systemctl disable cloudflared\.service/);
  });

  it('a tunnel started by hand: never killed by Paddock; the manual fix names it and how to stop it', () => {
    const { snapshot, id } = withTunnels([
      tunnel(),
      tunnel({ tool: 'ngrok', pid: 88, systemdUnit: null }),
    ]);
    const manual = manualFixSchema.parse(planStopTunnel(snapshot, id));
    expect(manual.reason).toMatch(/ngrok \(pid 88\)/);
    expect(manual.commands).toEqual([['kill', '-TERM', '88']]);
  });

  it('a unit name that is not a plain service name is treated as no unit', () => {
    const { snapshot, id } = withTunnels([tunnel({ systemdUnit: '-x.service' })]);
    expect('steps' in planStopTunnel(snapshot, id)).toBe(false);
  });

  it('no tunnel, no plan', () => {
    const { snapshot, id } = withTunnels([]);
    expect(planStopTunnel(snapshot, id)).toMatchObject({ reason: /nothing to stop/ });
  });
});

describe('the verification: no tunnel publishes the server', () => {
  const verification = {
    kind: 'tunnel-stopped' as const,
    instance: 'x',
    port: null,
    setting: null,
    description: '',
  };
  it('holds once the tunnel is gone, not while it runs', () => {
    const gone = withTunnels([]);
    const running = withTunnels([tunnel()]);
    expect(checkVerification({ ...verification, instance: gone.id }, gone.snapshot).ok).toBe(true);
    const still = checkVerification({ ...verification, instance: running.id }, running.snapshot);
    expect(still).toEqual({ ok: false, detail: 'still published by cloudflared (pid 77)' });
  });
});

describe('systemServiceOf: the system manager’s service a process runs in', () => {
  it.each([
    ['0::/system.slice/cloudflared.service\n', 'cloudflared.service'],
    ['0::/system.slice/system-tunnels.slice/ngrok@web.service\n', 'ngrok@web.service'],
    ['0::/user.slice/user-1000.slice/user@1000.service/app.slice/cloudflared.service\n', null],
    ['0::/user.slice/user-1000.slice/session-3.scope\n', null],
    ['12:name=systemd:/system.slice/x.service\n', null],
    ['', null],
  ])('%j → %s', (cgroup, unit) => {
    expect(systemServiceOf(cgroup)).toBe(unit);
  });
});
