/**
 * Renders rows as a plain-text table. `columns` is a list of
 * { header, value: (row) => string|number, align?: 'left'|'right', format?: (v) => string }.
 */
export function renderTable(columns, rows) {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row);
      return c.format ? c.format(v) : String(v);
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const pad = (text, i) => {
    const align = columns[i].align ?? 'right';
    return align === 'left' ? text.padEnd(widths[i]) : text.padStart(widths[i]);
  };
  const lines = [
    columns.map((c, i) => pad(c.header, i)).join('  '),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((r) => r.map(pad).join('  ')),
  ];
  return lines.join('\n');
}

export const fmt = {
  int: (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a'),
  ms: (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a'),
  pctPoints: (v) => (Number.isFinite(v) ? `${Math.round(v)}%` : 'n/a'),
  pct: (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a'),
};
