/** The tray icons are drawn in code: real PNGs, one look per state, template icons black only. */
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fake-electron'));

import { nativeImage } from 'electron';
import {
  TRAY_ICON_STATES,
  crc32,
  drawIcon,
  encodePng,
  trayImage,
  type TrayIconState,
} from '../../../electron/main/tray-icons';
import { type FakeImage, nativeImage as fakeNativeImage } from './fake-electron';

interface DecodedPng {
  width: number;
  height: number;
  rgba: Buffer;
}

/** Reads back an 8-bit RGBA, non-interlaced PNG, checking every chunk's CRC. */
function decodePng(png: Buffer): DecodedPng {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    expect(crc, `CRC of ${type}`).toBe(zlibCrc32(png.subarray(offset + 4, offset + 8 + length)));
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  expect(types[0]).toBe('IHDR');
  expect(types.at(-1)).toBe('IEND');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  expect(raw.length).toBe((stride + 1) * height);
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)], 'filter type').toBe(0);
    raw.copy(rgba, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { width, height, rgba };
}

function pixels(png: DecodedPng): { rgb: number[]; alpha: number[] } {
  const rgb: number[] = [];
  const alpha: number[] = [];
  for (let i = 0; i < png.rgba.length; i += 4) {
    rgb.push(png.rgba[i] ?? -1, png.rgba[i + 1] ?? -1, png.rgba[i + 2] ?? -1);
    alpha.push(png.rgba[i + 3] ?? -1);
  }
  return { rgb, alpha };
}

describe('encodePng', () => {
  it('crc32 matches zlib on the PNG reference string', () => {
    expect(crc32(Buffer.from('IEND'))).toBe(0xae426082);
    expect(crc32(Buffer.from('123456789'))).toBe(zlibCrc32('123456789'));
  });

  it('round-trips the exact pixels', () => {
    const rgba = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256);
    const decoded = decodePng(encodePng(3, 2, rgba));
    expect(decoded.width).toBe(3);
    expect(decoded.height).toBe(2);
    expect([...decoded.rgba]).toEqual([...rgba]);
  });

  it('refuses a buffer of the wrong size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(RangeError);
    expect(() => encodePng(0, 2, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('drawIcon', () => {
  it.each([16, 22, 32, 44])('every state decodes at %i px, partly transparent', (size) => {
    for (const state of TRAY_ICON_STATES) {
      const decoded = decodePng(drawIcon(state, size, { template: false }));
      expect(decoded.width).toBe(size);
      expect(decoded.height).toBe(size);
      const { alpha } = pixels(decoded);
      expect(alpha.some((a) => a === 0)).toBe(true);
      expect(alpha.some((a) => a === 255)).toBe(true);
    }
  });

  it('states differ in colour icons', () => {
    const seen = new Set(
      TRAY_ICON_STATES.map((state) =>
        decodePng(drawIcon(state, 16, { template: false })).rgba.toString('hex'),
      ),
    );
    expect(seen.size).toBe(TRAY_ICON_STATES.length);
  });

  it('states differ by shape alone (template icons), so colour is not the only cue', () => {
    const shapes = new Map<string, TrayIconState>();
    for (const state of TRAY_ICON_STATES) {
      const alpha = pixels(decodePng(drawIcon(state, 32, { template: true }))).alpha.join(',');
      expect(shapes.get(alpha), `${state} looks like ${shapes.get(alpha)}`).toBeUndefined();
      shapes.set(alpha, state);
    }
  });

  it('template icons are black with alpha only', () => {
    for (const state of TRAY_ICON_STATES) {
      const { rgb, alpha } = pixels(decodePng(drawIcon(state, 32, { template: true })));
      expect(rgb.every((value) => value === 0)).toBe(true);
      expect(alpha.some((a) => a > 0)).toBe(true);
    }
  });

  it('colour icons carry their colour: red for internet, green for private', () => {
    const dominant = (state: TrayIconState): [number, number, number] => {
      const { rgba } = decodePng(drawIcon(state, 16, { template: false }));
      for (let i = 0; i < rgba.length; i += 4) {
        if (rgba[i + 3] === 255) return [rgba[i] ?? 0, rgba[i + 1] ?? 0, rgba[i + 2] ?? 0];
      }
      throw new Error('no opaque pixel');
    };
    const [r1, g1] = dominant('internet');
    expect(r1).toBeGreaterThan(g1 * 2);
    const [r2, g2] = dominant('private');
    expect(g2).toBeGreaterThan(r2 * 2);
  });
});

describe('trayImage', () => {
  it('macOS: a template image with a 2x representation', () => {
    const image = trayImage(nativeImage, 'lan', 'darwin') as unknown as FakeImage;
    expect(image).toBe(fakeNativeImage.created.at(-1));
    expect(image.template).toBe(true);
    expect(decodePng(image.buffer).width).toBe(16);
    expect(image.representations).toHaveLength(1);
    expect(image.representations[0]?.scaleFactor).toBe(2);
    const twice = decodePng(image.representations[0]?.buffer ?? Buffer.alloc(0));
    expect(twice.width).toBe(32);
    expect(pixels(twice).rgb.every((value) => value === 0)).toBe(true);
  });

  it('Linux: a colour image at panel size 22 (44 at 2x), not a template', () => {
    const image = trayImage(nativeImage, 'internet', 'linux') as unknown as FakeImage;
    expect(image.template).toBe(false);
    expect(decodePng(image.buffer).width).toBe(22);
    expect(decodePng(image.representations[0]?.buffer ?? Buffer.alloc(0)).width).toBe(44);
    expect(pixels(decodePng(image.buffer)).rgb.some((value) => value > 0)).toBe(true);
  });

  it('Windows: 16 px in colour', () => {
    const image = trayImage(nativeImage, 'private', 'win32') as unknown as FakeImage;
    expect(image.template).toBe(false);
    expect(decodePng(image.buffer).width).toBe(16);
  });
});
