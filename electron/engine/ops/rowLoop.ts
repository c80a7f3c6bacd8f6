/**
 * Calls `row(n)` for every row of `count` codes of `dim` values, letting the engine's thread answer other messages after
 * every 2M values (about 20 ms here): a pass over 100,000 codes of 1,024 values is 200 ms, which held the thread whole.
 */
export async function forEachRow(count: number, dim: number, row: (n: number) => void): Promise<void> {
  const block = Math.max(1, Math.floor(2_000_000 / Math.max(1, dim)));
  for (let start = 0; start < count; start += block) {
    for (let n = start; n < Math.min(count, start + block); n++) row(n);
    if (start + block < count) await new Promise((resolve) => setImmediate(resolve));
  }
}
