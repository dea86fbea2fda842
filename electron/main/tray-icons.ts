/**
 * The tray icons, drawn in code: no binary assets to ship, review or keep in sync. Each state
 * differs by shape as well as colour, so the monochrome template icons of macOS (black with
 * alpha; the menu bar tints them) and colour-blind users can still tell them apart:
 *
 * - private:  a solid shield (green)
 * - lan:      a shield with one hole in it (amber)
 * - internet: a shield with an exclamation mark cut out (red)
 * - unknown:  an empty shield outline (grey)
 * - paused:   a shield outline with a pause sign inside (grey)
 *
 * `encodePng` is a minimal PNG writer (8-bit RGBA, no filtering, zlib from node:zlib).
 */
import { deflateSync } from 'node:zlib';
import type { NativeImage } from 'electron';

export const TRAY_ICON_STATES = ['private', 'lan', 'internet', 'unknown', 'paused'] as const;
export type TrayIconState = (typeof TRAY_ICON_STATES)[number];

export interface DrawOptions {
  /** Black with alpha only (macOS template image). */
  template: boolean;
}

export type Rgb = readonly [number, number, number];
/** Each state's colour; `private`'s green is also the app icon's (app-icon.ts). */
export const COLOURS: Readonly<Record<TrayIconState, Rgb>> = {
  private: [0x2e, 0x9e, 0x5b],
  lan: [0xe0, 0x9a, 0x00],
  internet: [0xd9, 0x33, 0x2b],
  unknown: [0x8a, 0x8f, 0x98],
  paused: [0x8a, 0x8f, 0x98],
};

// ── PNG ─────────────────────────────────────────────────────────────────────────────────

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG (and zlib, gzip) define it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** `rgba`: width × height pixels, row by row, 4 bytes each (not premultiplied). */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`bad PNG size ${width}x${height}`);
  }
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`expected ${width * height * 4} bytes of RGBA, got ${rgba.length}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  // compression, filter method and interlace: 0
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    // Each row starts with its filter type; 0 (none) is enough for a few hundred bytes.
    Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

// ── shapes, in unit coordinates (0,0 top left; 1,1 bottom right) ────────────────────────

export type Point = readonly [number, number];

/** The shield mark, shared with the app icon (app-icon.ts). */
export const SHIELD: readonly Point[] = [
  [0.5, 0.04],
  [0.88, 0.16],
  [0.88, 0.46],
  [0.84, 0.62],
  [0.75, 0.76],
  [0.63, 0.88],
  [0.5, 0.97],
  [0.37, 0.88],
  [0.25, 0.76],
  [0.16, 0.62],
  [0.12, 0.46],
  [0.12, 0.16],
];
/** The shield's inside for the outline states: the same outline scaled about its middle. */
const SHIELD_INNER: Point[] = SHIELD.map(([x, y]) => [
  0.5 + (x - 0.5) * 0.6,
  0.49 + (y - 0.49) * 0.62,
]);

export function inPolygon(x: number, y: number, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inRect(x: number, y: number, left: number, top: number, right: number, bottom: number) {
  return x >= left && x <= right && y >= top && y <= bottom;
}

function inCircle(x: number, y: number, cx: number, cy: number, r: number): boolean {
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** Whether the point (unit coordinates) is painted for this state. */
function covers(state: TrayIconState, x: number, y: number): boolean {
  if (!inPolygon(x, y, SHIELD)) return false;
  switch (state) {
    case 'private':
      return true;
    case 'lan':
      return !inCircle(x, y, 0.5, 0.45, 0.14);
    case 'internet':
      return !(inRect(x, y, 0.42, 0.2, 0.58, 0.56) || inCircle(x, y, 0.5, 0.71, 0.085));
    case 'unknown':
      return !inPolygon(x, y, SHIELD_INNER);
    case 'paused':
      return (
        !inPolygon(x, y, SHIELD_INNER) ||
        inRect(x, y, 0.37, 0.3, 0.46, 0.64) ||
        inRect(x, y, 0.54, 0.3, 0.63, 0.64)
      );
  }
}

/** Samples per pixel side: 4 × 4 gives smooth enough edges at 16 px. */
export const SUPERSAMPLE = 4;

/** The icon for `state` as a `size` × `size` RGBA PNG. */
export function drawIcon(state: TrayIconState, size: number, options: DrawOptions): Buffer {
  const rgba = new Uint8Array(size * size * 4);
  const [r, g, b] = options.template ? ([0, 0, 0] as const) : COLOURS[state];
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = (px + (sx + 0.5) / SUPERSAMPLE) / size;
          const y = (py + (sy + 0.5) / SUPERSAMPLE) / size;
          if (covers(state, x, y)) hits++;
        }
      }
      if (hits === 0) continue;
      const offset = (py * size + px) * 4;
      rgba[offset] = r;
      rgba[offset + 1] = g;
      rgba[offset + 2] = b;
      rgba[offset + 3] = Math.round((255 * hits) / (SUPERSAMPLE * SUPERSAMPLE));
    }
  }
  return encodePng(size, size, rgba);
}

// ── per platform ────────────────────────────────────────────────────────────────────────

/**
 * The base size (scale factor 1) of a tray icon: 16 in the macOS menu bar and the Windows
 * notification area, 22 on Linux panels (StatusNotifierItem hosts scale from there). Each
 * image also carries a 2x representation for HiDPI screens.
 */
export function trayIconSize(platform: NodeJS.Platform): number {
  return platform === 'linux' ? 22 : 16;
}

/** The slice of Electron's `nativeImage` used here (so tests can hand a fake one). */
export interface NativeImageFactory {
  createFromBuffer(buffer: Buffer, options?: { scaleFactor?: number }): NativeImage;
}

/** The tray image for a state: 1x and 2x representations; a template image on macOS. */
export function trayImage(
  nativeImage: NativeImageFactory,
  state: TrayIconState,
  platform: NodeJS.Platform,
): NativeImage {
  const size = trayIconSize(platform);
  const template = platform === 'darwin';
  const image = nativeImage.createFromBuffer(drawIcon(state, size, { template }), {
    scaleFactor: 1,
  });
  image.addRepresentation({ scaleFactor: 2, buffer: drawIcon(state, size * 2, { template }) });
  if (template) image.setTemplateImage(true);
  return image;
}
