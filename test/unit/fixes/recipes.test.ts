/**
 * Fix recipes on hand-built snapshots (test/rules/snapshots.ts): which firewall block-port
 * uses and what it warns about, the exact file edits of tighten-origins and
 * stop-request-logging (every other byte kept), the instructions of docker-localhost, and that
 * nothing read from the system ever becomes a shell string or an unchecked command line.
 */
import { describe, expect, it } from 'vitest';
import type { FixPlan, FixStep, ManualFix } from '../../../shared/fixes';
import { fixPlanSchema, manualFixSchema } from '../../../shared/fixes';
import type { FirewallFacts, FirewalldZone, UfwRule } from '../../../shared/firewall';
import type { Setting, Snapshot } from '../../../shared/snapshot';
import { snapshotSchema } from '../../../shared/snapshot';
import { privilegedPlanProblems } from '../../../electron/engine/fixes/allowlist';
import { shellProblem } from '../../../electron/engine/fixes/executor';
import { planDigest, previewPlan } from '../../../electron/engine/fixes/preview';
import {
  NFT_MAIN_CONTENT,
  NFT_UNIT_CONTENT,
  PADDOCK_NFT_DIR,
  PADDOCK_NFT_MAIN,
  PADDOCK_NFT_UNIT,
  firewalldRejectRule,
  nftPortFile,
  nftPortRules,
  planBlockPort,
} from '../../../electron/engine/fixes/recipes/block-port';
import type { BlockPortOptions } from '../../../electron/engine/fixes/recipes/block-port';
import type { RecipeIO } from '../../../electron/engine/fixes/recipes/common';
import { isManual } from '../../../electron/engine/fixes/recipes/common';
import { planDockerLocalhost } from '../../../electron/engine/fixes/recipes/docker-localhost';
import { editAssignment } from '../../../electron/engine/fixes/recipes/env-edit';
import { planFix } from '../../../electron/engine/fixes/recipes/index';
import { planStopRequestLogging } from '../../../electron/engine/fixes/recipes/stop-request-logging';
import {
  planTightenOrigins,
  tightenedOrigins,
} from '../../../electron/engine/fixes/recipes/tighten-origins';
import { parseUnitFile } from '../../../electron/engine/probes/linux/systemd-unit';
import type { InstanceOptions, SnapshotOptions } from '../../rules/snapshots';
import {
  LOOPBACK_INTERFACE,
  LAN_INTERFACE,
  buildSnapshot,
  container,
  firewallFacts,
  loopbackOllama,
  setting,
  socket,
  wildcardOllama,
} from '../../rules/snapshots';

// ── helpers ─────────────────────────────────────────────────────────────────────────────

const ID = 'ollama:pid:42';

function io(files: Record<string, string> = {}, extra: Partial<RecipeIO> = {}): RecipeIO {
  return { readFile: (path) => files[path] ?? null, ...extra };
}

const SYSTEMD_HOST = { '/proc/1/comm': 'systemd\n' };

function snap(options: SnapshotOptions): Snapshot {
  return snapshotSchema.parse(buildSnapshot(options)) as Snapshot;
}

function withFirewall(facts: FirewallFacts, options: SnapshotOptions = {}): Snapshot {
  return snap({
    instances: [wildcardOllama(null)],
    firewall: { status: 'ok', facts },
    ...options,
  });
}

function plan(result: FixPlan | ManualFix): FixPlan {
  if (isManual(result)) throw new Error(`expected a plan, got instructions: ${result.reason}`);
  expect(fixPlanSchema.parse(result)).toEqual(result);
  // Every plan a recipe makes must pass the privileged side's allowlist as it is.
  if (result.requiresAdmin) expect(privilegedPlanProblems(result, null)).toEqual([]);
  return result;
}

function manual(result: FixPlan | ManualFix): ManualFix {
  if (!isManual(result)) throw new Error(`expected instructions, got a plan: ${result.title}`);
  expect(manualFixSchema.parse(result)).toEqual(result);
  return result;
}

function runs(p: FixPlan): Array<Extract<FixStep, { kind: 'run' }>> {
  return p.steps.filter((s): s is Extract<FixStep, { kind: 'run' }> => s.kind === 'run');
}

function writes(p: FixPlan): Array<Extract<FixStep, { kind: 'write-file' }>> {
  return p.steps.filter(
    (s): s is Extract<FixStep, { kind: 'write-file' }> => s.kind === 'write-file',
  );
}

/** Every argv of a plan (and undo) or of instructions: none may name a shell. */
function everyArgv(result: FixPlan | ManualFix): string[][] {
  return isManual(result)
    ? result.commands
    : runs(result).flatMap((s) => (s.undo ? [s.argv, s.undo] : [s.argv]));
}

function expectNoShell(result: FixPlan | ManualFix): void {
  for (const argv of everyArgv(result)) {
    expect(shellProblem(argv)).toBeNull();
    expect(argv).not.toContain('-c');
  }
}

function ufwRule(partial: Partial<UfwRule> & Pick<UfwRule, 'family'>): UfwRule {
  return {
    text: '',
    action: 'allow',
    direction: 'in',
    interface: null,
    protocol: 'tcp',
    toPorts: [[11434, 11434]],
    toAddress: 'any',
    fromPorts: null,
    fromAddress: 'any',
    app: null,
    unparsed: false,
    ...partial,
  };
}

function ufwActive(rules: UfwRule[], ipv6: boolean | null = true): FirewallFacts {
  const facts = firewallFacts('ufw-active');
  facts.ufw.model = { ...facts.ufw.model!, rules, ipv6 };
  return facts;
}

const USER_RULES_HEAD = '*filter\n:ufw-user-input - [0:0]\n### RULES ###\n';
const userRules = (tuples: string[]) =>
  `${USER_RULES_HEAD}${tuples.map((t) => `### tuple ### ${t}\n-A ufw-user-input -j ACCEPT\n`).join('')}### END RULES ###\nCOMMIT\n`;

