/**
 * docker-localhost: publish the container's port on 127.0.0.1 only. Docker cannot change the
 * publishes of an existing container; it has to be recreated with the same name, image,
 * volumes, environment, restart policy, GPU access and networks. Paddock reads only the Engine
 * API's container list (probes/docker), not that full configuration, and a container
 * recreated without its volumes loses its models; so this recipe never runs anything. It
 * returns the exact commands, with what only `docker inspect` can tell marked as
 * <PLACEHOLDERS>, or, for a Compose service, the one line to change in the compose file.
 */
import type { OllamaContainer, PublishedPort } from '../../../../shared/docker';
import type { FixPlan, ManualFix } from '../../../../shared/fixes';
import type { Snapshot } from '../../../../shared/snapshot';
import { findInstance, isPlainAbsolutePath, manualFix, shown } from './common';

const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,255}$/;
const COMPOSE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const COMPOSE_PROJECT = 'com.docker.compose.project';

function loopbackPublishes(c: OllamaContainer): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of c.published) {
    const key = `${p.hostPort}:${p.containerPort}${p.protocol === 'tcp' ? '' : `/${p.protocol}`}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`127.0.0.1:${key}`);
  }
  return out;
}

function beyond(p: PublishedPort): boolean {
  return p.scope !== 'loopback';
}

function composeFix(c: OllamaContainer, name: string): { reason: string; commands: string[][] } {
  const labels = c.labels;
  const project = labels[COMPOSE_PROJECT] ?? '';
  const service = labels['com.docker.compose.service'] ?? '';
  const files = (labels['com.docker.compose.project.config_files'] ?? '')
    .split(',')
    .filter((f) => f !== '');
  const dir = labels['com.docker.compose.project.working_dir'] ?? '';
  const okProject = COMPOSE_NAME.test(project);
  const okService = COMPOSE_NAME.test(service);
  const okFiles = files.length > 0 && files.every(isPlainAbsolutePath);
  const fileArgs = okFiles ? files.flatMap((f) => ['-f', f]) : ['-f', '<COMPOSE-FILE>'];
  const base = [
    'docker',
    'compose',
    ...(isPlainAbsolutePath(dir) ? ['--project-directory', dir] : []),
    ...fileArgs,
    '-p',
    okProject ? project : '<PROJECT>',
  ];
  const ports = c.published.filter(beyond);
  const lines = loopbackPublishes({ ...c, published: ports }).map((p) => `"${p}"`);
  return {
    reason: `${name} is the service "${okService ? service : '<SERVICE>'}" of the Docker Compose project "${okProject ? project : shown(project, 60)}"${okFiles ? ` (${files.map((f) => shown(f, 200)).join(', ')})` : ''}. A container recreated by hand would be replaced by the next \`docker compose up\`, so the change belongs in the compose file: under that service's "ports:", write ${lines.join(' and ')} instead of the entries without an address, then recreate it with the command below. Its volumes and environment stay as the compose file says.`,
    commands: [
      [...base, 'up', '-d', okService ? service : '<SERVICE>'],
      ['docker', 'port', name],
    ],
  };
}

function recreateFix(c: OllamaContainer, name: string): { reason: string; commands: string[][] } {
  const image = IMAGE.test(c.image) ? c.image : '<IMAGE from docker inspect: .Config.Image>';
  const old = `${name}-paddock-old`;
  const network =
    c.networkMode && c.networkMode !== 'bridge' && c.networkMode !== 'default'
      ? ['--network', CONTAINER_NAME.test(c.networkMode) ? c.networkMode : '<NETWORK>']
      : [];
  return {
    reason: `Docker cannot change where an existing container publishes its port: ${name} has to be recreated. Paddock does not do that itself, because it reads only Docker's container list, not the container's full configuration, and a container recreated without its volumes loses its models (and without its GPU request runs on the CPU). Run \`docker inspect ${name}\` first and fill in every <PLACEHOLDER> of the \`docker run\` line from it: one -v per entry of "Mounts" (for the models, usually -v ollama:/root/.ollama), one -e per variable of "Config.Env" you set yourself, --restart from "HostConfig.RestartPolicy.Name", --gpus all only if "HostConfig.DeviceRequests" asks for GPUs. The old container is kept as ${old} until you remove it; to go back: docker rm -f ${name}; docker rename ${old} ${name}; docker start ${name}.`,
    commands: [
      ['docker', 'inspect', name],
      ['docker', 'stop', name],
      ['docker', 'rename', name, old],
      [
        'docker',
        'run',
        '-d',
        '--name',
        name,
        '--restart',
        '<RESTART-POLICY from HostConfig.RestartPolicy.Name>',
        '-v',
        '<SOURCE:DESTINATION, one -v per entry of Mounts>',
        '-e',
        '<NAME=VALUE, one -e per variable of Config.Env you set>',
        '--gpus',
        '<all, only if HostConfig.DeviceRequests asks for GPUs; else drop --gpus>',
        ...network,
        ...loopbackPublishes(c).flatMap((p) => ['-p', p]),
        image,
      ],
      ['docker', 'port', name],
      ['docker', 'rm', old],
    ],
  };
}

/** Always instructions: see the file comment for why Paddock does not recreate containers. */
export function planDockerLocalhost(snapshot: Snapshot, instanceId: string): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  if (!instance)
    return manualFix(
      'docker-localhost',
      null,
      `Paddock knows no server called ${shown(instanceId)} in this scan.`,
    );
  const containers = instance.containers.filter(
    (c) => c.publishedBeyondLoopback && c.published.some(beyond),
  );
  if (containers.length === 0)
    return manualFix(
      'docker-localhost',
      instance.id,
      'No container of this server publishes a port beyond loopback; there is nothing to change.',
    );
  const reasons: string[] = [];
  const commands: string[][] = [];
  for (const c of containers) {
    const raw = c.names[0] ?? '';
    const name = CONTAINER_NAME.test(raw) ? raw : '<CONTAINER-NAME>';
    const fix =
      c.labels[COMPOSE_PROJECT] !== undefined ? composeFix(c, name) : recreateFix(c, name);
    reasons.push(
      name === raw
        ? fix.reason
        : `${fix.reason} (The container's name could not be used as is: ${shown(raw, 80)}.)`,
    );
    commands.push(...fix.commands);
  }
  return manualFix('docker-localhost', instance.id, reasons.join('\n\n'), commands);
}
