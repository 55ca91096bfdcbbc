// Sizes, times and dates as people read them (times and dates in the reader's locale).

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

/** The time of day of a message, in the reader's locale ("14:05", "2:05 PM"). */
export function clockTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The full date and time, for a tooltip ("Sunday, March 2, 2025 at 12:00 PM"). */
export function fullDate(ms) {
  return new Date(ms).toLocaleString([], { dateStyle: 'full', timeStyle: 'short' });
}

/** A day line's text: "Today", "Yesterday", or the date (with the year when not this one). */
export function dayLabel(ms, now = Date.now()) {
  const day = new Date(ms);
  const today = new Date(now);
  if (day.toDateString() === today.toDateString()) return 'Today';
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (day.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return day.toLocaleDateString([], {
    weekday: 'long', month: 'long', day: 'numeric',
    year: day.getFullYear() === today.getFullYear() ? undefined : 'numeric',
  });
}
