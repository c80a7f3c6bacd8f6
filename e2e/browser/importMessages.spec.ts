import { expect, test } from './fixtures';
import sharp from 'sharp';

test('imports say what went wrong with the file named, warn about tiny images, and show that a large one is being read', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#edit`);
  const file = page.getByTestId('image-file');
  const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).jpeg().toBuffer();

  await file.setInputFiles({ name: 'shirt.jpg', mimeType: 'image/jpeg', buffer: photo.subarray(0, Math.floor(photo.length / 2)) });
  await expect(page.getByRole('alert')).toHaveText('shirt.jpg could not be read: the JPEG data ends early — the file may be truncated; export or download it again.');

  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
  await file.setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: svg });
  await expect(page.getByRole('alert')).toHaveText('logo.svg is an SVG image; Latent Studio imports PNG, JPEG and WebP: save it as PNG first.');

  const dot = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ffffff' } }).png().toBuffer();
  await file.setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: dot });
  await expect(page.getByTestId('edit-base')).toHaveText('dot.png');
  await expect(page.getByTestId('import-warning')).toHaveText("dot.png is 1×1 px, smaller than the model's 28×28: it was upscaled, so results will look flat.");

  // A 49-megapixel PNG (no shrink-on-load, unlike JPEG) takes about 300 ms to decode: the drop zone says so until it is in.
  const big = await sharp({ create: { width: 7000, height: 7000, channels: 3, background: '#808080' } }).png().toBuffer();
  await file.setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: big });
  await expect(page.getByTestId('import-busy')).toHaveText('Reading big.png…');
  await expect(page.getByTestId('edit-base')).toHaveText('big.png', { timeout: 30_000 });
  await expect(page.getByTestId('import-busy')).toHaveCount(0);
  await expect(page.getByTestId('import-warning')).toHaveCount(0);
});
