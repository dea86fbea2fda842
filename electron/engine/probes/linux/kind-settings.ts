/**
 * Where the bind address, port and key of a server of another kind come from (issue 13), the
 * way probes/linux/settings.ts tells it for Ollama: the running server's own arguments and
 * environment (the ground truth), the systemd unit that starts it (its ExecStart= and
 * Environment= lines, drop-ins, EnvironmentFile=), and the server's own settings file (a
 * KoboldCpp `.kcpps`, text-generation-webui's CMD_FLAGS.txt, LM Studio's server config). Files
 * are read, never run; nothing a file names is followed except the unit's own EnvironmentFile=.
 *
 * Each value found is a Setting: 'effective' (the server runs with it), 'shadowed' (something
 * else wins: a flag over a variable, servers-facts.md §3; a later ExecStart=; `--config`,
 * which makes KoboldCpp ignore its other arguments, §8), or 'latent' (saved, and used at the
 * next start). A key's value is never kept, only that it is set.
 */
import type { Evidence, OllamaProcess, Setting } from '../../../../shared/snapshot';
import type { Host } from '../../host/types';
import type { ConfigFileSpec, ServerKind } from '../../servers/kind';
import { SECRET_SHOWN, bindSettings, bindVariables, flagValue } from '../../servers/kind';
import type { Candidate, UnitFiles } from './settings';
import {
  DEFAULT_UNIT_ROOTS,
  ReadLog,
  display,
  passwdHome,
  readSystemdChain,
  serviceUnitOf,
} from './settings';

export interface KindSettings {
  settings: Setting[];
  evidence: Evidence[];
  /** What could not be read or is odd, for the probe's message. */
  notes: string[];
  /** A tunnel its settings file turns on (`"remotetunnel": true`, §8), in force now. */
  tunnel: { flag: string; via: string } | null;
}

export interface KindSettingsInput {
  kind: ServerKind;
  pid: number;
  argv: readonly string[] | null;
  /** The kind's variables in the server's environment; null: unreadable. */
  env: ReadonlyMap<string, string> | null;
  process: OllamaProcess | null;
  /** The addresses the server listens on now, and the port it was found on. */
  listening: readonly string[];
  port: number;
  /** systemd unit directories, highest priority first (tests). */
  roots?: readonly string[];
}

type Group = 'host' | 'port' | 'key';

/** A settings file names a handful of bind settings; a hostile one must not make thousands. */
const MAX_FILE_SETTINGS = 32;

function groups(kind: ServerKind): Array<{ group: Group; flags: string[]; vars: string[] }> {
  const b = kind.bind!;
  return [
    {
      group: 'host',
      flags: [...b.hostFlags, ...(b.addressFlags ?? [])],
      vars: [...b.hostEnv, ...(b.addressEnv ?? [])],
    },
    { group: 'port', flags: [...b.portFlags], vars: [...b.portEnv] },
    { group: 'key', flags: [...b.keyFlags], vars: [...b.keyEnv] },
  ];
}

const truthy = (value: string) => /^(true|1|on|yes)$/i.test(value.trim());

function setting(
  name: string,
  value: string,
  source: Setting['source'],
  state: Setting['state'],
  reason: string,
): Setting {
  return { name, value, source, state, reason };
}

// ── the unit: ExecStart= and Environment= ───────────────────────────────────────────────────

interface ExecLine {
  argv: string[];
  several: boolean;
  kind: 'systemd-unit' | 'systemd-dropin';
  path: string;
  line: number;
  replacedAt: string | null;
}

/** Every ExecStart= of the unit's files in order; the last one standing is the command. */
export function execStartLines(files: UnitFiles): ExecLine[] {
  const all: ExecLine[] = [];
  let live: ExecLine[] = [];
  for (const file of files)
    for (const d of file.directives) {
      if (d.kind === 'clear-exec-start') {
        for (const e of live) e.replacedAt = `${display(file.path)}:${d.line}`;
        live = [];
      } else if (d.kind === 'exec-start') {
        const e: ExecLine = {
          argv: d.argv,
          several: d.several,
          kind: file.kind,
          path: display(file.path),
          line: d.line,
          replacedAt: null,
        };
        all.push(e);
        live.push(e);
      }
    }
  return all;
}

