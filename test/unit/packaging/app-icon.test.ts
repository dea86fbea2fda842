/**
 * The app's icon (issue 17, "Packaging": icons): build/icon.ico and build/icon.png are what
 * electron/main/app-icon.ts draws, and each is a file Windows, Linux and electron-builder read.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ICO_SIZES,
  PNG_ICON_SIZE,
  appIconIco,
  appIconPng,
  encodeIco,
} from '../../../electron/main/app-icon';

const REGENERATE =
  'build/icon.ico and build/icon.png are generated: run `node scripts/make-icons.mjs`';
const committedIco = readFileSync('build/icon.ico');
const committedPng = readFileSync('build/icon.png');

interface Png {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  /** The decompressed scanlines (filter byte + RGBA per row). */
  raw: Buffer;
}

/** Reads a PNG's chunks back, checking the signature, each CRC and the chunk order. */
function readPng(png: Buffer): Png {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const types: string[] = [];
  const idat: Buffer[] = [];
  let ihdr: Buffer | undefined;
  let offset = 8;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length), `CRC of ${type}`).toBe(
      zlibCrc32(png.subarray(offset + 4, offset + 8 + length)),
    );
    types.push(type);
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  expect(offset).toBe(png.length);
  expect(types[0]).toBe('IHDR');
  expect(types.at(-1)).toBe('IEND');
  if (ihdr === undefined) throw new Error('no IHDR');
  return {
    width: ihdr.readUInt32BE(0),
    height: ihdr.readUInt32BE(4),
    bitDepth: ihdr[8] ?? -1,
    colourType: ihdr[9] ?? -1,
    raw: inflateSync(Buffer.concat(idat)),
  };
}

interface IcoEntry {
  width: number;
  height: number;
  colourCount: number;
  reserved: number;
  planes: number;
  bitCount: number;
  bytes: number;
  offset: number;
  png: Buffer;
}

/** Reads an ICO's ICONDIR and ICONDIRENTRYs back (the layout app-icon.ts's header cites). */
function readIco(ico: Buffer): { reserved: number; type: number; entries: IcoEntry[] } {
  const count = ico.readUInt16LE(4);
  const entries: IcoEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = 6 + 16 * i;
    const bytes = ico.readUInt32LE(at + 8);
    const offset = ico.readUInt32LE(at + 12);
    entries.push({
      width: ico[at] ?? -1,
      height: ico[at + 1] ?? -1,
      colourCount: ico[at + 2] ?? -1,
      reserved: ico[at + 3] ?? -1,
      planes: ico.readUInt16LE(at + 4),
      bitCount: ico.readUInt16LE(at + 6),
      bytes,
      offset,
      png: ico.subarray(offset, offset + bytes),
    });
  }
  return { reserved: ico.readUInt16LE(0), type: ico.readUInt16LE(2), entries };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** What a PNG shows, independent of how its zlib compressed it. */
function pixels(png: Buffer): { width: number; height: number; sha256: string } {
  const { width, height, raw } = readPng(png);
  return { width, height, sha256: sha256(raw) };
}

describe('build/icon.ico and build/icon.png are what the code draws now', () => {
  it('build/icon.ico: byte for byte, or the same pixels where another zlib compressed them', () => {
    const fresh = appIconIco();
    if (committedIco.equals(fresh)) return;
    // Node's zlib may pick other matches than the one that wrote the file (another Node
    // version, or a CPU without the CRC instructions its hash uses): the bytes then differ
    // though every pixel is the same. Anything else is a drawing the file does not show.
    const sizes = (ico: Buffer) => readIco(ico).entries.map((e) => [e.width, e.height]);
    expect(sizes(committedIco), REGENERATE).toEqual(sizes(fresh));
    expect(
      readIco(committedIco).entries.map((e) => pixels(e.png)),
      REGENERATE,
    ).toEqual(readIco(fresh).entries.map((e) => pixels(e.png)));
  });

  it('build/icon.png: byte for byte, or the same pixels where another zlib compressed them', () => {
    const fresh = appIconPng(PNG_ICON_SIZE);
    if (committedPng.equals(fresh)) return;
    expect(pixels(committedPng), REGENERATE).toEqual(pixels(fresh));
  });

  it('the ICO is the PNGs of appIconPng, in size order, through encodeIco', () => {
    expect(appIconIco()).toEqual(
      encodeIco(ICO_SIZES.map((size) => ({ size, png: appIconPng(size) }))),
    );
  });
});

