// Value conventions of spec §2: how GUIDs, dates, decimals and booleans look on the wire.

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

export function formatDate(d: Date | string | null | undefined): string {
  if (d === null || d === undefined) return NO_DATE;
  const date = typeof d === 'string' ? new Date(d) : d;
  return date.toISOString();
}

/** Parses the lexical xs:dateTime forms the schema accepted; no zone means UTC. Null for the zero date, undefined if not a real date. */
export function parseDate(text: string): Date | null | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac ? Math.floor(Number(frac) * 1000) : 0;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(t);
  // Date.UTC rolls 2025-02-30 over to March; a real date survives the round trip.
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return undefined;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    t -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60000;
  }
  if (t === Date.UTC(1899, 11, 30)) return null;
  return new Date(t);
}

/** False only for text in the dateTime form whose date does not exist (2025-02-30); the schema pattern judges everything else. */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T/.exec(text);
  if (!m) return true;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return true;
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d;
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
  let cents = BigInt((intPart || '0') + (frac + '00').slice(0, 2));
  if ((frac[2] ?? '0') >= '5') cents += 1n;
  const abs = cents.toString().padStart(3, '0');
  const out = `${abs.slice(0, -2)}.${abs.slice(-2)}`;
  return sign === '-' && cents !== 0n ? `-${out}` : out;
}
