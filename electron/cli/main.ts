/**
 * The `paddock` command over the engine. Exit codes are a contract for scripts:
 *   0 private · 1 exposed (LAN or internet) · 2 usage error · 3 internal error · 4 verdict unknown
 */
import type { Snapshot } from '../../shared/snapshot';
import { createNodeHost } from '../engine/host/node-host';
import type { ScanOptions } from '../engine/scan';
import { scan } from '../engine/scan';
import { FIREWALL_FACTS_COMMAND, elevatedFirewallFacts } from './elevate';
import { renderScan, styleFor } from './render';
import { toScanJson } from './scan-json';

export const EXIT = { private: 0, exposed: 1, usage: 2, internal: 3, unknown: 4 } as const;

const VERSION = '0.1.0';

const HELP = `paddock: keeps local LLM servers (Ollama first) private to this computer

Usage:
  paddock scan [--json] [--gpu] [--elevated]
                           find every Ollama server here, say who can reach it and who uses it
  paddock --version
  paddock --help

Options for scan:
  --json     print the result as JSON (stable fields: verdict, instances[], snapshot)
  --gpu      also list the GPU controllers (systeminformation; live NVIDIA figures always)
  --elevated read the firewall with admin rights (sudo, or pkexec's dialog); only the
             read-only firewall probe runs as root, and a cancelled prompt changes nothing
  --help     show this help

Exit codes:
  0  private to this computer     1  exposed (local network or internet)
  2  usage error                  3  internal error
  4  verdict unknown (something could not be read; the output says what)

Colour is used on a terminal unless NO_COLOR is set.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTty: boolean;
  /** stdin is a terminal: sudo may ask for a password there. */
  isStdinTty: boolean;
  /** argv that starts this same CLI: [node, script]. */
  self: readonly string[];
  env: (name: string) => string | undefined;
}

class UsageError extends Error {}

function parseScanArgs(args: string[]): {
  json: boolean;
  help: boolean;
  gpu: boolean;
  elevated: boolean;
} {
  const options = { json: false, help: false, gpu: false, elevated: false };
  for (const arg of args) {
    if (arg === '--json') options.json = true;
    else if (arg === '--gpu') options.gpu = true;
    else if (arg === '--elevated') options.elevated = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new UsageError(`unknown option for scan: ${JSON.stringify(arg)}`);
  }
  return options;
}

export function exitCodeFor(snapshot: Snapshot): number {
  if (snapshot.verdict === 'private') return EXIT.private;
  if (snapshot.verdict === 'unknown') return EXIT.unknown;
  return EXIT.exposed;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout(HELP);
      return command === undefined ? EXIT.usage : 0;
    }
    if (command === '--version' || command === '-V') {
      io.stdout(`paddock ${VERSION}\n`);
      return 0;
    }
    if (command === FIREWALL_FACTS_COMMAND) {
      // The privileged side of --elevated: no argument is accepted, and it only reads.
      if (rest.length > 0) throw new UsageError(`${FIREWALL_FACTS_COMMAND} takes no arguments`);
      const { probeFirewall } = await import('../engine/probes/linux/firewall/probe');
      io.stdout(`${JSON.stringify(await probeFirewall(createNodeHost()))}\n`);
      return 0;
    }
    if (command === 'scan') {
      const options = parseScanArgs(rest);
      if (options.help) {
        io.stdout(HELP);
        return 0;
      }
      const host = createNodeHost();
      let firewall: ScanOptions['firewall'];
      if (options.elevated && host.uid() !== 0) {
        const elevated = await elevatedFirewallFacts({
          host,
          self: io.self,
          interactive: io.isStdinTty,
        });
        if (elevated.ok) firewall = elevated.result;
        else io.stderr(`paddock: --elevated: ${elevated.message}\n`);
      }
      const snapshot = await scan(host, { gpuControllers: options.gpu, firewall });
      if (options.json) io.stdout(`${JSON.stringify(toScanJson(snapshot), null, 2)}\n`);
      else io.stdout(renderScan(snapshot, styleFor(io.isTty, io.env)));
      return exitCodeFor(snapshot);
    }
    throw new UsageError(`unknown command: ${JSON.stringify(command)}`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`paddock: ${error.message}\nRun 'paddock --help' for usage.\n`);
      return EXIT.usage;
    }
    io.stderr(
      `paddock: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.internal;
  }
}

/** Entry point of the bundled CLI. */
export function main(): void {
  runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTty: process.stdout.isTTY === true,
    isStdinTty: process.stdin.isTTY === true,
    self: [process.execPath, process.argv[1] ?? ''],
    env: (name) => process.env[name],
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`paddock: internal error: ${String(error)}\n`);
      process.exitCode = EXIT.internal;
    },
  );
}