function zone(partial: Partial<FirewalldZone> & Pick<FirewalldZone, 'name'>): FirewalldZone {
  return {
    target: 'default',
    services: [],
    ports: [],
    protocols: [],
    sourcePorts: [],
    forwardPorts: [],
    richRules: [],
    interfaces: [],
    sources: [],
    icmpBlockInversion: false,
    ...partial,
  };
}

function firewalldRunning(zones: FirewalldZone[], defaultZone = 'public'): FirewallFacts {
  const facts = firewallFacts('off');
  facts.firewalld = {
    status: 'ok',
    evidence: [],
    model: {
      running: true,
      defaultZone,
      zones,
      policies: [],
      services: {
        ssh: {
          name: 'ssh',
          ports: [{ ranges: [[22, 22]], protocol: 'tcp' }],
          protocols: [],
          sourcePorts: [],
          destination4: null,
          destination6: null,
          includes: [],
          source: '/usr/lib/firewalld/services/ssh.xml',
        },
        'ai-tools': {
          name: 'ai-tools',
          ports: [
            { ranges: [[8080, 8080]], protocol: 'tcp' },
            { ranges: [[11434, 11434]], protocol: 'tcp' },
          ],
          protocols: [],
          sourcePorts: [],
          destination4: null,
          destination6: null,
          includes: [],
          source: '/etc/firewalld/services/ai-tools.xml',
        },
      },
      unresolvedServices: [],
    },
  };
  return facts;
}

// ── block-port ────────────────────────────────────────────────────────────────────────────