function unitSettings(
  input: KindSettingsInput,
  files: UnitFiles,
  envCandidates: Candidate[],
  winners: Map<string, Candidate>,
  unit: string,
  notes: string[],
): Setting[] {
  const { kind, argv, env } = input;
  const out: Setting[] = [];
  const execs = execStartLines(files);
  const standing = execs.filter((e) => e.replacedAt === null);
  if (standing.length > 1)
    notes.push(
      `${unit} has ${standing.length} ExecStart= commands; systemd refuses that for a service of the usual type, so it will not start as written.`,
    );
  const command = standing.at(-1) ?? null;
  for (const e of execs) {
    // The command itself, by its program only (its arguments may hold a key): where it is.
    out.push(
      setting(
        'ExecStart',
        e.argv[0] ?? '',
        { kind: e.kind, path: e.path, line: e.line },
        e === command ? 'effective' : 'shadowed',
        e === command
          ? `the command ${unit} runs${e.several ? ' (the first of several joined by ";")' : ''}`
          : e.replacedAt
            ? `replaced by the empty ExecStart= at ${e.replacedAt}`
            : `a later ExecStart= of ${unit} is the one systemd uses`,
      ),
    );
    for (const { group, flags } of groups(kind)) {
      const found = flagValue(e.argv, flags);
      if (!found) continue;
      const source = { kind: e.kind, path: e.path, line: e.line };
      const value = group === 'key' ? SECRET_SHOWN : found.value;
      if (e !== command) {
        out.push(
          setting(
            found.flag,
            value,
            source,
            'shadowed',
            e.replacedAt
              ? `replaced by the empty ExecStart= at ${e.replacedAt}`
              : `a later ExecStart= of ${unit} is the one systemd uses`,
          ),
        );
        continue;
      }
      const running = argv ? flagValue(argv, flags) : null;
      const same =
        argv === null ||
        (running !== null && running.flag === found.flag && running.value === found.value);
      out.push(
        setting(
          found.flag,
          value,
          source,
          same ? 'effective' : 'latent',
          argv === null
            ? `assumed: the ExecStart= of ${unit}, and the running server's command line is not readable`
            : same
              ? `the ExecStart= of ${unit}; the running server (pid ${input.pid}) was started with it`
              : `differs from the running server: takes effect when ${unit} restarts`,
        ),
      );
    }
  }
  // Environment= and EnvironmentFile= values of the kind's variables.
  const commandArgs = command?.argv ?? argv ?? [];
  for (const c of envCandidates) {
    const group = groups(kind).find((g) => g.vars.includes(c.name));
    if (!group) continue;
    const source = { kind: c.kind, path: c.path, line: c.line };
    const value = group.group === 'key' ? SECRET_SHOWN : c.value;
    if (winners.get(c.name) !== c) {
      out.push(setting(c.name, value, source, 'shadowed', c.shadowedBy ?? 'overridden'));
      continue;
    }
    const flag = flagValue(commandArgs, group.flags);
    if (flag) {
      out.push(
        setting(
          c.name,
          value,
          source,
          'shadowed',
          `the command line's ${flag.flag} wins over ${c.name} (${kind.facts})`,
        ),
      );
      continue;
    }
    const running = env?.get(c.name);
    const state: Setting['state'] = env === null || running === c.value ? 'effective' : 'latent';
    out.push(
      setting(
        c.name,
        value,
        source,
        state,
        env === null
          ? "assumed: the running server's environment is not readable"
          : state === 'effective'
            ? `the running server (pid ${input.pid}) has this value`
            : `differs from the running server: takes effect when ${unit} restarts`,
      ),
    );
  }
  return out;
}

// ── the server's own settings file ──────────────────────────────────────────────────────────

