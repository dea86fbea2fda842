/**
 * Bounded fuzzing of the parsers of what the host says about itself: ss and /proc/net/tcp,
 * addresses, /proc/PID files, the Docker Engine API, nvidia-smi, and a proxy's
 * WWW-Authenticate. None may throw; answers keep the shape of their schema.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyAddress, normalizeAddress } from '../../../electron/engine/net/address';
import {
  imageRepository,
  parseContainersJson,
  publishScope,
} from '../../../electron/engine/probes/docker';
import { parseNvidiaSmiCsv } from '../../../electron/engine/probes/gpu';
import {
  parseCmdline,
  parsePasswd,
  parseProcStat,
  parseStatusUid,
  systemdUnitFromCgroup,
} from '../../../electron/engine/probes/linux/processes';
import {
  parseProcNetTcp,
  parseSsEndpoint,
  parseSsOutput,
} from '../../../electron/engine/probes/linux/sockets';
import { parseWwwAuthenticate } from '../../../electron/engine/probes/proxy';
import { addressScopeSchema } from '../../../shared/base';
import { dockerContainerSchema, publishScopeSchema } from '../../../shared/docker';
import { nvidiaGpuSchema } from '../../../shared/gpu';
import { socketSchema } from '../../../shared/snapshot';
import { check, fixtureBody, fixtures, isPort, jsonMutations, parserInput } from './support';

const parsedSocketSchema = socketSchema.omit({ ownerVisibility: true });
// eslint-disable-next-line no-control-regex -- control characters must not come out
const UNCLEAN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;
const ADDRESSES = [
  '0.0.0.0',
  '127.0.0.1',
  '::',
  '::1',
  '[::ffff:10.0.0.2]',
  'fe80::1%eth0',
  '127.0.0.53%lo',
  '192.168.1.20',
  '2001:db8::1',
  '::ffff:a00:2',
];

function expectSockets(parsed: ReturnType<typeof parseSsOutput>) {
  expect(Number.isInteger(parsed.malformed) && parsed.malformed >= 0).toBe(true);
  for (const socket of parsed.sockets) {
    expect(parsedSocketSchema.safeParse(socket).success).toBe(true);
    expect(isPort(socket.localPort) && isPort(socket.peerPort)).toBe(true);
  }
}

describe('fuzz: sockets', () => {
  it('parseSsOutput: sockets of the schema, ports in range, malformed lines counted', () => {
    check(parserInput(fixtures(/^linux\/ss-/)), (text) => expectSockets(parseSsOutput(text)));
  });

  it('parseSsEndpoint: null, or an address, a port in range and a family', () => {
    const seeds = [
      '0.0.0.0:11434',
      '[::]:11434',
      '*:11434',
      '127.0.0.53%lo:53',
      '[fe80::1]%eth0:22',
    ];
    check(parserInput(seeds), (text) => {
      const endpoint = parseSsEndpoint(text);
      if (!endpoint) return;
      expect(isPort(endpoint.port)).toBe(true);
      expect([4, 6]).toContain(endpoint.family);
      expect(typeof endpoint.address).toBe('string');
    });
  });

  it('parseProcNetTcp: sockets of the schema, ports in range', () => {
    check(parserInput(fixtures(/^linux\/proc-net-tcp/)), (text) =>
      expectSockets(parseProcNetTcp(text)),
    );
  });
});

describe('fuzz: addresses and answers', () => {
  it('normalizeAddress: text, and the same text when normalized again', () => {
    check(parserInput(ADDRESSES), (text) => {
      const once = normalizeAddress(text);
      expect(typeof once).toBe('string');
      // Known and left as is: a zone ending in several "]" loses one per call ("%eth0]]").
      if (!/%.*\]\]/.test(text)) expect(normalizeAddress(once)).toBe(once);
    });
  });

  it('classifyAddress: a scope, or a RangeError for text that is not an address', () => {
    check(parserInput(ADDRESSES), (text) => {
      let scope: unknown;
      try {
        scope = classifyAddress(text);
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        return;
      }
      expect(addressScopeSchema.safeParse(scope).success).toBe(true);
    });
  });

  it('parseWwwAuthenticate: a scheme and a realm, each null or short clean text', () => {
    const seeds = ['Basic realm="Ollama"', 'Bearer realm="https://x/token",service="x"', 'Digest'];
    check(fc.option(parserInput(seeds), { nil: undefined }), (header) => {
      const { scheme, realm } = parseWwwAuthenticate(header);
      // cleanText cuts at 40 and 120 characters and marks the cut with "…".
      if (scheme !== null) expect(scheme.length).toBeLessThanOrEqual(41);
      if (realm !== null) expect(realm.length).toBeLessThanOrEqual(121);
      // cleanText's rule: no control character or bidi override but TAB and LF.
      for (const text of [scheme, realm]) if (text) expect(text).not.toMatch(UNCLEAN);
    });
  });
});

describe('fuzz: /proc helpers', () => {
  const STAT = '4561 (ollama) S 1 4561 4561 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 12 0 123456 0 0';
  const STATUS = 'Name:\tollama\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t998\t998\t998\t998\n';
  const CGROUP = '0::/system.slice/ollama.service\n';
  const PASSWD =
    'root:x:0:0:root:/root:/bin/bash\nollama:x:998:998::/usr/share/ollama:/bin/false\n';
  const CMDLINE = '/usr/local/bin/ollama\0serve\0';

  it('parseCmdline: a list of arguments, none of them holding a NUL', () => {
    check(
      fc.tuple(parserInput([CMDLINE, '/usr/bin/my app --x   \0\0']), fc.boolean()),
      ([text, withExe]) => {
        const argv = parseCmdline(text, withExe ? '/usr/local/bin/ollama' : null);
        expect(argv.every((a) => typeof a === 'string' && !a.includes('\0'))).toBe(true);
      },
    );
  });

  it('parseProcStat: null, or integer ppid and start ticks', () => {
    check(parserInput([STAT, '1 (x) (y) S 0 1 1 0']), (text) => {
      const stat = parseProcStat(text);
      if (stat) expect(Number.isInteger(stat.ppid) && Number.isInteger(stat.startTicks)).toBe(true);
    });
  });

  it('parseStatusUid: null or a uid', () => {
    check(parserInput([STATUS]), (text) => {
      const uid = parseStatusUid(text);
      expect(uid === null || (Number.isSafeInteger(uid) && uid >= 0)).toBe(true);
    });
  });

  it('parsePasswd: uids to names', () => {
    check(parserInput([PASSWD]), (text) => {
      for (const [uid, name] of parsePasswd(text)) {
        expect(Number.isInteger(uid) && uid >= 0).toBe(true);
        expect(name.length).toBeGreaterThan(0);
      }
    });
  });

  it('systemdUnitFromCgroup: null or a .service name without a slash', () => {
    check(parserInput([CGROUP, '12:name=systemd:/system.slice/ollama.service\n0::/\n']), (text) => {
      const unit = systemdUnitFromCgroup(text);
      if (unit !== null) {
        expect(unit.endsWith('.service')).toBe(true);
        expect(unit).not.toContain('/');
      }
    });
  });
});

describe('fuzz: Docker and the GPU', () => {
  const CONTAINERS = fixtureBody('docker/containers-json-v1.41.txt');

  it('parseContainersJson: null, or containers of the schema (text and JSON mutations)', () => {
    const expectContainers = (body: string) => {
      const containers = parseContainersJson(body);
      if (containers === null) return;
      for (const c of containers) expect(dockerContainerSchema.safeParse(c).success).toBe(true);
    };
    check(parserInput([CONTAINERS]), expectContainers);
    check(jsonMutations([JSON.parse(CONTAINERS)]), expectContainers, 200);
  });

  it('publishScope: one of the four scopes', () => {
    check(parserInput(['', '0.0.0.0', '::', '127.0.0.1', '::1', '10.0.0.5']), (ip) => {
      expect(publishScopeSchema.safeParse(publishScope(ip)).success).toBe(true);
    });
  });

  it('imageRepository: lower case, without a digest', () => {
    const seeds = [
      'ollama/ollama',
      'docker.io/ollama/ollama:0.12.10',
      'localhost:5000/x@sha256:ab',
    ];
    check(parserInput(seeds), (image) => {
      const repo = imageRepository(image);
      expect(repo).toBe(repo.toLowerCase());
      expect(repo).not.toContain('@');
    });
  });

  it('parseNvidiaSmiCsv: GPUs of the schema and a count of rows it could not read', () => {
    check(parserInput(fixtures(/^gpu\//)), (text) => {
      const parsed = parseNvidiaSmiCsv(text);
      expect(Number.isInteger(parsed.invalid) && parsed.invalid >= 0).toBe(true);
      expect(typeof parsed.header).toBe('boolean');
      for (const gpu of parsed.gpus) expect(nvidiaGpuSchema.safeParse(gpu).success).toBe(true);
    });
  });
});
