// Numbers as people read them.

const UNITS = ['KB', 'MB', 'GB', 'TB'];

/** A byte count as "26 B", "1.5 KB", "3 MB" (1 KB = 1024 B): one decimal below 10, none above. */
export function byteSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${Math.round(n)} B`;
  let value = n / 1024;
  let unit = 0;
  // Rounded first, so that 1023.96 KB reads "1 MB", not "1024 KB".
  while (unit < UNITS.length - 1 && Number(round(value)) >= 1024) {
    value /= 1024;
    unit += 1;
  }
  return `${round(value)} ${UNITS[unit]}`;
}

function round(value) {
  return value < 10 ? String(Math.round(value * 10) / 10) : String(Math.round(value));
}
