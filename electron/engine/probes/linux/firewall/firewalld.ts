/**
 * firewalld: `firewall-cmd --list-all-zones` / `--list-all-policies` (firewalld 1.x format),
 * rich rules (firewalld.richlanguage(5)) and service definitions (firewalld.service(5) XML).
 *
 *   public (active)
 *     target: default
 *     icmp-block-inversion: no
 *     interfaces: eth0
 *     sources:
 *     services: dhcpv6-client ssh
 *     ports: 11434/tcp 8000-8100/tcp
 *     ...
 *     rich rules:
 *   	rule family="ipv4" source address="10.0.0.0/8" port port="11434" protocol="tcp" accept
 */
import type {
  FirewalldPolicy,
  FirewalldPort,
  FirewalldRichRule,
  FirewalldService,
  FirewalldZone,
} from '../../../../../shared/firewall';
import { clip, normalizeProtocol, parsePortRange } from './common';

const MAX_BLOCKS = 1000;
const MAX_ITEMS = 5000;

/** "11434/tcp", "8000-8100/udp" → a port spec; null when not one. */
export function parseFirewalldPort(text: string): FirewalldPort | null {
  const match = /^([\d:-]+)\/([\w-]+)$/.exec(text.trim());
  if (!match) return null;
  const range = parsePortRange(match[1]!);
  return range ? { ranges: [range], protocol: normalizeProtocol(match[2]!) } : null;
}

interface Block {
  name: string;
  flags: string[];
  fields: Map<string, string>;
  richRules: string[];
  /** forward-ports and other list fields printed one per line. */
  listLines: Map<string, string[]>;
}

function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | null = null;
  let listKey: string | null = null;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    if (!/^\s/.test(raw)) {
      if (blocks.length >= MAX_BLOCKS) break;
      const match = /^(\S+)(?:\s+\(([^)]*)\))?\s*$/.exec(raw);
      if (!match) {
        current = null;
        continue;
      }
      current = {
        name: match[1]!,
        flags: (match[2] ?? '')
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean),
        fields: new Map(),
        richRules: [],
        listLines: new Map(),
      };
      listKey = null;
      blocks.push(current);
      continue;
    }
    if (!current) continue;
    const line = raw.trim();
    const field = /^([a-z][a-z0-9-]*( rules)?):\s*(.*)$/.exec(line);
    if (field && !line.startsWith('rule ')) {
      const key = field[1]!;
      current.fields.set(key, field[3]!);
      listKey = key;
      continue;
    }
    if (listKey === 'rich rules' && line.startsWith('rule')) current.richRules.push(line);
    else if (listKey) {
      const list = current.listLines.get(listKey) ?? [];
      list.push(line);
      current.listLines.set(listKey, list);
    }
  }
  return blocks;
}

function words(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter(Boolean).slice(0, MAX_ITEMS);
}

function ports(value: string | undefined): FirewalldPort[] {
  return words(value)
    .map(parseFirewalldPort)
    .filter((p): p is FirewalldPort => p !== null);
}

function commonFields(block: Block) {
  const forward = [
    ...words(block.fields.get('forward-ports')),
    ...(block.listLines.get('forward-ports') ?? []),
  ];
  return {
    name: block.name,
    target: block.fields.get('target')?.trim() || 'default',
    services: words(block.fields.get('services')),
    ports: ports(block.fields.get('ports')),
    protocols: words(block.fields.get('protocols')).map(normalizeProtocol),
    sourcePorts: ports(block.fields.get('source-ports')),
    forwardPorts: forward.map((f) => clip(f, 200)),
    richRules: block.richRules.slice(0, MAX_ITEMS).map(parseRichRule),
  };
}

