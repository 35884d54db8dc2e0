/**
 * Django's date/time format characters (`Y-m-d H:i`, `N j, Y`, `D d M Y`, ...) for JS dates.
 *
 * A `Date` is an instant; it is shown as the wall-clock time of a time zone (an IANA name, the
 * app's `timeZone`, default `"UTC"`), like Django with `USE_TZ = True` shows an aware datetime in
 * the current time zone. Named formats (`DATE_FORMAT`, `SHORT_DATE_FORMAT`, ...) come from the
 * locale's format table (Django's `django/conf/locale/<lang>/formats.py`; English by default).
 * @module
 */

import { LOCALES, type LocaleData } from "./locale-data.js";

const EN = LOCALES.en as LocaleData;

/**
 * A `Date` fixed to a time zone by the `utc`, `timezone` and `localtime` filters: shown in that
 * zone wherever it goes (Django marks such a datetime `convert_to_local_time = False`), where a
 * plain `Date` is shown in the current zone.
 */
export class DateInZone extends Date {
  constructor(
    time: number,
    /** IANA name of the zone it is shown in. */
    readonly timeZone: string,
  ) {
    super(time);
  }
}

/** Whether `name` is an IANA time zone name this runtime knows. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The zone `d` is shown in: its own when it is a {@link DateInZone}, else `current`. */
function zoneOf(d: Date, current: string): string {
  return d instanceof DateInZone ? d.timeZone : current;
}

/**
 * The separators numbers are shown with: the locale's (Django's `DECIMAL_SEPARATOR`,
 * `THOUSAND_SEPARATOR`), or with `localize` false Django's default settings (`.` and `,`).
 */
export function numberSeparators(
  locale: string,
  localize = true,
): { readonly decimal: string; readonly thousands: string } {
  const f = (localize ? localeData(locale) : EN).formats;
  return { decimal: f.DECIMAL_SEPARATOR ?? ".", thousands: f.THOUSAND_SEPARATOR ?? "," };
}

/** The text of a number as Django's `localize` gives it: the locale's decimal separator. */
export function localizeNumber(text: string, locale = "en"): string {
  const { decimal } = numberSeparators(locale);
  return decimal === "." ? text : text.replace(".", decimal);
}

/**
 * A named format as Django's settings give it with localization off (`{% localize off %}`,
 * `unlocalize`): English's, still shown with the locale's month names.
 */
export function unlocalizedFormat(name: string): string {
  return namedFormat(name, "en") ?? name;
}

/**
 * Django's locale data for `locale` (`"de"`, `"pt-BR"`, `"en_GB"`): its formats and translated
 * names (locale-data.ts, generated from Django); the language's own entry when the region has
 * none, English when the language has none.
 */
export function localeData(locale = "en"): LocaleData {
  const key = locale.replace("_", "-").toLowerCase();
  return LOCALES[key] ?? LOCALES[key.split("-")[0] as string] ?? EN;
}

/**
 * The format string a named format stands for in `locale` (`"en"`, `"en-GB"`, `"en_GB"`), or
 * `undefined` when `name` is not one of the named formats.
 */
export function namedFormat(name: string, locale = "en"): string | undefined {
  // English (Django's `en/formats.py`) knows every named format; other locales may lack some.
  if (!Object.hasOwn(EN.formats, name)) return undefined;
  return localeData(locale).formats[name] ?? EN.formats[name];
}

