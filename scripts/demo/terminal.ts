/** The demo's terminal output: colours (off when not a TTY or with NO_COLOR), timestamps. */
const useColor = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
export const c = {
  bold: paint('1'),
  dim: paint('2'),
  red: paint('31'),
  green: paint('32'),
  yellow: paint('33'),
  blue: paint('34'),
  magenta: paint('35'),
  cyan: paint('36'),
};
const t0 = Date.now();
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(2).padStart(6);
export const say = (line: string) => console.log(`${c.dim(`[${elapsed()}s]`)} ${line}`);
export const section = (title: string) => console.log(`\n${c.bold(c.cyan(`== ${title} ==`))}`);

const statusColor: Record<string, (s: string) => string> = {
  requested: c.blue,
  waiting: c.yellow,
  set: c.magenta,
  notified: c.green,
  failed: c.red,
  cancelled: c.red,
};
export const colorStatus = (s: string) => (statusColor[s] ?? ((x: string) => x))(s);