/** `firewall-cmd --list-all-zones` (also `--list-all` for one zone). */
export function parseFirewalldZones(text: string): FirewalldZone[] {
  return parseBlocks(text)
    .filter((b) => b.fields.has('target'))
    .map((block) => ({
      ...commonFields(block),
      interfaces: words(block.fields.get('interfaces')),
      sources: words(block.fields.get('sources')),
      icmpBlockInversion:
        block.fields.get('icmp-block-inversion') === 'yes'
          ? true
          : block.fields.get('icmp-block-inversion') === 'no'
            ? false
            : null,
    }));
}

/** `firewall-cmd --list-all-policies` (firewalld 0.9+). */
export function parseFirewalldPolicies(text: string): FirewalldPolicy[] {
  return parseBlocks(text)
    .filter((b) => b.fields.has('target'))
    .map((block) => {
      const priority = Number(block.fields.get('priority') ?? '-1');
      return {
        ...commonFields(block),
        active: block.flags.includes('active'),
        priority: Number.isSafeInteger(priority) ? priority : -1,
        ingressZones: words(block.fields.get('ingress-zones')),
        egressZones: words(block.fields.get('egress-zones')),
      };
    });
}

// ── rich rules ────────────────────────────────────────────────────────────────────────────

type RichToken = { word: string } | { key: string; value: string };

function richTokens(text: string): RichToken[] | null {
  const out: RichToken[] = [];
  const re = /\s*(?:([a-z][a-z0-9-]*)="((?:[^"\\]|\\.)*)"|([A-Za-z][A-Za-z0-9-]*))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const match = re.exec(text);
    if (!match) return null;
    at = re.lastIndex;
    if (match[1] !== undefined)
      out.push({ key: match[1], value: match[2]!.replace(/\\(.)/g, '$1') });
    else out.push({ word: match[3]! });
  }
  return out;
}

const ELEMENTS = new Set([
  'service',
  'port',
  'protocol',
  'source-port',
  'icmp-block',
  'icmp-type',
  'masquerade',
  'forward-port',
  'tcp-mss-clamp',
]);
const LOGGERS = new Set(['log', 'nflog', 'audit']);
const ACTIONS = new Set(['accept', 'reject', 'drop', 'mark']);