describe('block-port', () => {
  const blockPort = (
    s: Snapshot,
    files: Record<string, string> = SYSTEMD_HOST,
    o?: BlockPortOptions,
  ) => planBlockPort(s, ID, io(files), o);

  it('with no firewall on: an nftables table of its own, loaded now and at every boot by a systemd unit', () => {
    const p = plan(blockPort(withFirewall(firewallFacts('off'))));
    expect(p.fixId).toBe('block-port');
    expect(p.requiresAdmin).toBe(true);
    expect(p.verification).toMatchObject({
      kind: 'port-closed-beyond-loopback',
      port: 11434,
      instance: ID,
    });
    // The boot plumbing first, so that undo decides it once the rule file is gone (R1).
    expect(p.steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : `write ${s.path}`))).toEqual([
      `write ${PADDOCK_NFT_MAIN}`,
      `write ${PADDOCK_NFT_UNIT}`,
      'systemctl daemon-reload',
      'systemctl enable -- paddock-nftables.service',
      `write ${nftPortFile(11434)}`,
      `nft -f ${nftPortFile(11434)}`,
    ]);
    const [main, unit, rules] = writes(p);
    expect(rules).toMatchObject({ before: null, mode: 0o644, content: nftPortRules(11434) });
    expect(rules!.content).toContain('table inet paddock_11434\ndelete table inet paddock_11434\n');
    expect(rules!.content).toMatch(
      /type filter hook input priority -10; policy accept;\n\t\tiifname "lo" accept\n\t\ttcp dport 11434 drop\n/,
    );
    expect(main).toMatchObject({ before: null, content: NFT_MAIN_CONTENT });
    expect(main!.content).toContain('include "/etc/paddock/nftables.d/*.nft"');
    expect(unit).toMatchObject({ before: null, content: NFT_UNIT_CONTENT });
    expect(unit!.content).toContain('ExecStart=/usr/sbin/nft -f /etc/paddock/nftables.conf\n');
    expect(unit!.content).toMatch(/Type=oneshot\nRemainAfterExit=yes\n/);
    expect(unit!.content).toMatch(/After=nftables\.service\n/);
    expect(unit!.content).toMatch(/\[Install\]\nWantedBy=multi-user\.target\n/);
    const load = runs(p).find((r) => r.argv[0] === 'nft');
    expect(load!.undo).toEqual([
      'nft',
      'add',
      'table',
      'inet',
      'paddock_11434',
      ';',
      'delete',
      'table',
      'inet',
      'paddock_11434',
    ]);
    expect(runs(p).find((s) => s.argv[1] === 'daemon-reload')!.undo).toBeNull();
    expectNoShell(p);
  });

  it('R1: the include file, the unit and its enablement are kept while other rules remain, and removed by the undo that removes the last one; the plan says so', () => {
    const p = plan(blockPort(withFirewall(firewallFacts('off'))));
    const [main, unit, rules] = writes(p);
    expect(rules!.keptWhile).toBeUndefined();
    expect(main).toMatchObject({ path: PADDOCK_NFT_MAIN, keptWhile: PADDOCK_NFT_DIR });
    expect(unit).toMatchObject({ path: PADDOCK_NFT_UNIT, keptWhile: PADDOCK_NFT_DIR });
    expect(p.steps.some((s) => 'kept' in s)).toBe(false);
    const enable = runs(p).find((s) => s.argv[1] === 'enable')!;
    expect(enable).toMatchObject({
      undo: ['systemctl', 'disable', '--', 'paddock-nftables.service'],
      keptWhile: PADDOCK_NFT_DIR,
    });
    const said = p.warnings.find((w) => w.startsWith(PADDOCK_NFT_MAIN))!;
    expect(said).toBe(
      `${PADDOCK_NFT_MAIN} and paddock-nftables.service (enabled) load every firewall rule of Paddock's at boot, and its rules share them: undo keeps them while another rule of Paddock's remains in /etc/paddock/nftables.d/, and the undo that removes the last one disables the unit and removes both. They load only Paddock's own files there.`,
    );
    expect(p.warnings.join(' ')).not.toMatch(/systemctl disable|rm \//);
    const preview = previewPlan(p);
    const SAID =
      'kept while other Paddock rules remain; removed by the undo that removes the last one (rules: /etc/paddock/nftables.d/*.nft)';
    expect(preview).toContain(
      `create ${PADDOCK_NFT_MAIN} (mode 0644; kept while other Paddock rules remain in /etc/paddock/nftables.d; removed by the undo that removes the last one)`,
    );
    expect(preview).toContain(`step 1: ${PADDOCK_NFT_MAIN}: ${SAID}`);
    expect(preview).toContain(`step 2: ${PADDOCK_NFT_UNIT}: ${SAID}`);
    expect(preview).toContain(
      'step 4: kept while other Paddock rules remain (rules: /etc/paddock/nftables.d/*.nft); the undo that removes the last one runs: systemctl disable -- paddock-nftables.service',
    );
    // The condition and its folder are part of what root compares: without it, another plan.
    const without = (drop: (s: FixStep) => FixStep): FixPlan => ({
      ...p,
      steps: p.steps.map(drop),
    });
    const unconditional = without((s) => {
      if (!('keptWhile' in s)) return s;
      const { keptWhile: _k, ...rest } = s;
      return rest as FixStep;
    });
    const elsewhere = without((s) => ('keptWhile' in s ? { ...s, keptWhile: '/etc/paddock' } : s));
    expect(new Set([planDigest(p), planDigest(unconditional), planDigest(elsewhere)]).size).toBe(3);
    // A later fix finds them in place: it shares them (nothing changes), and says the same.
    const later = plan(
      blockPort(
        withFirewall(firewallFacts('off')),
        {
          ...SYSTEMD_HOST,
          [PADDOCK_NFT_MAIN]: NFT_MAIN_CONTENT,
          [PADDOCK_NFT_UNIT]: NFT_UNIT_CONTENT,
        },
        { port: 8080 },
      ),
    );
    expect(later.warnings).toContain(said);
    const laterPreview = previewPlan(later);
    expect(laterPreview).toContain(
      `rewrite ${PADDOCK_NFT_MAIN} (mode 0644; kept while other Paddock rules remain in /etc/paddock/nftables.d; removed by the undo that removes the last one)`,
    );
    expect(laterPreview).toContain(`step 1: ${PADDOCK_NFT_MAIN}: ${SAID}`);
  });

  it('never switches on ufw or firewalld that is off, and says what their defaults would block', () => {
    const s = withFirewall(firewallFacts('off'), {
      sockets: [
        socket({
          state: 'listen',
          localAddress: '0.0.0.0',
          localPort: 22,
          processes: [{ pid: 7, name: 'sshd' }],
        }),
        socket({
          state: 'listen',
          localAddress: '::',
          localPort: 445,
          dualStack: true,
          processes: [{ pid: 8, name: 'smbd' }],
        }),
        socket({
          state: 'listen',
          localAddress: '127.0.0.1',
          localPort: 631,
          processes: [{ pid: 9, name: 'cupsd' }],
        }),
      ],
    });
    const p = plan(blockPort(s));
    expect(
      p.steps.some((st) => st.kind === 'run' && ['ufw', 'firewall-cmd'].includes(st.argv[0]!)),
    ).toBe(false);
    const warning = p.warnings.find((w) => w.includes('installed but off'))!;
    expect(warning).toMatch(
      /^ufw and firewalld are installed but off\. Paddock does not switch them on/,
    );
    expect(warning).toContain('22 (sshd) and 445 (smbd)');
    expect(warning).not.toContain('631');
  });

  it('without systemd, or with persist false, the rule is loaded now only and the warnings say so', () => {
    const facts = firewallFacts('off');
    for (const [files, options] of [
      [{ '/proc/1/comm': 'sleep\n' }, {}],
      [SYSTEMD_HOST, { persist: false }],
    ] as const) {
      const p = plan(blockPort(withFirewall(facts), files, options));
      expect(p.steps.map((s) => s.kind)).toEqual(['write-file', 'run']);
      expect(p.warnings.join(' ')).toMatch(/lasts until the next reboot/);
    }
  });

  it('a second port shares the unit Paddock already installed and enabled: same bytes, no reload, an enable that changes nothing', () => {
    const files = {
      ...SYSTEMD_HOST,
      [PADDOCK_NFT_MAIN]: NFT_MAIN_CONTENT,
      [PADDOCK_NFT_UNIT]: NFT_UNIT_CONTENT,
      '/etc/systemd/system/multi-user.target.wants/paddock-nftables.service': NFT_UNIT_CONTENT,
    };
    const p = plan(blockPort(withFirewall(firewallFacts('off')), files, { port: 8080 }));
    expect(p.steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : `write ${s.path}`))).toEqual([
      `write ${PADDOCK_NFT_MAIN}`,
      `write ${PADDOCK_NFT_UNIT}`,
      'systemctl enable -- paddock-nftables.service',
      `write ${nftPortFile(8080)}`,
      `nft -f ${nftPortFile(8080)}`,
    ]);
    for (const w of writes(p).slice(0, 2)) expect(w.before).toBe(w.content);
    expect(p.verification.port).toBe(8080);
  });

  it('ufw active: a deny put ahead of every rule for IPv4 and IPv6, undone by deleting it', () => {
    const p = plan(
      blockPort(withFirewall(ufwActive([ufwRule({ family: 4, toPorts: [[22, 22]] })]))),
    );
    expect(runs(p)).toEqual([
      expect.objectContaining({
        argv: ['ufw', 'prepend', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
        undo: ['ufw', 'delete', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
      }),
    ]);
    expect(p.warnings.join(' ')).not.toMatch(/installed but off/);
    expectNoShell(p);
  });

  it('ufw active with the user’s own "allow 11434/tcp": the rule becomes a deny in place, and undo makes it an allow again', () => {
    const facts = ufwActive([
      ufwRule({ family: 4 }),
      ufwRule({ family: 4, toPorts: [[22, 22]] }),
      ufwRule({ family: 6 }),
    ]);
    const files = {
      ...SYSTEMD_HOST,
      '/etc/ufw/user.rules': userRules([
        'allow tcp 11434 0.0.0.0/0 any 0.0.0.0/0 in',
        'allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in',
      ]),
      '/etc/ufw/user6.rules': userRules(['allow tcp 11434 ::/0 any ::/0 in']),
    };
    const p = plan(blockPort(withFirewall(facts), files));
    expect(runs(p)).toEqual([
      expect.objectContaining({
        argv: ['ufw', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
        undo: ['ufw', 'allow', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
      }),
    ]);
    // A limit rule comes back as a limit.
    const limited = ufwActive([
      ufwRule({ family: 4, action: 'limit' }),
      ufwRule({ family: 6, action: 'limit' }),
    ]);
    const limitFiles = {
      '/etc/ufw/user.rules': userRules(['limit tcp 11434 0.0.0.0/0 any 0.0.0.0/0 in']),
      '/etc/ufw/user6.rules': userRules(['limit tcp 11434 ::/0 any ::/0 in']),
    };
    expect(runs(plan(blockPort(withFirewall(limited), limitFiles)))[0]!.undo).toEqual([
      'ufw',
      'limit',
      'proto',
      'tcp',
      'to',
      'any',
      'port',
      '11434',
    ]);
  });

  it('ufw active but not exactly reversible or not effective: nftables instead, and the warning says why', () => {
    const allow = [ufwRule({ family: 4 }), ufwRule({ family: 6 })];
    const cases: Array<[FirewallFacts, Record<string, string>, RegExp]> = [
      // The allow carries a comment: ufw's update would lose it.
      [
        ufwActive(allow),
        {
          '/etc/ufw/user.rules': userRules([
            'allow tcp 11434 0.0.0.0/0 any 0.0.0.0/0 in comment=6d696e65',
          ]),
          '/etc/ufw/user6.rules': userRules(['allow tcp 11434 ::/0 any ::/0 in']),
        },
        /comment or logging/,
      ],
      // user.rules cannot be read (no root): Paddock cannot check.
      [ufwActive(allow), {}, /comment or logging \(or its file could not be read\)/],
      // An earlier rule lets the LAN in anyway.
      [
        ufwActive([ufwRule({ family: 4, toPorts: null, fromAddress: '192.168.1.0/24' }), ...allow]),
        {},
        /an earlier ufw rule also lets port 11434 in/,
      ],
      // IPv6 is not managed by ufw and the listener is dual-stack.
      [ufwActive([], false), {}, /ufw does not manage IPv6 here/],
      [ufwActive([ufwRule({ family: 4, unparsed: true })]), {}, /some ufw rules could not be read/],
    ];
    for (const [facts, files, why] of cases) {
      const p = plan(blockPort(withFirewall(facts), { ...SYSTEMD_HOST, ...files }));
      expect(
        runs(p)
          .find((r) => r.argv[0] !== 'systemctl')!
          .argv.slice(0, 2),
      ).toEqual(['nft', '-f']);
      expect(p.warnings[0]).toMatch(why);
      expect(p.warnings[0]).toMatch(/Paddock uses a table of its own in nftables instead/);
    }
  });

  it('firewalld running: a reject rich rule in each zone in use that lets the port in, now and permanently', () => {
    const facts = firewalldRunning([
      zone({
        name: 'public',
        interfaces: ['eth0'],
        services: ['ssh'],
        ports: [{ ranges: [[11434, 11434]], protocol: 'tcp' }],
      }),
      zone({ name: 'home', sources: ['192.168.1.0/24'], services: ['ai-tools'] }),
      zone({ name: 'trusted', target: 'ACCEPT' }),
      zone({ name: 'drop', target: 'DROP', interfaces: ['eth1'] }),
      zone({ name: 'work', services: ['ssh'], sources: ['10.0.0.0/8'] }),
    ]);
    const p = plan(blockPort(withFirewall(facts)));
    const rule = 'rule port port="11434" protocol="tcp" reject';
    expect(runs(p).map((s) => [s.argv, s.undo])).toEqual([
      [
        ['firewall-cmd', '--zone=public', `--add-rich-rule=${rule}`],
        ['firewall-cmd', '--zone=public', `--remove-rich-rule=${rule}`],
      ],
      [
        ['firewall-cmd', '--permanent', '--zone=public', `--add-rich-rule=${rule}`],
        ['firewall-cmd', '--permanent', '--zone=public', `--remove-rich-rule=${rule}`],
      ],
      [
        ['firewall-cmd', '--zone=home', `--add-rich-rule=${rule}`],
        ['firewall-cmd', '--zone=home', `--remove-rich-rule=${rule}`],
      ],
      [
        ['firewall-cmd', '--permanent', '--zone=home', `--add-rich-rule=${rule}`],
        ['firewall-cmd', '--permanent', '--zone=home', `--remove-rich-rule=${rule}`],
      ],
    ]);
    expect(p.summary).toMatch(/zones public and home/);
    expect(
      plan(blockPort(withFirewall(facts), SYSTEMD_HOST, { persist: false })).steps,
    ).toHaveLength(2);
  });

  it('firewalld: the reject goes before an accepting rich rule of negative priority', () => {
    const facts = firewalldRunning([
      zone({
        name: 'public',
        interfaces: ['eth0'],
        richRules: [
          {
            text: 'rule priority="-5" port port="11434" protocol="tcp" accept',
            family: null,
            priority: -5,
            source: null,
            destination: null,
            element: { kind: 'port', port: { ranges: [[11434, 11434]], protocol: 'tcp' } },
            action: 'accept',
            limited: false,
            parseError: null,
          },
        ],
      }),
    ]);
    const p = plan(blockPort(withFirewall(facts), SYSTEMD_HOST, { persist: false }));
    expect(runs(p)[0]!.argv[2]).toBe(`--add-rich-rule=${firewalldRejectRule(11434, -6)}`);
    expect(firewalldRejectRule(11434, -6)).toBe(
      'rule priority="-6" port port="11434" protocol="tcp" reject',
    );
  });

  it('a hostile firewalld zone name never reaches a command line: Paddock uses its own nftables table', () => {
    const facts = firewalldRunning(
      [
        zone({
          name: 'pub lic" --zone=x',
          interfaces: ['eth0'],
          ports: [{ ranges: [[11434, 11434]], protocol: 'tcp' }],
        }),
      ],
      'pub lic" --zone=x',
    );
    const p = plan(blockPort(withFirewall(facts)));
    expect(everyArgv(p).flat().join(' ')).not.toContain('lic"');
    expect(runs(p).find((r) => r.argv[0] !== 'systemctl')!.argv[0]).toBe('nft');
    expect(p.warnings[0]).toMatch(/has a name Paddock will not put on a command line/);
    expectNoShell(p);
  });

  it('warns that containers on a bridge lose the port too, and that Docker publishes are not closed by it', () => {
    const s = snap({
      instances: [
        wildcardOllama(null, {
          listeners: [
            { address: '::', dualStack: true, via: [{ address: '192.168.1.20' }] },
            { path: 'docker', address: '0.0.0.0', port: 11500, via: [{ address: '192.168.1.20' }] },
          ],
        }),
      ],
      interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, { name: 'docker0', addresses: [] }],
      firewall: { status: 'ok', facts: firewallFacts('off') },
    });
    const text = plan(blockPort(s)).warnings.join('\n');
    expect(text).toMatch(/through docker0, not loopback: they lose port 11434 too/);
    expect(text).toMatch(/Ports Docker publishes \(11500\) are forwarded before the host firewall/);
  });

  it('refuses with the reason when there is nothing to close, no port, or no firewall Paddock can use', () => {
    const loop = snap({
      instances: [loopbackOllama()],
      firewall: { status: 'ok', facts: firewallFacts('off') },
    });
    expect(manual(blockPort(loop)).reason).toMatch(/listens on loopback only/);
    const blocked = withFirewall(firewallFacts('nft-drop'), {
      instances: [wildcardOllama('blocked')],
    });
    expect(manual(blockPort(blocked)).reason).toMatch(/already closed to other machines/);
    expect(
      manual(blockPort(withFirewall(firewallFacts('off')), SYSTEMD_HOST, { port: 70000 })).reason,
    ).toMatch(/not a TCP port/);
    expect(
      manual(planBlockPort(withFirewall(firewallFacts('off')), 'ollama:pid:9', io())).reason,
    ).toMatch(/knows no server/);
    const unread = snap({ instances: [wildcardOllama(null)] });
    expect(manual(blockPort(unread)).reason).toMatch(/could not read the firewall/);
    const noNft = firewallFacts('off');
    noNft.nftables = {
      status: 'unavailable',
      evidence: [],
      message: 'nft is not installed',
      ruleset: null,
    };
    noNft.ufw = { status: 'unavailable', evidence: [], model: null };
    noNft.firewalld = { status: 'unavailable', evidence: [], model: null };
    const m = manual(blockPort(withFirewall(noNft)));
    expect(m.reason).toMatch(/nft. program\) is not installed/);
    expect(m.commands.at(-1)).toEqual([
      'nft',
      'add',
      'rule',
      'inet',
      'paddock_11434',
      'input',
      'tcp',
      'dport',
      '11434',
      'drop',
    ]);
    expectNoShell(m);
  });
});

