#!/usr/bin/env node
/**
 * Builds the emoji dataset: 64×64 RGB images of the same emoji in four openly licensed design systems,
 * labelled by design system, Unicode category, subcategory and name, with a fixed 10% test split by emoji
 * (an emoji is in one split in every design system).
 *
 *   node scripts/emoji-dataset.mjs            # packages fetched with `npm pack` into models/train/data/packages/
 *
 * Writes models/train/data/emoji-64/{train,test}.lsds.gz (+ .json: every label set, per image) for training,
 * and the test split as the app's dataset sample: resources/dataset/emoji-64-test.lsds.gz + emoji-64.json,
 * with the licences in resources/dataset/licenses/. Apple's and Facebook's images are not used (not openly licensed).
 * The packages are fetched here, never by the app's `npm ci`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = join(ROOT, 'models', 'train', 'data', 'packages');
const OUT = join(ROOT, 'models', 'train', 'data', 'emoji-64');
const RESOURCES = join(ROOT, 'resources', 'dataset');
const SIZE = 64;
/** SVGs are rendered at this size first, so every source reaches 64 px through the same Lanczos-3 resize. */
const SVG_RENDER = 256;

/** The design systems, in label order, with the package (pinned) each comes from and what its images require. */
const SYSTEMS = [
  { name: 'Noto', package: 'emoji-datasource-google', version: '16.0.0', license: 'Apache-2.0', attribution: 'Noto Emoji © Google LLC, Apache License 2.0 (https://github.com/googlefonts/noto-emoji); images from the emoji-datasource-google package (https://github.com/iamcal/emoji-data).' },
  { name: 'Twemoji', package: 'emoji-datasource-twitter', version: '16.0.0', license: 'CC-BY-4.0', attribution: 'Twemoji © Twitter, Inc and other contributors, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/); graphics from https://github.com/twitter/twemoji via the emoji-datasource-twitter package (https://github.com/iamcal/emoji-data). Images here are resized to 64×64 over white.' },
  { name: 'OpenMoji', package: 'openmoji', version: '17.0.0', license: 'CC-BY-SA-4.0', attribution: 'All emojis designed by OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0 (https://openmoji.org, https://creativecommons.org/licenses/by-sa/4.0/). Images here are rasterised and resized to 64×64 over white; this derived dataset is shared under the same licence.' },
  { name: 'Fluent', package: 'fluentui-emoji', version: '1.3.0', license: 'MIT', attribution: 'Fluent Emoji © Microsoft Corporation, MIT License (https://github.com/microsoft/fluentui-emoji); flat SVGs from the fluentui-emoji package.' },
];
const TEST_SHARE = 10;

/** The package's files, fetched once with npm pack and unpacked beside the tarball. */
function unpacked({ package: name, version }) {
  const folder = join(PACKAGES, `${name}-${version}`);
  if (existsSync(join(folder, 'package.json'))) return folder;
  mkdirSync(folder, { recursive: true });
  let tarball = `${name}-${version}.tgz`;
  if (!existsSync(join(PACKAGES, tarball))) {
    console.log(`fetching ${name}@${version} with npm pack`);
    tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', PACKAGES], { encoding: 'utf8' }).trim().split('\n').pop();
  }
  execFileSync('tar', ['xzf', join(PACKAGES, tarball), '-C', folder, '--strip-components=1']);
  return folder;
}

const kebab = (text) => text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[’'.:,!()“”&]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const stripVs = (code) => code.replace(/-FE0F/g, '');

function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (ch !== '\r') field += ch;
  }
  if (field || row.length) row.push(field), rows.push(row);
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/** Where each design system keeps an emoji's image, or undefined where it has none. */
function sources(folders, emoji) {
  const google = join(folders[0], 'img', 'google', '64', emoji.image);
  const twitter = join(folders[1], 'img', 'twitter', '64', emoji.image);
  const openmoji = [emoji.unified, stripVs(emoji.unified), emoji.non_qualified].filter(Boolean).map((code) => join(folders[2], 'color', 'svg', `${code.toUpperCase()}.svg`));
  const fluentNames = [emoji.cldr, emoji.name, ...(emoji.short_names ?? [])].filter(Boolean).map(kebab);
  // Emoji with skin tones are kept once per tone; "-default" is the yellow one the other systems show.
  const fluent = fluentNames.flatMap((name) => [`${name}.svg`, `${name}-default.svg`]).map((file) => join(folders[3], 'icons', 'flat', file));
  return [emoji.has_img_google ? google : undefined, emoji.has_img_twitter ? twitter : undefined, openmoji.find(existsSync), fluent.find(existsSync)].map((path) => (path && existsSync(path) ? path : undefined));
}