/** A `Date` as the wall clock of a time zone shows it. */
export interface ZonedDate {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  /** 0 = Sunday. */
  readonly weekday: number;
  /** Offset from UTC in seconds (east positive). */
  readonly offset: number;
  /** Whether daylight saving time is in effect. */
  readonly dst: boolean;
  /** The zone's abbreviation at that instant (`UTC`, `CET`, `EDT`, or `+0530`-style). */
  readonly tzName: string;
  /** The instant, in milliseconds since the epoch. */
  readonly time: number;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
const nameFormatters = new Map<string, Intl.DateTimeFormat[]>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      era: "short",
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at `time`, in seconds. */
function offsetAt(time: number, timeZone: string): number {
  const fields: Record<string, string> = {};
  for (const p of partsFormatter(timeZone).formatToParts(new Date(time))) fields[p.type] = p.value;
  let year = Number(fields.year);
  if (fields.era === "BC" || fields.era === "B") year = 1 - year;
  const wall = Date.UTC(
    0,
    Number(fields.month) - 1,
    Number(fields.day),
    Number(fields.hour),
    Number(fields.minute),
    Number(fields.second),
  );
  const wallDate = new Date(wall);
  wallDate.setUTCFullYear(year);
  const seconds = Math.floor(time / 1000) * 1000;
  return Math.round((wallDate.getTime() - seconds) / 1000);
}

// Abbreviations tzdata has (and Python's zoneinfo shows) for zones without daylight saving time
// that Intl's English locales spell `GMT+9`.
const FIXED_ABBREVIATIONS: Readonly<Record<string, string>> = {
  "Asia/Kolkata": "IST",
  "Asia/Calcutta": "IST",
  "Asia/Tokyo": "JST",
  "Asia/Seoul": "KST",
  "Asia/Shanghai": "CST",
  "Asia/Hong_Kong": "HKT",
  "Asia/Karachi": "PKT",
  "Asia/Jakarta": "WIB",
  "Asia/Manila": "PST",
  "Europe/Moscow": "MSK",
  "Africa/Johannesburg": "SAST",
  "Africa/Lagos": "WAT",
  "Africa/Nairobi": "EAT",
};

function zoneName(time: number, timeZone: string, offset: number): string {
  const fixed = FIXED_ABBREVIATIONS[timeZone];
  if (fixed !== undefined) return fixed;
  let formatters = nameFormatters.get(timeZone);
  if (formatters === undefined) {
    // en-AU knows the Australian and New Zealand abbreviations (AEDT, NZST).
    const australasian = /^(Australia|Antarctica|Pacific\/Auckland|NZ)/.test(timeZone);
    formatters = ["en-US", "en-GB", ...(australasian ? ["en-AU"] : [])].map(
      (locale) => new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" }),
    );
    nameFormatters.set(timeZone, formatters);
  }
  for (const f of formatters) {
    const name = f.formatToParts(new Date(time)).find((p) => p.type === "timeZoneName")?.value;
    if (name !== undefined && /^[A-Z]{2,5}$/.test(name)) return name;
  }
  // tzdata's numeric abbreviations (`+09`, `+0530`), which Python's zoneinfo also shows.
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const h = pad(Math.floor(abs / 3600));
  const m = Math.floor((abs % 3600) / 60);
  return m === 0 ? `${sign}${h}` : `${sign}${h}${pad(m)}`;
}

/**
 * The wall-clock fields of `d` in `timeZone` (an IANA name; `"UTC"` by default).
 * @throws RangeError for an unknown time zone name.
 */
export function zoned(d: Date, timeZone = "UTC"): ZonedDate {
  const time = d.getTime();
  const utc = timeZone === "UTC" || timeZone === "Etc/UTC";
  const offset = utc ? 0 : offsetAt(time, timeZone);
  const w = new Date(time + offset * 1000);
  let dst = false;
  if (!utc) {
    const year = w.getUTCFullYear();
    const jan = offsetAt(Date.UTC(year, 0, 1), timeZone);
    const jul = offsetAt(Date.UTC(year, 6, 1), timeZone);
    dst = jan !== jul && offset === Math.max(jan, jul);
  }
  return {
    year: w.getUTCFullYear(),
    month: w.getUTCMonth() + 1,
    day: w.getUTCDate(),
    hour: w.getUTCHours(),
    minute: w.getUTCMinutes(),
    second: w.getUTCSeconds(),
    millisecond: w.getUTCMilliseconds(),
    weekday: w.getUTCDay(),
    offset,
    dst,
    tzName: utc ? "UTC" : zoneName(time, timeZone, offset),
    time,
  };
}

const TIME_CHARS = new Set("aAefgGhHiOPsTuZ");

// Python's str.title() of a month abbreviation (Django's `M`).
const titleCase = (s: string) =>
  s.replace(/\p{L}+/gu, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase());

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function hour12(z: ZonedDate): number {
  const h = z.hour % 12;
  return h === 0 ? 12 : h;
}

function fTime(z: ZonedDate): string {
  return z.minute === 0 ? String(hour12(z)) : `${hour12(z)}:${pad(z.minute)}`;
}

function pTime(z: ZonedDate, l: LocaleData): string {
  if (z.minute === 0 && z.hour === 0) return l.words.midnight as string;
  if (z.minute === 0 && z.hour === 12) return l.words.noon as string;
  return `${fTime(z)} ${l.words[z.hour < 12 ? "a.m." : "p.m."] as string}`;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function dayOfYear(z: ZonedDate): number {
  return (Date.UTC(z.year, z.month - 1, z.day) - Date.UTC(z.year, 0, 1)) / 86400000 + 1;
}

function isoWeek(z: ZonedDate): { year: number; week: number } {
  const t = new Date(Date.UTC(z.year, z.month - 1, z.day));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86400000 + 1) / 7);
  return { year, week };
}

