/** Progress bars on stderr (one line, redrawn at most 10×/s on a terminal; start and end lines otherwise). */
const tty = process.stderr.isTTY === true;

export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly started = performance.now();
  private finished = false;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly unit = 'events',
  ) {
    if (!tty) process.stderr.write(`${label}…\n`);
    else this.draw(true);
  }

  set(done: number, total?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    this.draw(false);
  }

  add(n = 1): void {
    this.set(this.done + n);
  }

  private line(): string {
    const seconds = (performance.now() - this.started) / 1000;
    const ratio = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const width = 28;
    const full = Math.round(ratio * width);
    const rate = seconds > 0 ? Math.round(this.done / seconds) : 0;
    return `${this.label.padEnd(22)} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${this.done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} ${this.unit} ${rate.toLocaleString('en-US')}/s ${seconds.toFixed(1)} s`;
  }

  private draw(force: boolean): void {
    if (!tty || this.finished) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    process.stderr.write(`\r${this.line()}\x1b[K`);
  }

  /** Final line; returns the elapsed seconds. */
  finish(note = ''): number {
    const seconds = (performance.now() - this.started) / 1000;
    if (this.finished) return seconds;
    this.done = Math.max(this.done, this.total);
    const text = `${this.line()}${note ? `  ${note}` : ''}`;
    this.finished = true;
    process.stderr.write(tty ? `\r${text}\x1b[K\n` : `${text}\n`);
    return seconds;
  }
}