describe('build/icon.ico parses back as a Windows icon of PNG entries', () => {
  const { reserved, type, entries } = readIco(committedIco);

  it('ICONDIR: reserved 0, type 1 (icon), seven images', () => {
    expect(reserved).toBe(0);
    expect(type).toBe(1);
    expect(entries).toHaveLength(7);
  });

  it('one entry per size Windows draws an app icon at, 256 stored as 0', () => {
    expect(ICO_SIZES).toEqual([16, 24, 32, 48, 64, 128, 256]);
    expect(entries.map((e) => [e.width, e.height])).toEqual([
      [16, 16],
      [24, 24],
      [32, 32],
      [48, 48],
      [64, 64],
      [128, 128],
      [0, 0],
    ]);
  });

  it.each([...ICO_SIZES])(
    'the %i px entry: 32-bit, no palette, inside the file, a PNG of that size in RGBA',
    (size) => {
      const i = ICO_SIZES.indexOf(size);
      const entry = entries[i];
      if (entry === undefined) throw new Error(`no entry ${i}`);
      expect(entry).toMatchObject({ colourCount: 0, reserved: 0, planes: 1, bitCount: 32 });
      // The images follow the directory, each after the one before, and end with the file.
      const previous = entries[i - 1];
      expect(entry.offset).toBe(
        previous === undefined ? 6 + 16 * entries.length : previous.offset + previous.bytes,
      );
      expect(entry.offset + entry.bytes).toBeLessThanOrEqual(committedIco.length);
      if (i === entries.length - 1) expect(entry.offset + entry.bytes).toBe(committedIco.length);
      const png = readPng(entry.png);
      expect(png).toMatchObject({ width: size, height: size, bitDepth: 8, colourType: 6 });
      // Every row: its filter byte and four bytes a pixel.
      expect(png.raw.length).toBe((size * 4 + 1) * size);
    },
  );
});

describe('build/icon.png', () => {
  it('is a 512 px RGBA PNG: Linux’s largest usual size, and enough for macOS’s icns', () => {
    expect(PNG_ICON_SIZE).toBe(512);
    const png = readPng(committedPng);
    expect(png).toMatchObject({ width: 512, height: 512, bitDepth: 8, colourType: 6 });
    expect(png.raw.length).toBe((512 * 4 + 1) * 512);
  });
});

describe('the drawing', () => {
  /** RGBA of the pixel at (x, y) in a PNG this module wrote (filter 0 on every row). */
  function pixelAt(png: Buffer, x: number, y: number): number[] {
    const { width, raw } = readPng(png);
    const at = y * (width * 4 + 1) + 1 + x * 4;
    return [...raw.subarray(at, at + 4)];
  }

  it('a white shield on a green rounded square with transparent corners, at 16 px too', () => {
    for (const size of [16, 256]) {
      const png = appIconPng(size);
      expect(pixelAt(png, 0, 0), `corner at ${size}`).toEqual([0, 0, 0, 0]);
      expect(pixelAt(png, size / 2, size / 2), `middle at ${size}`).toEqual([255, 255, 255, 255]);
      // The backdrop, between the shield's edge and the icon's.
      expect(pixelAt(png, 1, size / 2), `side at ${size}`).toEqual([0x2e, 0x9e, 0x5b, 255]);
    }
  });

  it('encodeIco refuses what an ICONDIRENTRY cannot say', () => {
    const png = appIconPng(16);
    expect(() => encodeIco([])).toThrow(RangeError);
    expect(() => encodeIco([{ size: 257, png }])).toThrow(RangeError);
    expect(() => encodeIco([{ size: 0, png }])).toThrow(RangeError);
  });
});
