/**
 * Bounded fuzzing of the firewall parsers: nft JSON, iptables-save, ufw's files and status,
 * firewalld's listings, rich rules and service XML. None may throw, and every answer is of the
 * schema the verdict reads (shared/firewall.ts), ports in range.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  parseFirewalldPolicies,
  parseFirewalldPort,
  parseFirewalldZones,
  parseRichRule,
  parseServiceXml,
} from '../../../electron/engine/probes/linux/firewall/firewalld';
import { parseIptablesSave } from '../../../electron/engine/probes/linux/firewall/iptables';
import { parseNftJson } from '../../../electron/engine/probes/linux/firewall/nft';
import {
  parseUfwConf,
  parseUfwDefaults,
  parseUfwStatus,
  parseUfwUserRules,
} from '../../../electron/engine/probes/linux/firewall/ufw';
import {
  firewalldPolicySchema,
  firewalldPortSchema,
  firewalldRichRuleSchema,
  firewalldServiceSchema,
  firewalldZoneSchema,
  firewallRulesetSchema,
  ufwRuleSchema,
} from '../../../shared/firewall';
import type { z } from 'zod';
import { check, fixtureBody, fixtures, isPort, jsonMutations, parserInput } from './support';

const family = fc.constantFrom<4 | 6>(4, 6);

function expectSchema(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value);
  expect(result.success, JSON.stringify(result.error?.issues.slice(0, 2))).toBe(true);
}

/** Every [from, to] port range anywhere in a value. */
function portRanges(value: unknown, out: unknown[][] = []): unknown[][] {
  if (Array.isArray(value)) {
    if (value.length === 2 && value.every((v) => typeof v === 'number')) out.push(value);
    else for (const v of value) portRanges(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) portRanges(v, out);
  }
  return out;
}

function expectPorts(value: unknown) {
  for (const [from, to] of portRanges(value)) expect(isPort(from) && isPort(to)).toBe(true);
}

describe('fuzz: nftables and iptables', () => {
  const NFT = fixtures(/nft-.*\.json/);
  const expectNft = (text: string) => {
    const result = parseNftJson(text);
    if (result.ok) expectSchema(firewallRulesetSchema, result.ruleset);
    else expect(typeof result.message).toBe('string');
  };

  it('parseNftJson: a ruleset of the schema, or a message (text mutations)', () => {
    check(parserInput(NFT), expectNft, 150);
  });

  it('parseNftJson: a ruleset of the schema, or a message (JSON mutations)', () => {
    const docs = ['nft-ufw', 'nft-firewalld', 'nft-plain', 'nft-iptables'].map(
      (name) => JSON.parse(fixtureBody(`linux/firewall/${name}.json.txt`)) as unknown,
    );
    check(jsonMutations(docs), expectNft, 150);
  });

  it('parseIptablesSave: a ruleset of the schema, or a message', () => {
    check(fc.tuple(parserInput(fixtures(/iptables-.*save/)), family), ([text, f]) => {
      const result = parseIptablesSave(text, f);
      if (result.ok) expectSchema(firewallRulesetSchema, result.ruleset);
      else expect(typeof result.message).toBe('string');
    });
  });
});

describe('fuzz: ufw', () => {
  it('parseUfwUserRules: rules of the schema, ports in range', () => {
    check(fc.tuple(parserInput(fixtures(/ufw-user6?\.rules/)), family), ([text, f]) => {
      for (const rule of parseUfwUserRules(text, f)) {
        expectSchema(ufwRuleSchema, rule);
        expectPorts(rule);
      }
    });
  });

  it('parseUfwStatus: null, or a status with rules of the schema', () => {
    check(parserInput(fixtures(/ufw-status/)), (text) => {
      const status = parseUfwStatus(text);
      if (status === null) return;
      expect([true, false, null]).toContain(status.active);
      expect([null, 'allow', 'deny', 'reject']).toContain(status.defaultIncoming);
      for (const rule of status.rules) {
        expectSchema(ufwRuleSchema, rule);
        expectPorts(rule);
      }
    });
  });

  it('parseUfwDefaults and parseUfwConf: known values or null', () => {
    check(parserInput(fixtures(/ufw-default/)), (text) => {
      const defaults = parseUfwDefaults(text);
      expect([null, 'allow', 'deny', 'reject']).toContain(defaults.defaultIncoming);
      expect([null, true, false]).toContain(defaults.ipv6);
    });
    check(parserInput(['# ufw.conf\nENABLED=yes\nLOGLEVEL=low\n']), (text) => {
      expect([null, true, false]).toContain(parseUfwConf(text).enabledAtBoot);
    });
  });
});

describe('fuzz: firewalld', () => {
  it('parseFirewalldZones: zones of the schema', () => {
    check(parserInput(fixtures(/list-all-zones/)), (text) => {
      for (const zone of parseFirewalldZones(text)) {
        expectSchema(firewalldZoneSchema, zone);
        expectPorts(zone);
      }
    });
  });

  it('parseFirewalldPolicies: policies of the schema', () => {
    check(parserInput(fixtures(/list-all-policies/)), (text) => {
      for (const policy of parseFirewalldPolicies(text)) {
        expectSchema(firewalldPolicySchema, policy);
        expectPorts(policy);
      }
    });
  });

  it('parseRichRule: a rule of the schema, a parse error when unreadable', () => {
    const rules = [
      'rule family="ipv4" source address="10.0.0.0/8" port port="11434" protocol="tcp" accept',
      'rule priority="-10" family="ipv6" source not address="fd00::/8" service name="ssh" reject type="icmp6-adm-prohibited"',
      'rule protocol value="tcp" log prefix="x" level="info" limit value="1/m" drop',
    ];
    check(parserInput(rules), (text) => {
      const rule = parseRichRule(text);
      expectSchema(firewalldRichRuleSchema, rule);
      expectPorts(rule);
    });
  });

  it('parseServiceXml: null, or a service of the schema', () => {
    check(parserInput(fixtures(/firewalld-service-/)), (text) => {
      const service = parseServiceXml(text, 'x', '/etc/firewalld/services/x.xml');
      if (service === null) return;
      expectSchema(firewalldServiceSchema, service);
      expectPorts(service);
    });
  });

  it('parseFirewalldPort: null, or ranges of ports and a protocol', () => {
    check(parserInput(['11434/tcp', '8000-8100/udp', '1:65535/sctp']), (text) => {
      const port = parseFirewalldPort(text);
      if (port === null) return;
      expectSchema(firewalldPortSchema, port);
      expectPorts(port);
    });
  });
});