/** One image as 64×64 RGB over white, channel planes (as the app's dataset samples store them). */
async function render(path) {
  const bytes = readFileSync(path);
  let image = sharp(bytes);
  if (path.endsWith('.svg')) {
    const { width = SVG_RENDER, height = SVG_RENDER } = await sharp(bytes).metadata();
    image = sharp(bytes, { density: (72 * SVG_RENDER) / Math.max(width, height) });
  }
  const { data, info } = await image
    .flatten({ background: '#ffffff' })
    .resize(SIZE, SIZE, { fit: 'contain', background: '#ffffff', kernel: 'lanczos3' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== SIZE || info.height !== SIZE) throw new Error(`${path}: rendered as ${info.width}×${info.height}×${info.channels}`);
  const planes = new Uint8Array(3 * SIZE * SIZE);
  for (let c = 0; c < 3; c++) for (let p = 0; p < SIZE * SIZE; p++) planes[c * SIZE * SIZE + p] = data[p * 3 + c];
  return planes;
}

/** LSDS0001: magic, count, channels, height, width (uint32 LE), one label byte per image, then the images. */
function lsds(labels, images) {
  const header = Buffer.alloc(24);
  header.write('LSDS0001', 0, 'ascii');
  [labels.length, 3, SIZE, SIZE].forEach((v, i) => header.writeUInt32LE(v, 8 + 4 * i));
  return gzipSync(Buffer.concat([header, Buffer.from(labels), ...images.map((i) => Buffer.from(i))]), { level: 9 });
}

const inTest = (unified) => createHash('sha256').update(unified).digest().readUInt32LE(0) % 100 < TEST_SHARE;

async function main() {
  const folders = SYSTEMS.map(unpacked);
  const emojiList = JSON.parse(readFileSync(join(folders[0], 'emoji.json'), 'utf8'));
  // OpenMoji's table gives each emoji its CLDR name, which is how Fluent names its files.
  const cldr = new Map(parseCsv(readFileSync(join(folders[2], 'data', 'openmoji.csv'), 'utf8')).map((r) => [stripVs(r.hexcode), r.annotation]));
  const emoji = emojiList
    .filter((e) => e.category !== 'Component')
    .sort((a, b) => a.sort_order - b.sort_order)
    .map((e) => ({ ...e, cldr: cldr.get(stripVs(e.unified)) }));
  const categories = [...new Set(emoji.map((e) => e.category))];
  const subcategories = [...new Set(emoji.map((e) => e.subcategory))];

  const splits = { train: [], test: [] };
  const missing = SYSTEMS.map(() => 0);
  let done = 0;
  for (const e of emoji) {
    const paths = sources(folders, e);
    for (const [system, path] of paths.entries()) {
      if (!path) {
        missing[system]++;
        continue;
      }
      splits[inTest(e.unified) ? 'test' : 'train'].push({ pixels: await render(path), system, category: categories.indexOf(e.category), subcategory: subcategories.indexOf(e.subcategory), name: e.cldr ?? e.name.toLowerCase(), unified: e.unified });
    }
    if (++done % 200 === 0) console.log(`${done} of ${emoji.length} emoji`);
  }

  mkdirSync(OUT, { recursive: true });
  const labelSets = (rows) => ({
    system: { names: SYSTEMS.map((s) => s.name), values: rows.map((r) => r.system) },
    category: { names: categories, values: rows.map((r) => r.category) },
    subcategory: { names: subcategories, values: rows.map((r) => r.subcategory) },
  });
  for (const [split, rows] of Object.entries(splits)) {
    writeFileSync(join(OUT, `${split}.lsds.gz`), lsds(rows.map((r) => r.system), rows.map((r) => r.pixels)));
    writeFileSync(join(OUT, `${split}.json`), JSON.stringify({ split, count: rows.length, labelSets: labelSets(rows), names: rows.map((r) => r.name), unified: rows.map((r) => r.unified) }));
    console.log(`${split}: ${rows.length} images of ${new Set(rows.map((r) => r.unified)).size} emoji`);
  }

  // The test split is the app's dataset sample: labelled by design system, the other label sets beside it.
  const test = splits.test;
  writeFileSync(join(RESOURCES, 'emoji-64-test.lsds.gz'), lsds(test.map((r) => r.system), test.map((r) => r.pixels)));
  const licenses = join(RESOURCES, 'licenses');
  mkdirSync(licenses, { recursive: true });
  for (const [i, s] of SYSTEMS.entries()) {
    const file = readdirSync(folders[i]).find((f) => /^licen[cs]e/i.test(f));
    if (file) copyFileSync(join(folders[i], file), join(licenses, `${s.package}-${file.replace(/\.(txt|md)$/i, '')}.txt`));
  }
  // emoji-datasource's own licence covers its code and data; Noto's images are Apache-2.0 (Debian ships the text).
  if (existsSync('/usr/share/common-licenses/Apache-2.0')) copyFileSync('/usr/share/common-licenses/Apache-2.0', join(licenses, 'noto-emoji-Apache-2.0.txt'));
  const sidecar = {
    name: "Emoji in four design systems, test split (64×64)",
    labels: SYSTEMS.map((s) => s.name),
    labelsName: 'design system',
    labelSets: { category: labelSets(test).category, subcategory: labelSets(test).subcategory },
    names: test.map((r) => r.name),
    count: test.length,
    channels: 3,
    height: SIZE,
    width: SIZE,
    file: 'emoji-64-test.lsds.gz',
    source: SYSTEMS.map((s) => `${s.package}@${s.version}`).join(', ') + ' (npm registry), built by scripts/emoji-dataset.mjs',
    license: SYSTEMS.map((s) => `${s.name}: ${s.license}`).join('; '),
    notice: SYSTEMS.map((s) => s.attribution).join('\n\n') + '\n\nLicence texts: resources/dataset/licenses/.',
  };
  writeFileSync(join(RESOURCES, 'emoji-64.json'), JSON.stringify(sidecar, null, 2) + '\n');
  console.log(`missing per design system: ${SYSTEMS.map((s, i) => `${s.name} ${missing[i]}`).join(', ')} of ${emoji.length}`);
}

await main();
