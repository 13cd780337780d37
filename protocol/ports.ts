/** The `*_PORT=<number>` lines of a dotenv text (compose/.env), by name. */
export function portsOf(text: string): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z][A-Z0-9_]*_PORT)\s*=\s*(\d+)\s*$/.exec(line);
    if (m) ports[m[1]!] = Number(m[2]);
  }
  return ports;
}

/** Puts the ports in place of `{{NAME_PORT}}` in a text; a name without a port is an error that names it. */
export function withPorts(text: string, ports: Record<string, number>): string {
  return text.replace(/\{\{([A-Z][A-Z0-9_]*_PORT)\}\}/g, (_, name: string) => {
    const value = ports[name];
    if (value === undefined) throw new Error(`compose/.env sets no ${name}; it sets ${Object.keys(ports).join(', ')}.`);
    return String(value);
  });
}
