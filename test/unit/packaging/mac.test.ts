/**
 * The macOS package on paper (issue 16, "Packaging"): electron-builder.yml's mac and dmg
 * sections and the hardened runtime's entitlements. No Mac and no Electron binary here, so
 * nothing is built or signed: these tests hold the configuration to the decisions written in
 * it (docs/platforms.md says what has not run on a real Mac).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
/** The parser @electron/osx-sign itself reads entitlements with (electron-builder's dependency). */
const plist = require('plist') as { parse(xml: string): unknown };

interface MacConfig {
  target: Array<string | { target: string; arch?: string[] }>;
  category: string;
  hardenedRuntime: boolean;
  entitlements: string;
  entitlementsInherit: string;
  extendInfo: Record<string, unknown>;
  notarize?: unknown;
  extraResources?: unknown;
}
interface DmgConfig {
  artifactName: string;
  contents: Array<{ x: number; y: number; type?: string; path?: string }>;
  filesystem: string;
}
const text = readFileSync('electron-builder.yml', 'utf8');
const config = parse(text) as {
  mac: MacConfig;
  dmg: DmgConfig;
  extraResources: Array<{ from: string; to: string }>;
};
const { mac, dmg } = config;

const APPLE_EVENTS = 'com.apple.security.automation.apple-events';
const ALLOW_JIT = 'com.apple.security.cs.allow-jit';

/** An entitlements file, read as codesign's signer reads it, and checked for shape. */
function entitlements(path: string): Record<string, unknown> {
  const xml = readFileSync(path, 'utf8');
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC')).toBe(
    true,
  );
  expect(xml).toContain('<plist version="1.0">');
  // XML forbids "--" inside a comment; a parser that shrugs it off is not codesign.
  for (const comment of xml.matchAll(/<!--([\s\S]*?)-->/g)) {
    expect(comment[1], 'a comment holds "--"').not.toContain('--');
  }
  const parsed = plist.parse(xml);
  expect(parsed).toBeTypeOf('object');
  expect(Array.isArray(parsed)).toBe(false);
  return parsed as Record<string, unknown>;
}

describe('mac: what is built', () => {
  it('a dmg for Apple silicon and one for Intel, not a universal app', () => {
    expect(mac.target).toEqual([{ target: 'dmg', arch: ['arm64', 'x64'] }]);
  });

  it('two dmgs cannot overwrite each other: the file name carries the architecture', () => {
    expect(dmg.artifactName).toContain('${arch}');
    expect(dmg.artifactName.endsWith('.${ext}')).toBe(true);
  });

  it('is filed under developer tools', () => {
    expect(mac.category).toBe('public.app-category.developer-tools');
  });

  it('the dmg window: the app, and a link to /Applications to drag it onto', () => {
    expect(dmg.contents).toHaveLength(2);
    const [app, applications] = dmg.contents;
    // No path: electron-builder puts the built app in this entry.
    expect(app).toEqual({ x: 130, y: 220 });
    expect(applications).toMatchObject({ type: 'link', path: '/Applications' });
    expect(applications!.x).toBeGreaterThan(app!.x);
    expect(dmg.filesystem).toBe('HFS+');
  });

  it('ships the privileged side as on Linux: the shared extraResources, not overridden', () => {
    expect(config.extraResources).toContainEqual({
      from: 'out/cli/paddock-privileged.cjs',
      to: 'paddock-privileged',
    });
    expect(mac.extraResources).toBeUndefined();
  });
});

describe('mac: hardened runtime and entitlements', () => {
  it('signs with the hardened runtime (notarization requires it)', () => {
    expect(mac.hardenedRuntime).toBe(true);
  });

  it('names its own entitlements files, which exist', () => {
    expect(mac.entitlements).toBe('build/mac/entitlements.mac.plist');
    expect(mac.entitlementsInherit).toBe('build/mac/entitlements.mac.inherit.plist');
    expect(existsSync(mac.entitlements)).toBe(true);
    expect(existsSync(mac.entitlementsInherit)).toBe(true);
  });

  it('the app: allow-jit for V8, Apple Events for asking the Ollama app to quit, nothing else', () => {
    expect(entitlements(mac.entitlements)).toEqual({ [ALLOW_JIT]: true, [APPLE_EVENTS]: true });
  });

  it('the helpers (renderer, GPU, the engine’s utility process, plugin): the same two', () => {
    expect(entitlements(mac.entitlementsInherit)).toEqual({
      [ALLOW_JIT]: true,
      [APPLE_EVENTS]: true,
    });
  });

  it.each([
    'com.apple.security.cs.allow-unsigned-executable-memory',
    'com.apple.security.cs.disable-library-validation',
    'com.apple.security.cs.disable-executable-page-protection',
    'com.apple.security.cs.allow-dyld-environment-variables',
    'com.apple.security.cs.debugger',
    'com.apple.security.app-sandbox',
    'com.apple.security.inherit',
  ])('%s is left out, and the file says why', (key) => {
    // The cs.* keys by their short name, as the comments write them; the others in full.
    const named = key.startsWith('com.apple.security.cs.')
      ? key.replace('com.apple.security.', '')
      : key;
    for (const path of [mac.entitlements, mac.entitlementsInherit]) {
      expect(entitlements(path)).not.toHaveProperty([key]);
    }
    const reasons =
      readFileSync(mac.entitlements, 'utf8') + readFileSync(mac.entitlementsInherit, 'utf8');
    expect(reasons).toContain(named);
  });

  it('Apple Events need the entitlement and a usage string together', () => {
    const hasEntitlement = APPLE_EVENTS in entitlements(mac.entitlements);
    const hasUsage = 'NSAppleEventsUsageDescription' in mac.extendInfo;
    expect(hasEntitlement).toBe(true);
    expect(hasUsage).toBe(true);
    expect(String(mac.extendInfo.NSAppleEventsUsageDescription)).toMatch(/Ollama app to quit/);
  });
});

describe('mac: Info.plist and secrets', () => {
  it('LSUIElement is decided, and said: a regular app with a Dock icon', () => {
    expect(mac.extendInfo.LSUIElement).toBe(false);
    const section = text.slice(text.indexOf('\nmac:'), text.indexOf('\ndmg:'));
    // The reasons sit in comments beside the key: both choices, and why this one.
    expect(section).toMatch(/# false: a regular app, with a Dock icon/);
    expect(section).toMatch(/true would make Paddock a menu-bar-only agent/);
  });

  it('holds no signing or notarization secret; notarization is left to the environment', () => {
    expect(mac.notarize).toBeUndefined();
    const keys: string[] = [];
    const walk = (value: unknown): void => {
      if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          keys.push(key);
          walk(inner);
        }
      }
    };
    walk(config);
    const secretish = /password|apple.?id|team.?id|api.?key|identity|csc|keychain|certificate/i;
    expect(keys.filter((key) => secretish.test(key))).toEqual([]);
    // The comment names the variables a release sets, never a value.
    expect(text).toMatch(/APPLE_API_KEY, APPLE_API_KEY_ID and APPLE_API_ISSUER/);
    expect(text).not.toMatch(/APPLE_[A-Z_]+\s*[:=]\s*\S/);
  });
});
