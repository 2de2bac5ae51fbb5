/**
 * The category mix. The simulation decides *what* a user does from their state, but the share of each
 * category in the whole stream must follow the configured weights (default the older system's: AUTH 15, ASSESSMENT 25,
 * VIDEO 35, COURSE 18, PROFILE 3, NOTIFICATION 4). Some events are forced by state (LOGIN, SIGNUP,
 * CREATE_PROFILE, enrolments, notification opens, ...), so free choices are steered by the deficit of
 * each category against its target: p(category) ∝ max(0, weight × (emitted + slack) − count), limited to
 * what the user can do now. Shares converge to the weights whatever the forced events are.
 */
import { type Category, categories } from '@ula/core/events/envelope';

export type CategoryWeights = Record<Category, number>;

/** The weights of the older system's producer (docs/architecture.md#the-older-system). */
export const referenceWeights: CategoryWeights = {
  auth: 15,
  assessment: 25,
  video: 35,
  course: 18,
  profile: 3,
  notification: 4,
};

export const categoryIndex: Record<Category, number> = {
  auth: 0,
  assessment: 1,
  video: 2,
  course: 3,
  profile: 4,
  notification: 5,
};

export class MixController {
  readonly targets: Float64Array;
  readonly counts = new Float64Array(categories.length);
  total = 0;
  private readonly scratch = new Float64Array(categories.length);

  /** `slack` sets how hard deviations are corrected: smaller reacts faster, larger is more random. */
  constructor(
    weights: CategoryWeights,
    private readonly slack = 100,
  ) {
    const sum = categories.reduce((s, c) => s + Math.max(0, weights[c] ?? 0), 0);
    if (!(sum > 0)) throw new Error('category weights must have a positive sum');
    this.targets = Float64Array.from(categories, (c) => Math.max(0, weights[c] ?? 0) / sum);
  }

  record(index: number): void {
    this.counts[index]! += 1;
    this.total += 1;
  }

  /**
   * Draws a category index given the user's preferences (0 = impossible now) and a uniform number in
   * [0, 1). Returns -1 when nothing is possible.
   */
  choose(preferences: Float64Array, u: number): number {
    const n = this.targets.length;
    const base = this.total + this.slack;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const deficit = this.targets[i]! * base - this.counts[i]!;
      const w = deficit > 0 ? deficit * preferences[i]! : 0;
      this.scratch[i] = w;
      sum += w;
    }
    if (!(sum > 0)) {
      for (let i = 0; i < n; i++) {
        const w = this.targets[i]! * preferences[i]!;
        this.scratch[i] = w;
        sum += w;
      }
      if (!(sum > 0)) return -1;
    }
    let r = u * sum;
    for (let i = 0; i < n; i++) {
      r -= this.scratch[i]!;
      if (r < 0) return i;
    }
    for (let i = n - 1; i >= 0; i--) if (this.scratch[i]! > 0) return i;
    return -1;
  }

  /** Current share of each category. */
  shares(): Record<Category, number> {
    return Object.fromEntries(
      categories.map((c, i) => [c, this.total > 0 ? this.counts[i]! / this.total : 0]),
    ) as Record<Category, number>;
  }
}
