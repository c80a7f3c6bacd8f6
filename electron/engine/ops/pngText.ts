import { crc32 } from 'node:zlib';

/**
 * PNG tEXt chunks: how exported images carry the model id, latent code and
 * edit list, so re-importing a PNG restores the edit.
 */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Inserts a tEXt chunk just before IEND. The text is written as ASCII (JSON with \u escapes). */
export function addTextChunk(png: Uint8Array, keyword: string, text: string): Uint8Array {
  if (!isPng(png)) throw new Error('not a PNG');
  const ascii = text.replace(/[^\x20-\x7e\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const body = Buffer.concat([Buffer.from('tEXt', 'latin1'), Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(ascii, 'latin1')]);
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), body.length + 4);
  const iend = png.length - 12; // IEND is always the last, empty chunk
  return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
}

/** Reads every tEXt chunk whose CRC is intact; damaged ones are skipped. */
export function readTextChunks(png: Uint8Array): Map<string, string> {
  const texts = new Map<string, string>();
  if (!isPng(png)) return texts;
  const view = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  while (at + 12 <= view.length) {
    const length = view.readUInt32BE(at);
    const type = view.toString('latin1', at + 4, at + 8);
    if (at + 12 + length > view.length) break;
    if (type === 'tEXt') {
      const body = view.subarray(at + 4, at + 8 + length);
      if (crc32(body) === view.readUInt32BE(at + 8 + length)) {
        const data = view.subarray(at + 8, at + 8 + length);
        const separator = data.indexOf(0);
        if (separator > 0) texts.set(data.toString('latin1', 0, separator), data.toString('latin1', separator + 1));
      }
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return texts;
}
