// The stack's host ports, read from compose/.env when the site is built: the one place they are
// set (the checks, the stack panel and the terminals' variables follow the same file at run time).
// Chapters write `{port.MLFLOW_PORT}` and the home page's diagram `{{MLFLOW_PORT}}`, never a number.
import composeEnv from '../../compose/.env?raw';
import { portsOf, withPorts } from '../../protocol/ports.ts';

const PORTS = portsOf(composeEnv);

/** A port of compose/.env by name; a name the file does not set fails the build, with the name. */
export const port: Record<string, number> = new Proxy(PORTS, {
  get(target, name) {
    if (typeof name !== 'string') return undefined;
    const value = target[name];
    if (value === undefined) throw new Error(`compose/.env sets no ${name}; it sets ${Object.keys(target).join(', ')}.`);
    return value;
  },
});

/** The diagram's text with the ports of compose/.env in place of `{{NAME_PORT}}`. */
export const withComposePorts = (text: string): string => withPorts(text, PORTS);
