import { createHash } from 'node:crypto';
import { float32Tensor, joinBatches, type Float32Tensor, type Uint8Tensor } from '../../api/tensor';
import type { MemoryBudget } from '../runtime/memoryBudget';
import type { DisplayJob } from './displayDecode';

/** Past this many bytes of pictures, the least recently used go first (sample grids at 128 px: about 80 of them). */
const DEFAULT_CAP = 64 * 1024 * 1024;
const BUDGET_KEY = 'previews';

/** One picture, as a batch of one [1, c, h, w]. */
type Picture = Uint8Tensor;

/**
 * Pictures decoded for display that a window asks for again: a model's sample grid in a second window or tab, after a
 * reload, or after its view was left part way (a 1024 px grid is 16 decodes of 1.4 s on a CPU). Each picture is kept by
 * what it depends on (the model's fingerprint, the display options and the code's bytes), so a grid that was stopped
 * keeps the pictures it got. One entry of the engine's memory budget, released whole when the budget needs the room.
 */
export class PreviewCache {
  /** In order of use, oldest first. */
  private readonly pictures = new Map<string, Picture>();
  private bytes = 0;

  constructor(
    private readonly budget?: MemoryBudget,
    private readonly cap = DEFAULT_CAP,
  ) {}

  /** One key per code of `codes`: `scope` (model fingerprint and display options) and a digest of the code's bytes. */
  keys(scope: string, codes: Float32Tensor): string[] {
    const count = codes.shape[0] ?? 0;
    const per = count > 0 ? codes.data.length / count : 0;
    return Array.from({ length: count }, (_, i) => {
      const code = codes.data.subarray(i * per, (i + 1) * per);
      return `${scope}\0${createHash('sha256').update(new Uint8Array(code.buffer, code.byteOffset, code.byteLength)).digest('hex')}`;
    });
  }

  /**
   * The pictures of `codes`: the longest run of them from the first that is kept is taken as is, the rest decoded by
   * `decode` (whose pieces are kept as they come, so a cancelled call keeps what it got). Progress counts the kept
   * pictures as done, and reports them first where the rest takes more than one run.
   */
  async picturesOf(keys: string[], codes: Float32Tensor, decode: (rest: Float32Tensor, job: DisplayJob) => Promise<Uint8Tensor>, job: DisplayJob = {}): Promise<Uint8Tensor> {
    const count = keys.length;
    let known = 0;
    while (known < count && this.pictures.has(keys[known]!)) known++;
    const kept = keys.slice(0, known).map((key) => this.use(key)!);
    if (known === count) return joinBatches(kept);
    const per = codes.data.length / count;
    const rest = float32Tensor([count - known, ...codes.shape.slice(1)], codes.data.subarray(known * per));
    let reported = false;
    const decoded = await decode(rest, {
      signal: job.signal,
      progress: (done, _total, images) => {
        if (known > 0 && !reported) job.progress?.(known, count, joinBatches(kept));
        reported = true;
        job.progress?.(known + done, count, images);
      },
      piece: (start, images) => this.put(keys.slice(known + start), images),
    });
    return known > 0 ? joinBatches([...kept, decoded]) : decoded;
  }

  /** Frees every picture (the memory budget's release). */
  clear(): void {
    this.pictures.clear();
    this.bytes = 0;
  }

  private use(key: string): Picture | undefined {
    const picture = this.pictures.get(key);
    if (!picture) return undefined;
    this.pictures.delete(key);
    this.pictures.set(key, picture);
    this.budget?.touch(BUDGET_KEY);
    return picture;
  }

  /** Keeps `images` under the first of `keys`, one picture each (copies: the images travel on and may be transferred). */
  private put(keys: string[], images: Uint8Tensor): void {
    const n = images.shape[0] ?? 0;
    const size = n > 0 ? images.data.length / n : 0;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const old = this.pictures.get(key);
      if (old) {
        this.pictures.delete(key);
        this.bytes -= old.data.length;
      }
      this.pictures.set(key, { dtype: 'uint8', shape: [1, ...images.shape.slice(1)], data: images.data.slice(i * size, (i + 1) * size) });
      this.bytes += size;
    }
    for (const [key, picture] of this.pictures) {
      if (this.bytes <= this.cap) break;
      this.pictures.delete(key);
      this.bytes -= picture.data.length;
    }
    this.budget?.add(BUDGET_KEY, { kind: 'previews', label: 'pictures decoded for display (sample grids)', bytes: this.bytes, release: () => this.clear() });
  }
}
