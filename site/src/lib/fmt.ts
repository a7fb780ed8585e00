/** Client-side string formatting for serialised UI tables. */
export function fmt(table: Record<string, string>, key: string, vars: Record<string, string | number> = {}): string {
  return (table[key] ?? key).replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}