// ── env edits ─────────────────────────────────────────────────────────────────────────────

describe('editing one assignment', () => {
  const unit = (text: string, line: number, decide = tightenedOrigins) =>
    editAssignment({
      kind: 'systemd-dropin',
      text,
      line,
      name: 'OLLAMA_ORIGINS',
      decide,
      unitName: 'ollama.service',
    });

  it('replaces only its word on an Environment= line, quoting as systemd reads it', () => {
    const text =
      '[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0" "OLLAMA_ORIGINS=*,https://app.example.com" PATH=/x\n';
    const r = unit(text, 2);
    expect(r).toMatchObject({ ok: true, oldValue: '*,https://app.example.com' });
    if (!r.ok) return;
    expect(r.content).toBe(
      '[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0" "OLLAMA_ORIGINS=https://app.example.com" PATH=/x\n',
    );
    const after = parseUnitFile(r.content).directives;
    expect(after.map((d) => (d.kind === 'set' ? `${d.name}=${d.value}` : d.kind))).toEqual([
      'OLLAMA_HOST=0.0.0.0',
      'OLLAMA_ORIGINS=https://app.example.com',
      'PATH=/x',
    ]);
  });

  it('removes the whole line when the assignment is its only word (an empty Environment= would clear the rest)', () => {
    const text =
      '# mine\n[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0"\nEnvironment="OLLAMA_ORIGINS=*"\nRestart=always';
    const r = unit(text, 4);
    expect(r.ok && r.content).toBe(
      '# mine\n[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0"\nRestart=always',
    );
    const mid = unit('[Service]\nEnvironment=OLLAMA_ORIGINS=* A=1\n', 2);
    expect(mid.ok && mid.content).toBe('[Service]\nEnvironment=A=1\n');
    const end = unit('[Service]\nEnvironment=A=1  OLLAMA_ORIGINS=*\n', 2);
    expect(end.ok && end.content).toBe('[Service]\nEnvironment=A=1\n');
  });

  it('refuses what it cannot re-write with certainty', () => {
    expect(unit('[Service]\nEnvironment="A=1" \\\n  "OLLAMA_ORIGINS=*"\n', 2)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/continued/),
    });
    expect(unit('[Service]\nEnvironment="OLLAMA_ORIGINS=*,%H"\n', 2)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/specifiers/),
    });
    expect(unit('[Service]\nEnvironment="OLLAMA_ORIGINS=*\n', 2)).toMatchObject({ ok: false });
    expect(unit('[Service]\r\nEnvironment=OLLAMA_ORIGINS=*\r\n', 2)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/CR/),
    });
    expect(unit('[Service]\nEnvironment=OLLAMA_ORIGINS=* OLLAMA_ORIGINS=*\n', 2)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/more than once/),
    });
    expect(unit('[Service]\nExecStart=/x\n', 2)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not an Environment= line/),
    });
  });

  it('writes values with quotes, backslashes and % so that systemd reads them back exactly', () => {
    const value = 'https://a.example.com,https://we"ird\\x%d.example';
    const r = unit('[Service]\nEnvironment=OLLAMA_ORIGINS=*\n', 2, () => ({ kind: 'set', value }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const set = parseUnitFile(r.content, { unitName: 'ollama.service' }).directives[0];
    expect(set).toMatchObject({ kind: 'set', name: 'OLLAMA_ORIGINS', value });
  });

  it('edits EnvironmentFile=, /etc/environment and shell files only in their simple forms', () => {
    const decide = tightenedOrigins;
    const envfile = (text: string) =>
      editAssignment({ kind: 'systemd-envfile', text, line: 2, name: 'OLLAMA_ORIGINS', decide });
    expect(envfile('A=1\nOLLAMA_ORIGINS=*,https://x.example\n')).toMatchObject({
      ok: true,
      content: 'A=1\nOLLAMA_ORIGINS=https://x.example\n',
    });
    expect(envfile("A=1\nOLLAMA_ORIGINS='*'\nB=2\n")).toMatchObject({
      ok: true,
      content: 'A=1\nB=2\n',
    });
    expect(envfile('A=1\nOLLAMA_ORIGINS="a\\"b*"\n')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/quoting/),
    });

    const etc = (text: string) =>
      editAssignment({ kind: 'etc-environment', text, line: 1, name: 'OLLAMA_ORIGINS', decide });
    expect(etc('OLLAMA_ORIGINS="*,http://x.example"\nPATH=/bin\n')).toMatchObject({
      ok: true,
      content: 'OLLAMA_ORIGINS="http://x.example"\nPATH=/bin\n',
    });
    expect(etc('OLLAMA_ORIGINS=* # everyone\n')).toMatchObject({ ok: false });

    const sh = (text: string, line = 2, dialect: 'sh' | 'fish' = 'sh') =>
      editAssignment({ kind: 'shell-rc', text, line, name: 'OLLAMA_ORIGINS', decide, dialect });
    expect(sh("alias ll='ls -l'\nexport OLLAMA_ORIGINS='*' # for the web UI\n")).toMatchObject({
      ok: true,
      content: "alias ll='ls -l'\n",
    });
    expect(sh('x=1\nexport OLLAMA_ORIGINS="*,https://x.example"  # web\n')).toMatchObject({
      ok: true,
      content: 'x=1\nexport OLLAMA_ORIGINS=https://x.example  # web\n',
    });
    expect(sh('x=1\nexport OLLAMA_ORIGINS="$EXTRA,*"\n')).toMatchObject({ ok: false });
    expect(sh('x=1\nexport A=1 OLLAMA_ORIGINS=*\n')).toMatchObject({ ok: false });
    expect(sh("set -gx PATH $PATH\nset -gx OLLAMA_ORIGINS '*'\n", 2, 'fish')).toMatchObject({
      ok: true,
      content: 'set -gx PATH $PATH\n',
    });
  });
});