export function parseRichRule(text: string): FirewalldRichRule {
  const rule: FirewalldRichRule = {
    text: clip(text),
    family: null,
    priority: 0,
    source: null,
    destination: null,
    element: { kind: 'none' },
    action: null,
    limited: false,
    parseError: null,
  };
  const fail = (why: string): FirewalldRichRule => ({ ...rule, parseError: why });
  const tokens = richTokens(text.trim());
  if (!tokens || tokens.length === 0 || !('word' in tokens[0]!) || tokens[0].word !== 'rule')
    return fail('not a rich rule');
  let section = 'rule';
  let negateNext = false;
  let elementAttrs: Record<string, string> = {};
  let elementName: string | null = null;
  for (const token of tokens.slice(1)) {
    if ('word' in token) {
      const word = token.word.toLowerCase();
      if (word === 'not') {
        negateNext = true;
        continue;
      }
      if (word === 'source' || word === 'destination') {
        section = word;
        rule[word] = { address: null, other: null, negate: false };
        continue;
      }
      if (ELEMENTS.has(word)) {
        if (elementName) return fail('two elements');
        section = 'element';
        elementName = word;
        continue;
      }
      if (LOGGERS.has(word)) {
        section = 'log';
        continue;
      }
      if (ACTIONS.has(word)) {
        rule.action = word as FirewalldRichRule['action'];
        section = 'action';
        continue;
      }
      if (word === 'limit') {
        if (section === 'action') rule.limited = true;
        section = section === 'action' ? 'action-limit' : 'log-limit';
        continue;
      }
      return fail(`unexpected "${token.word}"`);
    }
    const { key, value } = token;
    switch (section) {
      case 'rule':
        if (key === 'family') {
          if (value !== 'ipv4' && value !== 'ipv6') return fail(`family ${value}`);
          rule.family = value === 'ipv4' ? 4 : 6;
        } else if (key === 'priority') {
          const p = Number(value);
          if (!Number.isSafeInteger(p)) return fail(`priority ${value}`);
          rule.priority = p;
        } else return fail(`rule ${key}`);
        break;
      case 'source':
      case 'destination': {
        const side = rule[section]!;
        if (negateNext) side.negate = true;
        negateNext = false;
        if (key === 'address') side.address = value;
        else side.other = `${key}="${value}"`;
        break;
      }
      case 'element':
        elementAttrs[key] = value;
        break;
      default:
        // log prefix/level, limit value, reject type, mark set: not needed for the verdict
        break;
    }
  }
  if (negateNext) return fail('dangling "not"');
  if (elementName) {
    const portSpec = (): FirewalldPort | null =>
      elementAttrs.port && elementAttrs.protocol
        ? parseFirewalldPort(`${elementAttrs.port}/${elementAttrs.protocol}`)
        : null;
    switch (elementName) {
      case 'service':
        if (!elementAttrs.name) return fail('service without a name');
        rule.element = { kind: 'service', name: elementAttrs.name };
        break;
      case 'port': {
        const port = portSpec();
        if (!port) return fail('port not understood');
        rule.element = { kind: 'port', port };
        break;
      }
      case 'source-port': {
        const port = portSpec();
        if (!port) return fail('source-port not understood');
        rule.element = { kind: 'source-port', port };
        break;
      }
      case 'protocol':
        if (!elementAttrs.value) return fail('protocol without a value');
        rule.element = { kind: 'protocol', value: normalizeProtocol(elementAttrs.value) };
        break;
      case 'icmp-block':
      case 'icmp-type':
        rule.element = { kind: 'icmp', text: `${elementName} ${elementAttrs.name ?? ''}`.trim() };
        break;
      default:
        rule.element = { kind: 'other', text: elementName };
    }
  }
  elementAttrs = {};
  return rule;
}

// ── services ──────────────────────────────────────────────────────────────────────────────

function attributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of text.matchAll(/([a-zA-Z][\w-]*)\s*=\s*"([^"]*)"/g))
    out[match[1]!] = match[2]!;
  return out;
}

/** A service definition file (/usr/lib/firewalld/services/NAME.xml and /etc/firewalld/services). */
export function parseServiceXml(
  text: string,
  name: string,
  source: string,
): FirewalldService | null {
  if (!/<service\b/.test(text)) return null;
  const service: FirewalldService = {
    name,
    ports: [],
    protocols: [],
    sourcePorts: [],
    destination4: null,
    destination6: null,
    includes: [],
    source,
  };
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  let count = 0;
  for (const match of body.matchAll(
    /<(port|protocol|source-port|destination|include)\b([^>]*)>/g,
  )) {
    if ((count += 1) > MAX_ITEMS) break;
    const attrs = attributes(match[2]!);
    switch (match[1]) {
      case 'port':
      case 'source-port': {
        const port =
          attrs.protocol !== undefined
            ? attrs.port
              ? parseFirewalldPort(`${attrs.port}/${attrs.protocol}`)
              : null
            : null;
        // A port element without a port number means the whole protocol.
        if (port) (match[1] === 'port' ? service.ports : service.sourcePorts).push(port);
        else if (attrs.protocol && !attrs.port && match[1] === 'port')
          service.protocols.push(normalizeProtocol(attrs.protocol));
        break;
      }
      case 'protocol':
        if (attrs.value) service.protocols.push(normalizeProtocol(attrs.value));
        break;
      case 'destination':
        service.destination4 = attrs.ipv4 ?? null;
        service.destination6 = attrs.ipv6 ?? null;
        break;
      case 'include':
        if (attrs.service) service.includes.push(attrs.service);
        break;
    }
  }
  return service;
}

/** Service names are file names: anything else is not looked up. */
export function isServiceName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/.test(name);
}
