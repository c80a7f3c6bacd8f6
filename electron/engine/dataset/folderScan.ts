import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** One image file of a folder dataset, as found on disk. */
export interface ScannedFile {
  /** Relative to the folder, with "/" separators. */
  path: string;
  size: number;
  mtimeMs: number;
  label: string;
}

export const NO_LABEL = '(no label)';
const IMAGE_FILE = /\.(png|jpe?g|webp)$/i;

/**
 * Every PNG, JPEG and WebP file under `root` (hidden files and folders skipped, symbolic links
 * to folders not followed), sorted by path, each with its label: from `labels.csv` (file,label)
 * at the root where there is one, else the name of the top-level subfolder it is in.
 */
export async function scanFolder(root: string): Promise<{ files: ScannedFile[]; labelSource: 'labels.csv' | 'subfolders' | 'none' }> {
  const found: { path: string; size: number; mtimeMs: number }[] = [];
  const walk = async (folder: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if ((entry.isFile() || entry.isSymbolicLink()) && IMAGE_FILE.test(entry.name)) {
        const info = await stat(full).catch(() => undefined);
        if (info?.isFile()) found.push({ path: relative(root, full).split(sep).join('/'), size: info.size, mtimeMs: Math.round(info.mtimeMs) });
      }
    }
  };
  await walk(root);
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const csv = await readFile(join(root, 'labels.csv'), 'utf8').catch(() => undefined);
  if (csv !== undefined) {
    const labels = parseLabelsCsv(csv);
    return { files: found.map((f) => ({ ...f, label: labels.get(f.path) ?? NO_LABEL })), labelSource: 'labels.csv' };
  }
  const nested = found.some((f) => f.path.includes('/'));
  return { files: found.map((f) => ({ ...f, label: nested && f.path.includes('/') ? f.path.slice(0, f.path.indexOf('/')) : NO_LABEL })), labelSource: nested ? 'subfolders' : 'none' };
}

/** file,label rows (an optional header, quoted fields, Windows line ends), keyed by the file's path with "/" separators. */
export function parseLabelsCsv(text: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const fields = splitCsvLine(line);
    if (fields.length < 2) continue;
    const [file, label] = [fields[0]!.trim().replace(/\\/g, '/').replace(/^\.\//, ''), fields[1]!.trim()];
    if (i === 0 && file.toLowerCase() === 'file' && label.toLowerCase() === 'label') continue;
    if (file && label) labels.set(file, label);
  }
  return labels;
}

function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') fields.push(field), (field = '');
    else field += ch;
  }
  fields.push(field);
  return fields;
}