// ── tighten-origins and stop-request-logging ──────────────────────────────────────────────

const DROPIN = '/etc/systemd/system/ollama.service.d/override.conf';

function settingsSnapshot(settings: Setting[], extra: InstanceOptions = {}): Snapshot {
  return snap({ instances: [loopbackOllama({ settings, ...extra })] });
}

describe('tighten-origins', () => {
  const dropinText =
    '[Service]\nEnvironment="OLLAMA_HOST=127.0.0.1"\nEnvironment="OLLAMA_ORIGINS=*"\n';
  const inProcess = setting('OLLAMA_ORIGINS', '*');
  const inDropin = setting('OLLAMA_ORIGINS', '*', {
    kind: 'systemd-dropin',
    path: DROPIN,
    line: 3,
  });

  it('a drop-in: that one assignment goes, then daemon-reload and a restart that undo repeats after the file is back', () => {
    const p = plan(
      planTightenOrigins(settingsSnapshot([inProcess, inDropin]), ID, io({ [DROPIN]: dropinText })),
    );
    expect(p).toMatchObject({ fixId: 'tighten-origins', requiresAdmin: true, instance: ID });
    expect(p.verification).toMatchObject({
      kind: 'setting-without-wildcard',
      setting: 'OLLAMA_ORIGINS',
    });
    expect(
      p.steps.map((s) =>
        s.kind === 'run' ? [s.argv.join(' '), s.undo?.join(' ') ?? null] : [`write ${s.path}`],
      ),
    ).toEqual([
      ['systemctl cat -- ollama.service', 'systemctl try-restart -- ollama.service'],
      ['systemctl daemon-reload', 'systemctl daemon-reload'],
      [`write ${DROPIN}`],
      ['systemctl daemon-reload', null],
      ['systemctl try-restart -- ollama.service', null],
    ]);
    expect(writes(p)[0]).toMatchObject({
      before: dropinText,
      content: '[Service]\nEnvironment="OLLAMA_HOST=127.0.0.1"\n',
      mode: 0o644,
    });
    expectNoShell(p);
  });

  it('keeps the entries that name a site, and keeps the file’s mode when the caller knows it', () => {
    const text = 'OLLAMA_ORIGINS=https://*,https://chat.example.com\n';
    const env = setting('OLLAMA_ORIGINS', 'https://*,https://chat.example.com', {
      kind: 'systemd-envfile',
      path: '/etc/ollama.env',
      line: 1,
      state: 'latent',
    });
    const p = plan(
      planTightenOrigins(
        settingsSnapshot([env]),
        ID,
        io({ '/etc/ollama.env': text }, { fileMode: () => 0o640 }),
      ),
    );
    expect(writes(p)[0]).toMatchObject({
      content: 'OLLAMA_ORIGINS=https://chat.example.com\n',
      mode: 0o640,
    });
  });

  it('a line in the user’s own shell file needs no admin rights and no restart', () => {
    const rc = '/home/alice/.bashrc';
    const text = "export PATH=$HOME/bin:$PATH\nexport OLLAMA_ORIGINS='*'\n";
    const s = setting('OLLAMA_ORIGINS', '*', {
      kind: 'shell-rc',
      path: rc,
      line: 2,
      state: 'latent',
    });
    const p = plan(
      planTightenOrigins(settingsSnapshot([s]), ID, io({ [rc]: text }, { homeDir: '/home/alice' })),
    );
    expect(p.requiresAdmin).toBe(false);
    expect(p.steps).toEqual([
      expect.objectContaining({
        kind: 'write-file',
        path: rc,
        before: text,
        content: 'export PATH=$HOME/bin:$PATH\n',
        mode: 0o600,
      }),
    ]);
    expect(p.warnings.join(' ')).toMatch(/new login/);
  });

  it('several assignments in one file are edited bottom-up in one write; each file once', () => {
    const unitPath = '/etc/systemd/system/ollama.service';
    const unitText =
      '[Service]\nExecStart=/usr/local/bin/ollama serve\nEnvironment="OLLAMA_ORIGINS=*"\nEnvironment="OLLAMA_ORIGINS=chrome-extension://*,http://a.example"\n';
    const a = setting('OLLAMA_ORIGINS', '*', {
      kind: 'systemd-unit',
      path: unitPath,
      line: 3,
      state: 'shadowed',
    });
    const b = setting('OLLAMA_ORIGINS', 'chrome-extension://*,http://a.example', {
      kind: 'systemd-unit',
      path: unitPath,
      line: 4,
    });
    const p = plan(planTightenOrigins(settingsSnapshot([a, b]), ID, io({ [unitPath]: unitText })));
    expect(writes(p)).toHaveLength(1);
    expect(writes(p)[0]!.content).toBe(
      '[Service]\nExecStart=/usr/local/bin/ollama serve\nEnvironment="OLLAMA_ORIGINS=http://a.example"\n',
    );
  });

  it('a server started by hand: instructions, since a running program’s environment cannot be changed', () => {
    const s = settingsSnapshot([inProcess]);
    s.instances[0]!.process!.systemdUnit = null;
    const m = manual(planTightenOrigins(s, ID, io()));
    expect(m.reason).toMatch(/started by hand/);
    expect(m.commands).toEqual([
      ['kill', '42'],
      ['env', '-u', 'OLLAMA_ORIGINS', 'ollama', 'serve'],
    ]);
  });

  it('a service whose value no readable file explains: instructions to look at systemd’s own environment', () => {
    const m = manual(planTightenOrigins(settingsSnapshot([inProcess]), ID, io()));
    expect(m.reason).toMatch(/set-environment/);
    expect(m.commands[0]).toEqual(['systemctl', 'show-environment']);
  });

  it('refuses a hostile unit name, a file changed since the scan, and quoting it cannot re-write', () => {
    const hostile = settingsSnapshot([inDropin]);
    hostile.instances[0]!.process!.systemdUnit = 'ollama; rm -rf $(x).service';
    const m1 = manual(planTightenOrigins(hostile, ID, io({ [DROPIN]: dropinText })));
    expect(m1.reason).toMatch(/name Paddock does not accept/);
    expect(m1.commands).toEqual([]);

    const changed = manual(
      planTightenOrigins(
        settingsSnapshot([inDropin]),
        ID,
        io({ [DROPIN]: dropinText.replace('=*', '=*,http://b.example') }),
      ),
    );
    expect(changed.reason).toMatch(/no longer holds the value Paddock scanned/);
    expect(changed.commands[0]).toEqual(['sudoedit', DROPIN]);

    const continued = manual(
      planTightenOrigins(
        settingsSnapshot([inDropin]),
        ID,
        io({ [DROPIN]: '[Service]\nEnvironment="A=1" \\\n"OLLAMA_ORIGINS=*"\n' }),
      ),
    );
    expect(continued.reason).toMatch(/continued over several lines/);

    expect(manual(planTightenOrigins(settingsSnapshot([inDropin]), ID, io())).reason).toMatch(
      /could not be read/,
    );
    const dotdot = setting('OLLAMA_ORIGINS', '*', {
      kind: 'systemd-dropin',
      path: '/etc/systemd/system/../../root/x.conf',
      line: 1,
    });
    expect(manual(planTightenOrigins(settingsSnapshot([dotdot]), ID, io())).reason).toMatch(
      /not a plain absolute path/,
    );
    expect(
      manual(
        planTightenOrigins(
          settingsSnapshot([setting('OLLAMA_ORIGINS', 'https://x.example')]),
          ID,
          io(),
        ),
      ).reason,
    ).toMatch(/nothing to do/);
  });

  it('says when what is left still stops Ollama from starting', () => {
    const text = '[Service]\nEnvironment="OLLAMA_ORIGINS=*,https://a.example, https://x.example"\n';
    const s = setting('OLLAMA_ORIGINS', '*,https://a.example, https://x.example', {
      kind: 'systemd-dropin',
      path: DROPIN,
      line: 2,
      state: 'latent',
    });
    const p = plan(planTightenOrigins(settingsSnapshot([s]), ID, io({ [DROPIN]: text })));
    expect(p.warnings.join(' ')).toMatch(
      /still holds " https:\/\/x\.example", which stops Ollama from starting/,
    );
  });
});

