import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** One image file of a folder dataset, as found on disk. */
export interface ScannedFile {
  /** Relative to the folder, with "/" separators. */
  path: string;
  size: number;
  mtimeMs: number;
  label: string;
  /** The file's values in labels.csv's further columns, in order (NO_LABEL where a row has none). */
  more?: string[];
}

export const NO_LABEL = '(no label)';
const IMAGE_FILE = /\.(png|jpe?g|webp)$/i;

/**
 * Every PNG, JPEG and WebP file under `root` (hidden files and folders skipped, symbolic links
 * to folders not followed), sorted by path, each with its label: from `labels.csv` (file,label)
 * at the root where there is one, else the name of the top-level subfolder it is in.
 */
export async function scanFolder(root: string): Promise<{ files: ScannedFile[]; labelSource: 'labels.csv' | 'subfolders' | 'none'; labelNames: string[] }> {
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
    const { labels, names } = parseLabelsCsv(csv);
    const files = found.map((f) => {
      const row = labels.get(f.path);
      return { ...f, label: row?.[0] || NO_LABEL, ...(names.length > 1 ? { more: names.slice(1).map((_, k) => row?.[k + 1] || NO_LABEL) } : {}) };
    });
    return { files, labelSource: 'labels.csv', labelNames: names };
  }
  const nested = found.some((f) => f.path.includes('/'));
  return { files: found.map((f) => ({ ...f, label: nested && f.path.includes('/') ? f.path.slice(0, f.path.indexOf('/')) : NO_LABEL })), labelSource: nested ? 'subfolders' : 'none', labelNames: ['folder'] };
}

/**
 * file,label rows, or file and several label columns (an emoji's style, its category, …), keyed by the file's
 * path with "/" separators; a header row starting with "file" names the columns ("label", "label 2", … without one).
 * Quoted fields and Windows line ends are read.
 */
export function parseLabelsCsv(text: string): { labels: Map<string, string[]>; names: string[] } {
  const labels = new Map<string, string[]>();
  let names: string[] | undefined;
  let columns = 1;
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const fields = splitCsvLine(line).map((f) => f.trim());
    if (fields.length < 2) continue;
    if (i === 0 && fields[0]!.toLowerCase() === 'file') {
      names = fields.slice(1).map((name, k) => name || `label ${k + 1}`);
      continue;
    }
    const file = fields[0]!.replace(/\\/g, '/').replace(/^\.\//, '');
    if (file && fields.slice(1).some(Boolean)) labels.set(file, fields.slice(1));
    columns = Math.max(columns, fields.length - 1);
  }
  names ??= Array.from({ length: columns }, (_, k) => (k === 0 ? 'label' : `label ${k + 1}`));
  return { labels, names };
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
