/** A plain-text table: columns padded to their widest cell, long cells cut with "…". */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  maxCellWidth = 64,
): string {
  const cut = (cell: string) => (cell.length > maxCellWidth ? `${cell.slice(0, maxCellWidth - 1)}…` : cell);
  const all = [header, ...rows].map((row) => row.map(cut));
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [line(all[0]!), widths.map((width) => "-".repeat(width)).join("  "), ...all.slice(1).map(line)].join("\n");
}
