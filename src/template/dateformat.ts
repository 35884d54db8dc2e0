/**
 * Django's date/time format characters (`Y-m-d H:i`, `N j, Y`, `D d M Y`, ...) for JS dates.
 * Dates are formatted in UTC: state travels as UTC ISO strings and the server's own time zone
 * must not leak into pages.
 * @module
 */

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
// Associated Press style, as Django's `N`.
const MONTHS_AP = [
  "Jan.",
  "Feb.",
  "March",
  "April",
  "May",
  "June",
  "July",
  "Aug.",
  "Sept.",
  "Oct.",
  "Nov.",
  "Dec.",
];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** Django's named formats (English locale), usable as the argument of `date`/`time`. */
export const NAMED_FORMATS: Readonly<Record<string, string>> = {
  DATE_FORMAT: "N j, Y",
  DATETIME_FORMAT: "N j, Y, P",
  TIME_FORMAT: "P",
  SHORT_DATE_FORMAT: "m/d/Y",
  SHORT_DATETIME_FORMAT: "m/d/Y P",
  YEAR_MONTH_FORMAT: "F Y",
  MONTH_DAY_FORMAT: "F j",
};

const TIME_CHARS = new Set("aAefgGhHiIOPsTuZ");

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function hour12(d: Date): number {
  const h = d.getUTCHours() % 12;
  return h === 0 ? 12 : h;
}

function fTime(d: Date): string {
  const m = d.getUTCMinutes();
  return m === 0 ? String(hour12(d)) : `${hour12(d)}:${pad(m)}`;
}

function pTime(d: Date): string {
  const h = d.getUTCHours();
  const m = d.getUTCMinutes();
  if (m === 0 && h === 0) return "midnight";
  if (m === 0 && h === 12) return "noon";
  return `${fTime(d)} ${h < 12 ? "a.m." : "p.m."}`;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function dayOfYear(d: Date): number {
  return (
    Math.floor(
      (Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) -
        Date.UTC(d.getUTCFullYear(), 0, 1)) /
        86400000,
    ) + 1
  );
}

function isoWeek(d: Date): { year: number; week: number } {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
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

function micro(d: Date): string {
  return pad(d.getUTCMilliseconds() * 1000, 6);
}

function formatChar(ch: string, d: Date): string | undefined {
  switch (ch) {
    case "a":
      return d.getUTCHours() < 12 ? "a.m." : "p.m.";
    case "A":
      return d.getUTCHours() < 12 ? "AM" : "PM";
    case "b":
      return (MONTHS[d.getUTCMonth()] as string).slice(0, 3).toLowerCase();
    case "c": {
      const ms = d.getUTCMilliseconds();
      return `${formatDate(d, "Y-m-d\\TH:i:s")}${ms ? "." + micro(d) : ""}+00:00`;
    }
    case "d":
      return pad(d.getUTCDate());
    case "D":
      return (DAYS[d.getUTCDay()] as string).slice(0, 3);
    case "e":
    case "T":
      return "UTC";
    case "E":
    case "F":
      return MONTHS[d.getUTCMonth()] as string;
    case "f":
      return fTime(d);
    case "g":
      return String(hour12(d));
    case "G":
      return String(d.getUTCHours());
    case "h":
      return pad(hour12(d));
    case "H":
      return pad(d.getUTCHours());
    case "i":
      return pad(d.getUTCMinutes());
    case "I":
      return "0";
    case "j":
      return String(d.getUTCDate());
    case "l":
      return DAYS[d.getUTCDay()] as string;
    case "L":
      return isLeap(d.getUTCFullYear()) ? "True" : "False";
    case "m":
      return pad(d.getUTCMonth() + 1);
    case "M":
      return (MONTHS[d.getUTCMonth()] as string).slice(0, 3);
    case "n":
      return String(d.getUTCMonth() + 1);
    case "N":
      return MONTHS_AP[d.getUTCMonth()] as string;
    case "o":
      return String(isoWeek(d).year);
    case "O":
      return "+0000";
    case "P":
      return pTime(d);
    case "r":
      return formatDate(d, "D, j M Y H:i:s O");
    case "s":
      return pad(d.getUTCSeconds());
    case "S":
      return ordinalSuffix(d.getUTCDate());
    case "t":
      return String(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate());
    case "u":
      return micro(d);
    case "U":
      return String(Math.floor(d.getTime() / 1000));
    case "w":
      return String(d.getUTCDay());
    case "W":
      return String(isoWeek(d).week);
    case "y":
      return pad(d.getUTCFullYear() % 100);
    case "Y":
      return pad(d.getUTCFullYear(), 4);
    case "z":
      return String(dayOfYear(d));
    case "Z":
      return "0";
    default:
      return undefined;
  }
}

/** Formats `d` with Django format characters; a backslash escapes the next character. */
export function formatDate(d: Date, format: string): string {
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] as string;
    if (ch === "\\") {
      i++;
      out += format[i] ?? "";
      continue;
    }
    out += formatChar(ch, d) ?? ch;
  }
  return out;
}

/**
 * Formats only the time part; returns `undefined` when the format uses a date-only character
 * (Django's `time` filter then renders the empty string).
 */
export function formatTime(d: Date, format: string): string | undefined {
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] as string;
    if (ch === "\\") {
      i++;
      continue;
    }
    if (/[a-zA-Z]/.test(ch) && !TIME_CHARS.has(ch) && formatChar(ch, d) !== undefined)
      return undefined;
  }
  return formatDate(d, format);
}
