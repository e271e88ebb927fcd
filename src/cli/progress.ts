/** A one-line progress bar on a terminal's stderr; drawn at most ten times a second. */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly label: string,
    /** What the percentage counts. */
    private readonly unit = 'simulated',
  ) {}

  update(fraction: number): void {
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, (this.stream.columns || 80) - this.label.length - 20));
    const f = Math.min(1, Math.max(0, fraction));
    const full = Math.round(f * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}% ${this.unit}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
  }
}
