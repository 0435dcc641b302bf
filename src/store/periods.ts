/** History periods, all UTC: a day, an ISO week (Monday to Sunday) or a calendar month. */
import type { HistoryInterval } from './growth';

const DAY_MS = 86_400_000;

function parseDay(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `day` plus `days` days. */
export function addDays(day: string, days: number): string {
  return formatDay(parseDay(day) + days * DAY_MS);
}

/** The first day of the period holding `day`. */
export function periodStart(day: string, interval: HistoryInterval): string {
  if (interval === 'day') return day;
  if (interval === 'month') return `${day.slice(0, 7)}-01`;
  const ms = parseDay(day);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return formatDay(ms - weekday * DAY_MS);
}

/** The first day of the period after the one starting at `start`. */
export function nextPeriod(start: string, interval: HistoryInterval): string {
  if (interval === 'day') return addDays(start, 1);
  if (interval === 'week') return addDays(start, 7);
  const date = new Date(parseDay(start));
  return formatDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}

/** The first day of the period before the one starting at `start`. */
export function previousPeriod(start: string, interval: HistoryInterval): string {
  if (interval === 'day') return addDays(start, -1);
  if (interval === 'week') return addDays(start, -7);
  const date = new Date(parseDay(start));
  return formatDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - 1, 1));
}

/** The periods covering start..end, each with its first and last day. */
export function periodsBetween(startDate: string, endDate: string, interval: HistoryInterval): { period: string; end: string }[] {
  const out: { period: string; end: string }[] = [];
  for (let start = periodStart(startDate, interval); start <= endDate; start = nextPeriod(start, interval)) {
    out.push({ period: start, end: addDays(nextPeriod(start, interval), -1) });
  }
  return out;
}
