// Value conventions of docs/protocol.md §2: how GUIDs, dates, decimals and booleans look on the wire.

/** The Delphi zero date: on the wire it means "no date". */
export const NO_DATE = '1899-12-30T00:00:00.000Z';

/** Canonical wire form of a GUID: upper case in braces. Accepts pg's lower-case form too. */
export function formatGuid(id: string): string {
  const bare = id.startsWith('{') ? id.slice(1, -1) : id;
  return `{${bare.toUpperCase()}}`;
}

/** The form PostgreSQL's uuid type takes: no braces. */
export function bareGuid(id: string): string {
  return id.startsWith('{') ? id.slice(1, -1).toLowerCase() : id.toLowerCase();
}

/** Compares GUIDs in any of their forms (pg: lower case without braces; wire: upper case in braces). */
export function sameId(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return bareGuid(a) === bareGuid(b);
}

export function formatDate(d: Date | string | null | undefined): string {
  if (d === null || d === undefined) return NO_DATE;
  const date = typeof d === 'string' ? new Date(d) : d;
  return date.toISOString();
}

const DATE_TIME =
  /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/** Days in a month of the proleptic Gregorian calendar, which xs:dateTime and PostgreSQL use. */
function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** False only for text in the dateTime form whose day does not exist (2025-02-30); the schema pattern judges the rest. */
export function isCalendarDate(text: string): boolean {
  const m = DATE_TIME.exec(text);
  if (!m) return true;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month < 1 || month > 12 || day <= daysIn(year, month);
}

/**
 * Parses any xs:dateTime the schema accepted; no zone means UTC. Null for the Delphi zero date,
 * undefined if the day does not exist.
 */
export function parseDate(text: string): Date | null | undefined {
  const m = DATE_TIME.exec(text);
  if (!m || !isCalendarDate(text)) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0..99 as 1900..1999.
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), frac ? Math.floor(Number(frac) * 1000) : 0); // 24:00:00 rolls to the next day
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    date.setTime(
      date.getTime() - sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60000,
    );
  }
  return date.getTime() === ZERO_DATE ? null : date;
}

const ZERO_DATE = Date.UTC(1899, 11, 30);

/**
 * Years 0001..9999 in UTC (docs/protocol.md §2): the schema holds the written year to four digits, but a
 * zone offset can still carry 9999-12-31T23:59:59-14:00 into year 10000 (or 0001-01-01T00:00:00+14:00
 * into year 0), which xs:dateTime could only show as +010000 or 0000.
 */
export function inWireYears(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999;
}

/**
 * Formats an exact decimal (a string from PostgreSQL numeric, or an integer number of cents
 * never reaching here as a float) with two decimals, rounding half away from zero, without
 * passing through floating point.
 */
export function formatDecimal(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '0.00';
  const s = String(v).trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) throw new Error(`not a decimal: ${s}`);
  const [, sign, intPart, frac = ''] = m;
  let cents = BigInt((intPart || '0') + `${frac}00`.slice(0, 2));
  if ((frac[2] ?? '0') >= '5') cents += 1n;
  const abs = cents.toString().padStart(3, '0');
  const out = `${abs.slice(0, -2)}.${abs.slice(-2)}`;
  return sign === '-' && cents !== 0n ? `-${out}` : out;
}
