/**
 * stop-tunnel (issue 12, class 5): a tunnel client publishes the server on the internet with
 * no listener of its own; closing ports or rebinding does nothing to it. When every tunnel
 * that publishes this server runs as a systemd service of the system manager (its cgroup and
 * its unit's MainPID say so), the plan stops those services: `systemctl stop -- UNIT`, undone
 * by `systemctl start -- UNIT`, verified by a rescan in which no tunnel publishes the server.
 * Stopping lasts until the unit is started again (a reboot starts an enabled one); the plan
 * says so and names `systemctl disable` for a lasting change, which Paddock leaves to the user
 * (it would also need to know whether the unit was enabled, to undo it exactly).
 *
 * A tunnel started by hand (a terminal, a user's own service manager) has nothing Paddock
 * could start again on undo with the same environment and credentials, so Paddock never
 * kills it: the result is a manual fix naming the process and the command to stop it.
 */
import type { FixPlan, FixStep, ManualFix } from '../../../../shared/fixes';
import type { Snapshot, Tunnel } from '../../../../shared/snapshot';
import { findInstance, isServiceName, manualFix, shown } from './common';

function unitOf(tunnel: Tunnel): string | null {
  const unit = tunnel.systemdUnit ?? null;
  return unit !== null && isServiceName(unit) ? unit : null;
}

export function planStopTunnel(snapshot: Snapshot, instanceId: string): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  if (!instance) return manualFix('stop-tunnel', null, `No server ${instanceId} in this scan.`);
  const tunnels = instance.tunnels ?? [];
  if (tunnels.length === 0)
    return manualFix(
      'stop-tunnel',
      instance.id,
      'No tunnel client publishes this server; there is nothing to stop.',
    );
  const byHand = tunnels.filter((t) => unitOf(t) === null);
  if (byHand.length > 0)
    return manualFix(
      'stop-tunnel',
      instance.id,
      `${byHand.map((t) => `${shown(t.tool, 40)} (pid ${t.pid})`).join(', ')} ${byHand.length === 1 ? 'was' : 'were'} not started by a system service, so Paddock cannot start ${byHand.length === 1 ? 'it' : 'them'} again the same way on undo (the same environment and credentials) and does not stop ${byHand.length === 1 ? 'it' : 'them'} itself. Stop ${byHand.length === 1 ? 'it' : 'them'} where ${byHand.length === 1 ? 'it was' : 'they were'} started (Ctrl-C in its terminal), or with the command below; its arguments were: ${byHand.map((t) => shown(t.argv.join(' '), 200)).join(' | ')}.`,
      byHand.map((t) => ['kill', '-TERM', String(t.pid)]),
    );
  const units = [...new Set(tunnels.map((t) => unitOf(t)!))];
  const steps: FixStep[] = units.map((unit) => ({
    kind: 'run',
    argv: ['systemctl', 'stop', '--', unit],
    undo: ['systemctl', 'start', '--', unit],
    description: `Stop ${unit}, the tunnel client that publishes this server on the internet.`,
  }));
  const names = tunnels.map((t) => `${shown(t.tool, 40)} (${unitOf(t)})`).join(', ');
  return {
    fixId: 'stop-tunnel',
    findingId: null,
    instance: instance.id,
    title: `Stop the tunnel that publishes this server on the internet`,
    summary: `Stops ${names}. Whoever has the tunnel's public address no longer reaches this server; programs on this computer and the local network keep the access they have now. Undo starts ${units.length === 1 ? 'it' : 'them'} again.`,
    warnings: [
      `This lasts until ${units.join(', ')} ${units.length === 1 ? 'is' : 'are'} started again: a reboot starts ${units.length === 1 ? 'it' : 'them'} if enabled. To keep ${units.length === 1 ? 'it' : 'them'} off, run \`systemctl disable ${units.join(' ')}\` yourself.`,
    ],
    requiresAdmin: true,
    steps,
    verification: {
      kind: 'tunnel-stopped',
      instance: instance.id,
      port: null,
      setting: null,
      description: `A rescan finds no tunnel client publishing ${instance.id}.`,
    },
    basedOn: snapshot.takenAt,
  };
}
