/**
 * A count with commas between thousands ("10,000"), as toLocaleString('en') writes a whole number, but without ICU: a
 * page's first number or date formatted through Intl held Chromium's main thread 55–100 ms here while ICU loaded.
 */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = String(Math.round(Math.abs(value)));
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return value < 0 && digits !== '0' ? `-${grouped}` : grouped;
}
