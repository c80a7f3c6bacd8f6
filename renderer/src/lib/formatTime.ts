const two = (n: number) => String(n).padStart(2, '0');

/** "14:03:27" in local time. Not through Intl: a page's first formatted date held its main thread 100 ms here. */
export function formatClock(at: Date): string {
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

/** "2026-12-05 14:03" in local time, as a file manager lists a file's date (see formatClock for why not Intl). */
export function formatDateTime(at: Date): string {
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}`;
}