function ordinalSuffix(day: number): string {
  if (day >= 11 && day <= 13) return "th";
  return ["th", "st", "nd", "rd"][day % 10] ?? "th";
}

const micro = (z: ZonedDate) => pad(z.millisecond * 1000, 6);

function offsetText(z: ZonedDate, separator: string): string {
  const abs = Math.abs(z.offset);
  return `${z.offset < 0 ? "-" : "+"}${pad(Math.floor(abs / 3600))}${separator}${pad(Math.floor((abs % 3600) / 60))}`;
}

function formatChar(ch: string, z: ZonedDate, l: LocaleData): string | undefined {
  switch (ch) {
    case "a":
      return l.words[z.hour < 12 ? "a.m." : "p.m."] as string;
    case "A":
      return l.words[z.hour < 12 ? "AM" : "PM"] as string;
    case "b":
      return l.months3[z.month - 1] as string;
    case "c":
      return (
        `${pad(z.year, 4)}-${pad(z.month)}-${pad(z.day)}T${pad(z.hour)}:${pad(z.minute)}:` +
        `${pad(z.second)}${z.millisecond ? "." + micro(z) : ""}${offsetText(z, ":")}`
      );
    case "d":
      return pad(z.day);
    case "D":
      return l.daysAbbr[z.weekday] as string;
    case "e":
    case "T":
      return z.tzName;
    case "E":
      return l.monthsAlt[z.month - 1] as string;
    case "F":
      return l.months[z.month - 1] as string;
    case "f":
      return fTime(z);
    case "g":
      return String(hour12(z));
    case "G":
      return String(z.hour);
    case "h":
      return pad(hour12(z));
    case "H":
      return pad(z.hour);
    case "i":
      return pad(z.minute);
    case "I":
      return z.dst ? "1" : "0";
    case "j":
      return String(z.day);
    case "l":
      return l.days[z.weekday] as string;
    case "L":
      return isLeap(z.year) ? "True" : "False";
    case "m":
      return pad(z.month);
    case "M":
      return titleCase(l.months3[z.month - 1] as string);
    case "n":
      return String(z.month);
    case "N":
      return l.monthsAp[z.month - 1] as string;
    case "o":
      return String(isoWeek(z).year);
    case "O":
      return offsetText(z, "");
    case "P":
      return pTime(z, l);
    case "r":
      // RFC 5322, day zero-padded (Django ≥ 4.0 formats it with email.utils.format_datetime).
      return formatZoned(z, "D, d M Y H:i:s O", EN);
    case "s":
      return pad(z.second);
    case "S":
      return ordinalSuffix(z.day);
    case "t":
      return String(new Date(Date.UTC(z.year, z.month, 0)).getUTCDate());
    case "u":
      return micro(z);
    case "U":
      return String(Math.floor(z.time / 1000));
    case "w":
      return String(z.weekday);
    case "W":
      return String(isoWeek(z).week);
    case "y":
      return pad(z.year % 100);
    case "Y":
      return pad(z.year, 4);
    case "z":
      return String(dayOfYear(z));
    case "Z":
      return String(z.offset);
    default:
      return undefined;
  }
}

function formatZoned(z: ZonedDate, format: string, l: LocaleData): string {
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] as string;
    if (ch === "\\") {
      i++;
      out += format[i] ?? "";
      continue;
    }
    out += formatChar(ch, z, l) ?? ch;
  }
  return out;
}

/**
 * Formats `d` with Django format characters (a backslash escapes the next character) as the
 * wall clock of `timeZone` shows it. A named format (`DATE_FORMAT`, ...) stands for the
 * `locale`'s format string, as in Django's `date` filter and `{% now %}`.
 */
export function formatDate(d: Date, format: string, timeZone = "UTC", locale = "en"): string {
  return formatZoned(
    zoned(d, zoneOf(d, timeZone)),
    namedFormat(format, locale) ?? format,
    localeData(locale),
  );
}

/**
 * Formats only the time part; returns `undefined` when the format uses a date-only character
 * (Django's `time` filter then renders the empty string). Named formats as in
 * {@link formatDate}.
 */
export function formatTime(
  d: Date,
  format: string,
  timeZone = "UTC",
  locale = "en",
): string | undefined {
  const fmt = namedFormat(format, locale) ?? format;
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i] as string;
    if (ch === "\\") {
      i++;
      continue;
    }
    if (/[a-zA-Z]/.test(ch) && !TIME_CHARS.has(ch) && formatChar(ch, UTC_EPOCH, EN) !== undefined)
      return undefined;
  }
  return formatZoned(zoned(d, zoneOf(d, timeZone)), fmt, localeData(locale));
}

const UTC_EPOCH = zoned(new Date(0));
