// A cron expression (five fields, Vixie syntax, @shorthands) in words, for
// the schedule editor; null when it cannot be read (the server says why).

const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const monthNames = months.map((m) => m.slice(0, 3).toLowerCase());
const dayNames = days.map((d) => d.slice(0, 3).toLowerCase());

const shorthands: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface Field {
  min: number;
  max: number;
  names?: string[];
}
const fields: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: monthNames },
  { min: 0, max: 7, names: dayNames },
];

type Part = { kind: 'all' } | { kind: 'step'; from: number; to: number; step: number; star: boolean } | { kind: 'list'; items: (number | [number, number])[] };

function num(s: string, f: Field): number | null {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= f.min && n <= f.max ? n : null;
  }
  const i = f.names?.indexOf(s.toLowerCase()) ?? -1;
  return i >= 0 ? i + (f.min === 1 ? 1 : 0) : null;
}

function parse(s: string, f: Field): Part | null {
  if (s === '*' || s === '?') return { kind: 'all' };
  const st = /^(\*|\d+|\d+-\d+|[a-z]+-[a-z]+)\/(\d+)$/i.exec(s);
  if (st) {
    const step = Number(st[2]);
    if (step < 1) return null;
    if (st[1] === '*') return { kind: 'step', from: f.min, to: f.max, step, star: true };
    const [a, b] = st[1].split('-');
    const from = num(a, f);
    const to = b === undefined ? f.max : num(b, f);
    if (from === null || to === null || from > to) return null;
    return { kind: 'step', from, to, step, star: false };
  }
  const items: (number | [number, number])[] = [];
  for (const p of s.split(',')) {
    const r = p.split('-');
    if (r.length === 1) {
      const n = num(r[0], f);
      if (n === null) return null;
      items.push(n);
    } else if (r.length === 2) {
      const a = num(r[0], f);
      const b = num(r[1], f);
      if (a === null || b === null || a > b) return null;
      items.push([a, b]);
    } else return null;
  }
  return { kind: 'list', items };
}

const pad = (n: number) => String(n).padStart(2, '0');
const and = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const ordinal = (n: number) => {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] || 'th';
  return `${n}${s}`;
};

function listWords(p: Part, name: (n: number) => string, through = 'through'): string {
  if (p.kind !== 'list') return '';
  return and(p.items.map((it) => (Array.isArray(it) ? `${name(it[0])} ${through} ${name(it[1])}` : name(it))));
}

const single = (p: Part): number | null => (p.kind === 'list' && p.items.length === 1 && !Array.isArray(p.items[0]) ? (p.items[0] as number) : null);

export function describeCron(expr: string): string | null {
  let e = expr.trim().replace(/\s+/g, ' ');
  if (!e) return null;
  if (e.startsWith('@')) {
    const full = shorthands[e.toLowerCase()];
    if (!full) return null;
    e = full;
  }
  const f = e.split(' ');
  if (f.length !== 5) return null;
  const p = f.map((s, i) => parse(s, fields[i]));
  if (p.some((x) => x === null)) return null;
  const [mi, ho, dom, mon, dow] = p as Part[];

  let time: string;
  const m1 = single(mi);
  const h1 = single(ho);
  if (m1 !== null && h1 !== null) time = `At ${pad(h1)}:${pad(m1)}`;
  else if (mi.kind === 'all' && ho.kind === 'all') time = 'Every minute';
  else if (mi.kind === 'step' && mi.star && ho.kind === 'all') time = mi.step === 1 ? 'Every minute' : `Every ${mi.step} minutes`;
  else {
    let mins: string;
    if (mi.kind === 'all') mins = 'Every minute';
    else if (mi.kind === 'step')
      mins = mi.star ? `Every ${mi.step} minutes` : `Every ${mi.step} minutes from minute ${mi.from} through ${mi.to}`;
    else if (m1 !== null) mins = `At minute ${m1}`;
    else mins = `At minutes ${listWords(mi, String)}`;
    let hrs: string;
    if (ho.kind === 'all') hrs = m1 !== null ? ' past every hour' : '';
    else if (ho.kind === 'step')
      hrs = ho.star ? ` past every ${ho.step === 1 ? '' : ordinal(ho.step) + ' '}hour` : ` past every ${ordinal(ho.step)} hour from ${pad(ho.from)}:00 through ${pad(ho.to)}:00`;
    else if (ho.kind === 'list' && m1 !== null && ho.items.every((x) => !Array.isArray(x)))
      return finish(`At ${and(ho.items.map((h) => `${pad(h as number)}:${pad(m1)}`))}`, dom, mon, dow);
    else hrs = ` past hour ${listWords(ho, (n) => pad(n) + ':00')}`;
    time = mins + hrs;
  }
  return finish(time, dom, mon, dow);
}

function finish(time: string, dom: Part, mon: Part, dow: Part): string {
  const bits = [time];
  const dayName = (n: number) => days[n % 7];
  const domW =
    dom.kind === 'all'
      ? ''
      : dom.kind === 'step'
        ? `every ${ordinal(dom.step)} day of the month${dom.star ? '' : ` from the ${ordinal(dom.from)} through the ${ordinal(dom.to)}`}`
        : `on day ${listWords(dom, String)} of the month`;
  const dowW =
    dow.kind === 'all'
      ? ''
      : dow.kind === 'step'
        ? `every ${ordinal(dow.step)} day of the week`
        : `on ${listWords(dow, dayName)}`;
  // Vixie: when both day fields are restricted, either one matches.
  if (domW && dowW) bits.push(`${domW} or ${dowW}`);
  else if (domW) bits.push(domW);
  else if (dowW) bits.push(dowW);
  if (mon.kind === 'step') bits.push(`every ${ordinal(mon.step)} month`);
  else if (mon.kind === 'list') bits.push(`in ${listWords(mon, (n) => months[n - 1])}`);
  return bits.join(', ');
}