function fileSettings(
  input: KindSettingsInput,
  spec: ConfigFileSpec,
  path: string,
  inForce: boolean,
  read: Array<{ name: string; value: string; line: number | null }>,
): { settings: Setting[]; tunnel: KindSettings['tunnel'] } {
  const out: Setting[] = [];
  let tunnel: KindSettings['tunnel'] = null;
  const argv = input.argv ?? [];
  for (const s of read) {
    const secret = spec.secretKeys.includes(s.name);
    const value = secret ? SECRET_SHOWN : s.value;
    const source = { kind: 'config-file' as const, path: display(path), line: s.line };
    const tunnelKey = spec.tunnelKeys?.find((t) => t.key === s.name);
    let state: Setting['state'];
    let reason: string;
    if (inForce) {
      state = 'effective';
      reason = `the running server (pid ${input.pid}) was started with this file; a change takes effect at its next start`;
    } else {
      // Saved for the next start: in force only where the running server shows the same.
      const host = spec.hostKeys.includes(s.name);
      const flag = flagValue(argv, [s.name]);
      const asFlag = s.name.startsWith('-')
        ? s.value === 'on'
          ? argv.includes(s.name)
          : flag?.value === s.value
        : null;
      const same =
        asFlag ??
        (host
          ? input.listening.includes(s.value)
          : s.name === 'port' && s.value === String(input.port));
      state = same ? 'effective' : 'latent';
      reason = same
        ? `saved in ${spec.label}, and the running server (pid ${input.pid}) uses the same`
        : `saved in ${spec.label}: used the next time the server is started from it`;
    }
    if (spec.hostKeys.includes(s.name) && s.value === '') reason += '; empty means every interface';
    if (tunnelKey && (s.value === 'on' || truthy(s.value)) && state === 'effective')
      tunnel ??= { flag: `${s.name} in ${display(path)}`, via: tunnelKey.via };
    out.push(setting(s.name, value, source, state, reason));
  }
  return { settings: out, tunnel };
}

// ── the whole story ─────────────────────────────────────────────────────────────────────────

export async function probeKindSettings(
  host: Host,
  input: KindSettingsInput,
): Promise<KindSettings> {
  const { kind } = input;
  const log = new ReadLog(host);
  const notes: string[] = [];
  if (!kind.bind) return { settings: [], evidence: [], notes, tunnel: null };
  let settings = bindSettings(kind.bind, input.pid, input.argv, input.env);
  let tunnel: KindSettings['tunnel'] = null;

  // The server's own settings file.
  const spec = kind.bind.configFile;
  let replaced = false;
  if (spec && input.argv) {
    const cwdLink = await host.readLink(`/proc/${input.pid}/cwd`);
    // Unread is not "no file": a settings file named by a relative path is then not shown.
    if (!cwdLink.ok && cwdLink.code !== 'ENOENT')
      notes.push(
        `The working directory of pid ${input.pid} could not be read (${cwdLink.code}): a settings file it names by a relative path is not shown.`,
      );
    const where = {
      argv: input.argv,
      cwd: cwdLink.ok ? cwdLink.target : null,
      home: input.process ? await passwdHome(log, input.process) : null,
    };
    for (const { path, inForce } of spec.paths(where)) {
      const read = await log.file(path, spec.label);
      if (!read.ok) {
        if (inForce && read.code === 'ENOENT')
          notes.push(
            `${display(path)}, which the server was started with, is gone: its settings cannot be shown.`,
          );
        continue;
      }
      const parsed = spec.read(read.text);
      if ('error' in parsed) {
        notes.push(`${display(path)}: ${parsed.error}; its settings were not read.`);
        continue;
      }
      if (parsed.length > MAX_FILE_SETTINGS)
        notes.push(
          `${display(path)}: ${parsed.length} settings; only the first ${MAX_FILE_SETTINGS} are shown.`,
        );
      const got = fileSettings(input, spec, path, inForce, parsed.slice(0, MAX_FILE_SETTINGS));
      settings.push(...got.settings);
      tunnel ??= got.tunnel;
      if (inForce && spec.replacesArgv) replaced = true;
    }
  }
  if (replaced)
    settings = settings.map((s) =>
      s.source.kind === 'process' && s.source.path.endsWith('arguments')
        ? {
            ...s,
            state: 'shadowed',
            reason: `its settings file is in force, and the server ignores its other arguments then (${kind.facts})`,
          }
        : s,
    );

  // The systemd unit that starts it.
  const unit = serviceUnitOf(input.process);
  if (unit) {
    const names = new Set(bindVariables(kind.bind));
    const roots = (input.roots ?? DEFAULT_UNIT_ROOTS).map((r) => r.replace(/\/+$/, '') || '/');
    const chain = await readSystemdChain(log, unit, roots, true, (n) => names.has(n));
    let fromUnit = unitSettings(input, chain.files, chain.candidates, chain.winners, unit, notes);
    if (replaced)
      fromUnit = fromUnit.map((s) =>
        s.state === 'shadowed' || !s.name.startsWith('-')
          ? s
          : {
              ...s,
              state: 'shadowed',
              reason: `its settings file is in force, and the server ignores its other arguments then (${kind.facts})`,
            },
      );
    settings.push(...fromUnit);
  }
  const message = log.message();
  if (message) notes.push(message);
  return { settings, evidence: log.evidence, notes, tunnel };
}
