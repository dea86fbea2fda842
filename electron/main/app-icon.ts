/**
 * The app's own icon (taskbar, Start menu, installer, Dock, Linux menus), drawn in code from
 * the tray's shield mark (tray-icons.ts): the same outline, the same PNG writer.
 * scripts/make-icons.mjs writes what this draws to build/icon.ico and build/icon.png for
 * electron-builder, and a unit test holds those files to this code.
 *
 * The ICO container: the ICONDIR and ICONDIRENTRY layout of Microsoft's "Icons in Win32"
 * (MSDN, "The ICO File"; the same structures in the Windows 3.1 SDK's "Graphics File Formats",
 * 1.2.1 "Icon Directory"), and Microsoft Learn's ICONRESDIR reference
 * (learn.microsoft.com/windows/win32/menurc/iconresdir): a width or height byte of 0 means
 * 256 px.
 *
 *   ICONDIR       reserved u16 = 0, type u16 = 1 (icon), count u16
 *   ICONDIRENTRY  × count, 16 bytes each: width u8, height u8 (0 = 256), colour count u8 = 0
 *                 (not a palette image), reserved u8 = 0, planes u16 = 1, bit count u16 = 32,
 *                 bytes in resource u32, offset of the image from the file's start u32
 *   the images    each a whole PNG file (Windows Vista and later read PNG entries), in the
 *                 directory's order
 *
 * All integers little-endian. Sizes: 16, 24, 32, 48, 64, 128 and 256, the set Windows draws
 * an app's icon at ("App icon construction", learn.microsoft.com/windows/apps/design/
 * iconography/app-icon-construction): Windows takes an exact match, or scales the next size
 * above down, so each common size is drawn, not scaled.
 */
import { COLOURS, SHIELD, SUPERSAMPLE, encodePng, inPolygon, type Rgb } from './tray-icons';

/** The sizes in build/icon.ico, smallest first. */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
/** build/icon.png: Linux's largest usual icon size, and the least electron-builder takes to
 * make a macOS .icns from. */
export const PNG_ICON_SIZE = 512;

/** The brand colour: the 'private' shield's green. */
const BRAND: Rgb = COLOURS.private;
const WHITE: Rgb = [0xff, 0xff, 0xff];

// ── the drawing, in unit coordinates (0,0 top left; 1,1 bottom right) ───────────────────
//
// A white shield (the tray's outline) on a rounded square of the brand green, edge to edge.
// Looked at beside the other two candidates at 16 to 48 px on a light and a dark taskbar:
// the bare green shield is the tray's own 'private' icon, so a Start menu or taskbar entry
// would read as a status (and one that never turns amber or red); a dark square vanished on
// a dark taskbar. White on green keeps its outline at 16 px on both.

/** Corner radius of the backdrop, a fraction of the side. */
const CORNER = 0.2;
/** The shield's size against the backdrop's, and its middle (a hair low: its point is
 * narrow, its top broad, so the eye puts its middle above the geometric one). */
const SHIELD_SCALE = 0.72;
const SHIELD_MIDDLE: readonly [number, number] = [0.5, 0.505];

function inRoundedSquare(x: number, y: number, radius: number): boolean {
  if (x < 0 || x > 1 || y < 0 || y > 1) return false;
  const cx = Math.min(Math.max(x, radius), 1 - radius);
  const cy = Math.min(Math.max(y, radius), 1 - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius;
}

/** What is painted at a point, or null where the icon is transparent. */
function paintAt(x: number, y: number): Rgb | null {
  if (!inRoundedSquare(x, y, CORNER)) return null;
  // The point on the tray icon's canvas, whose middle (0.5, 0.5) lands on SHIELD_MIDDLE.
  const u = 0.5 + (x - SHIELD_MIDDLE[0]) / SHIELD_SCALE;
  const v = 0.5 + (y - SHIELD_MIDDLE[1]) / SHIELD_SCALE;
  return inPolygon(u, v, SHIELD) ? WHITE : BRAND;
}

/** The app icon as a `size` × `size` RGBA PNG. */
export function appIconPng(size: number): Buffer {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`bad icon size ${size}`);
  const rgba = new Uint8Array(size * size * 4);
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      // Premultiplied sums, so that a half-covered edge pixel keeps its colour, not grey.
      let r = 0;
      let g = 0;
      let b = 0;
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const paint = paintAt(
            (px + (sx + 0.5) / SUPERSAMPLE) / size,
            (py + (sy + 0.5) / SUPERSAMPLE) / size,
          );
          if (paint === null) continue;
          r += paint[0];
          g += paint[1];
          b += paint[2];
          hits++;
        }
      }
      if (hits === 0) continue;
      const offset = (py * size + px) * 4;
      rgba[offset] = Math.round(r / hits);
      rgba[offset + 1] = Math.round(g / hits);
      rgba[offset + 2] = Math.round(b / hits);
      rgba[offset + 3] = Math.round((255 * hits) / samples);
    }
  }
  return encodePng(size, size, rgba);
}

// ── ICO ─────────────────────────────────────────────────────────────────────────────────

const ICONDIR_BYTES = 6;
const ICONDIRENTRY_BYTES = 16;

/** A Windows .ico holding each image as a PNG entry, in the order given. */
export function encodeIco(images: ReadonlyArray<{ size: number; png: Buffer }>): Buffer {
  if (images.length === 0 || images.length > 0xffff) {
    throw new RangeError(`an icon holds 1 to 65535 images, not ${images.length}`);
  }
  const head = Buffer.alloc(ICONDIR_BYTES + ICONDIRENTRY_BYTES * images.length);
  head.writeUInt16LE(0, 0); // reserved
  head.writeUInt16LE(1, 2); // type: icon
  head.writeUInt16LE(images.length, 4);
  let offset = head.length;
  images.forEach(({ size, png }, i) => {
    if (!Number.isInteger(size) || size < 1 || size > 256) {
      throw new RangeError(`an icon image is 1 to 256 px, not ${size}`);
    }
    const entry = ICONDIR_BYTES + ICONDIRENTRY_BYTES * i;
    head[entry] = size === 256 ? 0 : size; // width
    head[entry + 1] = size === 256 ? 0 : size; // height
    head[entry + 2] = 0; // colour count: not a palette image
    head[entry + 3] = 0; // reserved
    head.writeUInt16LE(1, entry + 4); // planes
    head.writeUInt16LE(32, entry + 6); // bits per pixel: RGBA
    head.writeUInt32LE(png.length, entry + 8);
    head.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([head, ...images.map(({ png }) => png)]);
}

/** build/icon.ico: every size in ICO_SIZES. */
export function appIconIco(): Buffer {
  return encodeIco(ICO_SIZES.map((size) => ({ size, png: appIconPng(size) })));
}