describe('stop-request-logging', () => {
  it('removes every assignment, "0" included, and says the logs already written stay', () => {
    const text =
      '[Service]\nEnvironment="OLLAMA_DEBUG_LOG_REQUESTS=0"\nEnvironment="OLLAMA_DEBUG_LOG_REQUESTS=yes" "OLLAMA_HOST=127.0.0.1"\n';
    const settings = [
      setting('OLLAMA_DEBUG_LOG_REQUESTS', 'yes'),
      setting('OLLAMA_DEBUG_LOG_REQUESTS', '0', {
        kind: 'systemd-dropin',
        path: DROPIN,
        line: 2,
        state: 'shadowed',
      }),
      setting('OLLAMA_DEBUG_LOG_REQUESTS', 'yes', {
        kind: 'systemd-dropin',
        path: DROPIN,
        line: 3,
      }),
    ];
    const p = plan(planStopRequestLogging(settingsSnapshot(settings), ID, io({ [DROPIN]: text })));
    expect(p.verification).toMatchObject({
      kind: 'setting-absent',
      setting: 'OLLAMA_DEBUG_LOG_REQUESTS',
    });
    expect(writes(p)[0]!.content).toBe('[Service]\nEnvironment="OLLAMA_HOST=127.0.0.1"\n');
    expect(p.warnings.join(' ')).toMatch(/ollama-request-logs-\*/);
  });

  it('has nothing to do when logging is off', () => {
    const off = [
      setting('OLLAMA_DEBUG_LOG_REQUESTS', 'false', {
        kind: 'systemd-dropin',
        path: DROPIN,
        line: 2,
      }),
    ];
    expect(manual(planStopRequestLogging(settingsSnapshot(off), ID, io())).reason).toMatch(
      /not on/,
    );
  });
});

