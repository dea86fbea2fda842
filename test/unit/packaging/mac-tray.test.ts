/**
 * The macOS menu bar icon (issue 16, "Packaging": a template tray icon, black and clear).
 * Paddock ships no icon files: electron/main/tray-icons.ts draws each state in code, and on
 * macOS marks the image as a template with `setTemplateImage(true)`, which is what a file name
 * ending in "Template" does for an image loaded from disk. So the template icons are checked
 * here as the tray really gets them, through the watch shell on 'darwin' with a stand-in
 * Electron: PNG, 16 px with a 32 px (@2x) representation, black pixels with alpha only.
 *
 * 16 pt: the menu bar is 22 pt (24 pt on Macs with a notch) high and status items are drawn
 * at about 16 pt inside it, as Electron's and the other menu bar apps' 16x16 / 32x32@2x
 * template icons are. Not seen on a real menu bar yet (docs/platforms.md).
 */
import { inflateSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppEvent, Envelope, ScanView } from '../../../shared/api';
import { createWatchShell } from '../../../electron/main/watch-shell';
import { TRAY_ICON_STATES, trayImage } from '../../../electron/main/tray-icons';
import * as fakes from '../tray/fake-electron';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width, height and RGBA of an 8-bit RGBA PNG with unfiltered rows (what encodePng writes). */
function readPng(png: Buffer): { width: number; height: number; rgba: Buffer } {
  expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect(png.toString('ascii', 12, 16)).toBe('IHDR');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  expect([png[24], png[25]], 'bit depth 8, colour type 6 (RGBA)').toEqual([8, 6]);
  const idat: Buffer[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    if (png.toString('ascii', offset + 4, offset + 8) === 'IDAT')
      idat.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)], 'row filter').toBe(0);
    raw.copy(rgba, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { width, height, rgba };
}

/** Black and clear: every pixel's colour is 0,0,0; only alpha varies, and some is drawn. */
function expectTemplatePixels(png: Buffer, size: number): void {
  const { width, height, rgba } = readPng(png);
  expect([width, height]).toEqual([size, size]);
  let drawn = 0;
  let clear = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    expect([rgba[i], rgba[i + 1], rgba[i + 2]], `pixel ${i / 4}`).toEqual([0, 0, 0]);
    if (rgba[i + 3] === 0) clear++;
    else drawn++;
  }
  expect(drawn).toBeGreaterThan(0);
  expect(clear).toBeGreaterThan(0);
}

const engine = {
  call: (): Promise<Envelope<unknown>> => Promise.resolve({ ok: true, value: {} }),
};

function macShell() {
  return createWatchShell({
    electron: {
      Tray: fakes.Tray as never,
      Menu: fakes.Menu as never,
      nativeImage: fakes.nativeImage as never,
    },
    platform: 'darwin',
    engine,
    login: { app: {} as never, platform: 'darwin' },
    showWindow: () => undefined,
    navigate: () => undefined,
    quit: () => undefined,
    log: () => undefined,
  });
}

beforeEach(() => fakes.resetFakes());

describe('the macOS tray icon', () => {
  it.each(TRAY_ICON_STATES)(
    '%s: a template image, 16 px and 32 px @2x, black and clear',
    (state) => {
      const image = trayImage(
        fakes.nativeImage as never,
        state,
        'darwin',
      ) as unknown as fakes.FakeImage;
      expect(image.template).toBe(true);
      expect(image.scaleFactor).toBe(1);
      expectTemplatePixels(image.buffer, 16);
      expect(image.representations).toHaveLength(1);
      expect(image.representations[0]!.scaleFactor).toBe(2);
      expectTemplatePixels(image.representations[0]!.buffer!, 32);
    },
  );

  it('the tray the app makes on macOS starts with a template icon and keeps to them', () => {
    const shell = macShell();
    const tray = fakes.Tray.instances[0]!;
    expect(tray.image.template).toBe(true);
    shell.onEngineEvent({
      type: 'scan-finished',
      view: {
        snapshot: { takenAt: '2026-11-28T12:00:00.000Z' },
        findings: [],
        posture: { verdict: 'private', score: 100, counts: {}, accepted: 0 },
      } as unknown as ScanView,
    } as AppEvent);
    const changed = tray.calls.filter((call) => call.method === 'setImage');
    expect(changed.length).toBeGreaterThan(0);
    for (const call of changed) expect((call.value as fakes.FakeImage).template).toBe(true);
    expect(fakes.nativeImage.created.every((image) => image.template)).toBe(true);
  });

  it('elsewhere the same shapes stay in colour (no template outside macOS)', () => {
    for (const platform of ['linux', 'win32'] as const) {
      const image = trayImage(fakes.nativeImage as never, 'internet', platform);
      expect((image as unknown as fakes.FakeImage).template).toBe(false);
    }
  });
});
