import type { Holding } from './module-checksums.js';

/** One line of the verification: what the source and the target hold of one object. */
export interface Verified {
  object: string;
  source: Holding | undefined;
  target: Holding | undefined;
  matches: boolean;
}

/** Every table and sequence of either side, matched by name. */
export function compareHoldings(source: readonly Holding[], target: readonly Holding[]): Verified[] {
  const names = [...new Set([...source.map((h) => h.object), ...target.map((h) => h.object)])];
  return names.map((object) => {
    const s = source.find((h) => h.object === object);
    const t = target.find((h) => h.object === object);
    return { object, source: s, target: t, matches: s !== undefined && t !== undefined && s.rows === t.rows && s.checksum === t.checksum };
  });
}

/** The verification as the operator reads it: one row per table and sequence. */
export function verificationTable(verified: readonly Verified[]): string {
  const header = ['table', 'source rows', 'target rows', 'source checksum', 'target checksum', 'match'];
  const rows = verified.map((v) => [
    v.object,
    v.source ? String(v.source.rows) : '-',
    v.target ? String(v.target.rows) : '-',
    v.source?.checksum ?? '-',
    v.target?.checksum ?? '-',
    v.matches ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 1 || i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