// ── docker-localhost ──────────────────────────────────────────────────────────────────────

describe('docker-localhost', () => {
  const withContainer = (c: ReturnType<typeof container>) =>
    snap({ instances: [{ ...loopbackOllama(), containers: [c] }] });

  it('a plain container: the exact commands to recreate it on 127.0.0.1, with what only docker inspect knows as placeholders', () => {
    const m = manual(planDockerLocalhost(withContainer(container()), ID));
    expect(m.fixId).toBe('docker-localhost');
    expect(m.commands.slice(0, 3)).toEqual([
      ['docker', 'inspect', 'ollama'],
      ['docker', 'stop', 'ollama'],
      ['docker', 'rename', 'ollama', 'ollama-paddock-old'],
    ]);
    const run = m.commands[3]!;
    expect(run.slice(0, 5)).toEqual(['docker', 'run', '-d', '--name', 'ollama']);
    expect(run.slice(-3)).toEqual(['-p', '127.0.0.1:11434:11434', 'ollama/ollama:latest']);
    expect(run.filter((a) => a.startsWith('<'))).toHaveLength(4);
    expect(m.commands.at(-1)).toEqual(['docker', 'rm', 'ollama-paddock-old']);
    expect(m.reason).toMatch(/loses its models/);
    expect(m.reason).toMatch(
      /docker rm -f ollama; docker rename ollama-paddock-old ollama; docker start ollama/,
    );
    expectNoShell(m);
  });

  it('a Compose service: change the ports line in the compose file and recreate it with docker compose', () => {
    const c = container({
      names: ['ai-ollama-1'],
      labels: {
        'com.docker.compose.project': 'ai',
        'com.docker.compose.service': 'ollama',
        'com.docker.compose.project.config_files': '/srv/ai/compose.yaml',
        'com.docker.compose.project.working_dir': '/srv/ai',
      },
    });
    const m = manual(planDockerLocalhost(withContainer(c), ID));
    expect(m.reason).toContain('"127.0.0.1:11434:11434"');
    expect(m.commands[0]).toEqual([
      'docker',
      'compose',
      '--project-directory',
      '/srv/ai',
      '-f',
      '/srv/ai/compose.yaml',
      '-p',
      'ai',
      'up',
      '-d',
      'ollama',
    ]);
  });

  it('a hostile container name or image is replaced by a placeholder, never used', () => {
    const m = manual(
      planDockerLocalhost(
        withContainer(container({ names: ['x; rm -rf /'], image: 'evil $(id)' })),
        ID,
      ),
    );
    expect(m.commands.flat()).not.toContain('x; rm -rf /');
    expect(m.commands[1]).toEqual(['docker', 'stop', '<CONTAINER-NAME>']);
    expect(m.commands[3]!.at(-1)).toMatch(/^<IMAGE/);
  });

  it('nothing to change when no container publishes beyond loopback', () => {
    const c = container({ publish: { hostIp: '127.0.0.1', scope: 'loopback' } });
    expect(manual(planDockerLocalhost(withContainer(c), ID)).reason).toMatch(/nothing to change/);
  });
});

// ── the entry point ───────────────────────────────────────────────────────────────────────

describe('planFix', () => {
  it('dispatches every fix id to its recipe', () => {
    const s = withFirewall(firewallFacts('off'), {
      instances: [wildcardOllama(null, { settings: [setting('OLLAMA_HOST', '0.0.0.0')] })],
    });
    for (const id of [
      'rebind-systemd',
      'block-port',
      'tighten-origins',
      'stop-request-logging',
      'docker-localhost',
    ] as const) {
      const result = planFix(id, s, ID, io(SYSTEMD_HOST), { findingId: 'finding-1' });
      expect(result.fixId).toBe(id);
      if (!isManual(result)) expect(result.findingId).toBe('finding-1');
      expectNoShell(result);
    }
  });
});
