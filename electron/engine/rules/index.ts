/**
 * The risk catalog: every rule, one file each, named after its id. A rule added here is
 * picked up by runRules and by test/rules/catalog.test.ts, which also checks that every rule
 * file in this folder is listed.
 */
import type { Rule } from './rule';
import exposedToInternet from './exposed-to-internet';
import exposedToLan from './exposed-to-lan';
import ipv6PathOpen from './ipv6-path-open';
import savedOnlyByFirewall from './saved-only-by-firewall';
import proxyWithoutAuth from './proxy-without-auth';
import dockerPublishBeyondLoopback from './docker-publish-beyond-loopback';
import dnsRebinding from './dns-rebinding';
import desktopAppExposes from './desktop-app-exposes';
import originsTooBroad from './origins-too-broad';
import originsCrashAtStart from './origins-crash-at-start';
import ollamaHostLatent from './ollama-host-latent';
import ollamaHostConflict from './ollama-host-conflict';
import ollamaHostSchemePort from './ollama-host-scheme-port';
import knownAdvisory from './known-advisory';
import versionUnknown from './version-unknown';
import requestLogging from './request-logging';
import cloudWhileExposed from './cloud-while-exposed';
import remoteClientsConnected from './remote-clients-connected';
import remoteClientsInLog from './remote-clients-in-log';
import gpuBusyForRemote from './gpu-busy-for-remote';
import firewallOff from './firewall-off';
import firewallUnknown from './firewall-unknown';
import serverExposed from './server-exposed';
import serverRiskyFeature from './server-risky-feature';
import serverCorsOpen from './server-cors-open';
import serverKnownExploited from './server-known-exploited';
import serverAdvisory from './server-advisory';
import sharedWithChosen from './shared-with-chosen';
import unclaimedAdmin from './unclaimed-admin';

export const RULES: readonly Rule[] = [
  unclaimedAdmin,
  serverRiskyFeature,
  serverExposed,
  serverCorsOpen,
  serverKnownExploited,
  serverAdvisory,
  sharedWithChosen,
  exposedToInternet,
  exposedToLan,
  ipv6PathOpen,
  savedOnlyByFirewall,
  proxyWithoutAuth,
  dockerPublishBeyondLoopback,
  dnsRebinding,
  desktopAppExposes,
  originsTooBroad,
  originsCrashAtStart,
  ollamaHostLatent,
  ollamaHostConflict,
  ollamaHostSchemePort,
  knownAdvisory,
  versionUnknown,
  requestLogging,
  cloudWhileExposed,
  remoteClientsConnected,
  remoteClientsInLog,
  gpuBusyForRemote,
  firewallOff,
  firewallUnknown,
];
