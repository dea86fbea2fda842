/**
 * known-advisory and version-unknown together: an affected version is high (critical when
 * exposed), an unknown one is info (medium when exposed), and a missing fix is never invented.
 * The advisory table itself is tested in test/unit/advisories/.
 */
import { describe, expect, it } from 'vitest';
import knownAdvisory from '../../electron/engine/rules/known-advisory';
import versionUnknown from '../../electron/engine/rules/version-unknown';
import { buildSnapshot, loopbackOllama, wildcardOllama } from './snapshots';

const both = (snapshot: ReturnType<typeof buildSnapshot>) => ({
  advisory: knownAdvisory.evaluate(snapshot),
  unknown: versionUnknown.evaluate(snapshot),
});

describe('known-advisory vs version-unknown', () => {
  it('affected and private: high, one finding, no version-unknown', () => {
    const { advisory, unknown } = both(
      buildSnapshot({ instances: [loopbackOllama({ version: '0.1.30' })] }),
    );
    expect(advisory).toHaveLength(1);
    expect(advisory[0]?.severity).toBe('high');
    expect(advisory[0]?.summary).toMatch(/CVE-2024-37032/);
    expect(unknown).toEqual([]);
  });

  it('affected and exposed: critical, and the attacker line says so', () => {
    const { advisory } = both(
      buildSnapshot({ instances: [wildcardOllama(null, { version: '0.1.30' })] }),
    );
    expect(advisory[0]?.severity).toBe('critical');
    expect(advisory[0]?.attackerCan[0]).toMatch(/from the network/);
  });

  it('an advisory without a fixed version says "no fixed version known", never a made-up one', () => {
    const { advisory } = both(
      buildSnapshot({ instances: [loopbackOllama({ version: '0.12.3' })] }),
    );
    const line = advisory[0]!.evidence.find((l) => l.startsWith('CVE-2025-63389'));
    expect(line).toMatch(/no fixed version known/);
    expect(line).not.toMatch(/fixed in/);
    expect(advisory[0]?.summary).toMatch(/no fixed version known/);
  });

  it('a fixed version is shown when there is one', () => {
    const { advisory } = both(
      buildSnapshot({ instances: [loopbackOllama({ version: '0.1.30' })] }),
    );
    expect(advisory[0]!.evidence.find((l) => l.startsWith('CVE-2024-37032'))).toMatch(
      /fixed in 0\.1\.34/,
    );
  });

  it('unknown and private: info; unknown and exposed: medium; no advisory finding either way', () => {
    const quiet = both(buildSnapshot({ instances: [loopbackOllama({ version: null })] }));
    expect(quiet.advisory).toEqual([]);
    expect(quiet.unknown).toHaveLength(1);
    expect(quiet.unknown[0]?.severity).toBeUndefined(); // the rule's own: info
    const loud = both(buildSnapshot({ instances: [wildcardOllama(null, { version: null })] }));
    expect(loud.unknown[0]?.severity).toBe('medium');
  });

  it('a development build (0.0.0) says nothing about its code: version-unknown, not a clean bill', () => {
    const { advisory, unknown } = both(
      buildSnapshot({ instances: [loopbackOllama({ version: '0.0.0' })] }),
    );
    expect(advisory).toEqual([]);
    expect(unknown).toHaveLength(1);
    expect(unknown[0]?.summary).toMatch(/development build/);
  });

  it('a Windows-only advisory is not reported on Linux, and is on Windows', () => {
    const on = (platform: string) =>
      knownAdvisory
        .evaluate(buildSnapshot({ platform, instances: [loopbackOllama({ version: '0.17.3' })] }))
        .flatMap((f) => f.evidence)
        .join(' ');
    expect(on('linux')).not.toMatch(/CVE-2026-42248/);
    expect(on('win32')).toMatch(/CVE-2026-42248/);
  });

  it('a current version has neither finding', () => {
    const { advisory, unknown } = both(
      buildSnapshot({ instances: [loopbackOllama({ version: '0.33.0' })] }),
    );
    expect(advisory).toEqual([]);
    expect(unknown).toEqual([]);
  });
});
